// The demo page: the page is one <lmul-digit-demo> element (the same one the package exports),
// so what the page shows is exactly what an embedding page gets.
import 'lmul-wasm/demo';

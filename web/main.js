// The demo page: the page is one <lmul-digit-demo> element (the same one the package exports),
// so what the page shows is exactly what an embedding page gets.
import 'lmul-wasm/demo';

// A model file dropped next to the demo (header, margins) loads into it too, instead of the
// browser navigating away from the page to show the file.
const demo = document.querySelector('lmul-digit-demo');
const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
addEventListener('dragover', (e) => {
  if (carriesFiles(e)) e.preventDefault();
});
addEventListener('drop', (e) => {
  if (e.defaultPrevented || !carriesFiles(e)) return; // the demo took it
  e.preventDefault();
  const [file, ...more] = e.dataTransfer.files;
  if (file && more.length === 0) demo.loadModelFile(file);
});

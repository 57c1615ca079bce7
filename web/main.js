// The demo page: the page is one <lmul-digit-demo> element (the same one the package exports),
// so what the page shows is exactly what an embedding page gets. Its state lives in the URL
// (url-state); a visit without a shared input starts on a random test digit (one of the first 256,
// which come in a 37 KB file), predicted as soon as the module and the model are there.
import 'lmul-wasm/demo';
import { hasSharedInput } from './url-state.js';

const demo = document.querySelector('lmul-digit-demo');
if (!hasSharedInput(location.hash))
  demo.showRandomTestImage(null, { sample: true }).catch((err) => console.error(`lmul-digit-demo: no random test digit: ${err.message ?? err}`));

// A model file dropped next to the demo (header, margins) loads into it too, instead of the
// browser navigating away from the page to show the file.
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

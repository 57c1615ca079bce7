// Dropping a file on the demo: a veil while files are dragged over `target`, and one callback
// with the dropped file (or an error message for several files). The listeners live on the
// element's own shadow tree, so they go away with it.
export function acceptFileDrops(target, { onFile, onError, veil }) {
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  target.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    ++depth;
    veil(true);
  });
  target.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // accept the drop (and keep the browser from opening the file)
    e.dataTransfer.dropEffect = 'copy';
  });
  target.addEventListener('dragleave', (e) => {
    if (!hasFiles(e)) return;
    if (--depth <= 0) {
      depth = 0;
      veil(false);
    }
  });
  target.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    veil(false);
    const files = [...(e.dataTransfer.files ?? [])];
    if (files.length === 1) onFile(files[0]);
    else onError(`Drop one .safetensors file at a time (got ${files.length} files). The current model stays active.`);
  });
}

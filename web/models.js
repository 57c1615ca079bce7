// The models the demo's menu offers. Each file is its own literal
// `new URL('…', import.meta.url)`, the form Vite and webpack see and emit; `file` is its name in
// the package's models/ folder, which assets-base resolves (esbuild and copied files) and a
// fine-tune's own metadata names as its base. Entries carry files and names only: what a
// fine-tune was tuned for is read from the model file itself (model.metadata.tuned).
// `group` labels the menu's sections.

const EXACT = 'Trained with exact math';
const FINE_TUNES = 'L-Mul-aware fine-tunes';

export const MODELS = Object.freeze([
  { id: 'seed', name: 'Seed MLP 784-128-10', group: EXACT, default: true,
    file: 'mlp-784-128-10.safetensors', url: new URL('../models/mlp-784-128-10.safetensors', import.meta.url) },
  { id: 'deep', name: 'Deeper MLP 784-128×4-10', group: EXACT,
    file: 'mlp-784-128-128-128-128-10.safetensors', url: new URL('../models/mlp-784-128-128-128-128-10.safetensors', import.meta.url) },
  { id: 'vit', name: 'ViT 7×7 patches, width 48, 3 blocks', group: EXACT,
    file: 'vit-p7-w48-d3.safetensors', url: new URL('../models/vit-p7-w48-d3.safetensors', import.meta.url) },
  { id: 'seed-ft-lmul-E8M1', name: 'Seed MLP · tuned for L-Mul E8M1', group: FINE_TUNES,
    file: 'mlp-784-128-10-ft-lmul-E8M1.safetensors', url: new URL('../models/mlp-784-128-10-ft-lmul-E8M1.safetensors', import.meta.url) },
  { id: 'seed-ft-lmul-E8M2', name: 'Seed MLP · tuned for L-Mul E8M2', group: FINE_TUNES,
    file: 'mlp-784-128-10-ft-lmul-E8M2.safetensors', url: new URL('../models/mlp-784-128-10-ft-lmul-E8M2.safetensors', import.meta.url) },
  { id: 'seed-ft-lmul-E8M3', name: 'Seed MLP · tuned for L-Mul E8M3', group: FINE_TUNES,
    file: 'mlp-784-128-10-ft-lmul-E8M3.safetensors', url: new URL('../models/mlp-784-128-10-ft-lmul-E8M3.safetensors', import.meta.url) },
  { id: 'seed-ft-lmul-E3M2', name: 'Seed MLP · tuned for L-Mul E3M2 (6-bit)', group: FINE_TUNES,
    file: 'mlp-784-128-10-ft-lmul-E3M2.safetensors', url: new URL('../models/mlp-784-128-10-ft-lmul-E3M2.safetensors', import.meta.url) },
  { id: 'deep-ft-lmul-E8M1', name: 'Deeper MLP · tuned for L-Mul E8M1', group: FINE_TUNES,
    file: 'mlp-784-128-128-128-128-10-ft-lmul-E8M1.safetensors', url: new URL('../models/mlp-784-128-128-128-128-10-ft-lmul-E8M1.safetensors', import.meta.url) },
  { id: 'deep-ft-lmul-formula-E8M1', name: 'Deeper MLP · tuned for L-Mul formula E8M1', group: FINE_TUNES,
    file: 'mlp-784-128-128-128-128-10-ft-lmul-formula-E8M1.safetensors', url: new URL('../models/mlp-784-128-128-128-128-10-ft-lmul-formula-E8M1.safetensors', import.meta.url) },
  { id: 'vit-ft-lmul-E8M1', name: 'ViT · tuned for L-Mul E8M1', group: FINE_TUNES,
    file: 'vit-p7-w48-d3-ft-lmul-E8M1.safetensors', url: new URL('../models/vit-p7-w48-d3-ft-lmul-E8M1.safetensors', import.meta.url) },
].map((m) => Object.freeze(m)));

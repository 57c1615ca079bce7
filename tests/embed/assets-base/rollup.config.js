// Rollup resolves the package by name but, like esbuild, leaves new URL(…, import.meta.url)
// alone: the files come from the copy (npm run copy-lmul) through assetsBase.
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default { input: 'main.js', output: { file: 'public/main.js', format: 'es' }, plugins: [nodeResolve()] };

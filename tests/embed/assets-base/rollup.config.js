// Rollup resolves the package by name but, like esbuild, leaves new URL(…, import.meta.url)
// alone: the files come from the copy (npm run copy-lmul) through assetsBase.
import { nodeResolve } from '@rollup/plugin-node-resolve';

// The element loads its charts and views with import() when they are first needed, so the
// bundle has several chunks: Rollup writes them to a directory (output.dir), main.js the entry.
export default {
  input: 'main.js',
  output: { dir: 'public', entryFileNames: 'main.js', chunkFileNames: 'chunks/[name]-[hash].js', format: 'es' },
  plugins: [nodeResolve()],
};

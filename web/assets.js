// Where the demo's files come from, and the one error message for a file that cannot be had.
// By default each file is a literal `new URL('…', import.meta.url)` next to the module that uses
// it (what Vite and webpack see and emit). With assets-base (esbuild does not process `new URL`;
// or files copied anywhere) every file is looked up under one folder laid out like the package:
// dist/, models/, wasm/, web/.

// The assets-base attribute as a folder URL (relative values against the page), or null.
export function assetsBaseUrl(value) {
  if (value === null || value === undefined || value === '') return null;
  let url;
  try {
    url = new URL(String(value), document.baseURI);
  } catch {
    throw new TypeError(`assets-base must be a URL of a folder, got ${JSON.stringify(String(value))}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/'; // a folder, also when written without the slash
  return url;
}

// `packagePath` under the assets base when there is one, else the module-relative literal.
export const assetUrl = (base, packagePath, literal) => (base ? new URL(packagePath, base) : literal);

// The bytes at `url`. Failures name the URL and the status once; `packageDir` (a folder of the
// package, for the package's own files) adds what to serve.
export async function fetchBytes(url, packageDir = null) {
  const hint = packageDir ? ` — serve node_modules/lmul-wasm/${packageDir}/ and set assets-base` : '';
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch (err) {
    throw new Error(`cannot fetch ${url} (${err?.message ?? err})${hint}`);
  }
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}${hint}`);
  // Single-page servers (vite preview) answer a missing file with their index.html.
  if ((res.headers.get('content-type') ?? '').startsWith('text/html'))
    throw new Error(`${url} is an HTML page, not the file${hint}`);
  return new Uint8Array(await res.arrayBuffer());
}

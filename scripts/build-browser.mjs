// Builds the prebuilt browser bundle (npm run build:browser, run by npm run build) from the
// compiled browser entry: dist/browser/gradlab.js (ESM), gradlab-worker.js (a wasm pool thread)
// and the four wasm files beside them. Bundlers that build from the package instead (esbuild,
// Vite, webpack: the 'browser' export condition) find the wasm files through the literal
// new URL('../../wasm/...', import.meta.url) in dist/src/core/env-browser.js; in this bundle those
// URLs are rewritten to point next to the bundle, where the files are copied.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'browser');
const wasmDir = join(root, 'dist', 'wasm');

const besideBundle = {
  name: 'gradlab-asset-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]core[\\/]env-browser\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const rewritten = text
        .replaceAll("new URL('../../wasm/", "new URL('./")
        .replaceAll("new URL('../backend/wasm/worker-browser.js'", "new URL('./gradlab-worker.js'");
      if (rewritten.includes('../../wasm/') || rewritten.includes('worker-browser.js')) {
        throw new Error('build-browser: an asset URL in env-browser.js was not rewritten');
      }
      return { contents: rewritten, loader: 'js' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  // minified, but class and function names kept: error messages and layer class names use them
  minify: true,
  keepNames: true,
  legalComments: 'eof',
  logLevel: 'warning',
  plugins: [besideBundle],
};
// splitting: vega and vega-lite (chart rendering, loaded on first toSVG) become chunks fetched on use
await build({ ...common, splitting: true, chunkNames: 'chunks/[name]-[hash]', entryPoints: { gradlab: join(root, 'dist', 'src', 'browser.js') }, outdir: out });
await build({ ...common, entryPoints: { 'gradlab-worker': join(root, 'dist', 'src', 'backend', 'wasm', 'worker-browser.js') }, outdir: out });
const wasm = (existsSync(wasmDir) ? readdirSync(wasmDir) : []).filter((f) => f.endsWith('.wasm'));
if (wasm.length !== 4) console.warn(`build-browser: expected the four wasm files in ${wasmDir} (npm run build:wasm), found ${wasm.join(', ') || 'none'}; the bundle will compute with the js backend`);
for (const f of wasm) copyFileSync(join(wasmDir, f), join(out, f));
console.log(`browser bundle built into ${out}`);

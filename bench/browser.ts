// LeNet-5 training in headless Chromium: gradlab's browser bundle (wasm backend, Web Worker
// threads when the page is cross-origin isolated) against TensorFlow.js in the same page (its
// wasm, cpu and, where headless Chromium offers it, webgl backends). One small server with
// COOP/COEP serves both libraries from node_modules; playwright-core drives /usr/bin/chromium.
// Rounds alternate (gradlab, then each TF.js backend) and each implementation reports its best.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gl from '../src/index.js';
import { emit, type BenchRow } from './common.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const N = Number(process.env.BENCH_BROWSER_N ?? 2048);
const BATCH = 64;
const ROUNDS = Number(process.env.BENCH_BROWSER_ROUNDS ?? 2);
// Each timed run stops after this long (TF.js' cpu backend trains about 10 images a second here).
const BUDGET_MS = Number(process.env.BENCH_BROWSER_BUDGET_MS ?? 8000);
const WORKLOAD = `LeNet-5 training in headless Chromium (batch ${BATCH}, Adam)`;

const here = dirname(fileURLToPath(import.meta.url));
const repo = [join(here, '..'), join(here, '..', '..')].find((d) => existsSync(join(d, 'package.json')))!;
const bundleDir = join(repo, 'dist', 'browser');
const req = createRequire(import.meta.url);
const tfDist = dirname(req.resolve('@tensorflow/tfjs/dist/tf.min.js'));
const tfWasmDist = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'dist');

// The page: both libraries loaded, and one function per implementation that trains a fresh
// LeNet-5 on the same seeded synthetic digits (warm-up of 8 batches, then one timed epoch).
const PAGE = `<!doctype html><meta charset="utf-8"><title>gradlab browser bench</title>
<script src="/tfjs/tf.min.js"></script>
<script src="/tfjs/tf-backend-wasm.min.js"></script>
<script type="module">
import * as gl from '/gradlab/gradlab.js';
const BUDGET_MS = ${BUDGET_MS};
function data(n) {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const x = new Float32Array(n * 784), y = new Float32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = rnd() < 0.8 ? 0 : rnd();
  for (let i = 0; i < n; i++) y[i] = Math.floor(rnd() * 10);
  return { x, y };
}
const WARM = 2;
// Trains until the epoch ends or BUDGET_MS have passed (slow backends take minutes an epoch):
// images per second over the batches that ran.
async function timed(fit, model) {
  let images = 0;
  const t = performance.now();
  const cb = { onBatchEnd: async (b, logs) => { images += logs.size; if (performance.now() - t > BUDGET_MS) model.stopTraining = true; } };
  await fit(cb);
  return { rate: images / ((performance.now() - t) / 1000), images };
}
window.runGradlab = async (n, batch) => {
  const backend = await gl.ready();
  const { x, y } = data(n);
  const L = gl.layers;
  const model = gl.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 120, activation: 'relu' }),
    L.dense({ units: 84, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const X = new gl.Tensor(x, [n, 28, 28, 1]), Y = new gl.Tensor(y, [n]);
  const warm = batch * WARM;
  await model.fit(new gl.Tensor(x.slice(0, warm * 784), [warm, 28, 28, 1]), new gl.Tensor(y.slice(0, warm), [warm]), { epochs: 1, batchSize: batch, verbose: 0, seed: 1 });
  const r = await timed((cb) => model.fit(X, Y, { epochs: 1, batchSize: batch, verbose: 0, seed: 1, callbacks: [cb] }), model);
  return { rate: r.rate, images: r.images, note: backend + ' backend, ' + (crossOriginIsolated ? 'cross-origin isolated' : 'not isolated') + ', ' + navigator.hardwareConcurrency + ' cores' };
};
window.runTfjs = async (backend, n, batch) => {
  if (backend === 'wasm') tf.wasm.setWasmPaths('/tfjs/');
  let ok = false;
  try { ok = await tf.setBackend(backend); await tf.ready(); } catch (e) { return { error: String(e).slice(0, 120) }; }
  if (!ok || tf.getBackend() !== backend) return { error: 'tf.setBackend(' + backend + ') failed' };
  let note = backend;
  if (backend === 'wasm') note += ': ' + ((await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD') + ', ' + ((await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'threads' : '1 thread');
  if (backend === 'webgl') note += ': WebGL ' + tf.env().getNumber('WEBGL_VERSION');
  const { x, y } = data(n);
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 120, activation: 'relu' }),
    tf.layers.dense({ units: 84, activation: 'relu' }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy' });
  const X = tf.tensor4d(x, [n, 28, 28, 1]), Y = tf.tensor1d(y);
  const warm = batch * WARM;
  const xw = X.slice([0], [warm]), yw = Y.slice([0], [warm]);
  let r;
  try {
    await model.fit(xw, yw, { epochs: 1, batchSize: batch, verbose: 0 });
    r = await timed((cb) => model.fit(X, Y, { epochs: 1, batchSize: batch, verbose: 0, callbacks: cb }), model);
  } catch (e) {
    return { error: String(e).split('\\n')[0].slice(0, 160) };
  }
  tf.dispose([X, Y, xw, yw]);
  model.dispose();
  return { rate: r.rate, images: r.images, note };
};
window.benchReady = true;
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://bench').pathname;
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
    const m = /^\/(gradlab|tfjs)\/((?:chunks\/)?[\w][\w.-]*)$/.exec(path);
    let file: string | null = null;
    if (m && m[1] === 'gradlab') file = join(bundleDir, m[2]);
    else if (m) file = [join(tfDist, m[2]), join(tfWasmDist, m[2])].find(existsSync) ?? null;
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (file && existsSync(file)) {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    } else {
      res.writeHead(404, headers);
      res.end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ok({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
  }));
}

/** The same run in this Node process (the wasm backend, worker_threads): what the page costs. */
async function nodeRun(n: number, batch: number): Promise<Result> {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const x = new Float32Array(n * 784), y = new Float32Array(n);
  for (let i = 0; i < x.length; i++) x[i] = rnd() < 0.8 ? 0 : rnd();
  for (let i = 0; i < n; i++) y[i] = Math.floor(rnd() * 10);
  const L = gl.layers;
  const model = gl.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 120, activation: 'relu' }),
    L.dense({ units: 84, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const warm = batch * 2;
  await model.fit(new gl.Tensor(x.slice(0, warm * 784), [warm, 28, 28, 1]), new gl.Tensor(y.slice(0, warm), [warm]), { epochs: 1, batchSize: batch, verbose: 0, seed: 1 });
  let images = 0;
  const t = performance.now();
  await model.fit(new gl.Tensor(x, [n, 28, 28, 1]), new gl.Tensor(y, [n]), { epochs: 1, batchSize: batch, verbose: 0, seed: 1, callbacks: [{
    onBatchEnd: (_b: number, logs: gl.Logs) => { images += logs.size; if (performance.now() - t > BUDGET_MS) model.stopTraining = true; },
  }] });
  return { rate: images / ((performance.now() - t) / 1000), images, note: `${gl.getBackend()} backend in Node ${process.version} (not in the page)` };
}

type Result = { rate: number; images: number; note: string } | { error: string };

export async function run(): Promise<BenchRow[]> {
  const skip = (why: string): BenchRow[] => emit([{ workload: WORKLOAD, impl: 'gradlab wasm (browser build)', value: NaN, unit: 'images/s', note: why }]);
  if (!existsSync(CHROMIUM)) return skip(`skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
  if (!existsSync(join(bundleDir, 'gradlab.js'))) return skip(`skipped: ${join(bundleDir, 'gradlab.js')} is missing (npm run build:browser)`);
  const { chromium } = await import('playwright-core');
  const { server, url } = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const version = browser.version();
  const impls: { impl: string; call: (page: import('playwright-core').Page) => Promise<Result> }[] = [
    { impl: 'gradlab wasm (browser build)', call: (p) => p.evaluate(([n, b]) => (window as unknown as { runGradlab(n: number, b: number): Promise<Result> }).runGradlab(n, b), [N, BATCH]) },
    { impl: 'gradlab wasm (Node, for reference)', call: () => nodeRun(N, BATCH) },
    ...(['wasm', 'cpu', 'webgl'] as const).map((backend) => ({
      impl: `TF.js 4.22 ${backend}`,
      call: (p: import('playwright-core').Page) => p.evaluate(([be, n, b]) => (window as unknown as { runTfjs(be: string, n: number, b: number): Promise<Result> }).runTfjs(be as string, n as number, b as number), [backend, N, BATCH] as const),
    })),
  ];
  const best = new Map<string, BenchRow>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const { impl, call } of impls) {
        // A fresh page per run: TF.js keeps one backend per page, and no run inherits another's heap.
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        try {
          if (!impl.includes('Node')) await page.goto(url);
          if (!impl.includes('Node')) await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true, null, { timeout: 60_000 });
          const r = await call(page);
          const note = 'error' in r ? `unavailable: ${r.error}` : `${r.note}; ${r.images} of ${N} synthetic 28x28 images timed (at most ${BUDGET_MS / 1000} s)${impl.includes('Node') ? '' : `; Chromium ${version} headless`}`;
          const row: BenchRow = { workload: WORKLOAD, impl, value: 'error' in r ? NaN : r.rate, unit: 'images/s', note };
          const b = best.get(impl);
          if (!b || !(b.value >= row.value)) best.set(impl, row);
        } catch (e) {
          if (!best.has(impl)) best.set(impl, { workload: WORKLOAD, impl, value: NaN, unit: 'images/s', note: `failed: ${String(e).slice(0, 160)} ${errors.join(' | ').slice(0, 160)}` });
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  const rows = [...best.values()].map((r) => ({ ...r, note: Number.isFinite(r.value) ? `${r.note}; best of ${ROUNDS} alternating rounds` : r.note }));
  return emit(rows);
}

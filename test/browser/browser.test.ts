// gradlab's browser bundle (dist/browser, `npm run build:browser`) in a real Chromium, driven by
// playwright-core through Debian's /usr/bin/chromium (no browser download). A tiny local server
// serves the bundle, once with COOP/COEP headers (crossOriginIsolated: wasm threads on Web
// Workers over a SharedArrayBuffer) and once without (one thread). In the page: the wasm kernels
// against the js reference backend, a short training run whose loss must fall, a model saved to
// and loaded from IndexedDB with identical predictions, and no console errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bundleDir = join(repo, 'dist', 'browser');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.map': 'application/json' };
const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>gradlab browser test</title></head><body>gradlab</body></html>';

/** Serves / (an empty page) and each mount's folder under its prefix ('/gradlab/' -> dist/browser); `isolated` adds COOP/COEP. */
async function serve(isolated: boolean, mounts: Record<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, headers).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    const prefix = Object.keys(mounts).find((p) => rel.startsWith(p));
    const file = prefix === undefined || rel.includes('..') ? '' : join(mounts[prefix], rel.slice(prefix.length));
    if (file === '' || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Chromium headless with the flags that keep it off the network; `use` gets a page whose problems (console errors, page errors, failed or 4xx/5xx requests) are collected. */
async function withPage(origin: string, use: (page: Page, problems: string[]) => Promise<void>): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`${origin}/`);
    await use(page, problems);
  } finally {
    await browser.close();
  }
}

/** What the page reports back (checks run in the page; assertions here). */
interface PageReport {
  backend: string;
  crossOriginIsolated: boolean;
  info: { simd: string; threads: number; sharedMemory: boolean } | null;
  kernels: { name: string; err: number }[];
  losses: number[];
  idbDiff: number;
  filesDiff: number;
  onnxDiff: number;
  listed: string[];
  removed: boolean;
  listedAfter: string[];
  fileNames: string[];
  urlPrediction: number[];
}

/** Runs in the page (serialized by Playwright: it may use only its argument and the page's globals). */
async function pageChecks(bundleUrl: string): Promise<PageReport> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const gl: any = await import(bundleUrl);
  const backend: string = await gl.ready();
  const wb = gl.wasmBackend();
  const info = wb ? wb.info() : null;
  // The same computation on the wasm backend and on the js reference; inputs from seeded generators.
  type T = { data: Float32Array; grad: { data: Float32Array } | null };
  const kernels: { name: string; err: number }[] = [];
  const both = (name: string, f: () => T[]) => {
    gl.setBackend('wasm');
    const w = f();
    gl.setBackend('js');
    const j = f();
    gl.setBackend(backend);
    let err = 0;
    for (let i = 0; i < w.length; i++) {
      const a = w[i].data;
      const b = j[i].data;
      if (a.length !== b.length) throw new Error(`${name}: output ${i} has ${a.length} values on wasm, ${b.length} on js`);
      let scale = 1;
      for (let k = 0; k < b.length; k++) scale = Math.max(scale, Math.abs(b[k]));
      for (let k = 0; k < b.length; k++) err = Math.max(err, Math.abs(a[k] - b[k]) / scale);
    }
    kernels.push({ name, err });
  };
  const randn = (shape: number[], seed: number, requiresGrad = false) => gl.randn(shape, { seed, requiresGrad });
  for (const [m, k, n] of [[37, 53, 29], [128, 256, 96], [4, 300, 200]]) {
    both(`matmul ${m}x${k}x${n}`, () => [gl.matmul(randn([m, k], 1), randn([k, n], 2))]);
  }
  for (const [shape, kernel, opts] of [
    [[4, 12, 12, 3], [3, 3, 3, 8], { padding: 'same' }],
    [[3, 11, 9, 4], [3, 3, 4, 5], { padding: 'valid', stride: 2 }],
    [[32, 28, 28, 1], [5, 5, 1, 6], { padding: 'same' }],
    [[32, 14, 14, 6], [5, 5, 6, 16], { padding: 'valid' }],
  ] as [number[], number[], object][]) {
    both(`conv2d ${JSON.stringify(shape)} * ${JSON.stringify(kernel)} ${JSON.stringify(opts)} fwd/bwd`, () => {
      const x = randn(shape, 3, true);
      const w = randn(kernel, 4, true);
      const y = gl.conv2d(x, w, opts);
      gl.mul(y, randn(y.shape, 5)).sum().backward();
      return [y, x.grad, w.grad];
    });
  }
  for (const pool of ['maxPool2d', 'avgPool2d']) {
    both(`${pool} fwd/bwd`, () => {
      const x = randn([8, 10, 10, 6], 6, true);
      const y = gl[pool](x, { size: 2 });
      gl.mul(y, randn(y.shape, 7)).sum().backward();
      return [y, x.grad];
    });
  }
  both('elementwise and reductions', () => {
    const a = randn([64, 33], 8);
    const b = randn([33], 9);
    return [gl.add(a, b), gl.mul(a, b), gl.relu(a), gl.sigmoid(a), gl.exp(a), gl.tanh(a), gl.sum(a, 1), gl.mean(a, 0), gl.max(a, 1)];
  });

  // A short training run on synthetic data: the class is which quadrant holds the bright blob.
  gl.setBackend(backend);
  const n = 256;
  const rng = new gl.Random(11);
  const xs = new Float32Array(n * 12 * 12);
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    ys.push(c);
    const r0 = c < 2 ? 1 : 7;
    const c0 = c % 2 === 0 ? 1 : 7;
    for (let p = 0; p < 144; p++) xs[i * 144 + p] = 0.1 * rng.normal();
    for (let r = r0; r < r0 + 4; r++) for (let q = c0; q < c0 + 4; q++) xs[i * 144 + r * 12 + q] += 1;
  }
  const x = gl.tensor(xs, { shape: [n, 12, 12, 1] });
  const y = gl.tensor(ys);
  const model = gl.sequential({ layers: [
    gl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    gl.layers.maxPooling2d({ poolSize: 2 }),
    gl.layers.flatten(),
    gl.layers.dense({ units: 4, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 4, batchSize: 32, seed: 1, verbose: 0 });
  const losses: number[] = history.history.loss;

  // The same model through IndexedDB, through bytes in memory, and from a URL (a folder saved by Node).
  const same = (a: { shape: number[]; data: Float32Array }, b: { shape: number[]; data: Float32Array }) => {
    if (JSON.stringify(a.shape) !== JSON.stringify(b.shape)) return Infinity;
    let d = 0;
    for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
    return d;
  };
  const p1 = model.predict(x);
  await model.save('indexeddb://gradlab-test');
  const listed = await gl.listModels();
  const fromIdb = await gl.loadModel('indexeddb://gradlab-test');
  const idbDiff = same(p1, fromIdb.predict(x));
  const removed = await gl.removeModel('indexeddb://gradlab-test');
  const listedAfter = await gl.listModels();
  const files = await gl.modelToFiles(model);
  const fromFiles = await gl.loadModelFromFiles(files);
  const filesDiff = same(p1, fromFiles.predict(x));
  const fromOnnx = await gl.io.loadOnnx(gl.io.encodeOnnx(model));
  const onnxDiff = same(p1, fromOnnx.predict(x));
  const fromUrl = await gl.loadModel(new URL('/model/', bundleUrl).href);
  const probe = gl.tensor(Array.from({ length: 2 * 6 * 6 }, (_, i) => Math.sin(i)), { shape: [2, 6, 6, 1] });
  const urlPrediction = Array.from(fromUrl.predict(probe).data as Float32Array);
  return {
    backend, crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, info, kernels, losses,
    idbDiff, filesDiff, onnxDiff, listed: Object.keys(listed), removed, listedAfter: Object.keys(listedAfter), fileNames: Object.keys(files).sort(), urlPrediction,
  };
}

// A small model saved by Node, for the page to load by URL.
const gl = await import('../../src/index.js');
const modelDir = mkdtempSync(join(tmpdir(), 'gradlab-browser-model-'));
const urlModel = gl.sequential({ layers: [
  gl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
  gl.layers.flatten(),
  gl.layers.dense({ units: 5, activation: 'softmax' }),
] });
await urlModel.save(modelDir);
const urlProbe = gl.tensor(Array.from({ length: 2 * 6 * 6 }, (_, i) => Math.sin(i)), { shape: [2, 6, 6, 1] });
after(() => rmSync(modelDir, { recursive: true, force: true }));

const haveChromium = existsSync(CHROMIUM);
const haveBundle = existsSync(join(bundleDir, 'gradlab.js'));
const skip = !haveChromium ? `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`
  : !haveBundle ? `${bundleDir}/gradlab.js is missing (npm run build:browser)` : false;

for (const isolated of [true, false]) {
  test(`the browser bundle in Chromium ${isolated ? 'with COOP/COEP (wasm threads on Web Workers)' : 'without COOP/COEP (one thread)'}`, { skip, timeout: 300_000 }, async () => {
    const { server, origin } = await serve(isolated, { 'gradlab/': bundleDir, 'model/': modelDir });
    try {
      await withPage(origin, async (page, problems) => {
        const report = await page.evaluate(pageChecks, `${origin}/gradlab/gradlab.js`);
        assert.deepEqual(problems, []);
        assert.equal(report.crossOriginIsolated, isolated);
        assert.equal(report.backend, 'wasm');
        assert.ok(report.info !== null);
        assert.equal(report.info.sharedMemory, isolated, `threads over shared memory only when crossOriginIsolated (info ${JSON.stringify(report.info)})`);
        if (isolated) assert.ok(report.info.threads >= 2, `a crossOriginIsolated page gets a worker pool (info ${JSON.stringify(report.info)})`);
        else assert.equal(report.info.threads, 1);
        for (const k of report.kernels) assert.ok(k.err < 1e-4, `${k.name}: wasm differs from js by ${k.err} (relative to the largest value)`);
        assert.equal(report.kernels.length, 10);
        const [first, last] = [report.losses[0], report.losses[report.losses.length - 1]];
        assert.ok(last < 0.5 * first, `training loss should fall: ${report.losses.join(', ')}`);
        assert.equal(report.idbDiff, 0, 'a model loaded from IndexedDB predicts exactly as the one saved');
        assert.deepEqual(report.listed, ['indexeddb://gradlab-test']);
        assert.equal(report.removed, true);
        assert.deepEqual(report.listedAfter, []);
        assert.equal(report.filesDiff, 0, 'modelToFiles -> loadModelFromFiles predicts exactly as the model');
        assert.ok(report.onnxDiff < 1e-5, `the model through ONNX bytes (encodeOnnx -> loadOnnx) predicts as the model: ${report.onnxDiff}`);
        assert.equal(report.fileNames.length, 2);
        assert.equal(report.fileNames[0], 'model.json');
        assert.match(report.fileNames[1], /^weights-[0-9a-f]{16}\.safetensors$/);
        // the folder Node saved, fetched by URL: the same predictions as in Node (float32, same kernels family)
        const expected = Array.from(urlModel.predict(urlProbe).data);
        assert.equal(report.urlPrediction.length, expected.length);
        for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(report.urlPrediction[i] - expected[i]) < 1e-5, `URL model output ${i}: ${report.urlPrediction[i]} in the page, ${expected[i]} in Node`);
      });
    } finally {
      server.close();
    }
  });
}

// What a user writes: `import * as gl from 'gradlab'`, bundled by esbuild for the browser with no
// configuration. The 'browser' export condition must pick the browser entry and '#env' the page
// adapter, so no `node:` module is asked for; the wasm files and the pool thread's script come
// from the package's prebuilt dist/browser, served as /gradlab/ (gl.setWasmPaths).
const APP = `import * as gl from 'gradlab';
gl.setWasmPaths('/gradlab/');
globalThis.appDone = (async () => {
  const backend = await gl.ready();
  const n = 200;
  const rng = new gl.Random(5);
  const xs = [];
  const ys = [];
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1), b = rng.uniform(-1, 1);
    xs.push([a, b]);
    ys.push(a * b > 0 ? 1 : 0);
  }
  const model = gl.sequential([
    gl.layers.dense({ inputShape: [2], units: 16, activation: 'tanh' }),
    gl.layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.05 }), loss: 'binary_crossentropy' });
  const h = await model.fit(gl.tensor(xs), gl.tensor(ys).reshape([n, 1]), { epochs: 30, batchSize: 20, seed: 3, verbose: 0 });
  return { backend, threads: gl.wasmBackend().info().threads, losses: h.history.loss };
})();
`;

test("esbuild bundles `import * as gl from 'gradlab'` for the browser with no node: module, and it trains in the page", { skip, timeout: 300_000 }, async () => {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-esbuild-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repo, join(dir, 'node_modules', 'gradlab'), 'dir');
    writeFileSync(join(dir, 'app.js'), APP);
    let result;
    try {
      result = await build({
        absWorkingDir: dir, entryPoints: ['app.js'], bundle: true, format: 'esm', platform: 'browser',
        outfile: join(dir, 'out', 'app.js'), metafile: true, logLevel: 'silent',
      });
    } catch (e) {
      const errors = (e as { errors?: { text: string; location?: { file: string } | null }[] }).errors ?? [];
      assert.fail(`esbuild failed:\n${errors.map((x) => `${x.location?.file ?? ''}: ${x.text}`).join('\n') || String(e)}`);
    }
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.deepEqual(inputs.filter((f) => f.startsWith('node:') || f.includes('env-node')), []);
    assert.ok(inputs.some((f) => f.endsWith('dist/src/browser.js')), `the browser entry is bundled (inputs: ${inputs.filter((f) => f.includes('gradlab') || f.includes('src/')).slice(0, 5).join(', ')})`);
    assert.ok(inputs.some((f) => f.endsWith('dist/src/core/env-browser.js')));
    const { server, origin } = await serve(true, { 'gradlab/': bundleDir, 'app/': join(dir, 'out') });
    try {
      await withPage(origin, async (page, problems) => {
        await page.addScriptTag({ type: 'module', url: `${origin}/app/app.js` });
        await page.waitForFunction(() => (globalThis as { appDone?: unknown }).appDone !== undefined);
        const r = await page.evaluate(() => (globalThis as unknown as { appDone: Promise<{ backend: string; threads: number; losses: number[] }> }).appDone);
        assert.deepEqual(problems, []);
        assert.equal(r.backend, 'wasm');
        assert.ok(r.threads >= 2, `threads ${r.threads}`);
        assert.ok(r.losses[r.losses.length - 1] < 0.6 * r.losses[0], `loss should fall: ${r.losses.map((l) => l.toFixed(3)).join(', ')}`);
      });
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// runConformance (src/backend/conformance.ts) in the page: every kernel of the wasm backend,
// threaded (COOP/COEP), against the js reference, from a script bundled by esbuild.
test('runConformance passes for the wasm backend in the page, on Web Worker threads', { skip, timeout: 600_000 }, async () => {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-conformance-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repo, join(dir, 'node_modules', 'gradlab'), 'dir');
    const conformance = join(repo, 'dist', 'src', 'backend', 'conformance.js');
    writeFileSync(join(dir, 'app.js'), `import * as gl from 'gradlab';
import { formatFailures, runConformance } from ${JSON.stringify(conformance)};
gl.setWasmPaths('/gradlab/');
globalThis.appDone = (async () => {
  const backend = await gl.ready();
  const failures = runConformance(gl.wasmBackend());
  return { backend, threads: gl.wasmBackend().info().threads, failures: failures.length, report: formatFailures(failures) };
})();
`);
    await build({ absWorkingDir: dir, entryPoints: ['app.js'], bundle: true, format: 'esm', platform: 'browser', outfile: join(dir, 'out', 'app.js'), logLevel: 'silent' });
    const { server, origin } = await serve(true, { 'gradlab/': bundleDir, 'app/': join(dir, 'out') });
    try {
      await withPage(origin, async (page, problems) => {
        await page.addScriptTag({ type: 'module', url: `${origin}/app/app.js` });
        await page.waitForFunction(() => (globalThis as { appDone?: unknown }).appDone !== undefined);
        const r = await page.evaluate(() => (globalThis as unknown as { appDone: Promise<{ backend: string; threads: number; failures: number; report: string }> }).appDone);
        assert.deepEqual(problems, []);
        assert.equal(r.backend, 'wasm');
        assert.ok(r.threads >= 2, `threads ${r.threads}`);
        assert.equal(r.failures, 0, r.report);
      });
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

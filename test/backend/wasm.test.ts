// The wasm backend's own contracts and regressions, for each build (relaxed FMA and plain SIMD),
// one and two threads, and a tiny scratch cap that forces the blocked/chunked paths: the
// environment it loads from, float64 left to the reference bit for bit, the blocked and chunked
// paths at sizes past the cap, a dense exp/sigmoid sweep, the scratch cap. Every kernel against
// the reference on random shapes is test/backend/conformance.test.ts (runConformance).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Backend, Conv2dGeometry, FusedActivation,
} from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { getBackend, setBackend } from '../../src/backend/index.js';
import {
  createWasmBackend, loadWasmBackend, type WasmBackend, type WasmBackendOptions,
} from '../../src/backend/wasm/index.js';
import { ValueError } from '../../src/core/errors.js';
import { Random } from '../../src/tensor/random.js';

function randArray(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.random();
  return a;
}

function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.random() * (hi - lo + 1));
}

/** |got - want| <= 1e-5 * sqrt(k) * (|want| + rms(want)), elementwise. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, k: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let ss = 0;
  for (let i = 0; i < want.length; i++) ss += want[i] * want[i];
  const rms = Math.sqrt(ss / Math.max(1, want.length));
  const tol = 1e-5 * Math.sqrt(Math.max(1, k));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (Math.abs(want[i]) + rms) + 1e-30)) {
      assert.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]} (err ${err}, tol ${tol * (Math.abs(want[i]) + rms)})`);
    }
  }
}

const variants: [string, WasmBackendOptions][] = [
  ['relaxed, 1 thread', { simd: 'relaxed', threads: 1 }],
  ['simd, 1 thread', { simd: 'simd', threads: 1 }],
  ['relaxed, 2 threads', { simd: 'relaxed', threads: 2 }],
  ['simd, 2 threads, 4 MiB scratch', { simd: 'simd', threads: 2, scratchMiB: 4 }],
];

const opened: WasmBackend[] = [];
after(() => { for (const b of opened) b.close(); });

function checkMatmul(be: Backend, rng: Random, batch: number, m: number, k: number, n: number, tA: boolean, tB: boolean,
  aShared: boolean, bShared: boolean): void {
  const aStride = aShared ? 0 : m * k;
  const bStride = bShared ? 0 : k * n;
  const a = randArray(rng, aShared ? m * k : batch * m * k);
  const b = randArray(rng, bShared ? k * n : batch * k * n);
  const got = new Float32Array(batch * m * n).fill(NaN);
  const want = new Float32Array(batch * m * n);
  be.matmul(a, b, got, batch, m, k, n, tA, tB, aStride, bStride);
  jsBackend.matmul(a, b, want, batch, m, k, n, tA, tB, aStride, bStride);
  assertClose(got, want, k, `matmul batch=${batch} m=${m} k=${k} n=${n} tA=${tA} tB=${tB} aStride=${aStride} bStride=${bStride}`);
}

function randomConv(rng: Random, big: boolean): Conv2dGeometry {
  const kH = int(rng, 1, 4);
  const kW = int(rng, 1, 4);
  const dilationH = int(rng, 1, 2);
  const dilationW = int(rng, 1, 2);
  const strideH = int(rng, 1, 3);
  const strideW = int(rng, 1, 3);
  const padTop = int(rng, 0, 2);
  const padLeft = int(rng, 0, 2);
  const padBottom = int(rng, 0, 2);
  const padRight = int(rng, 0, 2);
  const ekH = dilationH * (kH - 1) + 1;
  const ekW = dilationW * (kW - 1) + 1;
  const inH = int(rng, Math.max(1, ekH - padTop - padBottom), big ? 20 : 9);
  const inW = int(rng, Math.max(1, ekW - padLeft - padRight), big ? 20 : 9);
  return {
    batch: int(rng, 1, 5), inH, inW, inC: int(rng, 1, big ? 40 : 7), outC: int(rng, 1, big ? 40 : 13),
    outH: Math.floor((inH + padTop + padBottom - ekH) / strideH) + 1,
    outW: Math.floor((inW + padLeft + padRight - ekW) / strideW) + 1,
    kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft,
  };
}

function checkConv(be: Backend, rng: Random, g: Conv2dGeometry): void {
  const xN = g.batch * g.inH * g.inW * g.inC;
  const wN = g.kH * g.kW * g.inC * g.outC;
  const yN = g.batch * g.outH * g.outW * g.outC;
  const x = randArray(rng, xN);
  const w = randArray(rng, wN);
  const dy = randArray(rng, yN);
  const what = JSON.stringify(g);
  const y1 = new Float32Array(yN).fill(NaN);
  const y0 = new Float32Array(yN);
  be.conv2d(x, w, y1, g);
  jsBackend.conv2d(x, w, y0, g);
  assertClose(y1, y0, g.kH * g.kW * g.inC, `conv2d ${what}`);
  const dx1 = new Float32Array(xN).fill(NaN);
  const dx0 = new Float32Array(xN);
  be.conv2dBackpropInput(dy, w, dx1, g);
  jsBackend.conv2dBackpropInput(dy, w, dx0, g);
  assertClose(dx1, dx0, g.outC * g.kH * g.kW, `conv2dBackpropInput ${what}`);
  const dw1 = new Float32Array(wN).fill(NaN);
  const dw0 = new Float32Array(wN);
  be.conv2dBackpropFilter(x, dy, dw1, g);
  jsBackend.conv2dBackpropFilter(x, dy, dw0, g);
  assertClose(dw1, dw0, g.batch * g.outH * g.outW, `conv2dBackpropFilter ${what}`);
}

/** groupedConv2d (plain and with each epilogue) and its two backward kernels against the reference. */
function checkGrouped(be: Backend, rng: Random, g: Conv2dGeometry, groups: number, acts: FusedActivation[] = ['linear']): void {
  const xN = g.batch * g.inH * g.inW * g.inC;
  const wN = g.kH * g.kW * (g.inC / groups) * g.outC;
  const yN = g.batch * g.outH * g.outW * g.outC;
  const x = randArray(rng, xN);
  const w = randArray(rng, wN);
  const dy = randArray(rng, yN);
  const what = `groups ${groups} ${JSON.stringify(g)}`;
  const K = g.kH * g.kW * (g.inC / groups);
  for (const [i, activation] of acts.entries()) {
    const epilogue = activation === 'linear' && i === 0 ? undefined : { bias: i % 2 === 0 ? randArray(rng, g.outC) : null, activation };
    const y1 = new Float32Array(yN).fill(NaN);
    const y0 = new Float32Array(yN);
    be.groupedConv2d(x, w, y1, g, groups, epilogue);
    jsBackend.groupedConv2d(x, w, y0, g, groups, epilogue);
    assertClose(y1, y0, K, `groupedConv2d ${activation}${epilogue?.bias ? ' + bias' : ''} ${what}`);
  }
  const dx1 = new Float32Array(xN).fill(NaN);
  const dx0 = new Float32Array(xN);
  be.groupedConv2dBackpropInput(dy, w, dx1, g, groups);
  jsBackend.groupedConv2dBackpropInput(dy, w, dx0, g, groups);
  assertClose(dx1, dx0, (g.outC / groups) * g.kH * g.kW, `groupedConv2dBackpropInput ${what}`);
  const dw1 = new Float32Array(wN).fill(NaN);
  const dw0 = new Float32Array(wN);
  be.groupedConv2dBackpropFilter(x, dy, dw1, g, groups);
  jsBackend.groupedConv2dBackpropFilter(x, dy, dw0, g, groups);
  assertClose(dw1, dw0, g.batch * g.outH * g.outW, `groupedConv2dBackpropFilter ${what}`);
}

test('loadWasmBackend: validates the environment, registers and selects wasm once', () => {
  const saved = { ...process.env };
  try {
    delete process.env.GRADLAB_BACKEND;
    process.env.GRADLAB_THREADS = 'two';
    assert.throws(() => loadWasmBackend(), ValueError);
    process.env.GRADLAB_THREADS = '1';
    process.env.GRADLAB_BACKEND = 'gpu';
    assert.throws(() => loadWasmBackend(), ValueError);
    delete process.env.GRADLAB_BACKEND;
    const be = loadWasmBackend();
    assert.ok(be, 'the wasm modules must be built (npm run build:wasm)');
    opened.push(be);
    assert.equal(be.info().threads, 1);
    assert.equal(getBackend(), 'wasm');
    setBackend('js');
    assert.equal(loadWasmBackend(), be);
    assert.equal(getBackend(), 'js', 'a second load keeps the user choice');
  } finally {
    process.env = saved;
    setBackend('js');
  }
});

for (const [label, opts] of variants) {
  describe(`wasm backend (${label})`, () => {
    const be = createWasmBackend(opts);
    opened.push(be);

    test('loads the requested build', () => {
      const info = be.info();
      assert.equal(info.simd, opts.simd);
      assert.equal(info.threads, opts.threads);
      assert.equal(info.sharedMemory, (opts.threads ?? 1) > 1);
    });

    test('matmul: large enough to be cut into blocks under a small cap', () => {
      const rng = new Random(12);
      checkMatmul(be, rng, 1, 700, 600, 650, false, false, false, false);
      checkMatmul(be, rng, 1, 650, 700, 600, true, true, false, false);
    });

    test('matmul: float64 goes to the reference unchanged', () => {
      const rng = new Random(13);
      const a = Float64Array.from(randArray(rng, 40 * 50));
      const b = Float64Array.from(randArray(rng, 50 * 30));
      const got = new Float64Array(40 * 30);
      const want = new Float64Array(40 * 30);
      be.matmul(a, b, got, 1, 40, 50, 30, false, false, 0, 0);
      jsBackend.matmul(a, b, want, 1, 40, 50, 30, false, false, 0, 0);
      assert.deepEqual(got, want);
    });

    test('conv2dBackward on a 70-image batch (several chunks of images), every fused activation', () => {
      const rng = new Random(29);
      const acts: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
      const g: Conv2dGeometry = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, batch: 70, inH: 30, inW: 30, inC: 6,
        outH: 26, outW: 26, outC: 16, kH: 5, kW: 5, padTop: 0, padLeft: 0 };
      for (const [i, activation] of acts.entries()) {
        const x = randArray(rng, g.batch * g.inH * g.inW * g.inC);
        const w = randArray(rng, g.kH * g.kW * g.inC * g.outC);
        const yN = g.batch * g.outH * g.outW * g.outC;
        const dy = randArray(rng, yN);
        const y = new Float32Array(yN);
        jsBackend.conv2d(x, w, y, g, { bias: null, activation });
        const want = { dx: new Float32Array(x.length), dw: new Float32Array(w.length), dbias: new Float32Array(g.outC) };
        jsBackend.conv2dBackward(x, w, dy, g, want, { y, activation });
        // the first layer of a network wants no dx; a layer without bias no dbias
        const got = {
          dx: i % 3 !== 0 ? new Float32Array(x.length).fill(NaN) : null,
          dw: new Float32Array(w.length).fill(NaN),
          dbias: i % 2 === 0 ? new Float32Array(g.outC).fill(NaN) : null,
        };
        be.conv2dBackward(x, w, dy, g, got, { y, activation });
        const what = `conv2dBackward ${activation} ${JSON.stringify(g)}`;
        if (got.dx) assertClose(got.dx, want.dx, g.outC * g.kH * g.kW, `${what} dx`);
        assertClose(got.dw, want.dw, g.batch * g.outH * g.outW, `${what} dw`);
        if (got.dbias) assertClose(got.dbias, want.dbias, g.batch * g.outH * g.outW, `${what} dbias`);
      }
    });

    test('grouped conv: a batch runs in chunks (cache-sized, and fewer images under a small cap)', () => {
      const rng = new Random(25);
      const base = { dilationH: 1, dilationW: 1, strideH: 1, strideW: 1 };
      // 10 images of 32x32x64: chunks of a few images (~2 MiB a thread), and under the 4 MiB cap
      // fewer than a chunk's worth fit
      checkGrouped(be, rng, { ...base, batch: 10, inH: 32, inW: 32, inC: 64, outH: 32, outW: 32, outC: 64, kH: 3, kW: 3, padTop: 1, padLeft: 1 }, 64);
    });

    test('conv2d: a batch bigger than the scratch cap is chunked', () => {
      const rng = new Random(22);
      const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
      // 9 images of 64x64x32 are 4.7 MiB of input alone
      checkConv(be, rng, { ...base, batch: 9, inH: 64, inW: 64, inC: 32, outH: 64, outW: 64, outC: 8, kH: 1, kW: 1, padTop: 0, padLeft: 0 });
    });

    test('exp and sigmoid within 4 ulp, including overflow, denormals, infinities and NaN', () => {
      const n = 20011;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = -110 + (200 * i) / n;
      x.set([NaN, Infinity, -Infinity, 0, -0, 1e-30, 88.7, 88.8, -87.5, -103, -104, 0.5], 0);
      for (const op of ['exp', 'sigmoid'] as const) {
        const got = new Float32Array(n);
        const want = new Float32Array(n);
        be.unary(op, x, got);
        jsBackend.unary(op, x, want);
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(want[i]) || !Number.isFinite(want[i])) {
            assert.ok(Object.is(got[i], want[i]), `${op}(${x[i]}) is ${got[i]}, reference ${want[i]}`);
            continue;
          }
          const ulp = Math.max(Math.abs(want[i]) * 2 ** -23, 2 ** -149);
          assert.ok(Math.abs(got[i] - want[i]) <= 4 * ulp, `${op}(${x[i]}) is ${got[i]}, reference ${want[i]}`);
        }
      }
    });

    test('scratch stays under its cap', () => {
      // Its own work, so that it does not rely on the tests before it having used the scratch.
      const rng = new Random(23);
      checkMatmul(be, rng, 1, 300, 700, 260, false, false, false, false);
      checkConv(be, rng, { ...randomConv(rng, true), batch: 8, inC: 32, outC: 32 });
      const info = be.info();
      assert.ok(info.scratchPeakBytes > 0);
      assert.ok(info.scratchPeakBytes <= info.scratchCapBytes,
        `peak ${info.scratchPeakBytes} > cap ${info.scratchCapBytes}`);
    });
  });
}

// The wasm convolutions whose im2col panel is cut into bands of output rows: against the js
// reference on shapes small enough to check in full (a tiny panel target forces the bands), and
// at 224x224x64, the shape that used to pass the scratch cap and fall to the reference (6.3 s a
// call), checked on slices of rows against the reference and by the adjoint identities.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2dGeometry, FusedActivation } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../../src/backend/wasm/index.js';
import { ValueError } from '../../src/core/errors.js';
import { Random } from '../../src/tensor/random.js';

function randArray(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.random();
  return a;
}

/** |got - want| <= 1e-5 * sqrt(k) * (|want| + rms(want)), elementwise (as test/backend/wasm.test.ts). */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, k: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let ss = 0;
  for (let i = 0; i < want.length; i++) ss += want[i] * want[i];
  const rms = Math.sqrt(ss / Math.max(1, want.length));
  const tol = 1e-5 * Math.sqrt(Math.max(1, k));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (Math.abs(want[i]) + rms) + 1e-30)) {
      assert.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]} (err ${err})`);
    }
  }
}

const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };

function geometry(batch: number, inH: number, inW: number, inC: number, outC: number, k: number, s: number, d: number,
  padTop: number, padLeft: number, padBottom = padTop, padRight = padLeft): Conv2dGeometry {
  const ek = d * (k - 1) + 1;
  return {
    batch, inH, inW, inC, outC, kH: k, kW: k, strideH: s, strideW: s, dilationH: d, dilationW: d, padTop, padLeft,
    outH: Math.floor((inH + padTop + padBottom - ek) / s) + 1, outW: Math.floor((inW + padLeft + padRight - ek) / s) + 1,
  };
}

/** Forward (with an epilogue), both backward passes and the fused backward against the reference. */
function checkAll(be: Backend, rng: Random, g: Conv2dGeometry, activation: FusedActivation): void {
  const xN = g.batch * g.inH * g.inW * g.inC, wN = g.kH * g.kW * g.inC * g.outC, yN = g.batch * g.outH * g.outW * g.outC;
  const x = randArray(rng, xN), w = randArray(rng, wN), dy = randArray(rng, yN), bias = randArray(rng, g.outC);
  const what = `${activation} ${JSON.stringify(g)}`;
  const K = g.kH * g.kW * g.inC;
  const y1 = new Float32Array(yN).fill(NaN), y0 = new Float32Array(yN);
  be.conv2d(x, w, y1, g, { bias, activation });
  jsBackend.conv2d(x, w, y0, g, { bias, activation });
  assertClose(y1, y0, K, `conv2d ${what}`);
  const dx1 = new Float32Array(xN).fill(NaN), dx0 = new Float32Array(xN);
  be.conv2dBackpropInput(dy, w, dx1, g);
  jsBackend.conv2dBackpropInput(dy, w, dx0, g);
  assertClose(dx1, dx0, g.outC * g.kH * g.kW, `conv2dBackpropInput ${what}`);
  const dw1 = new Float32Array(wN).fill(NaN), dw0 = new Float32Array(wN);
  be.conv2dBackpropFilter(x, dy, dw1, g);
  jsBackend.conv2dBackpropFilter(x, dy, dw0, g);
  assertClose(dw1, dw0, g.batch * g.outH * g.outW, `conv2dBackpropFilter ${what}`);
  // every gradient from one call, through the fused activation's output
  const got = { dx: new Float32Array(xN).fill(NaN), dw: new Float32Array(wN).fill(NaN), dbias: new Float32Array(g.outC).fill(NaN) };
  const want = { dx: new Float32Array(xN), dw: new Float32Array(wN), dbias: new Float32Array(g.outC) };
  be.conv2dBackward(x, w, dy, g, got, { y: y0, activation });
  jsBackend.conv2dBackward(x, w, dy, g, want, { y: y0, activation });
  assertClose(got.dx, want.dx, g.outC * g.kH * g.kW, `conv2dBackward dx ${what}`);
  assertClose(got.dw, want.dw, g.batch * g.outH * g.outW, `conv2dBackward dw ${what}`);
  assertClose(got.dbias, want.dbias, g.batch * g.outH * g.outW, `conv2dBackward dbias ${what}`);
}

const opened: WasmBackend[] = [];
after(() => { for (const b of opened) b.close(); });

const variants: [string, WasmBackendOptions][] = [
  ['relaxed, 1 thread', { simd: 'relaxed', threads: 1 }],
  ['simd, 2 threads', { simd: 'simd', threads: 2 }],
  ['relaxed, 2 threads, 4 MiB scratch', { simd: 'relaxed', threads: 2, scratchMiB: 4 }],
];

for (const [label, opts] of variants) {
  describe(`wasm conv in bands of output rows (${label})`, () => {
    // ~2,600-float panels: a few rows, often one, per band
    const be = createWasmBackend({ ...opts, convPanelMiB: 0.01 });
    opened.push(be);

    test('bands of every size against the reference: stride, dilation, uneven padding, pointwise, one channel', () => {
      const rng = new Random(81);
      const acts: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
      const cases = [
        geometry(2, 30, 26, 16, 24, 3, 1, 1, 1, 1), // 'same' 3x3: bands of 6 rows, the last one short
        geometry(3, 23, 17, 9, 13, 3, 2, 1, 1, 0, 2, 1), // stride 2, more padding after than before
        geometry(1, 21, 21, 5, 7, 3, 1, 2, 2, 2), // dilation 2
        geometry(2, 19, 13, 6, 11, 4, 3, 1, 0, 0), // stride 3, rows the kernel never reaches
        geometry(2, 24, 24, 40, 36, 1, 1, 1, 0, 0), // pointwise: the filter gradient's dy in bands
        geometry(3, 40, 40, 1, 8, 5, 1, 1, 2, 2), // one input channel (direct kernels when they fit)
        geometry(1, 7, 50, 12, 10, 3, 1, 1, 1, 1), // rows longer than the panel target: one row a band
        geometry(1, 33, 29, 16, 24, 3, 2, 1, 1, 1), // one image: on 2 threads, jobs of row ranges
      ];
      cases.forEach((g, i) => checkAll(be, rng, g, acts[i % acts.length]));
      assert.equal(be.info().convReferenceCalls, 0, 'no conv went to the reference');
      assert.ok(be.info().scratchPeakBytes <= be.info().scratchCapBytes);
    });

    test('a grouped conv run as per-group GEMM convs on channel slices, in bands', () => {
      const rng = new Random(82);
      const g = geometry(2, 20, 20, 64, 64, 3, 1, 1, 1, 1);
      const groups = 2;
      const wN = 9 * (g.inC / groups) * g.outC;
      const x = randArray(rng, 2 * 20 * 20 * 64), w = randArray(rng, wN), dy = randArray(rng, 2 * 20 * 20 * 64);
      const y1 = new Float32Array(dy.length), y0 = new Float32Array(dy.length);
      be.groupedConv2d(x, w, y1, g, groups);
      jsBackend.groupedConv2d(x, w, y0, g, groups);
      assertClose(y1, y0, 9 * 32, 'groupedConv2d');
      const dw1 = new Float32Array(wN), dw0 = new Float32Array(wN);
      be.groupedConv2dBackpropFilter(x, dy, dw1, g, groups);
      jsBackend.groupedConv2dBackpropFilter(x, dy, dw0, g, groups);
      assertClose(dw1, dw0, 800, 'groupedConv2dBackpropFilter');
      assert.equal(be.info().convReferenceCalls, 0);
    });
  });
}

test('createWasmBackend: convPanelMiB is checked', () => {
  assert.throws(() => createWasmBackend({ convPanelMiB: 0 }), ValueError);
  assert.throws(() => createWasmBackend({ convPanelMiB: -1 }), ValueError);
  assert.throws(() => createWasmBackend({ convPanelMiB: Infinity }), ValueError);
});

/**
 * The geometry of output rows r0..r1 of one image, on the input rows it reads (a window
 * starting at input row a0), as the reference takes it.
 */
function rowWindow(g: Conv2dGeometry, r0: number, r1: number): { g: Conv2dGeometry; a0: number } {
  const a0 = Math.max(0, r0 * g.strideH - g.padTop);
  const a1 = Math.min(g.inH, (r1 - 1) * g.strideH - g.padTop + (g.kH - 1) * g.dilationH + 1);
  return { g: { ...g, batch: 1, inH: a1 - a0, outH: r1 - r0, padTop: g.padTop - r0 * g.strideH + a0 }, a0 };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('wasm conv at 224x224x64 -> 64 (a per-image im2col panel of 115 MB, past the 96 MiB cap)', () => {
  for (const [label, opts, batch] of [['relaxed, 2 threads', { simd: 'relaxed', threads: 2 }, 2], ['simd, 2 threads (row-range jobs)', { simd: 'simd', threads: 2 }, 1]] as const) {
    test(`${label}, batch ${batch}: rows against the reference, gradients by the adjoint identities`, () => {
      const be = createWasmBackend(opts);
      opened.push(be);
      const rng = new Random(83);
      const g = geometry(batch, 224, 224, 64, 64, 3, 1, 1, 1, 1);
      const inImg = 224 * 224 * 64, outImg = 224 * 224 * 64, row = 224 * 64;
      const x = randArray(rng, batch * inImg), w = randArray(rng, 9 * 64 * 64, -0.1, 0.1);
      const y = new Float32Array(batch * outImg).fill(NaN);
      be.conv2d(x, w, y, g);
      // the first and last rows (padding), and rows around where bands of any size meet
      for (const [img, r0, r1] of [[0, 0, 3], [batch - 1, 221, 224], [0, 100, 116], [batch - 1, 37, 43]]) {
        const { g: gw, a0 } = rowWindow(g, r0, r1);
        const want = new Float32Array((r1 - r0) * row);
        jsBackend.conv2d(x.subarray(img * inImg + a0 * row, img * inImg + (a0 + gw.inH) * row), w, want, gw);
        assertClose(y.subarray(img * outImg + r0 * row, img * outImg + r1 * row), want, 576, `conv2d image ${img} rows ${r0}-${r1}`);
      }
      // <conv(x, w), y> = <w, dW(x, y)> = <x, dX(y, w)>: a missing or repeated band of one row
      // moves the sums by ~1/224 of ||y||^2, far past float32 rounding
      const yy = dot(y, y);
      const dw = new Float32Array(w.length).fill(NaN);
      be.conv2dBackpropFilter(x, y, dw, g);
      const dx = new Float32Array(x.length).fill(NaN);
      be.conv2dBackpropInput(y, w, dx, g);
      const rw = dot(w, dw) / yy, rx = dot(x, dx) / yy;
      assert.ok(Math.abs(rw - 1) < 1e-4, `<w, dW> / ||y||^2 = ${rw}`);
      assert.ok(Math.abs(rx - 1) < 1e-4, `<x, dX> / ||y||^2 = ${rx}`);
      // and dX on rows the reference computes from a window of dy (rows whose every tap is inside it)
      const { g: gw, a0 } = rowWindow(g, 60, 70);
      const want = new Float32Array(gw.inH * row);
      jsBackend.conv2dBackpropInput(y.subarray(60 * row, 70 * row), w, want, gw);
      const full0 = 61, full1 = 69; // input rows fed only by output rows 60..69
      assertClose(dx.subarray(full0 * row, full1 * row), want.subarray((full0 - a0) * row, (full1 - a0) * row), 576, 'conv2dBackpropInput rows 61-68');
      const info = be.info();
      assert.equal(info.convReferenceCalls, 0, 'no pass fell to the reference');
      assert.ok(info.scratchPeakBytes <= info.scratchCapBytes, `peak ${info.scratchPeakBytes} <= cap ${info.scratchCapBytes}`);
    });
  }
});

describe('wasm conv on images whose input and output alone pass the cap: blocks of output rows', () => {
  for (const [label, opts] of [['relaxed, 2 threads, 4 MiB', { simd: 'relaxed', threads: 2, scratchMiB: 4 }],
    ['simd, 1 thread, 4 MiB', { simd: 'simd', threads: 1, scratchMiB: 4 }]] as const) {
    test(`${label}: dense, strided and depthwise convs against the reference`, () => {
      const be = createWasmBackend(opts);
      opened.push(be);
      const rng = new Random(84);
      // one image of output is 3.3 MB, beside its input and the panels past the 4 MiB cap
      checkAll(be, rng, geometry(2, 80, 80, 8, 128, 3, 1, 1, 1, 1), 'relu');
      // stride 2 and padding after only: windows that start inside the image and end past it
      checkAll(be, rng, geometry(1, 161, 161, 8, 128, 3, 2, 1, 0, 0, 1, 1), 'sigmoid');
      // output rows that read only padding (the bottom's is wider than the kernel)
      checkAll(be, rng, geometry(1, 60, 60, 8, 128, 3, 1, 1, 1, 1, 4, 1), 'linear');
      // depthwise (the lane kernels' expanded image: 2 threads x 102x102x64 floats)
      const g = geometry(1, 100, 100, 64, 64, 3, 1, 1, 1, 1);
      const x = randArray(rng, 100 * 100 * 64), w = randArray(rng, 9 * 64), dy = randArray(rng, 100 * 100 * 64);
      const y1 = new Float32Array(dy.length), y0 = new Float32Array(dy.length);
      const bias = randArray(rng, 64);
      be.groupedConv2d(x, w, y1, g, 64, { bias, activation: 'relu' });
      jsBackend.groupedConv2d(x, w, y0, g, 64, { bias, activation: 'relu' });
      assertClose(y1, y0, 9, 'depthwise forward');
      const dx1 = new Float32Array(x.length).fill(NaN), dx0 = new Float32Array(x.length);
      be.groupedConv2dBackpropInput(dy, w, dx1, g, 64);
      jsBackend.groupedConv2dBackpropInput(dy, w, dx0, g, 64);
      assertClose(dx1, dx0, 9, 'depthwise backprop input');
      const dw1 = new Float32Array(w.length).fill(NaN), dw0 = new Float32Array(w.length);
      be.groupedConv2dBackpropFilter(x, dy, dw1, g, 64);
      jsBackend.groupedConv2dBackpropFilter(x, dy, dw0, g, 64);
      assertClose(dw1, dw0, 10000, 'depthwise backprop filter');
      const info = be.info();
      assert.equal(info.convReferenceCalls, 0, 'no conv went to the reference');
      assert.ok(info.scratchPeakBytes <= info.scratchCapBytes);
    });
  }
});

// Conformance of the wasm backend against the js reference: every kernel it implements, on
// random shapes (odd sizes, edge tiles, transposes, batch strides, conv stride/dilation/padding),
// for each build (relaxed FMA and plain SIMD), one and two threads, and a tiny scratch cap that
// forces the blocked/chunked paths.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Backend, BinaryKernel, Conv2dGeometry, FusedActivation, Pool2dGeometry, UnaryKernel,
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

/** A random geometry for a grouped conv with `groups` groups of cg inputs and mg outputs each. */
function groupedGeometry(rng: Random, groups: number, cg: number, mg: number, big: boolean): Conv2dGeometry {
  return { ...randomConv(rng, big), inC: groups * cg, outC: groups * mg };
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

function randomPool(rng: Random): Pool2dGeometry {
  const kH = int(rng, 1, 3);
  const kW = int(rng, 1, 3);
  const strideH = int(rng, 1, 3);
  const strideW = int(rng, 1, 3);
  const padTop = int(rng, 0, kH - 1);
  const padLeft = int(rng, 0, kW - 1);
  const inH = int(rng, kH, 15);
  const inW = int(rng, kW, 15);
  return {
    batch: int(rng, 1, 6), inH, inW, channels: int(rng, 1, 9),
    outH: Math.floor((inH + padTop - kH) / strideH) + 1, outW: Math.floor((inW + padLeft - kW) / strideW) + 1,
    kH, kW, strideH, strideW, padTop, padLeft,
  };
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

    test('matmul: every transpose combination, edge tiles, batch strides', () => {
      const rng = new Random(11);
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          // odd sizes straddle the 6x8 / 4x8 tiles and the 96/384 cache blocks
          checkMatmul(be, rng, 1, 97, 385, 33, tA, tB, false, false);
          checkMatmul(be, rng, 3, 13, 7, 17, tA, tB, false, false);
          checkMatmul(be, rng, 2, 25, 40, 9, tA, tB, true, false);
          checkMatmul(be, rng, 2, 30, 19, 70, tA, tB, false, true);
          checkMatmul(be, rng, 1, 200, 64, 150, tA, tB, false, false);
          // fewer rows than columns: on two threads, column blocks that each pack their own B
          checkMatmul(be, rng, 1, 100, 784, 256, tA, tB, false, false);
          checkMatmul(be, rng, 1, 37, 300, 203, tA, tB, false, false);
        }
      }
      for (let i = 0; i < 20; i++) {
        checkMatmul(be, rng, int(rng, 1, 3), int(rng, 1, 70), int(rng, 1, 90), int(rng, 1, 70),
          rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.3, rng.random() < 0.3);
      }
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

    test('conv2d forward and both backward passes on random geometry', () => {
      const rng = new Random(21);
      for (let i = 0; i < 25; i++) checkConv(be, rng, randomConv(rng, i % 5 === 0));
      // the 1x1 stride-1 fast path, LeNet's first layer, and a 'same' 3x3
      const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
      checkConv(be, rng, { ...base, batch: 3, inH: 5, inW: 6, inC: 7, outH: 5, outW: 6, outC: 9, kH: 1, kW: 1, padTop: 0, padLeft: 0 });
      checkConv(be, rng, { ...base, batch: 4, inH: 28, inW: 28, inC: 1, outH: 24, outW: 24, outC: 6, kH: 5, kW: 5, padTop: 0, padLeft: 0 });
      checkConv(be, rng, { ...base, batch: 3, inH: 12, inW: 12, inC: 16, outH: 12, outW: 12, outC: 20, kH: 3, kW: 3, padTop: 1, padLeft: 1 });
    });

    test('conv2d: the direct one-channel kernels (padding, ragged widths, partial channel blocks)', () => {
      const rng = new Random(23);
      const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, inC: 1 };
      // LeNet's 'same' first layer; odd 'same' padding (more after than before); a width that is
      // not a multiple of 4; 1 (not direct), 4, 5, 9, 10 and 16 output channels (channel vectors
      // that overlap within and across vector pairs); a one-row kernel; a batch split over threads
      checkConv(be, rng, { ...base, batch: 16, inH: 28, inW: 28, outH: 28, outW: 28, outC: 6, kH: 5, kW: 5, padTop: 2, padLeft: 2 });
      checkConv(be, rng, { ...base, batch: 3, inH: 9, inW: 13, outH: 9, outW: 13, outC: 9, kH: 4, kW: 2, padTop: 1, padLeft: 0 });
      checkConv(be, rng, { ...base, batch: 2, inH: 7, inW: 19, outH: 5, outW: 17, outC: 1, kH: 3, kW: 3, padTop: 0, padLeft: 0 });
      checkConv(be, rng, { ...base, batch: 5, inH: 6, inW: 11, outH: 8, outW: 13, outC: 5, kH: 1, kW: 3, padTop: 1, padLeft: 2 });
      checkConv(be, rng, { ...base, batch: 40, inH: 12, inW: 12, outH: 12, outW: 12, outC: 4, kH: 3, kW: 3, padTop: 1, padLeft: 1 });
      checkConv(be, rng, { ...base, batch: 3, inH: 10, inW: 11, outH: 8, outW: 9, outC: 10, kH: 3, kW: 3, padTop: 0, padLeft: 0 });
      checkConv(be, rng, { ...base, batch: 2, inH: 9, inW: 7, outH: 9, outW: 7, outC: 16, kH: 5, kW: 3, padTop: 2, padLeft: 1 });
    });

    test('epilogues: bias and activation fused into conv2d and matmul, and their backward', () => {
      const rng = new Random(29);
      const acts: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
      const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
      const geos: Conv2dGeometry[] = [
        // the direct one-channel path, 6 channels; im2col + GEMM with 16; pointwise with 9
        { ...base, batch: 8, inH: 28, inW: 28, inC: 1, outH: 28, outW: 28, outC: 6, kH: 5, kW: 5, padTop: 2, padLeft: 2 },
        { ...base, batch: 5, inH: 14, inW: 14, inC: 6, outH: 10, outW: 10, outC: 16, kH: 5, kW: 5, padTop: 0, padLeft: 0 },
        { ...base, batch: 3, inH: 5, inW: 7, inC: 4, outH: 5, outW: 7, outC: 9, kH: 1, kW: 1, padTop: 0, padLeft: 0 },
      ];
      for (const g of geos) {
        for (const [i, activation] of acts.entries()) {
          const x = randArray(rng, g.batch * g.inH * g.inW * g.inC);
          const w = randArray(rng, g.kH * g.kW * g.inC * g.outC);
          const bias = i % 2 === 0 ? randArray(rng, g.outC) : null;
          const yN = g.batch * g.outH * g.outW * g.outC;
          const got = new Float32Array(yN).fill(NaN);
          const want = new Float32Array(yN);
          be.conv2d(x, w, got, g, { bias, activation });
          jsBackend.conv2d(x, w, want, g, { bias, activation });
          assertClose(got, want, g.kH * g.kW * g.inC, `conv2d + ${activation}${bias ? ' + bias' : ''} ${JSON.stringify(g)}`);
        }
      }
      // every gradient of a conv in one call, from dy and (for a fused activation) the output
      for (const [gi, g] of [...geos, { ...geos[1], batch: 70, inH: 30, inW: 30, outH: 26, outW: 26 }].entries()) {
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
          const mask = [(i + gi) % 3 !== 0, true, (i + gi) % 2 === 0];
          const got = {
            dx: mask[0] ? new Float32Array(x.length).fill(NaN) : null,
            dw: mask[1] ? new Float32Array(w.length).fill(NaN) : null,
            dbias: mask[2] ? new Float32Array(g.outC).fill(NaN) : null,
          };
          be.conv2dBackward(x, w, dy, g, got, { y, activation });
          const what = `conv2dBackward ${activation} ${JSON.stringify(g)}`;
          if (got.dx) assertClose(got.dx, want.dx, g.outC * g.kH * g.kW, `${what} dx`);
          if (got.dw) assertClose(got.dw, want.dw, g.batch * g.outH * g.outW, `${what} dw`);
          if (got.dbias) assertClose(got.dbias, want.dbias, g.batch * g.outH * g.outW, `${what} dbias`);
        }
      }
      for (const [m, k, n] of [[64, 400, 120], [7, 30, 5], [100, 784, 256]]) {
        for (const [i, activation] of acts.entries()) {
          const a = randArray(rng, m * k);
          const b = randArray(rng, k * n);
          const bias = i % 2 === 1 ? randArray(rng, n) : null;
          const got = new Float32Array(m * n).fill(NaN);
          const want = new Float32Array(m * n);
          be.matmul(a, b, got, 1, m, k, n, false, false, 0, 0, { bias, activation });
          jsBackend.matmul(a, b, want, 1, m, k, n, false, false, 0, 0, { bias, activation });
          assertClose(got, want, k, `matmul ${m}x${k}x${n} + ${activation}${bias ? ' + bias' : ''}`);
        }
      }
      for (const [rows, inner] of [[64 * 28 * 28, 6], [64, 120], [3, 5], [1000, 1]]) {
        for (const activation of acts) {
          const n = rows * inner;
          const dy = randArray(rng, n, -2, 2);
          const y = activation === 'relu' ? randArray(rng, n, -1, 1).map((v) => Math.max(v, 0))
            : activation === 'sigmoid' ? randArray(rng, n, 0, 1) : randArray(rng, n, -1, 1);
          const dz1 = new Float32Array(n).fill(NaN);
          const dz0 = new Float32Array(n);
          const db1 = new Float32Array(inner).fill(NaN);
          const db0 = new Float32Array(inner);
          be.activationBackward(dy, y, activation, dz1, db1, inner);
          jsBackend.activationBackward(dy, y, activation, dz0, db0, inner);
          assert.deepEqual(dz1, dz0, `activationBackward ${activation} [${rows}, ${inner}]: bit-identical`);
          assertClose(db1, db0, rows, `activationBackward ${activation} bias gradient [${rows}, ${inner}]`);
          be.activationBackward(dy, y, activation, dz1, null, inner);
          assert.deepEqual(dz1, dz0, `activationBackward ${activation} without a bias gradient`);
        }
      }
    });

    test('grouped and depthwise conv: forward, epilogues and both backward passes on random geometry', () => {
      const rng = new Random(24);
      // depthwise with multipliers 1-3 (channel counts off the 4-lane vectors too), few input
      // channels per group (the lane kernels), many (per-group GEMM convs), one group
      for (let i = 0; i < 30; i++) {
        const kind = i % 5;
        const groups = kind === 4 ? int(rng, 1, 3) : int(rng, 1, 9);
        const cg = kind < 2 ? 1 : kind === 2 ? int(rng, 2, 5) : kind === 3 ? int(rng, 16, 20) : int(rng, 1, 3);
        const mg = kind === 0 ? 1 : int(rng, 1, 5);
        checkGrouped(be, rng, groupedGeometry(rng, groups, cg, mg, i % 6 === 0), groups, i % 3 === 0 ? ['linear', 'relu', 'sigmoid', 'tanh'] : ['linear']);
      }
      // MobileNet-like depthwise 3x3 layers ('same' stride 1 and 2), and a ResNeXt-like 32x4d group
      const base = { dilationH: 1, dilationW: 1 };
      checkGrouped(be, rng, { ...base, batch: 3, inH: 14, inW: 14, inC: 32, outH: 14, outW: 14, outC: 32, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 32,
        ['linear', 'relu']);
      checkGrouped(be, rng, { ...base, batch: 2, inH: 15, inW: 16, inC: 24, outH: 8, outW: 8, outC: 24, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 0 }, 24);
      checkGrouped(be, rng, { ...base, batch: 2, inH: 9, inW: 9, inC: 128, outH: 9, outW: 9, outC: 128, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 32);
      // padding wider than the kernel (dy's first rows never reach dx), and a 1x1 depthwise
      checkGrouped(be, rng, { ...base, batch: 2, inH: 5, inW: 6, inC: 6, outH: 9, outW: 8, outC: 12, kH: 2, kW: 3, strideH: 1, strideW: 1, padTop: 3, padLeft: 2 }, 6);
      checkGrouped(be, rng, { ...base, batch: 2, inH: 5, inW: 6, inC: 5, outH: 5, outW: 6, outC: 5, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 }, 5);
      // wide groups (Cg * M >= 1024): one GEMM conv per group on channel slices, with an epilogue
      checkGrouped(be, rng, { ...base, batch: 3, inH: 7, inW: 8, inC: 64, outH: 4, outW: 8, outC: 48, kH: 3, kW: 3, strideH: 2, strideW: 1, padTop: 1, padLeft: 1 }, 2,
        ['linear', 'relu', 'tanh']);
    });

    test('grouped conv: both strategies on the same shapes (forced lane kernels, forced per-group GEMMs)', () => {
      const rng = new Random(28);
      const lanes = createWasmBackend({ ...opts, groupedSlicesMinCgM: Infinity });
      const slices = createWasmBackend({ ...opts, groupedSlicesMinCgM: 1 });
      try {
        for (let i = 0; i < 8; i++) {
          const groups = int(rng, 2, 4);
          const g = groupedGeometry(rng, groups, int(rng, 2, 18), int(rng, 1, 9), i % 4 === 0);
          checkGrouped(lanes, rng, g, groups, i % 2 === 0 ? ['linear', 'sigmoid'] : ['linear']);
          checkGrouped(slices, rng, g, groups, i % 2 === 0 ? ['linear', 'sigmoid'] : ['linear']);
        }
      } finally {
        lanes.close();
        slices.close();
      }
    });

    test('grouped conv: a batch runs in chunks (cache-sized, and fewer images under a small cap)', () => {
      const rng = new Random(25);
      const base = { dilationH: 1, dilationW: 1, strideH: 1, strideW: 1 };
      // 10 images of 32x32x64: chunks of a few images (~2 MiB a thread), and under the 4 MiB cap
      // fewer than a chunk's worth fit
      checkGrouped(be, rng, { ...base, batch: 10, inH: 32, inW: 32, inC: 64, outH: 32, outW: 32, outC: 64, kH: 3, kW: 3, padTop: 1, padLeft: 1 }, 64);
    });

    test('conv2dBackpropInput with an epilogue (a transposed conv layer), per input channel', () => {
      const rng = new Random(26);
      const acts: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
      for (let i = 0; i < 8; i++) {
        const g = randomConv(rng, i % 4 === 0);
        const activation = acts[i % 4];
        const dy = randArray(rng, g.batch * g.outH * g.outW * g.outC);
        const w = randArray(rng, g.kH * g.kW * g.inC * g.outC);
        const bias = i % 3 === 2 ? null : randArray(rng, g.inC);
        const xN = g.batch * g.inH * g.inW * g.inC;
        const got = new Float32Array(xN).fill(NaN);
        const want = new Float32Array(xN);
        be.conv2dBackpropInput(dy, w, got, g, { bias, activation });
        jsBackend.conv2dBackpropInput(dy, w, want, g, { bias, activation });
        assertClose(got, want, g.outC * g.kH * g.kW, `conv2dBackpropInput + ${activation}${bias ? ' + bias' : ''} ${JSON.stringify(g)}`);
      }
    });

    test('conv2d: a batch bigger than the scratch cap is chunked', () => {
      const rng = new Random(22);
      const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
      // 9 images of 64x64x32 are 4.7 MiB of input alone
      checkConv(be, rng, { ...base, batch: 9, inH: 64, inW: 64, inC: 32, outH: 64, outW: 64, outC: 8, kH: 1, kW: 1, padTop: 0, padLeft: 0 });
    });

    test('adamUpdate matches the reference over ragged lengths and several steps', () => {
      const rng = new Random(27);
      for (const n of [7, 1027, 5003]) {
        const w0 = randArray(rng, n);
        const w1 = Float32Array.from(w0);
        const start = Float32Array.from(w0);
        const m0 = new Float32Array(n), v0 = new Float32Array(n);
        const m1 = new Float32Array(n), v1 = new Float32Array(n);
        for (let t = 1; t <= 3; t++) {
          const g = randArray(rng, n, -2, 2);
          g[0] = 0; // v = 0 there: epsilon alone keeps the step finite
          const alpha = 0.01 * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t);
          jsBackend.adamUpdate(w0, g, m0, v0, alpha, 0.9, 0.999, 1e-7);
          be.adamUpdate(w1, g, m1, v1, alpha, 0.9, 0.999, 1e-7);
          assertClose(m1, m0, 4, `adam m n=${n} t=${t}`);
          assertClose(v1, v0, 4, `adam v n=${n} t=${t}`);
          assertClose(w1, w0, 16, `adam w n=${n} t=${t}`);
        }
        assert.ok(Math.abs(w1[1] - start[1]) > 1e-3, 'the weights moved');
      }
    });

    test('unary kernels, bit-exact where wasm runs them', () => {
      const rng = new Random(31);
      const ops: UnaryKernel[] = ['neg', 'abs', 'sqrt', 'square', 'relu', 'step', 'sign', 'reciprocal', 'tanh', 'log'];
      for (const op of ops) {
        for (const n of [5, 1027, 4099]) {
          const x = randArray(rng, n, -3, 3);
          x[0] = 0;
          x[1] = -0;
          if (n > 3) x[2] = NaN;
          const got = new Float32Array(n);
          const want = new Float32Array(n);
          be.unary(op, x, got);
          jsBackend.unary(op, x, want);
          assert.deepEqual(got, want, `${op} n=${n}`);
        }
      }
      // in place
      const x = randArray(rng, 2000, -3, 3);
      const want = new Float32Array(2000);
      jsBackend.unary('relu', x, want);
      be.unary('relu', x, x);
      assert.deepEqual(x, want);
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

    test('binary kernels with full, scalar and row broadcasts, bit-exact', () => {
      const rng = new Random(32);
      const ops: BinaryKernel[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'pow', 'maskPositive'];
      const cases: [number[], number[], number[]][] = [
        [[37, 41], [37, 41], [37, 41]],
        [[37, 41], [1, 1], [37, 41]],
        [[1, 1], [37, 41], [37, 41]],
        [[64, 33], [1, 33], [64, 33]],
        [[1, 33], [64, 33], [64, 33]],
        [[8, 16, 13], [1, 16, 13], [8, 16, 13]],
        [[8, 16, 13], [8, 16, 1], [8, 16, 13]], // column broadcast: the reference handles it
        [[1, 1030], [1, 1030], [1, 1030]],
        // short repeated rows (a conv bias) are tiled; rows left over after the tiled blocks
        [[300, 6], [1, 6], [300, 6]],
        [[1, 1, 1, 5], [4, 7, 9, 5], [4, 7, 9, 5]],
        [[3, 7, 9, 6], [1, 1, 1, 6], [3, 7, 9, 6]],
      ];
      for (const op of ops) {
        for (const [as, bs, os] of cases) {
          const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
          const a = randArray(rng, size(as), -2, 2);
          const b = randArray(rng, size(bs), -2, 2);
          // equal values and NaNs exercise the comparison and max/min tie rules
          for (let i = 0; i < Math.min(a.length, b.length); i += 7) a[i] = b[i];
          if (a.length > 10) a[10] = NaN;
          if (b.length > 3) b[3] = NaN;
          const got = new Float32Array(size(os));
          const want = new Float32Array(size(os));
          be.binary(op, a, as, b, bs, got, os);
          jsBackend.binary(op, a, as, b, bs, want, os);
          assert.deepEqual(got, want, `${op} ${JSON.stringify([as, bs])}`);
        }
      }
    });

    test('reductions (sum, max, min) over every axis position, with NaN', () => {
      const rng = new Random(35);
      const shapes: [number, number, number][] = [[1, 4099, 1], [37, 53, 1], [1, 300, 7], [5, 64, 33], [3, 700, 2], [2, 3, 1000],
        // sums over many short rows (a conv bias gradient), with rows left over
        [1, 3001, 6], [1, 640, 1], [1, 129, 31]];
      for (const op of ['sum', 'max', 'min'] as const) {
        for (const [outer, axis, inner] of shapes) {
          const x = randArray(rng, outer * axis * inner, -3, 3);
          const got = new Float32Array(outer * inner);
          const want = new Float32Array(outer * inner);
          be.reduce(op, x, outer, axis, inner, got);
          jsBackend.reduce(op, x, outer, axis, inner, want);
          assertClose(got, want, axis, `${op} [${outer},${axis},${inner}]`);
          x[Math.floor(x.length / 2)] = NaN;
          be.reduce(op, x, outer, axis, inner, got);
          jsBackend.reduce(op, x, outer, axis, inner, want);
          for (let i = 0; i < want.length; i++) {
            assert.equal(Number.isNaN(got[i]), Number.isNaN(want[i]), `${op} NaN placement at ${i}`);
          }
        }
      }
    });

    test('pooling: max (values and argmax), average, average backward', () => {
      const rng = new Random(41);
      for (let i = 0; i < 25; i++) {
        const g = randomPool(rng);
        const inN = g.batch * g.inH * g.inW * g.channels;
        const outN = g.batch * g.outH * g.outW * g.channels;
        const x = randArray(rng, inN);
        const what = JSON.stringify(g);
        const v1 = new Float32Array(outN);
        const v0 = new Float32Array(outN);
        const i1 = new Int32Array(outN);
        const i0 = new Int32Array(outN);
        be.maxPool2d(x, v1, i1, g);
        jsBackend.maxPool2d(x, v0, i0, g);
        assert.deepEqual(v1, v0, `maxPool2d ${what}`);
        assert.deepEqual(i1, i0, `maxPool2d argmax ${what}`);
        const a1 = new Float32Array(outN);
        const a0 = new Float32Array(outN);
        be.avgPool2d(x, a1, g);
        jsBackend.avgPool2d(x, a0, g);
        assertClose(a1, a0, g.kH * g.kW, `avgPool2d ${what}`);
        const dy = randArray(rng, outN);
        const d1 = new Float32Array(inN).fill(NaN);
        const d0 = new Float32Array(inN);
        be.avgPool2dBackward(dy, d1, g);
        jsBackend.avgPool2dBackward(dy, d0, g);
        assertClose(d1, d0, g.kH * g.kW, `avgPool2dBackward ${what}`);
        // overlapping windows send several gradients to one cell: sums, in the reference's order
        const m1 = new Float32Array(inN).fill(NaN);
        const m0 = new Float32Array(inN);
        be.maxPool2dBackward(dy, i0, m1, g);
        jsBackend.maxPool2dBackward(dy, i0, m0, g);
        assert.deepEqual(m1, m0, `maxPool2dBackward ${what}`);
      }
      // LeNet's first pooling: 64 x 28x28x6, 2x2 windows, long enough for the wasm path
      const g: Pool2dGeometry = { batch: 64, inH: 28, inW: 28, channels: 6, outH: 14, outW: 14, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };
      const x = randArray(rng, 64 * 28 * 28 * 6);
      const outN = 64 * 14 * 14 * 6;
      const v1 = new Float32Array(outN), v0 = new Float32Array(outN), i1 = new Int32Array(outN), i0 = new Int32Array(outN);
      be.maxPool2d(x, v1, i1, g);
      jsBackend.maxPool2d(x, v0, i0, g);
      assert.deepEqual(v1, v0, 'maxPool2d LeNet');
      assert.deepEqual(i1, i0, 'maxPool2d argmax LeNet');
      const dy = randArray(rng, outN);
      const m1 = new Float32Array(x.length).fill(NaN), m0 = new Float32Array(x.length);
      be.maxPool2dBackward(dy, i0, m1, g);
      jsBackend.maxPool2dBackward(dy, i0, m0, g);
      assert.deepEqual(m1, m0, 'maxPool2dBackward LeNet');
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

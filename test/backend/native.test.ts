// The native backend's GEMM and convolution kernels against the js reference: random shapes with
// ragged edge tiles, all four transposes, batch strides (0 included), every fused epilogue, conv
// geometries (stride, dilation, padding, 1x1, one input channel, many bands), for each ISA path
// the CPU has (forced with setIsa, and once through GRADLAB_NATIVE_ISA in a child process), one
// and two threads, and bit-identical repeats on two threads.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Conv2dGeometry, Epilogue, FusedActivation } from '../../src/backend/backend.js';
import { FUSED_ACTIVATIONS } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { loadNativeBackend, nativeUnavailableReason, type NativeBackend } from '../../src/backend/native/index.js';
import { ValueError } from '../../src/core/errors.js';
import { Random } from '../../src/tensor/random.js';

const be: NativeBackend | undefined = loadNativeBackend();
const skip = be ? false : `native backend not built: ${nativeUnavailableReason() ?? 'unknown'} (run 'npm run build:native')`;
if (skip) console.log(`# skipping native tests: ${skip}`);

const ORDER = ['c', 'avx2', 'avx512'] as const;
/** The ISA paths this CPU can run, lowest first. */
const isas = be ? ORDER.slice(0, ORDER.indexOf(be.info().detectedIsa as (typeof ORDER)[number]) + 1) : [];
const initialThreads = be?.info().threads ?? 1;
after(() => {
  if (!be) return;
  be.setIsa(be.info().detectedIsa as 'avx512');
  be.setThreads(initialThreads);
});

function randArray(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.random();
  return a;
}

function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.random() * (hi - lo + 1));
}

/** |got - want| <= 1e-5 * sqrt(k) * (|want| + rms(want)), elementwise (float32 sums of k products). */
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

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} differs (${a[i]} vs ${b[i]})`);
}

function epilogue(rng: Random, n: number, act: FusedActivation, withBias: boolean): Epilogue {
  return { bias: withBias ? randArray(rng, n) : null, activation: act };
}

function checkMatmul(rng: Random, batch: number, m: number, k: number, n: number, tA: boolean, tB: boolean,
  aShared: boolean, bShared: boolean, e?: Epilogue): void {
  const aStride = aShared ? 0 : m * k;
  const bStride = bShared ? 0 : k * n;
  const a = randArray(rng, aShared ? m * k : batch * m * k);
  const b = randArray(rng, bShared ? k * n : batch * k * n);
  const got = new Float32Array(batch * m * n).fill(NaN);
  const want = new Float32Array(batch * m * n);
  be!.matmul(a, b, got, batch, m, k, n, tA, tB, aStride, bStride, e);
  jsBackend.matmul(a, b, want, batch, m, k, n, tA, tB, aStride, bStride, e);
  assertClose(got, want, k, `matmul ${be!.info().isa} batch=${batch} m=${m} k=${k} n=${n} tA=${tA} tB=${tB} ` +
    `aStride=${aStride} bStride=${bStride} ${e ? `${e.activation}${e.bias ? '+bias' : ''}` : ''}`);
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
  const outH = Math.floor((inH + padTop + padBottom - ekH) / strideH) + 1;
  const outW = Math.floor((inW + padLeft + padRight - ekW) / strideW) + 1;
  return {
    batch: int(rng, 1, 3), inH, inW, inC: int(rng, 1, big ? 40 : 7), outH, outW, outC: int(rng, 1, big ? 40 : 9),
    kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft,
  };
}

const plain = (o: Partial<Conv2dGeometry> & Pick<Conv2dGeometry, 'batch' | 'inH' | 'inW' | 'inC' | 'outC' | 'kH' | 'kW'>,
  pad = 0): Conv2dGeometry => {
  const g = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: pad, padLeft: pad, outH: 0, outW: 0, ...o };
  g.outH = Math.floor((g.inH + 2 * pad - g.dilationH * (g.kH - 1) - 1) / g.strideH) + 1;
  g.outW = Math.floor((g.inW + 2 * pad - g.dilationW * (g.kW - 1) - 1) / g.strideW) + 1;
  return g;
};

/** Hand-picked geometries: the direct paths and the banded one with many bands. */
const SPECIAL: [string, Conv2dGeometry][] = [
  ['1x1 stride 1 (plain GEMM)', plain({ batch: 2, inH: 7, inW: 5, inC: 13, outC: 37, kH: 1, kW: 1 })],
  ['1x1 stride 2', plain({ batch: 2, inH: 7, inW: 5, inC: 13, outC: 11, kH: 1, kW: 1, strideH: 2, strideW: 2 })],
  ['one input channel, 5x5 (LeNet)', plain({ batch: 3, inH: 28, inW: 28, inC: 1, outC: 6, kH: 5, kW: 5 })],
  // the flat-row kernels (one input channel, 2-12 filters, stride 1 across)
  ['one input channel, 3 filters, 7x3 kernel, width 41', plain({ batch: 2, inH: 9, inW: 41, inC: 1, outC: 3, kH: 7, kW: 3 }, 2)],
  ['one input channel, 12 filters, 3x3 same, two blocks a row', plain({ batch: 2, inH: 8, inW: 30, inC: 1, outC: 12, kH: 3, kW: 3 }, 1)],
  ['one input channel, 4 filters, stride 2 down, dilation 2', plain({ batch: 2, inH: 13, inW: 17, inC: 1, outC: 4, kH: 3, kW: 7, strideH: 2, dilationH: 2, dilationW: 2 }, 3)],
  ['one input channel, 2 filters, 11x11 (three tap groups)', plain({ batch: 1, inH: 15, inW: 20, inC: 1, outC: 2, kH: 11, kW: 11 }, 5)],
  ['one input channel, 8 filters, one column', plain({ batch: 3, inH: 5, inW: 1, inC: 1, outC: 8, kH: 3, kW: 1 }, 1)],
  ['one input channel, 6 filters, 3x3 valid, 100 wide', plain({ batch: 2, inH: 4, inW: 100, inC: 1, outC: 6, kH: 3, kW: 3 })],
  ['3x3 same, 64 -> 64 (many bands)', plain({ batch: 2, inH: 32, inW: 32, inC: 64, outC: 64, kH: 3, kW: 3 }, 1)],
  ['3x3 same, 300 channels (K > KC)', plain({ batch: 1, inH: 6, inW: 6, inC: 300, outC: 20, kH: 3, kW: 3 }, 1)],
  ['col2im backward input: 5 images, 3 channels, stride 2', plain({ batch: 5, inH: 11, inW: 9, inC: 3, outC: 7, kH: 3, kW: 3, strideH: 2, strideW: 2 }, 1)],
  ['7x7 stride 2 dilation 2', plain({ batch: 1, inH: 23, inW: 19, inC: 3, outC: 17, kH: 7, kW: 7, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2 }, 3)],
];

function checkConv(rng: Random, g: Conv2dGeometry, what: string, activation?: FusedActivation): void {
  const nx = g.batch * g.inH * g.inW * g.inC;
  const nw = g.kH * g.kW * g.inC * g.outC;
  const ny = g.batch * g.outH * g.outW * g.outC;
  const x = randArray(rng, nx);
  const w = randArray(rng, nw);
  const dy = randArray(rng, ny);
  const K = g.kH * g.kW * g.inC;
  const tag = `${what} ${be!.info().isa} ${be!.info().threads}t ${JSON.stringify(g)}`;
  const act = activation ?? FUSED_ACTIVATIONS[int(rng, 0, FUSED_ACTIVATIONS.length - 1)];

  const y = new Float32Array(ny).fill(NaN);
  const yr = new Float32Array(ny);
  be!.conv2d(x, w, y, g);
  jsBackend.conv2d(x, w, yr, g);
  assertClose(y, yr, K, `conv2d ${tag}`);

  const e = epilogue(rng, g.outC, act, true);
  be!.conv2d(x, w, y, g, e);
  jsBackend.conv2d(x, w, yr, g, e);
  assertClose(y, yr, K, `conv2d +bias ${act} ${tag}`);

  const dx = new Float32Array(nx).fill(NaN);
  const dxr = new Float32Array(nx);
  be!.conv2dBackpropInput(dy, w, dx, g);
  jsBackend.conv2dBackpropInput(dy, w, dxr, g);
  assertClose(dx, dxr, g.kH * g.kW * g.outC, `conv2dBackpropInput ${tag}`);
  const ei = epilogue(rng, g.inC, act, true);
  be!.conv2dBackpropInput(dy, w, dx, g, ei);
  jsBackend.conv2dBackpropInput(dy, w, dxr, g, ei);
  assertClose(dx, dxr, g.kH * g.kW * g.outC, `conv2dBackpropInput +bias ${act} ${tag}`);

  const dw = new Float32Array(nw).fill(NaN);
  const dwr = new Float32Array(nw);
  be!.conv2dBackpropFilter(x, dy, dw, g);
  jsBackend.conv2dBackpropFilter(x, dy, dwr, g);
  assertClose(dw, dwr, g.batch * g.outH * g.outW, `conv2dBackpropFilter ${tag}`);

  // the fused backward from the activation's output (y from the forward above), each gradient optional
  const fused = { y, activation: act };
  const gx = new Float32Array(nx).fill(NaN);
  const gw = new Float32Array(nw).fill(NaN);
  const gb = new Float32Array(g.outC).fill(NaN);
  const rx = new Float32Array(nx);
  const rw = new Float32Array(nw);
  const rb = new Float32Array(g.outC);
  be!.conv2dBackward(x, w, dy, g, { dx: gx, dw: gw, dbias: gb }, fused);
  jsBackend.conv2dBackward(x, w, dy, g, { dx: rx, dw: rw, dbias: rb }, fused);
  assertClose(gx, rx, g.kH * g.kW * g.outC, `conv2dBackward dx ${act} ${tag}`);
  assertClose(gw, rw, g.batch * g.outH * g.outW, `conv2dBackward dw ${act} ${tag}`);
  assertClose(gb, rb, g.batch * g.outH * g.outW, `conv2dBackward dbias ${act} ${tag}`);
  // a first layer: no input gradient (the one-input-channel kernels then make dz inside dw's pass)
  const fw = new Float32Array(nw).fill(NaN);
  const fb = new Float32Array(g.outC).fill(NaN);
  be!.conv2dBackward(x, w, dy, g, { dx: null, dw: fw, dbias: fb }, fused);
  assertClose(fw, rw, g.batch * g.outH * g.outW, `conv2dBackward dw (no dx) ${act} ${tag}`);
  assertClose(fb, rb, g.batch * g.outH * g.outW, `conv2dBackward dbias (no dx) ${act} ${tag}`);
  fw.fill(NaN);
  be!.conv2dBackward(x, w, dy, g, { dx: null, dw: fw, dbias: null }, fused);
  assertClose(fw, rw, g.batch * g.outH * g.outW, `conv2dBackward dw only ${act} ${tag}`);
  const only = new Float32Array(g.outC).fill(NaN);
  be!.conv2dBackward(x, w, dy, g, { dx: null, dw: null, dbias: only });
  jsBackend.conv2dBackward(x, w, dy, g, { dx: null, dw: null, dbias: rb });
  assertClose(only, rb, g.batch * g.outH * g.outW, `conv2dBackward dbias only ${tag}`);
}

describe('native backend', { skip }, () => {
  for (const isa of isas) {
    for (const threads of [1, 2]) {
      describe(`${isa}, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
        const use = (): void => { be!.setIsa(isa); be!.setThreads(threads); assert.equal(be!.info().isa, isa); };

        test('matmul: random shapes, all transposes, batch strides incl. 0', () => {
          use();
          const rng = new Random(11 + threads);
          for (let t = 0; t < 24; t++) {
            const big = t % 4 === 3;
            const m = int(rng, 1, big ? 150 : 40);
            const k = int(rng, 1, big ? 500 : 40);
            const n = int(rng, 1, big ? 150 : 40);
            const batch = int(rng, 1, 3);
            checkMatmul(rng, batch, m, k, n, t % 2 === 1, (t >> 1) % 2 === 1, t % 5 === 0, t % 7 === 0);
          }
          // tile edges of every ISA (MR 6/12, NR 16/32), and k past one KC block
          for (const [m, k, n] of [[12, 3, 32], [13, 1, 33], [6, 2, 16], [25, 400, 65], [1, 1, 1], [200, 7, 3]]) {
            for (const tA of [false, true]) for (const tB of [false, true]) checkMatmul(rng, 1, m, k, n, tA, tB, false, false);
          }
          // k = 0 writes zeros (and the bias through the activation)
          checkMatmul(rng, 2, 3, 0, 5, false, false, false, false, epilogue(rng, 5, 'sigmoid', true));
        });

        test('matmul: fused epilogues (bias per column, each activation)', () => {
          use();
          const rng = new Random(23 + threads);
          for (const act of FUSED_ACTIVATIONS) {
            for (const withBias of [false, true]) {
              const m = int(rng, 1, 70);
              const n = int(rng, 1, 70);
              const k = int(rng, 1, 90);
              checkMatmul(rng, int(rng, 1, 2), m, k, n, rng.random() < 0.5, rng.random() < 0.5, false, false,
                epilogue(rng, n, act, withBias));
            }
          }
          checkMatmul(rng, 1, 300, 200, 100, false, false, false, false, epilogue(rng, 100, 'relu', true));
        });

        test('conv2d, backprop input/filter, fused backward: random geometries', () => {
          use();
          const rng = new Random(37 + threads);
          for (let t = 0; t < 14; t++) checkConv(rng, randomConv(rng, t % 3 === 2), `random #${t}`);
        });

        test('conv2d and its gradients: 1x1, one input channel, many bands, K past KC', () => {
          use();
          const rng = new Random(41);
          for (const [what, g] of SPECIAL) {
            // one input channel: every activation, since those kernels fuse its derivative themselves
            if (g.inC === 1) for (const act of FUSED_ACTIVATIONS) checkConv(rng, g, what, act);
            else checkConv(rng, g, what);
          }
        });
      });
    }
  }

  test('two threads give bit-identical results call after call (static split, ordered folds)', () => {
    be!.setIsa(be!.info().detectedIsa as 'avx512');
    be!.setThreads(2);
    const rng = new Random(5);
    const g = plain({ batch: 4, inH: 24, inW: 24, inC: 32, outC: 48, kH: 3, kW: 3 }, 1);
    const x = randArray(rng, g.batch * g.inH * g.inW * g.inC);
    const w = randArray(rng, g.kH * g.kW * g.inC * g.outC);
    const dy = randArray(rng, g.batch * g.outH * g.outW * g.outC);
    const a = randArray(rng, 300 * 500);
    const b = randArray(rng, 500 * 200);
    const y = new Float32Array(dy.length);
    be!.conv2d(x, w, y, g, { bias: null, activation: 'tanh' });
    const runs = [0, 1, 2].map(() => {
      const gx = new Float32Array(x.length);
      const gw = new Float32Array(w.length);
      const gb = new Float32Array(g.outC);
      be!.conv2dBackward(x, w, dy, g, { dx: gx, dw: gw, dbias: gb }, { y, activation: 'tanh' });
      const c = new Float32Array(300 * 200);
      be!.matmul(a, b, c, 1, 300, 500, 200, false, false, 0, 0);
      return [gx, gw, gb, c];
    });
    for (const r of runs.slice(1)) for (let i = 0; i < 4; i++) sameBits(r[i], runs[0][i], `run output ${i}`);
  });

  test('the GEMM and forward conv give the same bits on 1 and 2 threads (the split never reorders a sum)', () => {
    const rng = new Random(6);
    const a = randArray(rng, 257 * 300);
    const b = randArray(rng, 300 * 190);
    const out = [1, 2].map((t) => {
      be!.setThreads(t);
      const c = new Float32Array(257 * 190);
      be!.matmul(a, b, c, 1, 257, 300, 190, false, true, 0, 0, { bias: b.subarray(0, 190), activation: 'relu' });
      return c;
    });
    sameBits(out[1], out[0], 'matmul 1 vs 2 threads');
  });

  test('float64 runs on the js reference, bit for bit', () => {
    const rng = new Random(7);
    const a = Float64Array.from(randArray(rng, 6 * 5));
    const b = Float64Array.from(randArray(rng, 5 * 4));
    const got = new Float64Array(24);
    const want = new Float64Array(24);
    be!.matmul(a, b, got, 1, 6, 5, 4, false, false, 0, 0);
    jsBackend.matmul(a, b, want, 1, 6, 5, 4, false, false, 0, 0);
    assert.deepEqual(got, want);
  });

  test('bad arguments are refused before any work', () => {
    assert.throws(() => be!.setThreads(0), ValueError);
    assert.throws(() => be!.setIsa('sse' as 'c'), ValueError);
    // a C array shorter than the sizes say: a RangeError from the addon, nothing written
    assert.throws(() => be!.matmul(new Float32Array(4), new Float32Array(4), new Float32Array(3), 1, 2, 2, 2, false, false, 0, 0), RangeError);
  });

  test('GRADLAB_NATIVE_ISA forces an ISA; GRADLAB_BACKEND=native selects the backend', () => {
    const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
    for (const isa of isas) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e',
        `const gl = await import(${JSON.stringify(index)}); const i = gl.backendInfo(); console.log(i.backend, i.native.isa, i.native.threads);`],
      { encoding: 'utf8', env: { ...process.env, GRADLAB_NATIVE_ISA: isa, GRADLAB_BACKEND: 'native', GRADLAB_THREADS: '1' } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), `native ${isa} 1`);
    }
  });
});

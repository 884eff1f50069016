// The native addon's elementwise, reduction, pooling, optimizer and grouped-conv kernels
// (native/src/eltwise.c, pool.c, optim.c, grouped.c through src/backend/native/eltwise.ts)
// against the js reference: random shapes, broadcasts, ragged lengths (not multiples of 16, and
// long enough to be split over threads), special values. Bit-exact wherever the reference's
// float64-then-round result is the float32 op itself; exp, log, tanh and sigmoid within 4 ulp.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Backend, BinaryKernel, Conv2dGeometry, FusedActivation, Pool2dGeometry, UnaryKernel,
} from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { nativeEltwiseKernels } from '../../src/backend/native/eltwise.js';
import { Random } from '../../src/tensor/random.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const addonPath = join(root, 'build', 'Release', 'gradlab_native.node');
const addon = existsSync(addonPath) ? (createRequire(import.meta.url)(addonPath) as object) : null;
const skip = addon ? false : `the native addon is not built (${addonPath} missing: npm run build:native)`;

function randArray(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.random();
  return a;
}

function int(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.random() * (hi - lo + 1));
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1e-45, 3.4e38, -3.4e38, 1, -1, 0.5, -0.5, 88.7, -87.4, 20, -20];

/** Bit-level equality that tells NaN from NaN only by being NaN, and 0 from -0. */
function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string, input?: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      assert.fail(`${what}: element ${i}${input ? ` (input ${input[i]})` : ''} is ${got[i]}, reference ${want[i]}`);
    }
  }
}

/** Within `ulps` float32 ulps of the reference (denormals: of the smallest denormal); non-finite exactly. */
function assertUlps(got: ArrayLike<number>, want: ArrayLike<number>, ulps: number, what: string, input: ArrayLike<number>): void {
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) {
      if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
        assert.fail(`${what}(${input[i]}) is ${got[i]}, reference ${want[i]}`);
      }
      continue;
    }
    const ulp = Math.max(Math.abs(want[i]) * 2 ** -23, 2 ** -149);
    if (!(Math.abs(got[i] - want[i]) <= ulps * ulp)) assert.fail(`${what}(${input[i]}) is ${got[i]}, reference ${want[i]}`);
  }
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
      assert.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]} (err ${err})`);
    }
  }
}

// lengths around the vector widths, and one past the thread split (ELT_GRAIN in eltwise.c)
const LENGTHS = [1, 7, 15, 16, 17, 63, 64, 65, 1027, 70001];

function withSpecials(rng: Random, n: number, lo: number, hi: number): Float32Array {
  const x = randArray(rng, n, lo, hi);
  for (let i = 0; i < Math.min(n, SPECIAL.length); i++) x[(i * 7919) % n] = SPECIAL[i];
  return x;
}

describe('native eltwise kernels', { skip }, () => {
  const be: Backend = { ...jsBackend, ...nativeEltwiseKernels(addon ?? {}), name: 'native-eltwise' };

  test('every kernel of the family is provided', () => {
    const k = nativeEltwiseKernels(addon ?? {});
    for (const name of ['unary', 'binary', 'reduce', 'argReduce', 'activationBackward', 'maxPool2d', 'maxPool2dBackward',
      'avgPool2d', 'avgPool2dBackward', 'adamUpdate', 'groupedConv2d', 'groupedConv2dBackpropInput', 'groupedConv2dBackpropFilter']) {
      assert.equal(typeof (k as Record<string, unknown>)[name], 'function', name);
    }
    assert.deepEqual(nativeEltwiseKernels({}), {}, 'an addon without the functions adds nothing');
  });

  test('unary kernels bit-exact, special values and ragged lengths included', () => {
    const rng = new Random(1);
    const exact: UnaryKernel[] = ['neg', 'sqrt', 'abs', 'square', 'sign', 'relu', 'step', 'reciprocal'];
    for (const op of exact) {
      for (const n of LENGTHS) {
        const x = withSpecials(rng, n, -3, 3);
        const got = new Float32Array(n).fill(7);
        const want = new Float32Array(n);
        be.unary(op, x, got);
        jsBackend.unary(op, x, want);
        assertSame(got, want, `${op} n=${n}`, x);
      }
    }
  });

  test('softplus within 1 ulp (libm in double, as the reference)', () => {
    const rng = new Random(2);
    for (const n of [65, 70001]) {
      const x = withSpecials(rng, n, -30, 30);
      const got = new Float32Array(n);
      const want = new Float32Array(n);
      be.unary('softplus', x, got);
      jsBackend.unary('softplus', x, want);
      assertUlps(got, want, 1, 'softplus', x);
    }
  });

  test('exp, sigmoid, tanh and log within 4 ulp over the whole range, including overflow, denormals, +-inf and NaN', () => {
    const n = 200003;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = -110 + (220 * i) / n;
    x.set(SPECIAL, 0);
    x.set([0.625, -0.625, 0.62499994, 9.01, -9.01, 1e-8, -1e-8, 88.72283, 88.72284, -103.97, -103.28], SPECIAL.length);
    // log also sees every binade from the smallest denormal up (random mantissas)
    const rng = new Random(3);
    const bits = new Uint32Array(65536);
    for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(rng.random() * 0x7f800000);
    const pos = new Float32Array(bits.buffer);
    for (const op of ['exp', 'sigmoid', 'tanh', 'log'] as const) {
      for (const input of op === 'log' ? [x, pos] : [x]) {
        const got = new Float32Array(input.length);
        const want = new Float32Array(input.length);
        be.unary(op, input, got);
        jsBackend.unary(op, input, want);
        assertUlps(got, want, 4, op, input);
      }
    }
    // the small-argument branches keep the sign of zero
    const z = Float32Array.from([-0, 0, -0, 0, -0, 0, -0, 0, -0, 0, -0, 0, -0, 0, -0, 0]);
    const t = new Float32Array(16);
    be.unary('tanh', z, t);
    assertSame(t, z, 'tanh(+-0)');
  });

  test('unary in place', () => {
    const rng = new Random(4);
    for (const op of ['relu', 'exp', 'neg', 'tanh'] as const) {
      const x = randArray(rng, 5003, -3, 3);
      const want = new Float32Array(x.length);
      jsBackend.unary(op, x, want);
      be.unary(op, x, x);
      assertUlps(x, want, op === 'relu' || op === 'neg' ? 0 : 4, `${op} in place`, want);
    }
  });

  test('binary kernels bit-exact with every broadcast pattern', () => {
    const rng = new Random(5);
    const ops: BinaryKernel[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'maskPositive'];
    const cases: [number[], number[], number[]][] = [
      [[37, 41], [37, 41], [37, 41]], // same shape
      [[70001], [70001], [70001]], // split over threads
      [[37, 41], [1, 1], [37, 41]], // scalar
      [[1, 1], [37, 41], [37, 41]],
      [[1], [1], [1]],
      [[64, 33], [1, 33], [64, 33]], // row repeat (a bias)
      [[1, 33], [64, 33], [64, 33]],
      [[3001, 6], [1, 6], [3001, 6]], // a short row, tiled; rows left over
      [[1, 1, 1, 5], [4, 7, 9, 5], [4, 7, 9, 5]],
      [[3, 7, 9, 6], [1, 1, 1, 6], [3, 7, 9, 6]],
      [[8, 16, 13], [8, 16, 1], [8, 16, 13]], // column repeat
      [[50, 1], [50, 10], [50, 10]],
      [[9, 1], [1, 17], [9, 17]], // outer product
      [[1, 300], [70, 1], [70, 300]],
      [[2, 1, 5, 1, 3], [1, 4, 1, 6, 3], [2, 4, 5, 6, 3]], // general strided
      [[5, 1, 7], [1, 1, 7], [5, 3, 7]],
      [[1, 2, 1], [3, 1, 5], [3, 2, 5]],
      [[0, 4], [1, 4], [0, 4]], // empty
    ];
    const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
    for (const op of ops) {
      for (const [as, bs, os] of cases) {
        const a = withSpecials(rng, Math.max(1, size(as)), -2, 2).subarray(0, size(as));
        const b = withSpecials(rng, Math.max(1, size(bs)), -2, 2).subarray(0, size(bs));
        // equal values exercise the comparison and max/min tie rules (signed zeros too)
        for (let i = 0; i < Math.min(a.length, b.length); i += 5) a[i] = b[i];
        if (a.length > 12 && b.length > 12) { a[11] = 0; b[11] = -0; a[12] = -0; b[12] = 0; }
        const got = new Float32Array(size(os)).fill(7);
        const want = new Float32Array(size(os));
        be.binary(op, a, as, b, bs, got, os);
        jsBackend.binary(op, a, as, b, bs, want, os);
        assertSame(got, want, `${op} ${JSON.stringify([as, bs, os])}`);
      }
    }
  });

  test('binary on random shapes and broadcasts', () => {
    const rng = new Random(6);
    for (let t = 0; t < 200; t++) {
      const rank = int(rng, 1, 5);
      const os = Array.from({ length: rank }, () => int(rng, 1, 9));
      // as the ops call it: the output is the broadcast of the two shapes
      const as = os.map((d) => (rng.random() < 0.4 ? 1 : d));
      const bs = os.map((d, i) => (as[i] !== 1 && rng.random() < 0.4 ? 1 : d));
      const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
      const a = randArray(rng, size(as), -2, 2);
      const b = randArray(rng, size(bs), -2, 2);
      const op = (['add', 'sub', 'mul', 'div', 'maximum', 'lt'] as const)[t % 6];
      const got = new Float32Array(size(os));
      const want = new Float32Array(size(os));
      be.binary(op, a, as, b, bs, got, os);
      jsBackend.binary(op, a, as, b, bs, want, os);
      assertSame(got, want, `${op} ${JSON.stringify([as, bs, os])}`);
    }
  });

  test('reductions: sums within rounding, max/min exact (NaN, signed zeros), every axis position', () => {
    const rng = new Random(7);
    const shapes: [number, number, number][] = [[1, 4099, 1], [37, 53, 1], [1, 300, 7], [5, 64, 33], [3, 700, 2], [2, 3, 1000],
      [1, 3001, 6], [1, 640, 1], [1, 129, 31], [1, 200003, 1], [1, 50000, 3], [4, 1, 17], [7, 2, 600], [1, 16, 2000]];
    for (const [outer, axis, inner] of shapes) {
      const x = randArray(rng, outer * axis * inner, -3, 3);
      for (const op of ['sum', 'max', 'min'] as const) {
        const got = new Float32Array(outer * inner).fill(7);
        const want = new Float32Array(outer * inner);
        be.reduce(op, x, outer, axis, inner, got);
        jsBackend.reduce(op, x, outer, axis, inner, want);
        if (op === 'sum') assertClose(got, want, 1, `sum [${outer},${axis},${inner}]`);
        else assertSame(got, want, `${op} [${outer},${axis},${inner}]`);
      }
      // NaN placement, and ties between 0 and -0 (the first one wins)
      const y = Float32Array.from(x);
      y[Math.floor(y.length / 2)] = NaN;
      const zeros = new Float32Array(x.length);
      for (let i = 0; i < zeros.length; i++) zeros[i] = (i * 7) % 3 === 0 ? -0 : (i % 5 === 0 ? -1 : 0);
      for (const input of [y, zeros]) {
        for (const op of ['sum', 'max', 'min'] as const) {
          const got = new Float32Array(outer * inner);
          const want = new Float32Array(outer * inner);
          be.reduce(op, input, outer, axis, inner, got);
          jsBackend.reduce(op, input, outer, axis, inner, want);
          if (op === 'sum') {
            for (let i = 0; i < want.length; i++) assert.equal(Number.isNaN(got[i]), Number.isNaN(want[i]), `sum NaN at ${i}`);
          } else {
            for (let i = 0; i < want.length; i++) {
              assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])),
                `${op} [${outer},${axis},${inner}] at ${i}: ${got[i]}, reference ${want[i]}`);
            }
          }
        }
      }
    }
  });

  test('a sum does not depend on how it is split: long rows agree with the float64 sum to float32 rounding', () => {
    const rng = new Random(8);
    const n = 1 << 20;
    const x = randArray(rng, n, 0, 1);
    const got = new Float32Array(1);
    be.reduce('sum', x, 1, n, 1, got);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i];
    assert.equal(got[0], Math.fround(s));
  });

  test('argReduce matches the reference: first index of a tie, NaN never wins unless first', () => {
    const rng = new Random(9);
    const shapes: [number, number, number][] = [[64, 10, 1], [1, 5003, 1], [3, 17, 40], [100, 3, 7], [1, 2, 1000]];
    for (const [outer, axis, inner] of shapes) {
      const x = randArray(rng, outer * axis * inner, -3, 3);
      for (let i = 0; i < x.length; i += 13) x[i] = 1; // ties
      x[0] = NaN;
      x[x.length - 1] = NaN;
      for (const op of ['max', 'min'] as const) {
        const got = new Float32Array(outer * inner).fill(-1);
        const want = new Float32Array(outer * inner);
        be.argReduce(op, x, outer, axis, inner, got);
        jsBackend.argReduce(op, x, outer, axis, inner, want);
        assertSame(got, want, `arg${op} [${outer},${axis},${inner}]`);
      }
    }
  });

  test('activationBackward: dz bit-exact, dbias within rounding', () => {
    const rng = new Random(10);
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as FusedActivation[]) {
      for (const [rows, inner] of [[1, 65], [300, 6], [2048, 64], [17, 1], [4000, 33]]) {
        const n = rows * inner;
        const dy = withSpecials(rng, n, -2, 2);
        const y = randArray(rng, n, activation === 'relu' || activation === 'linear' ? -1 : 0, 1);
        if (n > 4) { y[1] = 0; y[2] = -0; y[3] = NaN; }
        const dz = new Float32Array(n).fill(7);
        const dz0 = new Float32Array(n);
        const db = new Float32Array(inner).fill(7);
        const db0 = new Float32Array(inner);
        be.activationBackward(dy, y, activation, dz, db, inner);
        jsBackend.activationBackward(dy, y, activation, dz0, db0, inner);
        assertSame(dz, dz0, `${activation} dz [${rows},${inner}]`);
        for (let j = 0; j < inner; j++) {
          if (Number.isFinite(db0[j])) assertClose([db[j]], [db0[j]], rows, `${activation} dbias`);
          else assert.ok(Object.is(db[j], db0[j]) || (Number.isNaN(db[j]) && Number.isNaN(db0[j])), `${activation} dbias ${j}`);
        }
        const dz2 = new Float32Array(n);
        be.activationBackward(dy, y, activation, dz2, null, inner);
        assertSame(dz2, dz0, `${activation} dz without dbias`);
      }
    }
  });

  function randomPool(rng: Random, big: boolean): Pool2dGeometry {
    const kH = int(rng, 1, 4);
    const kW = int(rng, 1, 4);
    const strideH = int(rng, 1, 3);
    const strideW = int(rng, 1, 3);
    const padTop = int(rng, 0, kH - 1);
    const padLeft = int(rng, 0, kW - 1);
    const inH = int(rng, kH, big ? 40 : 15);
    const inW = int(rng, kW, big ? 40 : 15);
    return {
      batch: int(rng, 1, big ? 8 : 4), inH, inW, channels: int(rng, 1, big ? 70 : 20),
      outH: Math.floor((inH + padTop - kH) / strideH) + 1, outW: Math.floor((inW + padLeft - kW) / strideW) + 1,
      kH, kW, strideH, strideW, padTop, padLeft,
    };
  }

  test('pooling: max (values and argmax) and its backward, average and its backward, bit-exact', () => {
    const rng = new Random(11);
    for (let i = 0; i < 60; i++) {
      const g = i === 0 ? { batch: 2, inH: 28, inW: 28, channels: 6, outH: 14, outW: 14, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 }
        : randomPool(rng, i % 3 === 0);
      const inN = g.batch * g.inH * g.inW * g.channels;
      const outN = g.batch * g.outH * g.outW * g.channels;
      const x = withSpecials(rng, inN, -1, 1);
      // ties, so the first cell must win
      for (let j = 0; j < inN; j += 3) x[j] = 0.25;
      const what = JSON.stringify(g);
      const v1 = new Float32Array(outN), v0 = new Float32Array(outN);
      const i1 = new Int32Array(outN), i0 = new Int32Array(outN);
      be.maxPool2d(x, v1, i1, g);
      jsBackend.maxPool2d(x, v0, i0, g);
      assertSame(v1, v0, `maxPool2d ${what}`);
      assert.deepEqual(i1, i0, `maxPool2d argmax ${what}`);
      const dy = randArray(rng, outN);
      const d1 = new Float32Array(inN).fill(7), d0 = new Float32Array(inN);
      be.maxPool2dBackward(dy, i0, d1, g);
      jsBackend.maxPool2dBackward(dy, i0, d0, g);
      assertSame(d1, d0, `maxPool2dBackward ${what}`);
      const a1 = new Float32Array(outN), a0 = new Float32Array(outN);
      be.avgPool2d(x, a1, g);
      jsBackend.avgPool2d(x, a0, g);
      assertSame(a1, a0, `avgPool2d ${what}`);
      const b1 = new Float32Array(inN).fill(7), b0 = new Float32Array(inN);
      be.avgPool2dBackward(dy, b1, g);
      jsBackend.avgPool2dBackward(dy, b0, g);
      assertSame(b1, b0, `avgPool2dBackward ${what}`);
    }
  });

  test('pooling rejects sizes that do not match the geometry and arg-max indices outside their image', () => {
    const g: Pool2dGeometry = { batch: 2, inH: 8, inW: 8, channels: 3, outH: 4, outW: 4, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };
    const k = nativeEltwiseKernels(addon ?? {});
    const x = new Float32Array(2 * 8 * 8 * 3);
    assert.throws(() => k.maxPool2d!(x, new Float32Array(95), new Int32Array(95), g), RangeError);
    const argmax = new Int32Array(96);
    argmax[95] = 10; // image 1's output pointing into image 0
    assert.throws(() => k.maxPool2dBackward!(new Float32Array(96), argmax, x, g), RangeError);
  });

  test('adamUpdate (float32 arithmetic) stays within float32 rounding of the float64 reference over ragged lengths and several steps', () => {
    // a few float32 roundings of each term's size (the suite's bounds), carried over three steps
    const near = (got: Float32Array, want: Float32Array, bound: (i: number) => number, label: string) => {
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= 8 * 2 ** -24 * bound(i) + 1e-30, `${label} at ${i}: ${got[i]} vs ${want[i]}`);
      }
    };
    const rng = new Random(12);
    for (const n of [16, 17, 1027, 70001]) {
      const w0 = randArray(rng, n);
      const w1 = Float32Array.from(w0);
      const m0 = new Float32Array(n), v0 = new Float32Array(n);
      const m1 = new Float32Array(n), v1 = new Float32Array(n);
      for (let t = 1; t <= 3; t++) {
        const g = randArray(rng, n, -2, 2);
        g[0] = 0;
        const alpha = 0.01 * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t);
        const [wp, mp, vp] = [w0.slice(), m0.slice(), v0.slice()];
        jsBackend.adamUpdate(w0, g, m0, v0, alpha, 0.9, 0.999, 1e-7);
        be.adamUpdate(w1, g, m1, v1, alpha, 0.9, 0.999, 1e-7);
        near(m1, m0, (i) => 0.9 * Math.abs(mp[i]) + 0.1 * Math.abs(g[i]) + Math.abs(m0[i]), `adam m n=${n} t=${t}`);
        near(v1, v0, (i) => 0.999 * vp[i] + 0.001 * g[i] * g[i] + v0[i], `adam v n=${n} t=${t}`);
        near(w1, w0, (i) => Math.abs(wp[i]) + 8 * Math.abs(w0[i] - wp[i]), `adam w n=${n} t=${t}`);
        // the next step from the same state, so one step's rounding is not carried into the next
        w1.set(w0); m1.set(m0); v1.set(v0);
      }
    }
  });

  test('float64 arrays and tiny calls run on the reference', () => {
    const x = Float64Array.from([1, -2, 3]);
    const out = new Float64Array(3);
    be.unary('relu', x, out);
    assert.deepEqual([...out], [1, 0, 3]);
    const s = new Float64Array(1);
    be.reduce('sum', Float64Array.from([0.1, 0.2]), 1, 2, 1, s);
    assert.equal(s[0], 0.1 + 0.2);
  });

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
      batch: int(rng, 1, 4), inH, inW, inC: 1, outC: 1,
      outH: Math.floor((inH + padTop + padBottom - ekH) / strideH) + 1,
      outW: Math.floor((inW + padLeft + padRight - ekW) / strideW) + 1,
      kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft,
    };
  }

  function checkGrouped(rng: Random, g: Conv2dGeometry, groups: number): void {
    const xN = g.batch * g.inH * g.inW * g.inC;
    const wN = g.kH * g.kW * (g.inC / groups) * g.outC;
    const yN = g.batch * g.outH * g.outW * g.outC;
    const x = randArray(rng, xN);
    const w = randArray(rng, wN);
    const dy = randArray(rng, yN);
    const what = `groups=${groups} ${JSON.stringify(g)}`;
    const K = g.kH * g.kW * (g.inC / groups);
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as FusedActivation[]) {
      const bias = activation === 'linear' ? null : randArray(rng, g.outC);
      const e = activation === 'linear' && rng.random() < 0.5 ? undefined : { bias, activation };
      const y1 = new Float32Array(yN).fill(NaN), y0 = new Float32Array(yN);
      be.groupedConv2d(x, w, y1, g, groups, e);
      jsBackend.groupedConv2d(x, w, y0, g, groups, e);
      assertClose(y1, y0, K, `groupedConv2d ${activation} ${what}`);
    }
    const dx1 = new Float32Array(xN).fill(NaN), dx0 = new Float32Array(xN);
    be.groupedConv2dBackpropInput(dy, w, dx1, g, groups);
    jsBackend.groupedConv2dBackpropInput(dy, w, dx0, g, groups);
    assertClose(dx1, dx0, g.kH * g.kW * (g.outC / groups), `groupedConv2dBackpropInput ${what}`);
    const dw1 = new Float32Array(wN).fill(NaN), dw0 = new Float32Array(wN);
    be.groupedConv2dBackpropFilter(x, dy, dw1, g, groups);
    jsBackend.groupedConv2dBackpropFilter(x, dy, dw0, g, groups);
    assertClose(dw1, dw0, g.batch * g.outH * g.outW, `groupedConv2dBackpropFilter ${what}`);
  }

  test('depthwise convolution (Cg = 1, channel multipliers 1-3) and its two backward passes', () => {
    const rng = new Random(13);
    for (let i = 0; i < 40; i++) {
      const C = int(rng, 1, i % 4 === 0 ? 70 : 20);
      const mult = int(rng, 1, 3);
      checkGrouped(rng, { ...randomConv(rng, i % 3 === 0), inC: C, outC: C * mult }, C);
    }
    // MobileNet-like: 3x3, stride 1 and 2, 'same' padding, 32-64 channels
    checkGrouped(rng, { batch: 2, inH: 28, inW: 28, inC: 32, outH: 28, outW: 28, outC: 32, kH: 3, kW: 3, strideH: 1, strideW: 1,
      dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 }, 32);
    checkGrouped(rng, { batch: 3, inH: 15, inW: 15, inC: 64, outH: 8, outW: 8, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2,
      dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 }, 64);
  });

  test('grouped convolution (Cg > 1) and groups = 1', () => {
    const rng = new Random(14);
    for (let i = 0; i < 40; i++) {
      const groups = int(rng, 1, 6);
      const cg = int(rng, 1, 5);
      const mg = int(rng, 1, 7);
      checkGrouped(rng, { ...randomConv(rng, i % 3 === 0), inC: groups * cg, outC: groups * mg }, groups);
    }
    checkGrouped(rng, { batch: 2, inH: 14, inW: 14, inC: 64, outH: 14, outW: 14, outC: 128, kH: 3, kW: 3, strideH: 1, strideW: 1,
      dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 }, 8);
  });

  // The pool (native/src/threads.c) splits calls statically; every kernel here either writes
  // disjoint outputs or folds fixed blocks in order, so the thread count never changes a bit.
  const threaded = addon as { setThreads?: (n: number) => number; threads?: () => number } | null;
  test('results do not depend on the thread count', { skip: typeof threaded?.setThreads === 'function' ? false : 'the addon has no setThreads' }, () => {
    const rng = new Random(15);
    const x = randArray(rng, 300007, -2, 2);
    const y = randArray(rng, 300007, 0, 1);
    const g: Conv2dGeometry = { batch: 4, inH: 30, inW: 30, inC: 48, outH: 30, outW: 30, outC: 48, kH: 3, kW: 3, strideH: 1, strideW: 1,
      dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 };
    const cx = randArray(rng, 4 * 30 * 30 * 48), cw = randArray(rng, 9 * 48), cdy = randArray(rng, 4 * 30 * 30 * 48);
    const run = (): Float32Array[] => {
      const outs: Float32Array[] = [];
      const s = new Float32Array(1); be.reduce('sum', x, 1, x.length, 1, s); outs.push(s);
      const s7 = new Float32Array(7); be.reduce('sum', x.subarray(0, 300006), 1, 42858, 7, s7);
      outs.push(s7);
      const e = new Float32Array(x.length); be.unary('tanh', x, e); outs.push(e);
      const dz = new Float32Array(x.length), db = new Float32Array(1);
      be.activationBackward(x, y, 'sigmoid', dz, db, 1); outs.push(dz, db);
      const dw = new Float32Array(9 * 48); be.groupedConv2dBackpropFilter(cx, cdy, dw, g, 48); outs.push(dw);
      const cy = new Float32Array(cdy.length); be.groupedConv2d(cx, cw, cy, g, 48, { bias: null, activation: 'relu' }); outs.push(cy);
      return outs;
    };
    const before = threaded!.threads!();
    try {
      threaded!.setThreads!(1);
      const one = run();
      threaded!.setThreads!(2);
      const two = run();
      one.forEach((o, i) => assertSame(two[i], o, `output ${i}, 2 threads against 1`));
    } finally {
      threaded!.setThreads!(before);
    }
  });
});

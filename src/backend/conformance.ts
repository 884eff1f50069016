// One conformance suite for every backend (candle's per-device tests, burn's backend test suite):
// every kernel of the Backend interface against a reference backend (js by default) on seeded
// random shapes, edge sizes, special values, the fused epilogue paths, grouped and depthwise
// convolutions, pooling, float32 and float64. No node: imports and no test framework, so it runs
// in a page as well as under node:test: it returns the failures (an empty list is a pass).
//
// Tolerances are in units of rounding, against the sum of the absolute values of the terms:
// a result that sums terms t_i may be off by at most ulps * u * sum |t_i| (u = 2^-24 for float32,
// 2^-53 for float64), the forward-error bound of a sum in any order, computed by the reference
// on |inputs|. Ops whose result is one correctly rounded operation (add, mul, sqrt, relu,
// comparisons...) must match bit for bit; transcendental ones within a few ulps of the result.
import {
  KERNEL_NAMES, type Backend, type BinaryKernel, type Conv2dGeometry, type Epilogue, type FloatArray, type FusedActivation,
  type KernelName, type Pool2dGeometry, type UnaryKernel,
} from './backend.js';
import { jsBackend } from './js/index.js';

export interface ConformanceOptions {
  /** Seed of the shapes and values. Default 1. */
  seed?: number;
  /** Random shapes per kernel family. Default 12. */
  cases?: number;
  /** Allowed error of a sum, in units of rounding of the sum of |terms|. Default 8. */
  ulps?: number;
  /** Kernels not to check (their failures would be another report's). Default none. */
  skip?: readonly KernelName[];
  /** The backend results are compared with. Default the js reference. */
  reference?: Backend;
}

export interface ConformanceFailure {
  kernel: KernelName;
  /** The shape, options and dtype of the failing case. */
  case: string;
  message: string;
}

const FUSED: FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];
/** Unary ops that are one correctly rounded operation (or exact): bit for bit. */
const EXACT_UNARY: UnaryKernel[] = ['neg', 'abs', 'sqrt', 'square', 'relu', 'step', 'sign', 'reciprocal'];
const ULP_UNARY: UnaryKernel[] = ['exp', 'log', 'sigmoid', 'tanh', 'softplus'];
const EXACT_BINARY: BinaryKernel[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'maskPositive'];
/** Transcendental ops, their results within this many ulps. */
const FUNCTION_ULPS = 4;
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1e-30, 1e30, -1e30, 88.7, -103.5, 1, -1];

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** mulberry32: a small seeded generator (tensor/'s Random is a layer above backend/). */
class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  random(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

class Suite {
  readonly failures: ConformanceFailure[] = [];
  readonly rng: Rng;
  readonly ulps: number;
  private readonly skip: ReadonlySet<KernelName>;
  constructor(readonly be: Backend, readonly ref: Backend, o: ConformanceOptions) {
    this.rng = new Rng(o.seed ?? 1);
    this.ulps = o.ulps ?? 8;
    this.skip = new Set(o.skip ?? []);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.random() * (hi - lo + 1));
  }

  rand(C: Ctor, n: number, lo = -1, hi = 1): FloatArray {
    const a = new C(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.rng.random();
    return a;
  }

  /**
   * Runs one case of `kernel`: `body` calls the backend and reports mismatches; a throw is a
   * failure too, and so is a write to any of `inputs`.
   */
  check(kernel: KernelName, what: string, inputs: ArrayLike<number>[], body: (fail: (message: string) => void) => void): void {
    if (this.skip.has(kernel)) return;
    const before = inputs.map((a) => Array.from(a));
    const fail = (message: string) => { this.failures.push({ kernel, case: what, message }); };
    guarded = [];
    try {
      body(fail);
    } catch (e) {
      fail(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    for (const [j, { buf, n }] of guarded.entries()) {
      const i = buf.findIndex((v, k) => (k < GUARD || k >= GUARD + n) && v !== GUARD_VALUE);
      if (i >= 0) {
        fail(`wrote outside output ${j} (${n} elements): at ${i < GUARD ? i - GUARD : i - GUARD - n} ${i < GUARD ? 'before its start' : 'past its end'}`);
        break;
      }
    }
    guarded = [];
    inputs.forEach((a, j) => {
      for (let i = 0; i < a.length; i++) {
        if (!Object.is(a[i], before[j][i])) {
          fail(`wrote into input ${j} at element ${i} (${before[j][i]} became ${a[i]})`);
          return;
        }
      }
    });
  }
}

function unit(a: FloatArray): number {
  return a instanceof Float32Array ? 2 ** -24 : 2 ** -53;
}

function abs(a: FloatArray): FloatArray {
  return a.map(Math.abs);
}

/** Floats of guard on each side of every output: a kernel's spill past its end (a whole-vector store of up to 16 lanes) lands there. */
const GUARD = 16;
const GUARD_VALUE = 7654; // exact in every output type, Int32Array included
/** The outputs made during the running case, with the guards Suite.check reads afterwards. */
let guarded: { buf: Float32Array | Float64Array | Int32Array; n: number }[] = [];

/** An output of n elements inside a larger buffer whose guard cells Suite.check verifies are untouched. */
function guardedView<T extends Float32Array | Float64Array | Int32Array>(make: (len: number) => T, n: number): T {
  const buf = make(n + 2 * GUARD).fill(GUARD_VALUE) as T;
  guarded.push({ buf, n });
  return buf.subarray(GUARD, GUARD + n) as T;
}

function like(a: FloatArray, n: number, fill = NaN): FloatArray {
  return guardedView((len) => (a instanceof Float32Array ? new Float32Array(len) : new Float64Array(len)), n).fill(fill);
}

function int32Output(n: number, fill = 0): Int32Array {
  return guardedView((len) => new Int32Array(len), n).fill(fill);
}

/** Object.is elementwise (NaN matches NaN; +0 and -0 differ). */
function exact(fail: (m: string) => void, got: ArrayLike<number>, want: ArrayLike<number>, label = ''): void {
  if (got.length !== want.length) return fail(`${label}length ${got.length}, reference ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      return fail(`${label}element ${i} is ${got[i]}, reference ${want[i]} (bit for bit)`);
    }
  }
}

/**
 * |got - want| <= ulps * u * bound + funcUlps * u * |want| elementwise (bound: the reference on
 * |inputs|); NaN and infinities must match exactly.
 */
function close(fail: (m: string) => void, got: FloatArray, want: FloatArray, bound: ArrayLike<number> | null, ulps: number,
  funcUlps = 0, label = ''): void {
  if (got.length !== want.length) return fail(`${label}length ${got.length}, reference ${want.length}`);
  const u = unit(want);
  // the smallest normal's rounding: results near it round to denormals
  const floor = want instanceof Float32Array ? 2 ** -149 : 2 ** -1074;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) return fail(`${label}element ${i} is ${g}, reference ${w}`);
      continue;
    }
    const tol = (bound ? ulps * u * Math.abs(bound[i]) : 0) + funcUlps * u * 2 * Math.abs(w) + floor;
    if (!(Math.abs(g - w) <= tol)) {
      return fail(`${label}element ${i} is ${g}, reference ${w} (error ${Math.abs(g - w)}, allowed ${tol})`);
    }
  }
}

// ---- shapes ----

function randomConv(t: Suite, big: boolean): Conv2dGeometry {
  const kH = t.int(1, 4), kW = t.int(1, 4);
  const dilationH = t.int(1, 2), dilationW = t.int(1, 2);
  const strideH = t.int(1, 3), strideW = t.int(1, 3);
  const padTop = t.int(0, 2), padLeft = t.int(0, 2), padBottom = t.int(0, 2), padRight = t.int(0, 2);
  const ekH = dilationH * (kH - 1) + 1, ekW = dilationW * (kW - 1) + 1;
  const inH = t.int(Math.max(1, ekH - padTop - padBottom), big ? 20 : 9);
  const inW = t.int(Math.max(1, ekW - padLeft - padRight), big ? 20 : 9);
  return {
    batch: t.int(1, 5), inH, inW, inC: t.int(1, big ? 40 : 7), outC: t.int(1, big ? 40 : 13),
    outH: Math.floor((inH + padTop + padBottom - ekH) / strideH) + 1,
    outW: Math.floor((inW + padLeft + padRight - ekW) / strideW) + 1,
    kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft,
  };
}

const unitStride = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };

/** Shapes every backend tends to special-case: 1x1, one input channel (LeNet), 'same' 3x3, big batch, tiny images. */
const FIXED_CONVS: Conv2dGeometry[] = [
  { ...unitStride, batch: 3, inH: 5, inW: 6, inC: 7, outH: 5, outW: 6, outC: 9, kH: 1, kW: 1, padTop: 0, padLeft: 0 },
  { ...unitStride, batch: 8, inH: 28, inW: 28, inC: 1, outH: 28, outW: 28, outC: 6, kH: 5, kW: 5, padTop: 2, padLeft: 2 },
  { ...unitStride, batch: 2, inH: 7, inW: 19, inC: 1, outH: 5, outW: 17, outC: 1, kH: 3, kW: 3, padTop: 0, padLeft: 0 },
  { ...unitStride, batch: 3, inH: 9, inW: 7, inC: 1, outH: 9, outW: 7, outC: 16, kH: 5, kW: 3, padTop: 2, padLeft: 1 },
  { ...unitStride, batch: 5, inH: 14, inW: 14, inC: 6, outH: 10, outW: 10, outC: 16, kH: 5, kW: 5, padTop: 0, padLeft: 0 },
  { ...unitStride, batch: 3, inH: 12, inW: 12, inC: 16, outH: 12, outW: 12, outC: 20, kH: 3, kW: 3, padTop: 1, padLeft: 1 },
  { ...unitStride, batch: 9, inH: 16, inW: 16, inC: 32, outH: 16, outW: 16, outC: 32, kH: 3, kW: 3, padTop: 1, padLeft: 1 },
  // a 1x1 image with 'same' padding (every tap but the centre reads padding), a kernel as big as the image
  { ...unitStride, batch: 2, inH: 1, inW: 1, inC: 3, outH: 1, outW: 1, outC: 4, kH: 3, kW: 3, padTop: 1, padLeft: 1 },
  { ...unitStride, batch: 1, inH: 4, inW: 5, inC: 2, outH: 1, outW: 1, outC: 3, kH: 4, kW: 5, padTop: 0, padLeft: 0 },
  // stride past the kernel (input cells no window reads)
  { batch: 2, inH: 9, inW: 10, inC: 3, outH: 3, outW: 3, outC: 5, kH: 2, kW: 2, strideH: 4, strideW: 4, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 },
  // one output channel (an autoencoder's or a mask's head): 'same' 3x3, 1x1, strided and dilated, more channels than a chunk
  { ...unitStride, batch: 3, inH: 11, inW: 9, inC: 16, outH: 11, outW: 9, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1 },
  { ...unitStride, batch: 2, inH: 6, inW: 5, inC: 20, outH: 6, outW: 5, outC: 1, kH: 1, kW: 1, padTop: 0, padLeft: 0 },
  { batch: 4, inH: 13, inW: 12, inC: 5, outH: 5, outW: 5, outC: 1, kH: 3, kW: 3, strideH: 2, strideW: 2, dilationH: 2, dilationW: 1, padTop: 1, padLeft: 0 },
  { ...unitStride, batch: 1, inH: 4, inW: 4, inC: 300, outH: 2, outW: 2, outC: 1, kH: 3, kW: 3, padTop: 0, padLeft: 0 },
  // 16 channels and more in, 32 filters and more out (the native forward's indirect GEMM): filters
  // past a 32-wide panel (56, 33), pixel counts off a 12-row tile, strided and dilated, 5x5
  { ...unitStride, batch: 1, inH: 5, inW: 7, inC: 16, outH: 5, outW: 7, outC: 56, kH: 3, kW: 3, padTop: 1, padLeft: 1 },
  { batch: 3, inH: 11, inW: 10, inC: 24, outH: 5, outW: 3, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 3, dilationH: 1, dilationW: 2, padTop: 1, padLeft: 0 },
  { ...unitStride, batch: 2, inH: 9, inW: 9, inC: 32, outH: 9, outW: 9, outC: 33, kH: 5, kW: 5, padTop: 2, padLeft: 2 },
  // and its input gradient (16+ filters, 32+ input channels, stride 1): channels past a panel, dilated
  { batch: 2, inH: 7, inW: 8, inC: 40, outH: 5, outW: 8, outC: 16, kH: 3, kW: 3, strideH: 1, strideW: 1, dilationH: 2, dilationW: 1, padTop: 1, padLeft: 1 },
];

function randomPool(t: Suite): Pool2dGeometry {
  const kH = t.int(1, 3), kW = t.int(1, 3), strideH = t.int(1, 3), strideW = t.int(1, 3);
  const padTop = t.int(0, kH - 1), padLeft = t.int(0, kW - 1);
  const inH = t.int(kH, 15), inW = t.int(kW, 15);
  return {
    batch: t.int(1, 6), inH, inW, channels: t.int(1, 9),
    outH: Math.floor((inH + padTop - kH) / strideH) + 1, outW: Math.floor((inW + padLeft - kW) / strideW) + 1,
    kH, kW, strideH, strideW, padTop, padLeft,
  };
}

const LENET_POOL: Pool2dGeometry = { batch: 64, inH: 28, inW: 28, channels: 6, outH: 14, outW: 14, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 };

// ---- kernel families ----

function elementwise(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  for (const n of [0, 1, 3, 4, 5, 17, 1023, 1024, 1025, 4099]) {
    const x = t.rand(C, n, -3, 3);
    for (let i = 0; i < Math.min(n, SPECIALS.length); i++) x[(i * 7) % n] = SPECIALS[i];
    for (const op of [...EXACT_UNARY, ...ULP_UNARY]) {
      t.check('unary', `${op} n=${n} ${dt}`, [x], (fail) => {
        const got = like(x, n);
        const want = like(x, n, 0);
        be.unary(op, x, got);
        ref.unary(op, x, want);
        if (EXACT_UNARY.includes(op)) exact(fail, got, want);
        else close(fail, got, want, null, 0, FUNCTION_ULPS);
      });
    }
    t.check('unary', `relu in place n=${n} ${dt}`, [], (fail) => {
      const y = x.slice();
      const want = like(x, n, 0);
      ref.unary('relu', x, want);
      be.unary('relu', y, y);
      exact(fail, y, want);
    });
  }
  const cases: [number[], number[], number[]][] = [
    [[0], [0], [0]], [[1], [1], [1]], [[5], [1], [5]], [[1], [5], [5]],
    [[37, 41], [37, 41], [37, 41]], [[37, 41], [1, 1], [37, 41]], [[1, 1], [37, 41], [37, 41]],
    [[64, 33], [1, 33], [64, 33]], [[1, 33], [64, 33], [64, 33]], [[8, 16, 13], [1, 16, 13], [8, 16, 13]],
    [[8, 16, 13], [8, 16, 1], [8, 16, 13]], [[1, 1030], [1, 1030], [1, 1030]], [[300, 6], [1, 6], [300, 6]],
    [[1, 1, 1, 5], [4, 7, 9, 5], [4, 7, 9, 5]], [[3, 7, 9, 6], [1, 1, 1, 6], [3, 7, 9, 6]], [[4, 1, 6], [1, 5, 1], [4, 5, 6]],
  ];
  const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
  for (const [as, bs, os] of cases) {
    const a = t.rand(C, size(as), -2, 2);
    const b = t.rand(C, size(bs), -2, 2);
    // equal values, NaNs and infinities exercise the comparisons' and max/min's tie and NaN rules
    for (let i = 0; i < Math.min(a.length, b.length); i += 7) a[i] = b[i];
    for (let i = 0; i < SPECIALS.length; i++) {
      if (a.length > 10 + 5 * i) a[10 + 5 * i] = SPECIALS[i];
      if (b.length > 3 + 3 * i) b[3 + 3 * i] = SPECIALS[(i + 3) % SPECIALS.length];
    }
    for (const op of [...EXACT_BINARY, 'pow'] as BinaryKernel[]) {
      t.check('binary', `${op} ${JSON.stringify([as, bs, os])} ${dt}`, [a, b], (fail) => {
        const got = like(a, size(os));
        const want = like(a, size(os), 0);
        be.binary(op, a, as, b, bs, got, os);
        ref.binary(op, a, as, b, bs, want, os);
        if (op === 'pow') close(fail, got, want, null, 0, FUNCTION_ULPS);
        else exact(fail, got, want);
      });
    }
  }
}

function reductions(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 4099, 1], [37, 53, 1], [1, 300, 7], [5, 64, 33], [3, 700, 2],
    [2, 3, 1000], [1, 3001, 6], [1, 640, 1], [1, 129, 31], [4, 1, 9], [0, 5, 3]];
  for (const [outer, axis, inner] of shapes) {
    const x = t.rand(C, outer * axis * inner, -3, 3);
    for (const op of ['sum', 'max', 'min'] as const) {
      for (const withNaN of [false, true]) {
        const xs = withNaN && x.length > 2 ? x.slice() : x;
        if (withNaN && x.length > 2) xs[Math.floor(xs.length / 2)] = NaN;
        else if (withNaN) continue;
        t.check('reduce', `${op} [${outer},${axis},${inner}]${withNaN ? ' with a NaN' : ''} ${dt}`, [xs], (fail) => {
          const got = like(xs, outer * inner);
          const want = like(xs, outer * inner, 0);
          be.reduce(op, xs, outer, axis, inner, got);
          ref.reduce(op, xs, outer, axis, inner, want);
          if (op !== 'sum') return exact(fail, got, want);
          const bound = like(xs, outer * inner, 0);
          ref.reduce('sum', abs(xs), outer, axis, inner, bound);
          close(fail, got, want, bound, t.ulps);
        });
      }
    }
    for (const op of ['max', 'min'] as const) {
      t.check('argReduce', `${op} [${outer},${axis},${inner}] ${dt}`, [x], (fail) => {
        const got = like(x, outer * inner);
        const want = like(x, outer * inner, 0);
        be.argReduce(op, x, outer, axis, inner, got);
        ref.argReduce(op, x, outer, axis, inner, want);
        exact(fail, got, want);
      });
    }
  }
}

function epilogueOf(t: Suite, C: Ctor, i: number, channels: number): Epilogue | undefined {
  if (i === 0) return undefined;
  return { bias: i % 2 === 1 ? t.rand(C, channels) : null, activation: FUSED[i % FUSED.length] };
}

function describeEpilogue(e: Epilogue | undefined): string {
  return e ? ` + ${e.bias ? 'bias + ' : ''}${e.activation}` : '';
}

/** The bound of an epilogue's output: the pre-activation's bound plus |bias| (activations have slope <= 1). */
function epilogueBound(bound: FloatArray, e: Epilogue | undefined): FloatArray {
  if (e?.bias) {
    const inner = e.bias.length;
    for (let i = 0; i < bound.length; i++) bound[i] += Math.abs(e.bias[i % inner]);
  }
  return bound;
}

function funcUlps(e: Epilogue | undefined): number {
  return e && (e.activation === 'sigmoid' || e.activation === 'tanh') ? FUNCTION_ULPS : 0;
}

function matmuls(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const shapes: [number, number, number, number, boolean, boolean][] = [];
  for (const [batch, m, k, n, aShared, bShared] of [
    [1, 97, 385, 33, false, false], [3, 13, 7, 17, false, false], [2, 25, 40, 9, true, false], [2, 30, 19, 70, false, true],
    [1, 200, 64, 150, false, false], [1, 100, 784, 256, false, false], [1, 1, 1, 1, false, false], [1, 1, 50, 1, false, false],
    [4, 1, 9, 70, false, true], [1, 70, 1, 3, false, false], [2, 0, 5, 4, false, false], [1, 6, 0, 5, false, false],
  ] as [number, number, number, number, boolean, boolean][]) shapes.push([batch, m, k, n, aShared, bShared]);
  const cases = C === Float32Array ? 16 : 4;
  for (let i = 0; i < cases; i++) {
    shapes.push([t.int(1, 3), t.int(1, 70), t.int(1, 90), t.int(1, 70), t.rng.random() < 0.3, t.rng.random() < 0.3]);
  }
  for (const [j, [batch, m, k, n, aShared, bShared]] of shapes.entries()) {
    for (let f = 0; f < 4; f++) {
      const tA = (f & 1) === 1, tB = (f & 2) === 2;
      if (C === Float64Array && f > 0 && j % 3 !== 0) continue;
      const aStride = aShared ? 0 : m * k, bStride = bShared ? 0 : k * n;
      const a = t.rand(C, aShared ? m * k : batch * m * k);
      const b = t.rand(C, bShared ? k * n : batch * k * n);
      // every transpose combination plain; the epilogues on some of them
      const e = f === (j % 4) ? epilogueOf(t, C, j % 7, n) : undefined;
      const what = `batch=${batch} m=${m} k=${k} n=${n} tA=${tA} tB=${tB} aStride=${aStride} bStride=${bStride}${describeEpilogue(e)} ${dt}`;
      t.check('matmul', what, [a, b, ...(e?.bias ? [e.bias] : [])], (fail) => {
        const got = like(a, batch * m * n);
        const want = like(a, batch * m * n, 0);
        be.matmul(a, b, got, batch, m, k, n, tA, tB, aStride, bStride, e);
        ref.matmul(a, b, want, batch, m, k, n, tA, tB, aStride, bStride, e);
        const bound = like(a, batch * m * n, 0);
        ref.matmul(abs(a), abs(b), bound, batch, m, k, n, tA, tB, aStride, bStride);
        close(fail, got, want, epilogueBound(bound, e), t.ulps, funcUlps(e));
      });
    }
  }
}

interface ConvData { x: FloatArray; w: FloatArray; dy: FloatArray; xN: number; wN: number; yN: number }

function convData(t: Suite, C: Ctor, g: Conv2dGeometry, groups: number): ConvData {
  const xN = g.batch * g.inH * g.inW * g.inC;
  const wN = g.kH * g.kW * (g.inC / groups) * g.outC;
  const yN = g.batch * g.outH * g.outW * g.outC;
  return { x: t.rand(C, xN), w: t.rand(C, wN), dy: t.rand(C, yN), xN, wN, yN };
}

/** conv2d (with epilogue i), conv2dBackpropInput (with a transposed conv's epilogue on some), conv2dBackpropFilter, conv2dBackward. */
function checkConv(t: Suite, C: Ctor, g: Conv2dGeometry, i: number): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const { x, w, dy, xN, wN, yN } = convData(t, C, g, 1);
  const what = `${JSON.stringify(g)} ${dt}`;
  const e = epilogueOf(t, C, i % 8, g.outC);
  t.check('conv2d', `${what}${describeEpilogue(e)}`, [x, w, ...(e?.bias ? [e.bias] : [])], (fail) => {
    const got = like(x, yN), want = like(x, yN, 0), bound = like(x, yN, 0);
    be.conv2d(x, w, got, g, e);
    ref.conv2d(x, w, want, g, e);
    ref.conv2d(abs(x), abs(w), bound, g);
    close(fail, got, want, epilogueBound(bound, e), t.ulps, funcUlps(e));
  });
  const eIn = i % 3 === 2 ? epilogueOf(t, C, (i >> 1) % 8, g.inC) : undefined;
  t.check('conv2dBackpropInput', `${what}${describeEpilogue(eIn)}`, [dy, w], (fail) => {
    const got = like(x, xN), want = like(x, xN, 0), bound = like(x, xN, 0);
    be.conv2dBackpropInput(dy, w, got, g, eIn);
    ref.conv2dBackpropInput(dy, w, want, g, eIn);
    ref.conv2dBackpropInput(abs(dy), abs(w), bound, g);
    close(fail, got, want, epilogueBound(bound, eIn), t.ulps, funcUlps(eIn));
  });
  t.check('conv2dBackpropFilter', what, [x, dy], (fail) => {
    const got = like(x, wN), want = like(x, wN, 0), bound = like(x, wN, 0);
    be.conv2dBackpropFilter(x, dy, got, g);
    ref.conv2dBackpropFilter(x, dy, want, g);
    ref.conv2dBackpropFilter(abs(x), abs(dy), bound, g);
    close(fail, got, want, bound, t.ulps);
  });
  const activation = FUSED[i % FUSED.length];
  // y as a fused activation's output: relu's has zeros, sigmoid's lies in (0, 1)
  const y = activation === 'relu' ? t.rand(C, yN).map((v) => Math.max(v, 0)) : t.rand(C, yN, activation === 'sigmoid' ? 0 : -1, 1);
  const fused = activation === 'linear' && i % 2 === 0 ? undefined : { y, activation };
  const which = i % 4; // all three gradients, or one of them alone
  t.check('conv2dBackward', `${what} fused ${fused ? activation : 'none'} grads ${['dx dw dbias', 'dx', 'dw', 'dbias'][which]}`,
    [x, w, dy, y], (fail) => {
      const dz = like(dy, yN, 0);
      ref.activationBackward(dy, y, fused ? activation : 'linear', dz, null, g.outC);
      const mk = (n: number, on: boolean) => (on ? like(x, n) : null);
      const got = { dx: mk(xN, which < 2), dw: mk(wN, which === 0 || which === 2), dbias: mk(g.outC, which === 0 || which === 3) };
      const want = { dx: mk(xN, which < 2), dw: mk(wN, which === 0 || which === 2), dbias: mk(g.outC, which === 0 || which === 3) };
      be.conv2dBackward(x, w, dy, g, got, fused);
      ref.conv2dBackward(x, w, dy, g, want, fused);
      const adz = abs(dz);
      if (got.dx && want.dx) {
        const bound = like(x, xN, 0);
        ref.conv2dBackpropInput(adz, abs(w), bound, g);
        close(fail, got.dx, want.dx, bound, t.ulps, 0, 'dx: ');
      }
      if (got.dw && want.dw) {
        const bound = like(x, wN, 0);
        ref.conv2dBackpropFilter(abs(x), adz, bound, g);
        close(fail, got.dw, want.dw, bound, t.ulps, 0, 'dw: ');
      }
      if (got.dbias && want.dbias) {
        const bound = like(x, g.outC, 0);
        ref.reduce('sum', adz, 1, yN / g.outC, g.outC, bound);
        close(fail, got.dbias, want.dbias, bound, t.ulps, 0, 'dbias: ');
      }
    });
}

function convolutions(t: Suite, C: Ctor, cases: number): void {
  const geos = C === Float32Array ? [...FIXED_CONVS] : FIXED_CONVS.slice(0, 3);
  for (let i = 0; i < (C === Float32Array ? cases * 2 : cases / 2); i++) geos.push(randomConv(t, i % 5 === 0));
  geos.forEach((g, i) => checkConv(t, C, g, i));
}

function checkGrouped(t: Suite, C: Ctor, g: Conv2dGeometry, groups: number, i: number): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const { x, w, dy, xN, wN, yN } = convData(t, C, g, groups);
  const what = `groups ${groups} ${JSON.stringify(g)} ${dt}`;
  const e = epilogueOf(t, C, i % 8, g.outC);
  t.check('groupedConv2d', `${what}${describeEpilogue(e)}`, [x, w, ...(e?.bias ? [e.bias] : [])], (fail) => {
    const got = like(x, yN), want = like(x, yN, 0), bound = like(x, yN, 0);
    be.groupedConv2d(x, w, got, g, groups, e);
    ref.groupedConv2d(x, w, want, g, groups, e);
    ref.groupedConv2d(abs(x), abs(w), bound, g, groups);
    close(fail, got, want, epilogueBound(bound, e), t.ulps, funcUlps(e));
  });
  t.check('groupedConv2dBackpropInput', what, [dy, w], (fail) => {
    const got = like(x, xN), want = like(x, xN, 0), bound = like(x, xN, 0);
    be.groupedConv2dBackpropInput(dy, w, got, g, groups);
    ref.groupedConv2dBackpropInput(dy, w, want, g, groups);
    ref.groupedConv2dBackpropInput(abs(dy), abs(w), bound, g, groups);
    close(fail, got, want, bound, t.ulps);
  });
  t.check('groupedConv2dBackpropFilter', what, [x, dy], (fail) => {
    const got = like(x, wN), want = like(x, wN, 0), bound = like(x, wN, 0);
    be.groupedConv2dBackpropFilter(x, dy, got, g, groups);
    ref.groupedConv2dBackpropFilter(x, dy, want, g, groups);
    ref.groupedConv2dBackpropFilter(abs(x), abs(dy), bound, g, groups);
    close(fail, got, want, bound, t.ulps);
  });
}

function groupedConvolutions(t: Suite, C: Ctor, cases: number): void {
  const base = { dilationH: 1, dilationW: 1 };
  const fixed: [Conv2dGeometry, number][] = [
    // MobileNet-like depthwise 3x3 ('same', stride 1 and 2), a ResNeXt-like 32-group layer, wide groups
    [{ ...base, batch: 3, inH: 14, inW: 14, inC: 32, outH: 14, outW: 14, outC: 32, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 32],
    [{ ...base, batch: 2, inH: 15, inW: 16, inC: 24, outH: 8, outW: 8, outC: 24, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 0 }, 24],
    [{ ...base, batch: 2, inH: 9, inW: 9, inC: 128, outH: 9, outW: 9, outC: 128, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 32],
    [{ ...base, batch: 2, inH: 5, inW: 6, inC: 6, outH: 9, outW: 8, outC: 12, kH: 2, kW: 3, strideH: 1, strideW: 1, padTop: 3, padLeft: 2 }, 6],
    [{ ...base, batch: 2, inH: 5, inW: 6, inC: 5, outH: 5, outW: 6, outC: 5, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 }, 5],
    [{ ...base, batch: 3, inH: 7, inW: 8, inC: 64, outH: 4, outW: 8, outC: 48, kH: 3, kW: 3, strideH: 2, strideW: 1, padTop: 1, padLeft: 1 }, 2],
    [{ ...base, batch: 2, inH: 6, inW: 6, inC: 8, outH: 6, outW: 6, outC: 12, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 1],
  ];
  const all = C === Float32Array ? [...fixed] : fixed.slice(0, 2);
  for (let i = 0; i < (C === Float32Array ? cases * 2 : cases / 2); i++) {
    // depthwise with multipliers 1-3, few input channels per group, many, one group
    const kind = i % 5;
    const groups = kind === 4 ? t.int(1, 3) : t.int(1, 9);
    const cg = kind < 2 ? 1 : kind === 2 ? t.int(2, 5) : kind === 3 ? t.int(16, 20) : t.int(1, 3);
    const mg = kind === 0 ? 1 : t.int(1, 5);
    all.push([{ ...randomConv(t, i % 6 === 0), inC: groups * cg, outC: groups * mg }, groups]);
  }
  all.forEach(([g, groups], i) => checkGrouped(t, C, g, groups, i));
}

function pooling(t: Suite, C: Ctor, cases: number): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const geos = [LENET_POOL];
  for (let i = 0; i < cases * 2; i++) geos.push(randomPool(t));
  for (const g of geos) {
    const inN = g.batch * g.inH * g.inW * g.channels;
    const outN = g.batch * g.outH * g.outW * g.channels;
    const x = t.rand(C, inN);
    // ties: a window's equal maxima keep the first cell
    for (let i = 0; i + 1 < inN; i += 11) x[i + 1] = x[i];
    const dy = t.rand(C, outN);
    const what = `${JSON.stringify(g)} ${dt}`;
    const argmax = int32Output(outN);
    t.check('maxPool2d', what, [x], (fail) => {
      const got = like(x, outN), want = like(x, outN, 0);
      const gotI = int32Output(outN, -1);
      be.maxPool2d(x, got, gotI, g);
      ref.maxPool2d(x, want, argmax, g);
      exact(fail, got, want);
      exact(fail, gotI, argmax, 'argmax: ');
    });
    if (!t.failures.some((f) => f.kernel === 'maxPool2d')) ref.maxPool2d(x, like(x, outN), argmax, g);
    t.check('maxPool2dBackward', what, [dy, argmax], (fail) => {
      const got = like(x, inN), want = like(x, inN, 0), bound = like(x, inN, 0);
      be.maxPool2dBackward(dy, argmax, got, g);
      ref.maxPool2dBackward(dy, argmax, want, g);
      ref.maxPool2dBackward(abs(dy), argmax, bound, g);
      close(fail, got, want, bound, t.ulps);
    });
    t.check('avgPool2d', what, [x], (fail) => {
      const got = like(x, outN), want = like(x, outN, 0), bound = like(x, outN, 0);
      be.avgPool2d(x, got, g);
      ref.avgPool2d(x, want, g);
      ref.avgPool2d(abs(x), bound, g);
      close(fail, got, want, bound, t.ulps);
    });
    t.check('avgPool2dBackward', what, [dy], (fail) => {
      const got = like(x, inN), want = like(x, inN, 0), bound = like(x, inN, 0);
      be.avgPool2dBackward(dy, got, g);
      ref.avgPool2dBackward(dy, want, g);
      ref.avgPool2dBackward(abs(dy), bound, g);
      close(fail, got, want, bound, t.ulps);
    });
  }
}

function activationBackwards(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  for (const [rows, inner] of [[1, 1], [7, 3], [300, 6], [64, 120], [3, 5], [1000, 1], [33, 40]]) {
    for (const activation of FUSED) {
      const n = rows * inner;
      const dy = t.rand(C, n, -2, 2);
      const y = activation === 'relu' ? t.rand(C, n).map((v) => Math.max(v, 0)) : t.rand(C, n, activation === 'sigmoid' ? 0 : -1, 1);
      if (n > 4) { dy[1] = NaN; dy[2] = Infinity; y[3] = 0; }
      t.check('activationBackward', `${activation} [${rows}, ${inner}] ${dt}`, [dy, y], (fail) => {
        // dz is the unfused ops' values bit for bit; dbias a sum
        const got = like(dy, n), want = like(dy, n, 0);
        const gotB = like(dy, inner), wantB = like(dy, inner, 0), bound = like(dy, inner, 0);
        be.activationBackward(dy, y, activation, got, gotB, inner);
        ref.activationBackward(dy, y, activation, want, wantB, inner);
        exact(fail, got, want, 'dz: ');
        ref.reduce('sum', abs(want), 1, rows, inner, bound);
        close(fail, gotB, wantB, bound, t.ulps, 0, 'dbias: ');
        const again = like(dy, n);
        be.activationBackward(dy, y, activation, again, null, inner);
        exact(fail, again, want, 'dz without dbias: ');
      });
    }
  }
}

function adam(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  for (const n of [1, 7, 1023, 1027, 5003]) {
    const w0 = t.rand(C, n), m0 = like(w0, n, 0), v0 = like(w0, n, 0);
    const w1 = w0.slice(), m1 = m0.slice(), v1 = v0.slice();
    for (let step = 1; step <= 3; step++) {
      const g = t.rand(C, n, -2, 2);
      g[0] = 0; // v = 0 there: epsilon alone keeps the step finite
      const alpha = 0.01 * Math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step);
      const wPrev = w0.slice();
      t.check('adamUpdate', `n=${n} step ${step} ${dt}`, [g], (fail) => {
        ref.adamUpdate(w0, g, m0, v0, alpha, 0.9, 0.999, 1e-7);
        be.adamUpdate(w1, g, m1, v1, alpha, 0.9, 0.999, 1e-7);
        // each update is a few roundings of its terms; the state carries them to the next step
        const bm = m0.map((v, i) => 0.9 * Math.abs(v) + 0.1 * Math.abs(g[i]) + Math.abs(v));
        const bv = v0.map((v, i) => 0.999 * Math.abs(v) + 0.001 * g[i] * g[i] + Math.abs(v));
        const bw = w0.map((v, i) => Math.abs(wPrev[i]) + 8 * Math.abs(v - wPrev[i]));
        close(fail, m1, m0, bm, t.ulps, 0, 'm: ');
        close(fail, v1, v0, bv, t.ulps, 0, 'v: ');
        close(fail, w1, w0, bw, t.ulps, 0, 'w: ');
      });
      // out of place: the same bits to mOut and vOut, and m and v (inputs now) untouched
      const w2 = wPrev.slice(), mIn = m1.slice(), vIn = v1.slice();
      t.check('adamUpdate', `n=${n} step ${step} ${dt} into mOut, vOut`, [g, mIn, vIn], (fail) => {
        const wIn = wPrev.slice(), mRef = mIn.slice(), vRef = vIn.slice();
        be.adamUpdate(wIn, g, mRef, vRef, alpha, 0.9, 0.999, 1e-7);
        const mOut = like(mIn, n), vOut = like(vIn, n);
        be.adamUpdate(w2, g, mIn, vIn, alpha, 0.9, 0.999, 1e-7, mOut, vOut);
        exact(fail, mOut, mRef, 'mOut: ');
        exact(fail, vOut, vRef, 'vOut: ');
        exact(fail, w2, wIn, 'w: ');
      });
      // a failed step would fail every later one: compare from the same state
      w1.set(w0); m1.set(m0); v1.set(v0);
    }
  }
}

/** Batch normalisation's kernels on [rows, channels] shapes around the native block size, some offset from zero. */
function batchNorms(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const shapes: [number, number][] = [[1, 1], [3, 1], [5, 7], [64, 3], [257, 32], [1000, 17], [4100, 64], [20000, 6]];
  for (const [rows, ch] of shapes) {
    const n = rows * ch;
    const offset = t.int(0, 1) * 50;
    const x = t.rand(C, n, offset - 2, offset + 2);
    const what = `[${rows},${ch}] ${dt}${offset ? ' offset 50' : ''}`;
    const mRef = like(x, ch), vRef = like(x, ch);
    ref.channelMoments(x, rows, ch, mRef, vRef);
    t.check('channelMoments', what, [x], (fail) => {
      const m = like(x, ch), v = like(x, ch);
      be.channelMoments(x, rows, ch, m, v);
      // float64 sums in another order: the rounding of the result, and for the variance of the offsets
      const bound = mRef.map(() => offset + 2);
      close(fail, m, mRef, bound, t.ulps, 0, 'mean: ');
      close(fail, v, vRef, vRef.map((w) => w + 4), t.ulps, 0, 'variance: ');
    });
    const scale = t.rand(C, ch, 0.5, 2), shift = t.rand(C, ch);
    t.check('channelAffine', what, [x, scale, shift], (fail) => {
      const want = like(x, n), got = like(x, n);
      ref.channelAffine(x, rows, ch, scale, shift, want);
      be.channelAffine(x, rows, ch, scale, shift, got);
      close(fail, got, want, want.map((_, i) => Math.abs(x[i] * scale[i % ch]) + Math.abs(shift[i % ch])), 1, 0);
      // in place (y = x), as the contract allows
      const inPlace = x.slice();
      be.channelAffine(inPlace, rows, ch, scale, shift, inPlace);
      exact(fail, inPlace, got, 'in place: ');
    });
    const dy = t.rand(C, n);
    const invStd = vRef.map((v) => 1 / Math.sqrt(v + 1e-3));
    const sc = invStd.map((s) => s * (0.5 + t.rng.random()));
    for (const withDx of [true, false]) {
      t.check('batchNormBackward', `${what}${withDx ? '' : ' no dx'}`, [dy, x, mRef, invStd, sc], (fail) => {
        const dxW = like(x, n), dgW = like(x, ch), dbW = like(x, ch);
        ref.batchNormBackward(dy, x, rows, ch, mRef, invStd, sc, dxW, dgW, dbW);
        const dx = withDx ? like(x, n) : null, dg = like(x, ch), db = like(x, ch);
        be.batchNormBackward(dy, x, rows, ch, mRef, invStd, sc, dx, dg, db);
        // sums of rows terms: bounded by the sums of their magnitudes
        const sdy = new Float64Array(ch), sdyx = new Float64Array(ch);
        for (let i = 0; i < n; i++) {
          sdy[i % ch] += Math.abs(dy[i]);
          sdyx[i % ch] += Math.abs(dy[i] * (x[i] - mRef[i % ch]) * invStd[i % ch]);
        }
        close(fail, db, dbW, sdy, t.ulps, 0, 'dbeta: ');
        close(fail, dg, dgW, sdyx, t.ulps, 0, 'dgamma: ');
        if (dx) {
          const bound = dxW.map((_, i) => {
            const c = i % ch;
            const xhat = Math.abs((x[i] - mRef[c]) * invStd[c]);
            return Math.abs(sc[c]) * (Math.abs(dy[i]) + sdy[c] / rows + xhat * sdyx[c] / rows);
          });
          close(fail, dx, dxW, bound, t.ulps, 0, 'dx: ');
        }
      });
    }
  }
}

function finiteness(t: Suite, C: Ctor): void {
  const { be, ref } = t;
  const dt = C === Float32Array ? 'float32' : 'float64';
  const big = C === Float32Array ? 3.4028234663852886e38 : Number.MAX_VALUE;
  for (const n of [0, 1, 255, 256, 1000, 70001, 300007]) {
    const x = t.rand(C, n, -1e3, 1e3);
    if (n > 2) { x[0] = big; x[1] = -big; x[2] = C === Float32Array ? 1.4e-45 : 5e-324; }
    const cases: [string, number][] = [['finite', 0]];
    if (n > 0) cases.push(['NaN', NaN], ['inf', Infinity], ['-inf', -Infinity]);
    for (const [what, bad] of cases) {
      // the bad value at the start, in the middle and in the tail past the last whole vector
      for (const at of what === 'finite' ? [-1] : [0, Math.floor(n / 2), n - 1]) {
        const xs = x.slice();
        if (at >= 0) xs[at] = bad;
        t.check('allFinite', `${what}${at >= 0 ? ` at ${at}` : ''} n=${n} ${dt}`, [xs], (fail) => {
          const want = ref.allFinite(xs);
          const got = be.allFinite(xs);
          if (want !== (at < 0)) fail(`the reference says ${want}`);
          if (got !== want) fail(`got ${got}, want ${want}`);
        });
      }
    }
  }
}

/**
 * Checks every kernel of `backend` against the reference (options.reference, default js) and
 * returns the failures, at most one per case; an empty list is a pass. Deterministic for a seed.
 */
export function runConformance(backend: Backend, options: ConformanceOptions = {}): ConformanceFailure[] {
  const t = new Suite(backend, options.reference ?? jsBackend, options);
  const cases = options.cases ?? 12;
  for (const C of [Float32Array, Float64Array] as Ctor[]) {
    elementwise(t, C);
    reductions(t, C);
    matmuls(t, C);
    convolutions(t, C, cases);
    groupedConvolutions(t, C, cases);
    pooling(t, C, C === Float32Array ? cases : 2);
    activationBackwards(t, C);
    adam(t, C);
    batchNorms(t, C);
    finiteness(t, C);
  }
  return t.failures;
}

/** The kernels runConformance checks (every kernel of the Backend interface). */
export const CONFORMANCE_KERNELS: readonly KernelName[] = KERNEL_NAMES;

/** One line per failure, for an assertion message. */
export function formatFailures(failures: readonly ConformanceFailure[], max = 20): string {
  const lines = failures.slice(0, max).map((f) => `${f.kernel} (${f.case}): ${f.message}`);
  if (failures.length > max) lines.push(`... and ${failures.length - max} more`);
  return lines.join('\n');
}

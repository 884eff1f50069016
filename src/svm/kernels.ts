import { ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, nearestName, nonNegativeInt, nonNegativeNumber, optionKeys, positiveNumber } from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { toPoint, toRows, type Matrix, type MatrixLike, type PointLike, type VectorLike } from './input.js';

/** The built-in kernels by name. */
export type KernelName = 'linear' | 'rbf' | 'poly' | 'sigmoid';
/** A user kernel: k(a, b) for two feature vectors of one length. */
export type KernelFunction = (a: Float64Array, b: Float64Array) => number;

/** A kernel with its parameters resolved to numbers (libsvm's meaning). */
export interface KernelSpec {
  kind: KernelName | 'custom';
  gamma: number;
  degree: number;
  coef0: number;
  fn?: KernelFunction;
}

/** Options of the kernel functions in `svm.kernels` and their `gram`. */
export interface KernelOptions {
  /** rbf, poly, sigmoid: the scale of the inner product or distance (default 1). */
  gamma?: number;
  /** poly: the power (default 3). */
  degree?: number;
  /** poly, sigmoid: the added constant (default 0). */
  coef0?: number;
}

/** The kernel value from the inner product and the two squared norms (only rbf uses the norms). */
export function kernelFromDot(spec: KernelSpec, dot: number, sqa: number, sqb: number): number {
  switch (spec.kind) {
    case 'linear': return dot;
    case 'rbf': {
      const d2 = sqa + sqb - 2 * dot;
      return Math.exp(-spec.gamma * (d2 > 0 ? d2 : 0));
    }
    case 'poly': return Math.pow(spec.gamma * dot + spec.coef0, spec.degree);
    case 'sigmoid': return Math.tanh(spec.gamma * dot + spec.coef0);
    default: throw new ValueError(`kernel: '${spec.kind}' has no inner-product form`);
  }
}

/** Squared norm of each row. */
export function rowNorms(m: Matrix): Float64Array {
  const { data, rows, cols } = m;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let k = 0; k < cols; k++) { const v = data[o + k]; s += v * v; }
    out[i] = s;
  }
  return out;
}

/**
 * out[i*ldo + j] = a_i . b_j for rows i of a (m x d) and rows j of b (n x d), both row-major.
 * Register-blocked 4x4 so each loaded value feeds four multiply-adds; rows stay contiguous in k,
 * which keeps both operands streaming from cache without a packing pass.
 */
export function dotsNT(a: Float64Array, m: number, b: Float64Array, n: number, d: number, out: Float64Array, ldo: number): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < d; k++) {
        const x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
        const y0 = b[b0 + k], y1 = b[b1 + k], y2 = b[b2 + k], y3 = b[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = i * ldo + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += ldo;
      out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += ldo;
      out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += ldo;
      out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
    }
    for (let j = n4; j < n; j++) {
      const b0 = j * d;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < d; k++) {
        const y = b[b0 + k];
        c0 += a[a0 + k] * y; c1 += a[a1 + k] * y; c2 += a[a2 + k] * y; c3 += a[a3 + k] * y;
      }
      out[i * ldo + j] = c0; out[(i + 1) * ldo + j] = c1; out[(i + 2) * ldo + j] = c2; out[(i + 3) * ldo + j] = c3;
    }
  }
  for (let i = m4; i < m; i++) {
    const a0 = i * d;
    for (let j = 0; j < n; j++) {
      const b0 = j * d;
      let c = 0;
      for (let k = 0; k < d; k++) c += a[a0 + k] * b[b0 + k];
      out[i * ldo + j] = c;
    }
  }
}

/** The kernel matrix K[i, j] = k(a_i, b_j) as a row-major float64 array [a.rows, b.rows]. */
export function gramMatrix(spec: KernelSpec, a: Matrix, b: Matrix): Float64Array {
  if (a.cols !== b.cols) throw new ValueError(`gram: the two sets have ${a.cols} and ${b.cols} features`);
  const m = a.rows, n = b.rows, d = a.cols;
  const out = new Float64Array(m * n);
  if (spec.kind === 'custom') {
    const fn = spec.fn as KernelFunction;
    for (let i = 0; i < m; i++) {
      const ai = a.data.subarray(i * d, (i + 1) * d);
      for (let j = 0; j < n; j++) out[i * n + j] = fn(ai, b.data.subarray(j * d, (j + 1) * d));
    }
    return out;
  }
  // Blocks of rows keep the b operand hot in cache while the kernel map is applied in place.
  const blk = 64;
  const na = spec.kind === 'rbf' ? rowNorms(a) : null;
  const nb = spec.kind === 'rbf' ? rowNorms(b) : null;
  for (let j0 = 0; j0 < n; j0 += 512) {
    const nj = Math.min(512, n - j0);
    const bsub = b.data.subarray(j0 * d, (j0 + nj) * d);
    for (let i0 = 0; i0 < m; i0 += blk) {
      const ni = Math.min(blk, m - i0);
      const view = out.subarray(i0 * n + j0);
      dotsNT(a.data.subarray(i0 * d, (i0 + ni) * d), ni, bsub, nj, d, view, n);
    }
  }
  if (spec.kind !== 'linear') {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const o = i * n + j;
        out[o] = kernelFromDot(spec, out[o], na ? na[i] : 0, nb ? nb[j] : 0);
      }
    }
  }
  return out;
}

function pointPair(fn: string, a: PointLike, b: PointLike): [Float64Array, Float64Array] {
  const pa = toPoint(a, fn, 'a');
  const pb = toPoint(b, fn, 'b');
  if (pa.length !== pb.length) throw new ValueError(`${fn}: a has ${pa.length} features but b has ${pb.length}`);
  return [pa, pb];
}

function dotOf(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

const KERNEL_KEYS = optionKeys<KernelOptions>({ gamma: true, degree: true, coef0: true });

function specOf(kind: KernelName, fn: string, options: KernelOptions | undefined): KernelSpec {
  const o = checkOptions(fn, options, KERNEL_KEYS);
  const gamma = (kind === 'rbf' ? nonNegativeNumber : finiteNumber)(fn, 'gamma', o.gamma ?? 1);
  const degree = nonNegativeInt(fn, 'degree', o.degree ?? 3);
  const coef0 = finiteNumber(fn, 'coef0', o.coef0 ?? 0);
  return { kind, gamma, degree, coef0 };
}

/** A kernel as a function of two points, with `.gram(a, b?)` building the kernel matrix. */
export interface Kernel {
  (a: PointLike, b: PointLike, options?: KernelOptions): number;
  /** K[i, j] = k(a_i, b_j) as a float64 Tensor [a rows, b rows]; b defaults to a. A 1-D input is one feature per sample. */
  gram(a: MatrixLike | VectorLike, b?: MatrixLike | VectorLike, options?: KernelOptions): Tensor;
}

function makeKernel(kind: KernelName): Kernel {
  const name = `kernels.${kind}`;
  const k = ((a: PointLike, b: PointLike, options: KernelOptions = {}): number => {
    const spec = specOf(kind, name, options);
    const [pa, pb] = pointPair(name, a, b);
    return kernelFromDot(spec, dotOf(pa, pb), dotOf(pa, pa), dotOf(pb, pb));
  }) as Kernel;
  k.gram = (a, b, options = {}) => {
    const spec = specOf(kind, `${name}.gram`, options);
    const ma = toRows(a, `${name}.gram`, 'a');
    const mb = b === undefined ? ma : toRows(b, `${name}.gram`, 'b');
    if (ma.cols !== mb.cols) throw new ValueError(`${name}.gram: a has ${ma.cols} features but b has ${mb.cols}`);
    return tensor(gramMatrix(spec, ma, mb), { shape: [ma.rows, mb.rows], dtype: 'float64' });
  };
  return k;
}

/**
 * The four libsvm kernels: linear a.b, rbf exp(-gamma |a-b|^2), poly (gamma a.b + coef0)^degree,
 * sigmoid tanh(gamma a.b + coef0).
 */
export const kernels: { linear: Kernel; rbf: Kernel; poly: Kernel; sigmoid: Kernel } = {
  linear: makeKernel('linear'),
  rbf: makeKernel('rbf'),
  poly: makeKernel('poly'),
  sigmoid: makeKernel('sigmoid'),
};

const KERNEL_NAMES = ['rbf', 'linear', 'poly', 'sigmoid'] as const;

/** What SVC, SVR and OneClassSVM share among their options. */
export interface KernelSvmCommonOptions {
  kernel?: unknown;
  gamma?: unknown;
  degree?: number;
  coef0?: number;
  tol?: number;
  cacheSize?: number;
  maxIter?: number;
  shrinking?: boolean;
}

/** The options every kernel SVM shares (kernel, gamma, degree, coef0, tol, cacheSize, maxIter, shrinking), each checked. */
export function checkKernelSvmOptions(fn: string, o: KernelSvmCommonOptions): void {
  const k = o.kernel;
  if (k !== undefined && typeof k !== 'function' && !(KERNEL_NAMES as readonly unknown[]).includes(k)) {
    const near = typeof k === 'string' ? nearestName(k, KERNEL_NAMES) : null;
    throw new ValueError(`${fn}: kernel must be 'rbf', 'linear', 'poly', 'sigmoid' or a function, got '${String(k)}'${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  const g = o.gamma;
  if (g !== undefined && g !== 'scale' && g !== 'auto' && (typeof g !== 'number' || !Number.isFinite(g) || g <= 0)) {
    throw new ValueError(`${fn}: gamma must be 'scale', 'auto' or a number > 0, got ${String(g)}`);
  }
  if (o.degree !== undefined) nonNegativeInt(fn, 'degree', o.degree);
  if (o.coef0 !== undefined) finiteNumber(fn, 'coef0', o.coef0);
  if (o.tol !== undefined) positiveNumber(fn, 'tol', o.tol);
  if (o.cacheSize !== undefined) positiveNumber(fn, 'cacheSize', o.cacheSize);
  if (o.maxIter !== undefined && !(o.maxIter === -1 || (Number.isInteger(o.maxIter) && o.maxIter > 0))) {
    throw new ValueError(`${fn}: maxIter must be -1 or a positive integer, got ${o.maxIter}`);
  }
  if (o.shrinking !== undefined) booleanOption(fn, 'shrinking', o.shrinking);
}

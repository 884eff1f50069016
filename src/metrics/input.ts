/** Reading metric inputs (Tensors, arrays, typed arrays) and scikit-learn's label rules. */
import { ValueError, ShapeError, fmtShape } from '../core/errors.js';
import { describeValue } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';

/** A vector of numbers: a Tensor, a plain array or a typed array. */
export type MetricInput = Tensor | ArrayLike<number>;
/** Scores: a vector, or a [samples, classes] matrix as a Tensor or an array of rows. */
export type ScoreInput = Tensor | ArrayLike<number> | readonly (readonly number[])[];

/** A finite vector (a Tensor of any shape is flattened). */
export function vec(fn: string, arg: string, v: unknown): ArrayLike<number> {
  let d: ArrayLike<number>;
  if (v instanceof Tensor) d = v.data;
  else if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) d = v as ArrayLike<number>;
  else throw new ValueError(`${fn}: ${arg} must be a Tensor, an array or a typed array of numbers, got ${describeValue(v)}`);
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    if (typeof x !== 'number') throw new ValueError(`${fn}: ${arg}[${i}] is ${describeValue(x)}, not a number`);
    if (!Number.isFinite(x)) throw new ValueError(`${fn}: ${arg}[${i}] is ${x}, not a finite number`);
  }
  return d;
}

/** A [rows, cols] matrix (cols 1 for a vector) of finite numbers, row-major. */
export function matrix(fn: string, arg: string, v: unknown): { data: ArrayLike<number>; rows: number; cols: number; vector: boolean } {
  if (v instanceof Tensor) {
    if (v.rank > 2) throw new ShapeError(`${fn}: ${arg} must be a vector or a [samples, classes] matrix, got shape ${fmtShape(v.shape)}`);
    vec(fn, arg, v);
    return v.rank === 2 ? { data: v.data, rows: v.shape[0], cols: v.shape[1], vector: false } : { data: v.data, rows: v.size, cols: 1, vector: true };
  }
  if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) {
    const cols = (v[0] as unknown[]).length;
    const out = new Float64Array(v.length * cols);
    v.forEach((row: unknown, i) => {
      if (!Array.isArray(row) || row.length !== cols) throw new ShapeError(`${fn}: ${arg}[${i}] has ${Array.isArray(row) ? row.length : 'no'} values but row 0 has ${cols}`);
      out.set(vec(fn, `${arg}[${i}]`, row), i * cols);
    });
    return { data: out, rows: v.length, cols, vector: false };
  }
  const d = vec(fn, arg, v);
  return { data: d, rows: d.length, cols: 1, vector: true };
}

export function sameLength(fn: string, a: string, na: number, b: string, nb: number): void {
  if (na !== nb) throw new ValueError(`${fn}: ${a} has ${na} samples but ${b} has ${nb}`);
}

export function nonEmpty(fn: string, arg: string, n: number): void {
  if (n === 0) throw new ValueError(`${fn}: ${arg} is empty`);
}

/** Sorted distinct values (scikit-learn's unique_labels). */
export function uniqueSorted(...arrays: ArrayLike<number>[]): number[] {
  const s = new Set<number>();
  for (const a of arrays) for (let i = 0; i < a.length; i++) s.add(Number(a[i]));
  return [...s].sort((x, y) => x - y);
}

/** Sample weights: absent (all 1) or finite non-negative values, one per sample. */
export function weights(fn: string, v: unknown, n: number): Float64Array | null {
  if (v === undefined || v === null) return null;
  const w = vec(fn, 'sampleWeight', v);
  sameLength(fn, 'sampleWeight', w.length, 'yTrue', n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (Number(w[i]) < 0) throw new ValueError(`${fn}: sampleWeight[${i}] is ${w[i]}; weights must be >= 0`);
    out[i] = Number(w[i]);
  }
  return out;
}

/** Labels given by the caller: distinct finite numbers. */
export function labelList(fn: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new ValueError(`${fn}: labels must be a non-empty array of numbers, got ${describeValue(v)}`);
  const l = Array.from(vec(fn, 'labels', v), Number);
  if (new Set(l).size !== l.length) throw new ValueError(`${fn}: labels contain duplicates: [${l.join(', ')}]`);
  return l;
}

/** Sum of x (pairwise as NumPy for long arrays is not needed at 1e-12; plain order). */
export function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A matrix as the SVM functions take it: a 2-D tensor [n, d] or rows of numbers. */
export type MatrixLike = Tensor | readonly (readonly number[])[];
/** A vector of labels or values: a 1-D tensor, an array, or a typed array. */
export type VectorLike = Tensor | readonly number[] | Int32Array | Float32Array | Float64Array;

/** A dense row-major float64 matrix, the form every SVM routine works on. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Copies x into a row-major float64 matrix, checking shape and finiteness first. */
export function toMatrix(x: MatrixLike, fn: string, arg: string): Matrix {
  let data: Float64Array;
  let rows: number;
  let cols: number;
  if (x instanceof Tensor) {
    if (x.rank !== 2) throw new ShapeError(`${fn}: ${arg} must be 2-D [samples, features], got shape ${fmtShape(x.shape)}`);
    [rows, cols] = x.shape;
    data = Float64Array.from(x.data);
  } else if (Array.isArray(x)) {
    rows = x.length;
    cols = rows > 0 && Array.isArray(x[0]) ? x[0].length : 0;
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = x[i];
      if (!Array.isArray(r)) throw new ShapeError(`${fn}: ${arg} must be an array of rows (number[][]); row ${i} is not an array`);
      if (r.length !== cols) throw new ShapeError(`${fn}: ${arg} rows differ in length: row 0 has ${cols}, row ${i} has ${r.length}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
    }
  } else {
    throw new ValueError(`${fn}: ${arg} must be a 2-D Tensor or number[][]`);
  }
  if (rows === 0 || cols === 0) throw new ShapeError(`${fn}: ${arg} is empty (shape [${rows},${cols}])`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const r = Math.floor(i / cols);
      throw new ValueError(`${fn}: ${arg} has a non-finite value ${data[i]} at row ${r}, column ${i - r * cols}`);
    }
  }
  return { data, rows, cols };
}

/** Copies a vector-like into a float64 array, checking it is 1-D and finite. */
export function toVector(v: VectorLike, fn: string, arg: string): Float64Array {
  let out: Float64Array;
  if (v instanceof Tensor) {
    if (v.rank !== 1) throw new ShapeError(`${fn}: ${arg} must be 1-D, got shape ${fmtShape(v.shape)}`);
    out = Float64Array.from(v.data);
  } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as ArrayLike<unknown>;
    out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const e = a[i];
      if (typeof e !== 'number') throw new ValueError(`${fn}: ${arg}[${i}] is not a number (${String(e)})`);
      out[i] = e;
    }
  } else {
    throw new ValueError(`${fn}: ${arg} must be a 1-D Tensor, number[] or typed array`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new ValueError(`${fn}: ${arg} has a non-finite value ${out[i]} at index ${i}`);
  }
  return out;
}

/** A single point: a number (1 feature), an array, a typed array or a 1-D tensor. */
export type PointLike = number | VectorLike;

export function toPoint(p: PointLike, fn: string, arg: string): Float64Array {
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) throw new ValueError(`${fn}: ${arg} is not finite (${p})`);
    return Float64Array.of(p);
  }
  return toVector(p, fn, arg);
}

/** Rows for kernel builders: a matrix, or a 1-D vector read as one feature per sample. */
export function toRows(x: MatrixLike | VectorLike, fn: string, arg: string): Matrix {
  if (x instanceof Tensor && x.rank === 1) {
    const v = toVector(x, fn, arg);
    return { data: v, rows: v.length, cols: 1 };
  }
  if (!(x instanceof Tensor) && (ArrayBuffer.isView(x) || (Array.isArray(x) && x.length > 0 && typeof x[0] === 'number'))) {
    const v = toVector(x as VectorLike, fn, arg);
    return { data: v, rows: v.length, cols: 1 };
  }
  return toMatrix(x as MatrixLike, fn, arg);
}

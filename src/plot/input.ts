/** Reading plot inputs (Tensors, arrays, typed arrays) without copying or mutating them. */
import { ValueError } from '../core/errors.js';
import { describeValue } from '../core/validate.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { tensor } from '../tensor/creation.js';

/** A vector of numbers: a Tensor, a plain array or a typed array. */
export type NumericInput = Tensor | ArrayLike<number>;

/** An n-dimensional array of numbers: a Tensor or nested arrays. */
export type ArrayInput = Tensor | NestedArray;

/** Values and shape of an input, read-only views of the caller's storage where possible. */
export interface Values {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** Reads a vector (any Tensor is flattened). */
export function vector(fn: string, arg: string, v: NumericInput): Values {
  if (v instanceof Tensor) return { data: v.data, shape: [v.size] };
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = v as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) {
      if (typeof arr[i] !== 'number') {
        throw new ValueError(`${fn}: ${arg}[${i}] is ${describeValue(arr[i])}, not a number`);
      }
    }
    return { data: arr, shape: [arr.length] };
  }
  throw new ValueError(`${fn}: ${arg} must be a Tensor, an array or a typed array of numbers, got ${describeValue(v)}`);
}

/** Reads an n-dimensional input (nested arrays are copied into a Tensor, Tensors are not). */
export function ndarray(fn: string, arg: string, v: ArrayInput): Values {
  if (v instanceof Tensor) return { data: v.data, shape: v.shape };
  if (typeof v === 'number' || Array.isArray(v)) {
    let t: Tensor;
    try {
      t = tensor(v, { dtype: 'float64' });
    } catch (err) {
      throw new ValueError(`${fn}: ${arg} is not a rectangular nested array of numbers (${(err as Error).message})`);
    }
    return { data: t.data, shape: t.shape };
  }
  throw new ValueError(`${fn}: ${arg} must be a Tensor or nested arrays of numbers, got ${describeValue(v)}`);
}

export function checkFinite(fn: string, arg: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ValueError(`${fn}: ${arg}[${i}] is ${data[i]}, not a finite number`);
  }
}

import { kernels } from '../backend/index.js';
import { ValueError } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { allocateOutput, castValue, isFloatDType } from '../tensor/dtype.js';
import { Tensor, allocate, floatData, type DType, type FloatArray, type TensorLike } from '../tensor/tensor.js';

export type { TensorLike };

/** A number as a scalar tensor of dtype (converted as astype converts); a tensor as it is. */
export function toTensor(x: TensorLike, dtype: DType, fn: string, arg: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') {
    throw new ValueError(`${fn}: ${arg} must be a Tensor or a number, got ${typeof x}`);
  }
  const d = allocate(dtype, 1);
  d[0] = castValue(x, dtype, fn);
  return new Tensor(d, []);
}

/** A float tensor argument: an int32 or bool one is a DTypeError naming fn and arg that points at astype. */
export function expectFloat(x: unknown, fn: string, arg: string): Tensor {
  const t = expectTensor(x, fn, arg);
  if (!isFloatDType(t.dtype)) floatData(t, fn, arg);
  return t;
}

/** A tensor's storage for a float kernel (a DTypeError for int32 and bool, as floatData). */
export function fd(t: Tensor, fn = 'gradlab'): FloatArray {
  return floatData(t, fn, 'input');
}

export function expectTensor(x: unknown, fn: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new ValueError(`${fn}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

export function empty(dtype: DType, shape: readonly number[]): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(allocate(dtype, n), shape);
}

/** A float tensor for a backend kernel to overwrite whole: its values are not zeroed (see allocateOutput). */
export function kernelOutput(dtype: DType, shape: readonly number[]): Tensor {
  if (!isFloatDType(dtype)) return empty(dtype, shape);
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(allocateOutput(dtype, n), shape);
}

export { kernels };

// ---------- sample helpers for the registry ----------

/** A float64 tensor of uniform values in [low, high). */
export function sampleUniform(rng: Random, shape: readonly number[], low = -1, high = 1): Tensor {
  const t = empty('float64', shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(low, high);
  return t;
}

/** A float64 tensor whose values keep at least `gap` away from 0 (for kinks at 0). */
export function sampleAwayFromZero(rng: Random, shape: readonly number[], gap = 0.05, scale = 1): Tensor {
  const t = empty('float64', shape);
  for (let i = 0; i < t.size; i++) {
    const m = gap + rng.random() * (scale - gap);
    t.data[i] = rng.random() < 0.5 ? -m : m;
  }
  return t;
}

/** A float64 tensor holding a shuffled set of well-separated values (distinct maxima for max-like ops). */
export function sampleDistinct(rng: Random, shape: readonly number[], spacing = 0.1): Tensor {
  const t = empty('float64', shape);
  const perm = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - t.size / 2) * spacing + rng.uniform(0, spacing * 0.1);
  return t;
}

import { kernels } from '../backend/index.js';
import { DTypeError, ValueError, fmtShape } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { Tensor, allocate, type DType, type TensorLike } from '../tensor/tensor.js';

export type { TensorLike };

export function toTensor(x: TensorLike, dtype: DType, fn: string, arg: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') {
    throw new ValueError(`${fn}: ${arg} must be a Tensor or a number, got ${typeof x}`);
  }
  const d = allocate(dtype, 1);
  d[0] = x;
  return new Tensor(d, []);
}

export function expectTensor(x: unknown, fn: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new ValueError(`${fn}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

/** Both operands as tensors of one dtype; mixing float32 and float64 is an error, as is silently losing precision. */
export function pairOf(a: TensorLike, b: TensorLike, fn: string): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = toTensor(a, dtype, fn, 'a');
  const tb = toTensor(b, dtype, fn, 'b');
  if (ta.dtype !== tb.dtype) {
    throw new DTypeError(`${fn}: operands have different dtypes (${ta.dtype} ${fmtShape(ta.shape)} and ${tb.dtype} ${fmtShape(tb.shape)}); convert one with tensor(x, { dtype })`);
  }
  return [ta, tb];
}

export function empty(dtype: DType, shape: readonly number[]): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(allocate(dtype, n), shape);
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

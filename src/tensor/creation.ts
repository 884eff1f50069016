import { ShapeError, ValueError, DTypeError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, finiteNumber, isFiniteNumber, optional } from '../core/validate.js';
import { rngFor, type Random } from './random.js';
import { MAX_TENSOR_SIZE, checkShape, sizeOf } from './shape.js';
import { FLOAT_DTYPES, castData, castValue, checkDType, isFloatDType, type TensorData } from './dtype.js';
import { Tensor, allocate, fromNested, type DType, type NestedValues } from './tensor.js';

/** Options of `tensor(values, options)`. */
export interface TensorOptions {
  /** Shape for flat or typed-array values (required for typed arrays of rank > 1). */
  shape?: readonly number[];
  /** The element type. Default: that of a Tensor given, 'float64' for a Float64Array, otherwise 'float32'. */
  dtype?: DType;
  /** Track operations on it so that backward() fills its grad. Default: false. */
  requiresGrad?: boolean;
}

/** Options of `zeros`, `ones`, `full`, `zerosLike`, `onesLike`, `eye`, `arange` and `linspace`. */
export interface CreationOptions {
  /** The element type. Default: 'float32' (zerosLike and onesLike: the dtype of their tensor). */
  dtype?: DType;
  /** Track operations on it so that backward() fills its grad. Default: false. */
  requiresGrad?: boolean;
}

/** Options of the random creators (`rand`, `randn`, `randint`): the creation options and a seed. */
export interface RandomOptions extends CreationOptions {
  /** Draw from a generator seeded with this instead of the global one. Default: none (the global generator, see manualSeed). */
  seed?: number;
}

/** requiresGrad on an int32 or bool tensor is refused before any work, as PyTorch refuses it. */
function checkGradDType(fn: string, dtype: DType, requiresGrad: boolean | undefined): void {
  if (requiresGrad === true && !isFloatDType(dtype)) {
    throw new DTypeError(`${fn}: only float32 and float64 tensors can require gradients, not ${dtype}`);
  }
}

const TENSOR_KEYS = ['shape', 'dtype', 'requiresGrad'];
const CREATION_KEYS = ['dtype', 'requiresGrad'];

/** Checks a creation function's options object (unknown keys, requiresGrad, seed) before any work. */
function creationOptions<T extends CreationOptions & { seed?: number }>(fn: string, options: T | undefined, extra: readonly string[] = []): T {
  const o = checkOptions(fn, options, [...CREATION_KEYS, ...extra]);
  optional(fn, 'requiresGrad', o.requiresGrad, booleanOption);
  if (o.seed !== undefined && !isFiniteNumber(o.seed)) throw new ValueError(`${fn}: seed must be an integer, got ${describeValue(o.seed)}`);
  return o;
}

function expectTensorArg(fn: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(`${fn}: expected a Tensor, got ${describeValue(t)}`);
  return t;
}

/**
 * Makes a tensor from a number, a boolean, nested arrays, a flat array with `shape`, or a typed
 * array (a Float32Array, Float64Array or Int32Array is used without copying when its dtype
 * matches; other typed arrays, a Uint8Array of image bytes among them, become float32 unless
 * `dtype` says otherwise). Without `dtype`, booleans give a bool tensor and numbers float32;
 * values are converted to `dtype` as `astype` converts them.
 */
export function tensor(values: NestedValues | ArrayLike<number> | TensorData | Tensor, options: TensorOptions = {}): Tensor {
  options = checkOptions('tensor', options, TENSOR_KEYS);
  optional('tensor', 'requiresGrad', options.requiresGrad, booleanOption);
  if (options.shape !== undefined) checkShape('tensor', options.shape, 'options.shape');
  if (options.dtype !== undefined) checkDType('tensor', options.dtype);
  let t: Tensor;
  if (values instanceof Tensor) {
    const dtype = options.dtype ?? values.dtype;
    checkGradDType('tensor', dtype, options.requiresGrad);
    t = new Tensor(castData(values.data, dtype, 'tensor'), options.shape ?? values.shape);
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    const dtype = options.dtype ?? (typeof values === 'boolean' ? 'bool' : 'float32');
    checkGradDType('tensor', dtype, options.requiresGrad);
    t = new Tensor(castData([Number(values)], dtype, 'tensor'), options.shape ?? []);
  } else if (ArrayBuffer.isView(values)) {
    const arr = values as ArrayLike<number>;
    const own = values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'float32';
    const dtype = options.dtype ?? own;
    checkGradDType('tensor', dtype, options.requiresGrad);
    const keep = dtype === own && (values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array);
    const data = keep ? (values as TensorData) : castData(arr, dtype, 'tensor');
    const shape = options.shape ?? [arr.length];
    checkSize('tensor', data.length, shape);
    t = new Tensor(data, shape);
  } else {
    const nested = fromNested(values as NestedValues, options.dtype, 'tensor');
    checkGradDType('tensor', nested.dtype, options.requiresGrad);
    if (options.shape) {
      checkSize('tensor', nested.size, options.shape);
      t = new Tensor(nested.data, options.shape);
    } else {
      t = nested;
    }
  }
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function checkSize(fn: string, n: number, shape: readonly number[]): void {
  checkShape(fn, shape);
  if (sizeOf(shape) !== n) {
    throw new ShapeError(`${fn}: ${n} values cannot take shape ${fmtShape(shape)} (${sizeOf(shape)} values)`);
  }
}

function filled(fn: string, shape: readonly number[], value: number | boolean, options: CreationOptions, allowed?: readonly DType[]): Tensor {
  checkShape(fn, shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new ValueError(`${fn}: value must be a number or a boolean, got ${describeValue(value)}`);
  const dtype = checkDType(fn, options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'), allowed);
  checkGradDType(fn, dtype, options.requiresGrad);
  const v = castValue(Number(value), dtype, fn);
  const data = allocate(dtype, sizeOf(shape));
  if (v !== 0) data.fill(v);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('zeros', shape, 0, creationOptions('zeros', options));
}

export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('ones', shape, 1, creationOptions('ones', options));
}

/** A tensor of one value; a boolean value makes a bool tensor unless `dtype` says otherwise. */
export function full(shape: readonly number[], value: number | boolean, options: CreationOptions = {}): Tensor {
  return filled('full', shape, value, creationOptions('full', options));
}

export function zerosLike(t: Tensor, options: CreationOptions = {}): Tensor {
  return filled('zerosLike', expectTensorArg('zerosLike', t).shape, 0, { dtype: t.dtype, ...creationOptions('zerosLike', options) });
}

export function onesLike(t: Tensor, options: CreationOptions = {}): Tensor {
  return filled('onesLike', expectTensorArg('onesLike', t).shape, 1, { dtype: t.dtype, ...creationOptions('onesLike', options) });
}

/** Values start, start+step, ... below stop (like numpy.arange); arange(n) is 0..n-1. int32 needs integer start and step. */
export function arange(start: number, stop?: number, step = 1, options: CreationOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !isFiniteNumber(step)) throw new ValueError(`arange: step must be a non-zero finite number, got ${describeValue(step)}`);
  finiteNumber('arange', 'start', start);
  finiteNumber('arange', 'stop', stop);
  creationOptions('arange', options);
  const dtype = checkDType('arange', options.dtype ?? 'float32', ['float32', 'float64', 'int32']);
  checkGradDType('arange', dtype, options.requiresGrad);
  if (dtype === 'int32' && (!Number.isInteger(start) || !Number.isInteger(step))) {
    throw new ValueError(`arange: an int32 range needs integer start and step, got start=${start}, step=${step}`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_TENSOR_SIZE) throw new ShapeError(`arange: ${n} values are more than a tensor can hold (${MAX_TENSOR_SIZE})`);
  if (dtype === 'int32' && n > 0) castValue(start + (n - 1) * step, 'int32', 'arange');
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], options.requiresGrad ?? false);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num = 50, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0 || num > MAX_TENSOR_SIZE) throw new ValueError(`linspace: num must be a non-negative integer up to ${MAX_TENSOR_SIZE}, got ${describeValue(num)}`);
  finiteNumber('linspace', 'start', start);
  finiteNumber('linspace', 'stop', stop);
  creationOptions('linspace', options);
  const dtype = checkDType('linspace', options.dtype ?? 'float32', FLOAT_DTYPES);
  const data = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return new Tensor(data, [num], options.requiresGrad ?? false);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m = n, options: CreationOptions = {}): Tensor {
  const t = filled('eye', [n, m], 0, creationOptions('eye', options));
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

function randomFilled(fn: string, shape: readonly number[], options: RandomOptions, draw: (r: Random) => number,
  allowed: readonly DType[] = FLOAT_DTYPES): Tensor {
  const t = filled(fn, shape, 0, { dtype: options.dtype, requiresGrad: options.requiresGrad }, allowed);
  const r = rngFor(options.seed);
  for (let i = 0; i < t.size; i++) t.data[i] = draw(r);
  return t;
}

/** Uniform in [0, 1) (or [low, high)). */
export function rand(shape: readonly number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  options = creationOptions('rand', options, ['seed', 'low', 'high']);
  const low = finiteNumber('rand', 'low', options.low ?? 0);
  const high = finiteNumber('rand', 'high', options.high ?? 1);
  if (!(high > low)) throw new ValueError(`rand: high (${high}) must exceed low (${low})`);
  return randomFilled('rand', shape, options, (r) => r.uniform(low, high));
}

/** Normal with mean 0 and std 1 (or as given). */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  options = creationOptions('randn', options, ['seed', 'mean', 'std']);
  const mean = finiteNumber('randn', 'mean', options.mean ?? 0);
  const std = finiteNumber('randn', 'std', options.std ?? 1);
  if (!(std >= 0)) throw new ValueError(`randn: std must be >= 0, got ${std}`);
  return randomFilled('randn', shape, options, (r) => r.normal(mean, std));
}

/** Integers uniform in [low, high): float32 unless `dtype` says otherwise (int32 as PyTorch's randint; int64 there). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: need integers low < high, got low=${describeValue(low)}, high=${describeValue(high)}`);
  }
  options = creationOptions('randint', options, ['seed']);
  if (options.dtype === 'int32') {
    castValue(low, 'int32', 'randint');
    castValue(high - 1, 'int32', 'randint');
  }
  return randomFilled('randint', shape, options, (r) => r.int(low, high), ['float32', 'float64', 'int32']);
}

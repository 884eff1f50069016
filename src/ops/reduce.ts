import { ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, finiteNumber, optionKeys, showJson } from '../core/validate.js';
import { normAxes, normAxis } from '../tensor/shape.js';
import { Tensor, recordOp, type VarianceOptions } from '../tensor/tensor.js';
import { add, binaryKernel, div, exp, log, mul, sqrt, square, sub } from './elementwise.js';
import { broadcastTo, finalShape, reduceKernel, reshape, sum, type Axis } from './primitives.js';
import { registerOp, type OpSample } from './registry.js';
import { isFloatDType } from '../tensor/dtype.js';
import { astype } from './cast.js';
import { empty, expectTensor, fd, kernels, sampleDistinct, sampleUniform } from './util.js';

export type { VarianceOptions };

// sum and sumTo live with reshape and broadcastTo in primitives.ts (their backwards need one another).
export { sum, sumTo, type Axis } from './primitives.js';

function checkNonEmpty(fn: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) throw new ValueError(`${fn}: cannot reduce over axis ${a} of size 0 (shape [${x.shape}])`);
  }
}

/** The mean over `axis` (all axes when omitted); of int32 or bool values it is float32 (summed exactly first). */
export function mean(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  expectTensor(x, 'mean', 'x');
  const axes = normAxes('mean', axis, x.rank);
  checkNonEmpty('mean', x, axes);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  if (!isFloatDType(x.dtype)) return astype(div(sum(astype(x, 'float64'), axes, keepDims), count), 'float32');
  return div(sum(x, axes, keepDims), count);
}

/** x as float32 when it is int32 or bool, for reductions that compute in floating point. */
function floatInput(x: Tensor): Tensor {
  return isFloatDType(x.dtype) ? x : astype(x, 'float32');
}

function extremum(fn: 'max' | 'min', x: Tensor, axis: Axis | undefined, keepDims: boolean): Tensor {
  expectTensor(x, fn, 'x');
  const axes = normAxes(fn, axis, x.rank);
  checkNonEmpty(fn, x, axes);
  const kept = reduceKernel(fn, x, axes);
  const out = new Tensor(kept.data, finalShape(x.shape, axes, keepDims));
  // Ties share the gradient equally (like numpy-style amax in PyTorch).
  return recordOp(out, fn, [x], (g) => {
    const mask = binaryKernel('eq', x, kept, fn);
    const count = reduceKernel('sum', mask, axes);
    return [mul(broadcastTo(reshape(g, kept.shape), x.shape), binaryKernel('div', mask, count, fn))];
  });
}

/** Largest value over `axis` (all axes when omitted). */
export function max(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  return extremum('max', x, axis, keepDims);
}

/** Smallest value over `axis` (all axes when omitted). */
export function min(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  return extremum('min', x, axis, keepDims);
}

function argExtremum(fn: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepDims: boolean): Tensor {
  expectTensor(x, fn, 'x');
  const flat = axis === undefined;
  const src = flat ? new Tensor(x.data, [x.size]) : x;
  const ax = flat ? 0 : normAxis(fn, axis, x.rank);
  checkNonEmpty(fn, src, [ax]);
  let outer = 1;
  for (let i = 0; i < ax; i++) outer *= src.shape[i];
  let inner = 1;
  for (let i = ax + 1; i < src.rank; i++) inner *= src.shape[i];
  // int32 and bool values are exact in float64; the kernel writes indices as floats, returned as int32.
  // (float32 indices are exact below 2^24; past that the search runs in float64).
  const xs = isFloatDType(src.dtype) && src.shape[ax] <= 2 ** 24 ? src : astype(src.detach(), 'float64');
  const idx = empty(xs.dtype, flat ? [] : finalShape(src.shape, [ax], keepDims));
  kernels().argReduce(fn === 'argmax' ? 'max' : 'min', fd(xs, fn), outer, src.shape[ax], inner, fd(idx, fn));
  return new Tensor(Int32Array.from(idx.data), idx.shape);
}

/** Index of the largest value along `axis` (of the flattened tensor when omitted) as int32; ties give the first index, as NumPy's. */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argExtremum('argmax', x, axis, keepDims);
}

/** Index of the smallest value along `axis` (of the flattened tensor when omitted). */
export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argExtremum('argmin', x, axis, keepDims);
}

/** log(sum(exp(x))) over `axis`, computed stably by shifting by the maximum. */
export function logSumExp(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  expectTensor(x, 'logSumExp', 'x');
  x = floatInput(x);
  const axes = normAxes('logSumExp', axis, x.rank);
  checkNonEmpty('logSumExp', x, axes);
  const m = reduceKernel('max', x, axes);
  for (let i = 0; i < m.size; i++) if (!Number.isFinite(m.data[i])) m.data[i] = 0;
  const out = add(log(sum(exp(sub(x, m)), axes, true)), m);
  return keepDims ? out : reshape(out, finalShape(x.shape, axes, false));
}


const VARIANCE_KEYS = optionKeys<VarianceOptions>({ keepDims: true, ddof: true });

function varianceOf(fn: 'variance' | 'std', x: Tensor, axis: Axis | undefined, options: VarianceOptions | undefined): Tensor {
  expectTensor(x, fn, 'x');
  x = floatInput(x);
  const o = checkOptions(fn, options, VARIANCE_KEYS);
  const keepDims = o.keepDims === undefined ? false : booleanOption(fn, 'keepDims', o.keepDims);
  const ddof = o.ddof === undefined ? 0 : finiteNumber(fn, 'ddof', o.ddof);
  const axes = normAxes(fn, axis, x.rank);
  checkNonEmpty(fn, x, axes);
  const n = axes.reduce((c, a) => c * x.shape[a], 1);
  if (!(n - ddof > 0)) throw new ValueError(`${fn}: ddof ${ddof} leaves no degrees of freedom for ${n} values`);
  const centered = sub(x, mean(x, axes, true));
  return div(sum(square(centered), axes, keepDims), n - ddof);
}

/** Mean squared deviation from the mean over `axis` (all axes when omitted), divided by n - ddof. */
export function variance(x: Tensor, axis?: Axis, options?: VarianceOptions): Tensor {
  return varianceOf('variance', x, axis, options);
}

/** The square root of variance. */
export function std(x: Tensor, axis?: Axis, options?: VarianceOptions): Tensor {
  return sqrt(varianceOf('std', x, axis, options));
}

// ---------- registry ----------

const axisCases: [number[], Axis | undefined, boolean][] = [
  [[3, 4], undefined, false], [[3, 4], 0, false], [[2, 3, 4], 1, true], [[2, 3, 4], [0, 2], false], [[2, 3, 4], -1, false],
];

function reduceSamples(name: string, f: (x: Tensor, axis: Axis | undefined, keep: boolean) => Tensor, distinct = false) {
  return (rng: import('../tensor/random.js').Random): OpSample[] => axisCases.map(([shape, axis, keep]) => ({
    label: `${name} [${shape}] axis=${showJson(axis)} keepDims=${keep}`,
    inputs: [distinct ? sampleDistinct(rng, shape) : sampleUniform(rng, shape)],
    fn: (x: Tensor) => f(x, axis, keep),
  }));
}

registerOp({ name: 'mean', family: 'reduce', samples: reduceSamples('mean', mean) });
registerOp({ name: 'max', family: 'reduce', samples: reduceSamples('max', max, true) });
registerOp({ name: 'min', family: 'reduce', samples: reduceSamples('min', min, true) });
registerOp({ name: 'logSumExp', family: 'reduce', samples: reduceSamples('logSumExp', logSumExp) });
registerOp({ name: 'variance', family: 'reduce', samples: reduceSamples('variance', (x, a, k) => variance(x, a, { keepDims: k, ddof: 1 })) });
registerOp({ name: 'std', family: 'reduce', samples: reduceSamples('std', (x, a, k) => std(x, a, { keepDims: k })) });

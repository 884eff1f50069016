// Integer and boolean arithmetic in TypeScript loops: the backend kernels compute in float32 and
// float64 only. int32 results wrap modulo 2^32 as NumPy's and PyTorch's int32 do.
import { DTypeError, ValueError, fmtShape } from '../core/errors.js';
import { broadcastShapes, shapesEqual, stridesOf } from '../tensor/shape.js';
import { Tensor, type TensorData } from '../tensor/tensor.js';
import { copyStrided } from './primitives.js';
import { empty } from './util.js';

export type IntBinaryOp = 'add' | 'sub' | 'mul' | 'maximum' | 'minimum' | 'pow';

/** t's values repeated to `shape` (broadcasting), as a contiguous array of t's dtype. */
export function expandedData(t: Tensor, shape: readonly number[]): TensorData {
  if (shapesEqual(t.shape, shape)) return t.data;
  const lead = shape.length - t.rank;
  const st = stridesOf(t.shape);
  const strides = shape.map((_, i) => (i < lead || t.shape[i - lead] === 1 ? 0 : st[i - lead]));
  const out = empty(t.dtype, shape);
  copyStrided(t.data, 0, strides, out.data, shape);
  return out.data;
}

/** b ** e for int32 e >= 0, wrapping as int32 multiplication does (square and multiply). */
function ipow(b: number, e: number): number {
  let r = 1;
  let base = b | 0;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return r;
}

/**
 * a op b for two int32 or two bool tensors of one dtype, with broadcasting. On bools add is `or`
 * and mul, minimum `and` (NumPy's bool add and multiply); sub on bools is refused; pow gives int32.
 */
export function intBinary(op: IntBinaryOp, a: Tensor, b: Tensor, fn: string): Tensor {
  const shape = shapesEqual(a.shape, b.shape) ? [...a.shape] : broadcastShapes(fn, a.shape, b.shape);
  const isBool = a.dtype === 'bool';
  if (isBool && op === 'sub') {
    throw new DTypeError(`${fn}: subtracting bool tensors is not supported (as in NumPy; ${fmtShape(a.shape)} - ${fmtShape(b.shape)}); use logicalXor, or astype('int32') first`);
  }
  const x = expandedData(a, shape);
  const y = expandedData(b, shape);
  const out = empty(isBool && op !== 'pow' ? 'bool' : 'int32', shape);
  const o = out.data;
  const n = o.length;
  if (isBool) {
    switch (op) {
      case 'add': case 'maximum': for (let i = 0; i < n; i++) o[i] = x[i] | y[i]; break;
      case 'mul': case 'minimum': for (let i = 0; i < n; i++) o[i] = x[i] & y[i]; break;
      default: for (let i = 0; i < n; i++) o[i] = y[i] === 0 ? 1 : x[i]; // pow
    }
    return out;
  }
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) o[i] = x[i] + y[i]; break; // the store wraps
    case 'sub': for (let i = 0; i < n; i++) o[i] = x[i] - y[i]; break;
    case 'mul': for (let i = 0; i < n; i++) o[i] = Math.imul(x[i], y[i]); break;
    case 'maximum': for (let i = 0; i < n; i++) o[i] = x[i] > y[i] ? x[i] : y[i]; break;
    case 'minimum': for (let i = 0; i < n; i++) o[i] = x[i] < y[i] ? x[i] : y[i]; break;
    case 'pow':
      for (let i = 0; i < n; i++) {
        if (y[i] < 0) throw new ValueError(`${fn}: integers to negative integer powers are not allowed (exponent ${y[i]} at flat index ${i}); astype('float32') first`);
        o[i] = ipow(x[i], y[i]);
      }
      break;
  }
  return out;
}

export type IntUnaryOp = 'neg' | 'abs' | 'square' | 'sign';

/** neg, abs, square and sign of an int32 tensor (int32) or a bool one (abs and square give bool, sign int32). */
export function intUnary(op: IntUnaryOp, x: Tensor, fn: string): Tensor {
  if (x.dtype === 'bool') {
    if (op === 'neg') throw new DTypeError(`${fn}: negating a bool tensor ${fmtShape(x.shape)} is not supported (as in NumPy); use logicalNot`);
    if (op === 'sign') return new Tensor(Int32Array.from(x.data), x.shape);
    return new Tensor(x.data.slice(), x.shape);
  }
  const d = x.data;
  const out = empty('int32', x.shape);
  const o = out.data;
  switch (op) {
    case 'neg': for (let i = 0; i < d.length; i++) o[i] = -d[i]; break;
    case 'abs': for (let i = 0; i < d.length; i++) o[i] = d[i] < 0 ? -d[i] : d[i]; break;
    case 'square': for (let i = 0; i < d.length; i++) o[i] = Math.imul(d[i], d[i]); break;
    case 'sign': for (let i = 0; i < d.length; i++) o[i] = Math.sign(d[i]); break;
  }
  return out;
}

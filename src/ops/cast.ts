// dtype conversion and the promotion of mixed operands. Binary ops cast their operands with the
// recorded astype below, so a float32 + float64 op's backward hands each input a gradient of its
// own dtype without a rule of its own.
import { DTypeError, fmtShape } from '../core/errors.js';
import { castData, checkDType, isFloatDType, promoteTypes, scalarDType } from '../tensor/dtype.js';
import { Tensor, recordOp, type DType, type TensorLike } from '../tensor/tensor.js';
import { registerOp } from './registry.js';
import { expectTensor, sampleUniform, toTensor } from './util.js';

/**
 * x's values as dtype (NumPy's astype, PyTorch's .to): float to int32 truncates toward zero, and NaN,
 * infinities and values outside int32's range are a ValueError (NumPy leaves them undefined); to
 * bool, nonzero is true. The same dtype gives x back. Float to float is differentiable (the
 * gradient is cast back); a cast to int32 or bool ends the graph.
 */
export function astype(x: Tensor, dtype: DType): Tensor {
  expectTensor(x, 'astype', 'x');
  checkDType('astype', dtype);
  if (x.dtype === dtype) return x;
  const out = new Tensor(castData(x.data, dtype, 'astype'), x.shape);
  if (!isFloatDType(dtype) || !isFloatDType(x.dtype)) return out;
  const from = x.dtype;
  return recordOp(out, 'astype', [x], (g) => [astype(g, from)]);
}

/** Alias of astype (tf.cast's name). */
export const cast = astype;

/** The dtype a binary op on a and b computes in, with JS numbers kept from upcasting (NumPy 2's rule for Python scalars). */
export function resultDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return typeof b === 'number' ? scalarDType(a.dtype, b) : a.dtype;
  if (b instanceof Tensor) return typeof a === 'number' ? scalarDType(b.dtype, a) : b.dtype;
  return 'float32';
}

/** Both operands as tensors of their promoted dtype (bool < int32 < float32 < float64), cast with recorded astype. */
export function pairOf(a: TensorLike, b: TensorLike, fn: string): [Tensor, Tensor] {
  const dtype = resultDType(a, b);
  return [promoted(a, dtype, fn, 'a'), promoted(b, dtype, fn, 'b')];
}

function promoted(x: TensorLike, dtype: DType, fn: string, arg: string): Tensor {
  const t = toTensor(x, dtype, fn, arg);
  return t.dtype === dtype ? t : astype(t, dtype);
}

/**
 * Both operands of one float dtype, for the kernels that PyTorch also refuses to mix (conv, matmul):
 * a number takes the tensor's dtype; two dtypes are a DTypeError naming both.
 */
export function sameDTypePair(a: TensorLike, b: TensorLike, fn: string): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = toTensor(a, dtype, fn, 'a');
  const tb = toTensor(b, dtype, fn, 'b');
  if (ta.dtype !== tb.dtype) {
    throw new DTypeError(`${fn}: operands have different dtypes (${ta.dtype} ${fmtShape(ta.shape)} and ${tb.dtype} ${fmtShape(tb.shape)}); convert one with x.astype(dtype)`);
  }
  return [ta, tb];
}

/** A DTypeError for an op NumPy refuses on bool operands (subtraction, negation). */
export function boolRefused(fn: string, x: Tensor, hint: string): DTypeError {
  return new DTypeError(`${fn}: not supported for bool ${fmtShape(x.shape)} (as in NumPy); ${hint}`);
}

// ---------- registry ----------

// float64 -> float32 -> float64 rounds each value to float32: a step of 1e-3 keeps that rounding
// (about 6e-8) far below the finite difference.
registerOp({
  name: 'astype', family: 'dtype',
  tolerance: { eps: 1e-3, atol: 1e-5, rtol: 1e-3 },
  samples: (rng) => [
    { label: 'astype float64 -> float32 -> float64', inputs: [sampleUniform(rng, [3, 4])], fn: (x) => astype(astype(x, 'float32'), 'float64') },
    // Mixed operands promote: the float32 operand's gradient comes back float32 through the cast.
    { label: 'mul float64 [3,4] x float32 [4] (promotion)', inputs: [sampleUniform(rng, [3, 4]), sampleUniform(rng, [4])],
      fn: (a, b) => { const b32 = astype(b, 'float32'); const y = b32.mul(a); if (y.dtype !== 'float64') throw new Error('no promotion'); return y; } },
    { label: 'add float32 [2,3] + float64 [] (promotion)', inputs: [sampleUniform(rng, [2, 3]), sampleUniform(rng, [])],
      fn: (a, b) => astype(a, 'float32').add(b).mul(astype(a, 'float32')) },
  ],
});

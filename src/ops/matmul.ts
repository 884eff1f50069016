import { FUSED_ACTIVATIONS, type FusedActivation } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { broadcastShapes, shapesEqual, sizeOf } from '../tensor/shape.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { relu, sigmoid, tanh } from './activation.js';
import { add, mul } from './elementwise.js';
import { epilogueBackward } from './fused.js';
import { registerOp } from './registry.js';
import { sum, sumTo } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';
import { empty, expectFloat, fd, kernelOutput, kernels, sampleUniform } from './util.js';
import { sameDTypePair } from './cast.js';
import { showJson } from '../core/validate.js';

/**
 * Batched product of stored matrices with optional transposes: op(a) . op(b) over the last two
 * axes, the leading axes broadcast. Its backward is four calls of itself.
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean, fn: string): Tensor {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(`${fn}: inner dimensions differ: a ${fmtShape(a.shape)} has ${k} columns but b ${fmtShape(b.shape)} has ${kb} rows`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = shapesEqual(aBatch, bBatch) ? aBatch : broadcastShapes(fn, aBatch, bBatch);
  const batch = sizeOf(batchShape);
  // A batch operand is either complete (stride = matrix size) or a single matrix repeated (stride 0).
  const full = (t: Tensor, tb: readonly number[]) =>
    sizeOf(tb) === 1 || shapesEqual(tb, batchShape) ? t : broadcastTo(t, [...batchShape, ...t.shape.slice(-2)]);
  const A = full(a, aBatch);
  const B = full(b, bBatch);
  const out = kernelOutput(a.dtype, [...batchShape, m, n]);
  kernels().matmul(fd(A), fd(B), fd(out), batch, m, k, n, transA, transB,
    sizeOf(A.shape.slice(0, -2)) === 1 ? 0 : m * k, sizeOf(B.shape.slice(0, -2)) === 1 ? 0 : k * n);
  return recordOp(out, 'matmul', [A, B], (g) => {
    // Only the products an input needs: a network's first layer never wants the data's gradient.
    const gradA = (): Tensor => {
      if (!transA && !transB) return matmulT(g, B, false, true, fn);
      if (transA && !transB) return matmulT(B, g, false, true, fn);
      if (!transA && transB) return matmulT(g, B, false, false, fn);
      return matmulT(B, g, true, true, fn);
    };
    const gradB = (): Tensor => {
      if (!transA && !transB) return matmulT(A, g, true, false, fn);
      if (transA && !transB) return matmulT(A, g, false, false, fn);
      if (!transA && transB) return matmulT(g, A, true, false, fn);
      return matmulT(g, A, true, true, fn);
    };
    return [A.requiresGrad ? sumTo(gradA(), A.shape) : null, B.requiresGrad ? sumTo(gradB(), B.shape) : null];
  });
}

/**
 * Matrix product as numpy.matmul: 2-D, batched with broadcasting over leading axes, and 1-D
 * operands promoted to a row (a) or column (b) then dropped from the result.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expectFloat(a, 'matmul', 'a');
  expectFloat(b, 'matmul', 'b');
  [a, b] = sameDTypePair(a, b, 'matmul');
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: operands must have at least 1 dimension, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  }
  const aVec = a.rank === 1;
  const bVec = b.rank === 1;
  const A = aVec ? reshape(a, [1, a.shape[0]]) : a;
  const B = bVec ? reshape(b, [b.shape[0], 1]) : b;
  if (A.shape[A.rank - 1] !== B.shape[B.rank - 2]) {
    throw new ShapeError(`matmul: a ${fmtShape(a.shape)} has ${A.shape[A.rank - 1]} columns but b ${fmtShape(b.shape)} has ${B.shape[B.rank - 2]} rows`);
  }
  let out = matmulT(A, B, false, false, 'matmul');
  if (aVec || bVec) {
    const s = [...out.shape];
    if (bVec) s.splice(s.length - 1, 1);
    if (aVec) s.splice(s.length - (bVec ? 1 : 2), 1);
    out = reshape(out, s);
  }
  return out;
}

/** Inner product of two vectors of one length. */
export function dot(a: Tensor, b: Tensor): Tensor {
  expectFloat(a, 'dot', 'a');
  expectFloat(b, 'dot', 'b');
  if (a.rank !== 1 || b.rank !== 1 || a.size !== b.size) {
    throw new ShapeError(`dot: needs two vectors of one length, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return sum(mul(a, b));
}

/** Outer product of two vectors: [n] x [m] -> [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  expectFloat(a, 'outer', 'a');
  expectFloat(b, 'outer', 'b');
  if (a.rank !== 1 || b.rank !== 1) throw new ShapeError(`outer: needs two vectors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

/**
 * A dense layer: activation(x . kernel + bias), kernel [in, out] as in Keras. On a batch of rows
 * (x of rank 2) it is one op whose GEMM kernel adds the bias and applies the activation.
 */
export function dense(x: Tensor, kernel: Tensor, bias?: Tensor | null, activation: FusedActivation = 'linear'): Tensor {
  expectFloat(x, 'dense', 'x');
  expectFloat(kernel, 'dense', 'kernel');
  if (kernel.rank !== 2) throw new ShapeError(`dense: kernel must be [in, out], got ${fmtShape(kernel.shape)}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== kernel.shape[0]) {
    throw new ShapeError(`dense: x ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features but kernel ${fmtShape(kernel.shape)} expects ${kernel.shape[0]}`);
  }
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new ValueError(`dense: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${showJson(activation)}`);
  }
  const b = bias ?? null;
  if (b !== null) {
    expectFloat(b, 'dense', 'bias');
    if (b.rank !== 1 || b.size !== kernel.shape[1]) {
      throw new ShapeError(`dense: bias ${fmtShape(b.shape)} must have shape [${kernel.shape[1]}] for kernel ${fmtShape(kernel.shape)}`);
    }
  }
  const [xs, ks] = sameDTypePair(x, kernel, 'dense');
  if (b !== null && b.dtype !== ks.dtype) throw new DTypeError(`dense: bias is ${b.dtype} but the kernel is ${ks.dtype}`);
  if (xs.rank === 2) return denseFused(xs, ks, b, activation);
  let z = matmul(xs, ks);
  if (b !== null) z = add(z, b);
  return FUSED[activation](z);
}

const FUSED: Record<FusedActivation, (z: Tensor) => Tensor> = { linear: (z) => z, relu, sigmoid, tanh };

function denseFused(x: Tensor, w: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
  const [m, k] = x.shape;
  const n = w.shape[1];
  const u = kernelOutput(x.dtype, [m, n]);
  kernels().matmul(fd(x), fd(w), fd(u), 1, m, k, n, false, false, 0, 0, { bias: bias ? fd(bias) : null, activation });
  return recordOp(u, 'dense', bias ? [x, w, bias] : [x, w], (du) => {
    const { dz, dbias } = epilogueBackward(du, u, activation, bias);
    return [
      x.requiresGrad ? matmulT(dz, w, false, true, 'dense') : null,
      w.requiresGrad ? matmulT(x, dz, true, false, 'dense') : null,
      dbias,
    ];
  });
}

registerOp({
  name: 'matmul', family: 'matmul',
  samples: (rng) => [
    { label: 'matmul [3,4]x[4,2]', inputs: [sampleUniform(rng, [3, 4]), sampleUniform(rng, [4, 2])], fn: matmul },
    { label: 'matmul batched [2,3,4]x[2,4,5]', inputs: [sampleUniform(rng, [2, 3, 4]), sampleUniform(rng, [2, 4, 5])], fn: matmul },
    { label: 'matmul broadcast [2,1,3,4]x[3,4,2]', inputs: [sampleUniform(rng, [2, 1, 3, 4]), sampleUniform(rng, [3, 4, 2])], fn: matmul },
    { label: 'matmul batch x matrix [2,3,4]x[4,2]', inputs: [sampleUniform(rng, [2, 3, 4]), sampleUniform(rng, [4, 2])], fn: matmul },
    { label: 'matmul vector x matrix', inputs: [sampleUniform(rng, [4]), sampleUniform(rng, [4, 3])], fn: matmul },
    { label: 'matmul matrix x vector', inputs: [sampleUniform(rng, [3, 4]), sampleUniform(rng, [4])], fn: matmul },
  ],
});
registerOp({
  name: 'dot', family: 'matmul',
  samples: (rng) => [{ label: 'dot [5]', inputs: [sampleUniform(rng, [5]), sampleUniform(rng, [5])], fn: dot }],
});
registerOp({
  name: 'outer', family: 'matmul',
  samples: (rng) => [{ label: 'outer [3]x[4]', inputs: [sampleUniform(rng, [3]), sampleUniform(rng, [4])], fn: outer }],
});
registerOp({
  name: 'dense', family: 'matmul',
  samples: (rng) => [
    { label: 'dense with bias', inputs: [sampleUniform(rng, [4, 3]), sampleUniform(rng, [3, 2]), sampleUniform(rng, [2])], fn: (x, k, b) => dense(x, k, b) },
    { label: 'dense no bias, batch of sequences', inputs: [sampleUniform(rng, [2, 4, 3]), sampleUniform(rng, [3, 2])], fn: (x, k) => dense(x, k) },
    ...(['relu', 'sigmoid', 'tanh'] as const).map((act) => ({
      label: `dense with bias, ${act}`, inputs: [sampleUniform(rng, [5, 4]), sampleUniform(rng, [4, 3]), sampleUniform(rng, [3])],
      fn: (x: Tensor, k: Tensor, b: Tensor) => dense(x, k, b, act),
    })),
    { label: 'dense no bias, sigmoid', inputs: [sampleUniform(rng, [3, 4]), sampleUniform(rng, [4, 2])], fn: (x, k) => dense(x, k, null, 'sigmoid') },
    { label: 'dense sequences, tanh', inputs: [sampleUniform(rng, [2, 3, 4]), sampleUniform(rng, [4, 2]), sampleUniform(rng, [2])], fn: (x, k, b) => dense(x, k, b, 'tanh') },
  ],
});

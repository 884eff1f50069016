import { ShapeError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, shapesEqual, sizeOf } from '../tensor/shape.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { add, mul } from './elementwise.js';
import { registerOp } from './registry.js';
import { sum, sumTo } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';
import { empty, expectTensor, kernels, pairOf, sampleUniform } from './util.js';

/**
 * Batched product of stored matrices with optional transposes: op(a) . op(b) over the last two
 * axes, the leading axes broadcast. Its backward is four calls of itself.
 */
function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean, fn: string): Tensor {
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
  const out = empty(a.dtype, [...batchShape, m, n]);
  kernels().matmul(A.data, B.data, out.data, batch, m, k, n, transA, transB,
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
  expectTensor(a, 'matmul', 'a');
  expectTensor(b, 'matmul', 'b');
  [a, b] = pairOf(a, b, 'matmul');
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
  expectTensor(a, 'dot', 'a');
  expectTensor(b, 'dot', 'b');
  if (a.rank !== 1 || b.rank !== 1 || a.size !== b.size) {
    throw new ShapeError(`dot: needs two vectors of one length, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return sum(mul(a, b));
}

/** Outer product of two vectors: [n] x [m] -> [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  expectTensor(a, 'outer', 'a');
  expectTensor(b, 'outer', 'b');
  if (a.rank !== 1 || b.rank !== 1) throw new ShapeError(`outer: needs two vectors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

/** A dense layer's affine map: x . kernel + bias, kernel [in, out] as in Keras. */
export function dense(x: Tensor, kernel: Tensor, bias?: Tensor | null): Tensor {
  expectTensor(x, 'dense', 'x');
  expectTensor(kernel, 'dense', 'kernel');
  if (kernel.rank !== 2) throw new ShapeError(`dense: kernel must be [in, out], got ${fmtShape(kernel.shape)}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== kernel.shape[0]) {
    throw new ShapeError(`dense: x ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features but kernel ${fmtShape(kernel.shape)} expects ${kernel.shape[0]}`);
  }
  const z = matmul(x, kernel);
  if (bias === undefined || bias === null) return z;
  expectTensor(bias, 'dense', 'bias');
  if (bias.rank !== 1 || bias.size !== kernel.shape[1]) {
    throw new ShapeError(`dense: bias ${fmtShape(bias.shape)} must have shape [${kernel.shape[1]}] for kernel ${fmtShape(kernel.shape)}`);
  }
  return add(z, bias);
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
  ],
});

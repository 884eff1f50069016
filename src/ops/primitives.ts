// The primitives the other op families build on and that need one another: reshape and
// broadcastTo (whose backward is sumTo), sum (whose backward is broadcastTo of a reshape) and sumTo
// (a sum and a reshape), with the strided copy and the reduce-kernel runner under them. They live
// in one module so that elementwise.ts, reduce.ts and shape.ts import them from here and not from
// one another: no import cycle between the files of src/ops.
import type { ReduceKernel } from '../backend/backend.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { broadcastShapes, checkShape, normAxes, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { describeValue, showJson } from '../core/validate.js';
import { Tensor, recordOp, type Axis, type TensorData } from '../tensor/tensor.js';
import { registerOp, type OpSample } from './registry.js';
import { isFloatData } from '../tensor/dtype.js';
import { empty, expectTensor, fd, kernels, sampleUniform } from './util.js';

export type { Axis };


/** Copies src, read with the given strides (0 repeats), into dst laid out contiguously in `shape`. */
export function copyStrided(src: TensorData, srcOffset: number, srcStrides: readonly number[], dst: TensorData, shape: readonly number[]): void {
  const rank = shape.length;
  const n = dst.length;
  if (n === 0) return;
  if (rank === 0) {
    dst[0] = src[srcOffset];
    return;
  }
  if (srcStrides[rank - 1] === 1 && rank > 1) {
    // Trailing axes that are contiguous in src too are one run (a slice of whole rows is one copy).
    let r = rank - 1;
    let run = shape[r];
    while (r > 0 && srcStrides[r - 1] === run) run *= shape[--r];
    if (r < rank - 1) {
      copyStrided(src, srcOffset, [...srcStrides.slice(0, r), 1], dst, [...shape.slice(0, r), run]);
      return;
    }
  }
  const inner = shape[rank - 1];
  const is = srcStrides[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let so = srcOffset;
  for (let o = 0; o < n; o += inner) {
    if (is === 1 && inner >= 64) {
      dst.set(src.subarray(so, so + inner), o);
    } else if (is === 1) {
      for (let j = 0; j < inner; j++) dst[o + j] = src[so + j];
    } else {
      for (let j = 0; j < inner; j++) dst[o + j] = src[so + j * is];
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      so += srcStrides[d];
      if (idx[d] < shape[d]) break;
      so -= srcStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Same values in a new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor(x, 'reshape', 'x');
  if (!Array.isArray(shape)) throw new ValueError(`reshape: shape must be an array of integers (one may be -1), got ${describeValue(shape)}`);
  const target = [...shape];
  const unknown = target.indexOf(-1);
  if (unknown >= 0) {
    if (target.indexOf(-1, unknown + 1) >= 0) throw new ValueError(`reshape: only one dimension may be -1, got ${fmtShape(shape)}`);
    const known = target.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} values) into ${fmtShape(shape)}`);
    }
    target[unknown] = x.size / known;
  }
  checkShape('reshape', target);
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} values) into ${fmtShape(shape)} (${sizeOf(target)} values)`);
  }
  if (shapesEqual(target, x.shape)) return x;
  const out = new Tensor(x.data, target);
  return recordOp(out, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

/** Repeats x along axes of size 1 (and new leading axes) to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor(x, 'broadcastTo', 'x');
  checkShape('broadcastTo', shape);
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(target, shape)) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  if (shapesEqual(x.shape, shape)) return x;
  const lead = shape.length - x.rank;
  const st = stridesOf(x.shape);
  const strides = shape.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : st[i - lead]));
  const out = empty(x.dtype, shape);
  copyStrided(x.data, 0, strides, out.data, shape);
  return recordOp(out, 'broadcastTo', [x], (g) => [sumTo(g, x.shape)]);
}

export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

export function finalShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Runs a reduce kernel over the given axes (no autograd); the result keeps reduced axes as 1. */
export function reduceKernel(op: ReduceKernel, x: Tensor, axes: readonly number[]): Tensor {
  const xd = x.data;
  if (!isFloatData(xd)) {
    // int32 and bool reduce exactly in float64 (any sum below 2^53); a sum is int32 (NumPy gives
    // int64) and wraps as an int32 accumulator would, max and min keep the dtype.
    const r = reduceKernel(op, new Tensor(Float64Array.from(xd), x.shape), axes);
    return new Tensor(op === 'sum' || x.dtype === 'int32' ? Int32Array.from(r.data) : Uint8Array.from(r.data), r.shape);
  }
  // Runs of adjacent reduced axes are reduced in one pass, from the last run to the first.
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  let cur = x;
  let shape = [...x.shape];
  for (let k = runs.length - 1; k >= 0; k--) {
    const [from, to] = runs[k];
    const len = shape.slice(from, to).reduce((p, d) => p * d, 1);
    if (len === 1) continue;
    const outer = shape.slice(0, from).reduce((p, d) => p * d, 1);
    const inner = shape.slice(to).reduce((p, d) => p * d, 1);
    shape = shape.map((d, i) => (i >= from && i < to ? 1 : d));
    const out = empty(x.dtype, shape);
    kernels().reduce(op, fd(cur), outer, len, inner, fd(out));
    cur = out;
  }
  return cur === x ? new Tensor(x.data.slice(), keptShape(x.shape, axes)) : new Tensor(cur.data, keptShape(x.shape, axes));
}

/** Sum over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: Axis, keepDims = false): Tensor {
  expectTensor(x, 'sum', 'x');
  const axes = normAxes('sum', axis, x.rank);
  const kept = reduceKernel('sum', x, axes);
  const out = new Tensor(kept.data, finalShape(x.shape, axes, keepDims));
  return recordOp(out, 'sum', [x], (g) => [broadcastTo(reshape(g, kept.shape), x.shape)]);
}

/** Sums a broadcast gradient back to `shape` (the adjoint of broadcastTo). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}


// ---------- registry ----------

const sumCases: [number[], Axis | undefined, boolean][] = [
  [[3, 4], undefined, false], [[3, 4], 0, false], [[2, 3, 4], 1, true], [[2, 3, 4], [0, 2], false], [[2, 3, 4], -1, false],
];
registerOp({
  name: 'sum', family: 'reduce',
  samples: (rng) => sumCases.map(([shape, axis, keep]): OpSample => ({
    label: `sum [${shape}] axis=${showJson(axis)} keepDims=${keep}`,
    inputs: [sampleUniform(rng, shape)],
    fn: (x) => sum(x, axis, keep),
  })),
});
registerOp({
  name: 'reshape', family: 'shape',
  samples: (rng) => [{ label: 'reshape [2,3,4]->[6,-1]', inputs: [sampleUniform(rng, [2, 3, 4])], fn: (x) => reshape(x, [6, -1]) }],
});
registerOp({
  name: 'broadcastTo', family: 'shape',
  samples: (rng) => [{ label: 'broadcastTo [3,1]->[2,3,4]', inputs: [sampleUniform(rng, [3, 1])], fn: (x) => broadcastTo(x, [2, 3, 4]) }],
});
registerOp({
  name: 'internal:sumTo', family: 'reduce',
  samples: (rng) => [
    { label: 'sumTo [2,3,4]->[3,1]', inputs: [sampleUniform(rng, [2, 3, 4])], fn: (g) => sumTo(g, [3, 1]) },
    { label: 'sumTo [2,3]->[]', inputs: [sampleUniform(rng, [2, 3])], fn: (g) => sumTo(g, []) },
  ],
});

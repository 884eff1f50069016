import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { normAxes, normAxis, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { describeValue, showJson } from '../core/validate.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { copyStrided, reshape } from './primitives.js';
import { registerOp, type OpSample } from './registry.js';
import { empty, expectTensor, sampleUniform } from './util.js';

// reshape and broadcastTo live with sum and sumTo in primitives.ts (their backwards need one another).
export { reshape, broadcastTo } from './primitives.js';

/** All values in one dimension (like torch.flatten / numpy ravel); from `startAxis` on when given. */
export function flatten(x: Tensor, startAxis = 0): Tensor {
  expectTensor(x, 'flatten', 'x');
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startAxis, x.rank, 'startAxis');
  return reshape(x, [...x.shape.slice(0, s), -1]);
}

/** Reorders the axes; without `perm` reverses them (matrix transpose for rank 2). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  expectTensor(x, 'transpose', 'x');
  if (perm !== undefined && !Array.isArray(perm)) throw new ValueError(`transpose: perm must be an array of axes, got ${describeValue(perm)}`);
  const p = perm ? perm.map((a) => normAxis('transpose', a, x.rank, 'perm')) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new ValueError(`transpose: perm [${perm?.join(',')}] is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  const shape = p.map((a) => x.shape[a]);
  const st = stridesOf(x.shape);
  const out = empty(x.dtype, shape);
  copyStrided(x.data, 0, p.map((a) => st[a]), out.data, shape);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => { inverse[a] = i; });
  return recordOp(out, 'transpose', [x], (g) => [transpose(g, inverse)]);
}

/** Alias of transpose with an explicit order, as in PyTorch. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return transpose(x, perm);
}

/** Removes axes of size 1 (all of them, or the given ones). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  expectTensor(x, 'squeeze', 'x');
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, x.rank);
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Inserts an axis of size 1 at `axis` (negative counts from the end of the new shape). */
export function expandDims(x: Tensor, axis = 0): Tensor {
  expectTensor(x, 'expandDims', 'x');
  const a = normAxis('expandDims', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/**
 * The block starting at `begin` with `size` along each axis (size -1 or omitted: to the end),
 * as tf.slice.
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  expectTensor(x, 'slice', 'x');
  if (!Array.isArray(begin)) throw new ValueError(`slice: begin must be an array of integers, got ${describeValue(begin)}`);
  if (size !== undefined && !Array.isArray(size)) throw new ValueError(`slice: size must be an array of integers, got ${describeValue(size)}`);
  if (begin.length > x.rank || (size && size.length > x.rank)) {
    throw new ShapeError(`slice: begin [${begin}] and size [${size ?? ''}] have more entries than the axes of ${fmtShape(x.shape)}`);
  }
  const b = x.shape.map((_, i) => begin[i] ?? 0);
  const s = x.shape.map((d, i) => (size?.[i] === undefined || size[i] === -1 ? d - b[i] : size[i]));
  for (let i = 0; i < x.rank; i++) {
    if (!Number.isInteger(b[i]) || !Number.isInteger(s[i]) || b[i] < 0 || s[i] < 0 || b[i] + s[i] > x.shape[i]) {
      throw new ShapeError(`slice: begin ${b[i]} with size ${s[i]} is outside axis ${i} of ${fmtShape(x.shape)}`);
    }
  }
  if (s.every((d, i) => d === x.shape[i])) return x;
  const st = stridesOf(x.shape);
  const offset = b.reduce((o, v, i) => o + v * st[i], 0);
  const out = empty(x.dtype, s);
  copyStrided(x.data, offset, st, out.data, s);
  return recordOp(out, 'slice', [x], (g) => [pad(g, x.shape.map((d, i) => [b[i], d - b[i] - s[i]] as [number, number]))]);
}

/** Pads with `value`: paddings holds [before, after] per axis. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  expectTensor(x, 'pad', 'x');
  if (!Array.isArray(paddings) || !paddings.every((p) => Array.isArray(p) && p.length === 2)) throw new ValueError(`pad: paddings must be an array of [before, after] pairs, one per axis, got ${describeValue(paddings)}`);
  if (paddings.length !== x.rank) {
    throw new ShapeError(`pad: paddings has ${paddings.length} entries but x ${fmtShape(x.shape)} has ${x.rank} axes`);
  }
  for (const [lo, hi] of paddings) {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < 0) {
      throw new ValueError(`pad: paddings must be non-negative integers, got ${showJson(paddings)}`);
    }
  }
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = empty(x.dtype, shape);
  if (value !== 0) out.data.fill(value);
  const ost = stridesOf(shape);
  const offset = paddings.reduce((o, [lo], i) => o + lo * ost[i], 0);
  // Scatter x into the interior: walk x's rows contiguously.
  if (x.size > 0) {
    const rank = x.rank;
    if (rank === 0) {
      out.data[0] = x.data[0];
    } else {
      const inner = x.shape[rank - 1];
      const idx = new Array<number>(rank).fill(0);
      let oo = offset;
      for (let i = 0; i < x.size; i += inner) {
        for (let j = 0; j < inner; j++) out.data[oo + j] = x.data[i + j];
        for (let d = rank - 2; d >= 0; d--) {
          idx[d]++;
          oo += ost[d];
          if (idx[d] < x.shape[d]) break;
          oo -= ost[d] * x.shape[d];
          idx[d] = 0;
        }
      }
    }
  }
  return recordOp(out, 'pad', [x], (g) => [slice(g, paddings.map(([lo]) => lo), x.shape)]);
}

/** Reverses the order of elements along the given axes (all when omitted). */
export function flip(x: Tensor, axis?: number | readonly number[]): Tensor {
  expectTensor(x, 'flip', 'x');
  const axes = normAxes('flip', axis, x.rank);
  const st = stridesOf(x.shape);
  const strides = st.map((s, i) => (axes.includes(i) ? -s : s));
  const offset = axes.reduce((o, a) => o + (x.shape[a] - 1) * st[a], 0);
  const out = empty(x.dtype, x.shape);
  copyStrided(x.data, offset, strides, out.data, x.shape);
  return recordOp(out, 'flip', [x], (g) => [flip(g, axes)]);
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new ValueError(`concat: needs a non-empty array of tensors, got ${describeValue(tensors)}`);
  tensors.forEach((t, i) => expectTensor(t, 'concat', `tensors[${i}]`));
  const first = tensors[0];
  const a = normAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.dtype !== first.dtype) throw new ValueError(`concat: mixed dtypes ${first.dtype} and ${t.dtype}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${tensors.map((u) => fmtShape(u.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  if (tensors.length === 1) return first;
  const shape = [...first.shape];
  shape[a] = tensors.reduce((n, t) => n + t.shape[a], 0);
  const out = empty(first.dtype, shape);
  let outer = 1;
  for (let i = 0; i < a; i++) outer *= shape[i];
  const rowOut = sizeOf(shape.slice(a));
  let col = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    starts.push(col);
    const rowIn = sizeOf(t.shape.slice(a));
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * rowIn, (o + 1) * rowIn), o * rowOut + col);
    col += rowIn;
  }
  let at = 0;
  const offsets = tensors.map((t) => { const b = at; at += t.shape[a]; return b; });
  return recordOp(out, 'concat', tensors, (g) => tensors.map((t, i) => {
    const begin = new Array<number>(g.rank).fill(0);
    begin[a] = offsets[i];
    return slice(g, begin, t.shape);
  }));
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!tensors || tensors.length === 0) throw new ValueError('stack: needs a non-empty array of tensors');
  const first = expectTensor(tensors[0], 'stack', 'tensors[0]');
  for (const t of tensors) {
    if (!shapesEqual(expectTensor(t, 'stack', 'tensors').shape, first.shape)) {
      throw new ShapeError(`stack: all tensors need one shape, got ${tensors.map((u) => fmtShape(u.shape)).join(', ')}`);
    }
  }
  const a = normAxis('stack', axis, first.rank + 1);
  return concat(tensors.map((t) => expandDims(t, a)), a);
}

function indexArray(fn: string, indices: Tensor | readonly number[], size: number): { idx: Int32Array; shape: number[] } {
  if (!(indices instanceof Tensor) && !Array.isArray(indices)) throw new ValueError(`${fn}: indices must be a Tensor or an array of integers, got ${describeValue(indices)}`);
  const values: ArrayLike<number> = indices instanceof Tensor ? indices.data : indices;
  const shape = indices instanceof Tensor ? [...indices.shape] : [values.length];
  const idx = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const k = v < 0 ? v + size : v;
    if (!Number.isInteger(v) || k < 0 || k >= size) {
      throw new ValueError(`${fn}: index ${v} at position ${i} is out of range for an axis of size ${size}`);
    }
    idx[i] = k;
  }
  return { idx, shape };
}

/** Picks entries along `axis` by integer indices (any shape; negative counts from the end). */
export function gather(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  expectTensor(x, 'gather', 'x');
  const a = normAxis('gather', axis, x.rank);
  const { idx, shape: ishape } = indexArray('gather', indices, x.shape[a]);
  return gatherIndexed(x, idx, ishape, a);
}

function gatherIndexed(x: Tensor, idx: Int32Array, ishape: readonly number[], a: number): Tensor {
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const shape = [...x.shape.slice(0, a), ...ishape, ...x.shape.slice(a + 1)];
  const out = empty(x.dtype, shape);
  const n = idx.length;
  if (outer === 1 && inner === 1) {
    // A flat pick: one tight loop.
    const od = out.data;
    const xd = x.data;
    for (let j = 0; j < n; j++) od[j] = xd[idx[j]];
    return recordOp(out, 'gather', [x], (g) => [scatterAdd(g, idx, ishape, a, x.shape)]);
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = (o * x.shape[a] + idx[j]) * inner;
      const dst = (o * n + j) * inner;
      for (let k = 0; k < inner; k++) out.data[dst + k] = x.data[src + k];
    }
  }
  return recordOp(out, 'gather', [x], (g) => [scatterAdd(g, idx, ishape, a, x.shape)]);
}

/** The adjoint of gather: adds g's entries into a zero tensor of `shape` at the indices. */
function scatterAdd(g: Tensor, idx: Int32Array, ishape: readonly number[], a: number, shape: readonly number[]): Tensor {
  const outer = sizeOf(shape.slice(0, a));
  const inner = sizeOf(shape.slice(a + 1));
  const out = empty(g.dtype, shape);
  const n = idx.length;
  if (outer === 1 && inner === 1) {
    const od = out.data;
    const gd = g.data;
    for (let j = 0; j < n; j++) od[idx[j]] += gd[j];
    return recordOp(out, 'scatterAdd', [g], (gg) => [gatherIndexed(gg, idx, ishape, a)]);
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = (o * shape[a] + idx[j]) * inner;
      const src = (o * n + j) * inner;
      for (let k = 0; k < inner; k++) out.data[dst + k] += g.data[src + k];
    }
  }
  return recordOp(out, 'scatterAdd', [g], (gg) => [gatherIndexed(gg, idx, ishape, a)]);
}

/** Internal: gathers from the flattened x at precomputed flat indices (max pooling uses it). */
export function takeFlat(x: Tensor, idx: Int32Array, shape: readonly number[]): Tensor {
  return reshape(gatherIndexed(reshape(x, [x.size]), idx, [idx.length], 0), shape);
}

/** One-hot rows: labels [..] of integers in [0, depth) become [.., depth] of 0/1. */
export function oneHot(labels: Tensor | readonly number[] | Int32Array, depth: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  if (!Number.isInteger(depth) || depth <= 0) throw new ValueError(`oneHot: depth must be a positive integer, got ${describeValue(depth)}`);
  const values: ArrayLike<number> = labels instanceof Tensor ? labels.data : labels;
  const shape = labels instanceof Tensor ? [...labels.shape] : [values.length];
  const out = empty(dtype, [...shape, depth]);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= depth) {
      throw new ValueError(`oneHot: label ${v} at position ${i} is not an integer in [0, ${depth})`);
    }
    out.data[i * depth + v] = 1;
  }
  return out;
}

// ---------- registry ----------

const one = (name: string, label: string, shape: number[], fn: (x: Tensor) => Tensor) =>
  (rng: Random): OpSample => ({ label: `${name} ${label}`, inputs: [sampleUniform(rng, shape)], fn });

function reg(name: string, cases: ((rng: Random) => OpSample)[]): void {
  registerOp({ name, family: 'shape', samples: (rng) => cases.map((c) => c(rng)) });
}

reg('flatten', [one('flatten', '[2,3,4]', [2, 3, 4], (x) => flatten(x)), one('flatten', 'from 1', [2, 3, 4], (x) => flatten(x, 1))]);
reg('transpose', [one('transpose', '[3,4]', [3, 4], (x) => transpose(x)), one('transpose', 'perm [1,2,0]', [2, 3, 4], (x) => transpose(x, [1, 2, 0]))]);
reg('permute', [one('permute', '[0,3,1,2]', [2, 3, 4, 2], (x) => permute(x, [0, 3, 1, 2]))]);
reg('squeeze', [one('squeeze', '[1,3,1]', [1, 3, 1], (x) => squeeze(x)), one('squeeze', 'axis 0', [1, 3, 1], (x) => squeeze(x, 0))]);
reg('expandDims', [one('expandDims', 'axis -1', [2, 3], (x) => expandDims(x, -1))]);
reg('slice', [one('slice', 'middle', [4, 5], (x) => slice(x, [1, 2], [2, -1])), one('slice', '3-D', [3, 4, 5], (x) => slice(x, [1, 0, 1], [1, 3, 3]))]);
reg('pad', [one('pad', '[[1,2],[0,1]]', [2, 3], (x) => pad(x, [[1, 2], [0, 1]], 0.5))]);
reg('flip', [one('flip', 'all', [2, 3], (x) => flip(x)), one('flip', 'axis 1', [2, 3, 4], (x) => flip(x, 1))]);
reg('gather', [
  one('gather', 'axis 0 with repeats', [4, 3], (x) => gather(x, [3, 0, 3, 1], 0)),
  one('gather', 'axis 1, 2-D indices', [2, 4, 3], (x) => gather(x, tensorOfIndices([[0, 2], [3, 3]]), 1)),
]);
registerOp({
  name: 'concat', family: 'shape',
  samples: (rng) => [{ label: 'concat axis 1', inputs: [sampleUniform(rng, [2, 3]), sampleUniform(rng, [2, 2])], fn: (a, b) => concat([a, b], 1) }],
});
registerOp({
  name: 'stack', family: 'shape',
  samples: (rng) => [{ label: 'stack axis 1', inputs: [sampleUniform(rng, [2, 3]), sampleUniform(rng, [2, 3])], fn: (a, b) => stack([a, b], 1) }],
});

function tensorOfIndices(rows: number[][]): Tensor {
  const t = empty('float32', [rows.length, rows[0].length]);
  rows.flat().forEach((v, i) => { t.data[i] = v; });
  return t;
}

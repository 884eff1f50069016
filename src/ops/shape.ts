import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { normAxes, normAxis, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { describeValue, showJson } from '../core/validate.js';
import { DTypeError } from '../core/errors.js';
import { promoteTypes } from '../tensor/dtype.js';
import { Tensor, fromNested, recordOp, type NestedArray, type NestedValues } from '../tensor/tensor.js';
import { astype } from './cast.js';
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
 * as tf.slice; or, given a string, NumPy's basic indexing (see sliceSpec): `slice(x, ':, 1:3')`.
 */
export function slice(x: Tensor, begin: readonly number[] | string, size?: readonly number[]): Tensor {
  if (typeof begin === 'string') return sliceSpec(x, begin);
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
  const dtype = tensors.reduce((d, t) => promoteTypes(d, t.dtype), first.dtype);
  if (tensors.some((t) => t.dtype !== dtype)) return concat(tensors.map((t) => astype(t, dtype)), axis); // NumPy promotes
  for (const t of tensors) {
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

// ---------- NumPy-style indexing: take along an axis, boolean masks, slice strings ----------

/** Integer indices from a tensor (int32, or float holding integers) or nested arrays. */
function indexTensor(fn: string, indices: Tensor | NestedArray): Tensor {
  const t = indices instanceof Tensor ? indices : (Array.isArray(indices) || typeof indices === 'number') ? fromNested(indices, 'float64', fn) : null;
  if (t === null) throw new ValueError(`${fn}: indices must be an int32 Tensor or nested arrays of integers, got ${describeValue(indices)}`);
  if (t.dtype === 'bool') throw new DTypeError(`${fn}: indices are bool ${fmtShape(t.shape)}; a bool mask selects with maskedSelect`);
  return t;
}

/**
 * np.take_along_axis / torch.gather: out[..., j, ...] = x[..., indices[..., j, ...], ...] along
 * `axis` (default -1). indices has x's rank; the other axes broadcast against x's, as NumPy's.
 * Negative indices count from the end. Differentiable in x (the backward adds into the picked cells).
 */
export function takeAlongAxis(x: Tensor, indices: Tensor | NestedArray, axis = -1): Tensor {
  const fn = 'takeAlongAxis';
  expectTensor(x, fn, 'x');
  const idx = indexTensor(fn, indices);
  if (x.rank === 0) throw new ShapeError(`${fn}: x must have at least one axis, got a scalar`);
  const a = normAxis(fn, axis, x.rank);
  if (idx.rank !== x.rank) {
    throw new ShapeError(`${fn}: indices ${fmtShape(idx.shape)} must have the rank of x ${fmtShape(x.shape)} (${x.rank}); add axes with expandDims`);
  }
  const shape = x.shape.map((d, i) => {
    if (i === a) return idx.shape[i];
    const e = idx.shape[i];
    if (d !== e && d !== 1 && e !== 1) {
      throw new ShapeError(`${fn}: indices ${fmtShape(idx.shape)} and x ${fmtShape(x.shape)} do not broadcast at axis ${i} (${e} vs ${d}; axis ${a} is the one taken along)`);
    }
    return d === 1 ? e : d;
  });
  const n = sizeOf(shape);
  const xst = stridesOf(x.shape);
  const ist = stridesOf(idx.shape);
  const len = x.shape[a];
  const flat = new Int32Array(n);
  const coord = new Array<number>(shape.length).fill(0);
  for (let j = 0; j < n; j++) {
    let io = 0;
    let xo = 0;
    for (let d = 0; d < shape.length; d++) {
      if (idx.shape[d] !== 1) io += coord[d] * ist[d];
      if (d !== a && x.shape[d] !== 1) xo += coord[d] * xst[d];
    }
    const v = idx.data[io];
    const k = v < 0 ? v + len : v;
    if (!Number.isInteger(v) || k < 0 || k >= len) {
      throw new ValueError(`${fn}: index ${v} at position [${coord.join(',')}] of indices ${fmtShape(idx.shape)} is out of range for axis ${a} of x ${fmtShape(x.shape)} (size ${len})`);
    }
    flat[j] = xo + k * xst[a];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
  return takeFlat(x, flat, shape);
}

/**
 * The entries of x where mask is true, in row-major order, as a 1-D tensor (torch.masked_select;
 * NumPy's x[mask] when the shapes match). mask is a bool tensor or nested booleans and broadcasts
 * against x. Differentiable in x.
 */
export function maskedSelect(x: Tensor, mask: Tensor | NestedValues): Tensor {
  const fn = 'maskedSelect';
  expectTensor(x, fn, 'x');
  const m = mask instanceof Tensor ? mask : (Array.isArray(mask) || typeof mask === 'boolean') ? fromNested(mask, undefined, fn) : null;
  if (m === null) throw new ValueError(`${fn}: mask must be a bool Tensor or nested booleans, got ${describeValue(mask)}`);
  if (m.dtype !== 'bool') {
    throw new DTypeError(`${fn}: mask ${fmtShape(m.shape)} is ${m.dtype}, not bool; make one with a comparison (x.gt(0)) or mask.astype('bool')`);
  }
  const rank = Math.max(x.rank, m.rank);
  const xs = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
  const ms = [...new Array<number>(rank - m.rank).fill(1), ...m.shape];
  const shape = xs.map((d, i) => {
    if (d !== ms[i] && d !== 1 && ms[i] !== 1) throw new ShapeError(`${fn}: mask ${fmtShape(m.shape)} and x ${fmtShape(x.shape)} cannot be broadcast together (axis ${i - rank}: ${ms[i]} vs ${d})`);
    return d === 1 ? ms[i] : d;
  });
  const n = sizeOf(shape);
  const xst = stridesOf(xs);
  const mst = stridesOf(ms);
  const picks: number[] = [];
  const coord = new Array<number>(rank).fill(0);
  for (let j = 0; j < n; j++) {
    let mo = 0;
    let xo = 0;
    for (let d = 0; d < rank; d++) {
      if (ms[d] !== 1) mo += coord[d] * mst[d];
      if (xs[d] !== 1) xo += coord[d] * xst[d];
    }
    if (m.data[mo] !== 0) picks.push(xo);
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
  return takeFlat(x, Int32Array.from(picks), [picks.length]);
}

type SliceItem = { kind: 'index'; index: number } | { kind: 'range'; start: number | null; stop: number | null; step: number | null }
  | { kind: 'ellipsis' } | { kind: 'newaxis' };

function parseSliceSpec(spec: string, fn: string): SliceItem[] {
  const bad = (why: string) => new ValueError(`${fn}: cannot read index '${spec}': ${why}`);
  if (spec.trim() === '') throw bad("it is empty (':' takes everything)");
  const int = /^[+-]?\d+$/;
  return spec.split(',').map((raw, k): SliceItem => {
    const part = raw.trim();
    if (part === '...') return { kind: 'ellipsis' };
    if (part === 'None' || part === 'newaxis') return { kind: 'newaxis' };
    if (int.test(part)) return { kind: 'index', index: Number(part) };
    const pieces = part.split(':');
    if (pieces.length < 2 || pieces.length > 3) throw bad(`item ${k + 1} '${part}' is not an integer, start:stop[:step], '...' or None`);
    const nums = pieces.map((p) => {
      const q = p.trim();
      if (q === '') return null;
      if (!int.test(q)) throw bad(`item ${k + 1} '${part}' has '${q}', not an integer`);
      return Number(q);
    });
    if (nums[2] === 0) throw bad(`item ${k + 1} '${part}' has step 0`);
    return { kind: 'range', start: nums[0], stop: nums[1], step: nums[2] ?? null };
  });
}

/**
 * NumPy's basic indexing from a string: comma-separated items, each `start:stop:step` (any part
 * omitted; negative counts from the end; out-of-range bounds are clipped as Python's slices are),
 * an integer (picks one entry and drops the axis; out of range is a ValueError), `...` (the
 * axes not named) or `None` (a new axis of size 1). `x.slice(':, 1:3')`, `x.slice('..., ::-2')`,
 * `x.slice('0, None')`. Differentiable: the backward adds the gradient into the picked cells.
 */
export function sliceSpec(x: Tensor, spec: string): Tensor {
  const fn = 'slice';
  expectTensor(x, fn, 'x');
  if (typeof spec !== 'string') throw new ValueError(`${fn}: the index must be a string such as ':, 1:3', got ${describeValue(spec)}`);
  const items = parseSliceSpec(spec, fn);
  const ellipses = items.filter((it) => it.kind === 'ellipsis').length;
  if (ellipses > 1) throw new ValueError(`${fn}: cannot read index '${spec}': '...' may appear once`);
  const named = items.filter((it) => it.kind === 'index' || it.kind === 'range').length;
  if (named > x.rank) {
    throw new ValueError(`${fn}: index '${spec}' names ${named} axes but x ${fmtShape(x.shape)} has ${x.rank}`);
  }
  const full: SliceItem[] = [];
  for (const it of items) {
    if (it.kind === 'ellipsis') for (let i = 0; i < x.rank - named; i++) full.push({ kind: 'range', start: null, stop: null, step: null });
    else full.push(it);
  }
  while (full.filter((it) => it.kind !== 'newaxis').length < x.rank) full.push({ kind: 'range', start: null, stop: null, step: null });
  // Per input axis: the first index, the step and the count; the output shape with new axes.
  const starts: number[] = [];
  const steps: number[] = [];
  const counts: number[] = [];
  const outShape: number[] = [];
  let dim = 0;
  for (const it of full) {
    if (it.kind === 'newaxis') {
      outShape.push(1);
      continue;
    }
    const size = x.shape[dim];
    if (it.kind === 'index') {
      const i = it.index < 0 ? it.index + size : it.index;
      if (i < 0 || i >= size) {
        throw new ValueError(`${fn}: index ${it.index} in '${spec}' is out of range for dimension ${dim} of x ${fmtShape(x.shape)} (size ${size})`);
      }
      starts.push(i); steps.push(1); counts.push(1);
    } else if (it.kind === 'range') {
      const step = it.step ?? 1;
      // Python's slice.indices: clip the bounds to the axis.
      const clip = (v: number | null, dflt: number, lo: number, hi: number) => {
        if (v === null) return dflt;
        const w = v < 0 ? v + size : v;
        return Math.min(Math.max(w, lo), hi);
      };
      const start = step > 0 ? clip(it.start, 0, 0, size) : clip(it.start, size - 1, -1, size - 1);
      const stop = step > 0 ? clip(it.stop, size, 0, size) : clip(it.stop, -1, -1, size - 1);
      const count = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
      starts.push(count > 0 ? start : 0); steps.push(step); counts.push(count);
      outShape.push(count);
    }
    dim++;
  }
  const st = stridesOf(x.shape);
  const n = sizeOf(counts);
  const flat = new Int32Array(n);
  const coord = new Array<number>(x.rank).fill(0);
  for (let j = 0; j < n; j++) {
    let o = 0;
    for (let d = 0; d < x.rank; d++) o += (starts[d] + coord[d] * steps[d]) * st[d];
    flat[j] = o;
    for (let d = x.rank - 1; d >= 0; d--) {
      if (++coord[d] < counts[d]) break;
      coord[d] = 0;
    }
  }
  return takeFlat(x, flat, outShape);
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
reg('slice', [
  one('slice', 'middle', [4, 5], (x) => slice(x, [1, 2], [2, -1])), one('slice', '3-D', [3, 4, 5], (x) => slice(x, [1, 0, 1], [1, 3, 3])),
  one('slice', "':, 1:3'", [3, 4], (x) => slice(x, ':, 1:3')), one('slice', "'..., ::-2, None'", [2, 3, 5], (x) => slice(x, '..., ::-2, None')),
  one('slice', "'-1, 1::2'", [3, 5], (x) => slice(x, '-1, 1::2')),
]);
reg('takeAlongAxis', [
  one('takeAlongAxis', 'axis 1 with repeats', [3, 4], (x) => takeAlongAxis(x, [[3, 3], [0, 1], [2, -1]], 1)),
  one('takeAlongAxis', 'axis 0, broadcast indices', [3, 2, 4], (x) => takeAlongAxis(x, [[[2, 0, 0, 1]]], 0)),
]);
reg('maskedSelect', [
  one('maskedSelect', 'same shape', [3, 4], (x) => maskedSelect(x, x.detach().gt(0))),
  one('maskedSelect', 'broadcast mask', [2, 3], (x) => maskedSelect(x, [false, true, true])),
]);
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

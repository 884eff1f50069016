// ONNX operators on gradlab tensors, each made of gradlab's differentiable ops so that an
// imported model trains. Tensors keep ONNX's own layout (NCHW); convolutions and pooling
// transpose to gradlab's NHWC and back inside the op.
import { FormatError } from '../../core/errors.js';
import { Tensor, recordOp, type DType } from '../../tensor/tensor.js';
import { rand } from '../../tensor/creation.js';
import {
  abs, add, avgPool2d, concat, conv2d, conv2dTranspose, div, elu, exp, gather, leakyRelu, log, logSoftmax, logSumExp, matmul,
  max, maximum, mean, min, minimum, mul, neg, pad, pow, relu, reshape, sigmoid, slice, softmax, softplus, sqrt, square, sub, sum,
  tanh, transpose, maxPool2d, broadcastTo, where, gt, lt, ge, le, eq,
} from '../../ops/index.js';
import { erf as erfScalar } from '../../ops/special.js';
import { BATCH, DT, MAX_COMPUTED, isFloatType, sizeOfDims, type AttrValue, type Attrs, type Const } from './proto.js';

/** An op input: a tensor (computed or a weight), a constant known at load time, or absent. */
export type Value = Tensor | Const | null;

export interface OpContext {
  readonly op: string;
  readonly attrs: Readonly<Attrs>;
  readonly opset: number;
  /** How errors name the node, e.g. "node 3 ('/conv1/Conv') (Conv)". */
  readonly where: string;
  readonly training: boolean;
  /** Whether the layer is trainable (a frozen BatchNormalization runs in inference mode). */
  readonly trainable: boolean;
}

/** What a float constant in an input slot becomes: a trainable weight, a non-trainable one (state), or a constant. */
export type SlotRole = 'param' | 'state' | 'const';

export interface OpDef {
  run(inputs: readonly Value[], ctx: OpContext): Tensor[];
  /** The role of a float constant of `size` values in input slot i (default 'const'). */
  slot?(i: number, opset: number, size: number): SlotRole;
  /** Input slots that must be known at load time (shapes, axes, pads). */
  constSlots?(opset: number): readonly number[];
}

export function isConst(v: Value): v is Const {
  return v !== null && !(v instanceof Tensor);
}

function fail(ctx: OpContext, msg: string): never {
  throw new FormatError(`loadOnnx: ${ctx.where}, opset ${ctx.opset}: ${msg}`);
}

// ---------- attributes and constant inputs ----------

function attr(ctx: OpContext, name: string): AttrValue | undefined {
  return Object.prototype.hasOwnProperty.call(ctx.attrs, name) ? ctx.attrs[name] : undefined;
}

function ai(ctx: OpContext, name: string, dflt: number): number {
  const v = attr(ctx, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(ctx, `attribute ${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function ais(ctx: OpContext, name: string): number[] | undefined {
  const v = attr(ctx, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(ctx, `attribute ${name} must be a list of numbers`);
  return v as number[];
}

function astr(ctx: OpContext, name: string, dflt: string): string {
  const v = attr(ctx, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'string') fail(ctx, `attribute ${name} must be a string`);
  return v;
}

/** A constant input's values as plain numbers (the batch symbol is not allowed here). */
function ints(ctx: OpContext, v: Value, what: string): number[] {
  if (v === null) fail(ctx, `${what} is missing`);
  if (!isConst(v)) fail(ctx, `${what} must be a constant known at load time`);
  const out: number[] = [];
  for (let i = 0; i < v.data.length; i++) {
    const x = v.data[i] as number | string;
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(ctx, `${what} must hold finite numbers, got ${JSON.stringify(x)}`);
    out.push(x);
  }
  return out;
}

function scalarOf(ctx: OpContext, v: Value, what: string, dflt: number): number {
  if (v === null) return dflt;
  if (v instanceof Tensor) {
    if (v.size !== 1) fail(ctx, `${what} must be a scalar`);
    return v.data[0];
  }
  const xs = ints(ctx, v, what);
  if (xs.length !== 1) fail(ctx, `${what} must be a scalar, got ${xs.length} values`);
  return xs[0];
}

const tensorCache = new WeakMap<Const, Tensor>();

/** A constant as a tensor of the given dtype (cached). */
export function constTensor(c: Const, dtype: DType = c.type === DT.DOUBLE ? 'float64' : 'float32'): Tensor {
  const hit = tensorCache.get(c);
  if (hit && hit.dtype === dtype) return hit;
  const data = dtype === 'float64' ? new Float64Array(c.data.length) : new Float32Array(c.data.length);
  for (let i = 0; i < c.data.length; i++) {
    const x = c.data[i];
    if (typeof x !== 'number') throw new FormatError(`loadOnnx: the batch size cannot be used as data here`);
    data[i] = x;
  }
  const t = new Tensor(data, c.dims);
  tensorCache.set(c, t);
  return t;
}

function T(v: Value | undefined, like?: Tensor): Tensor {
  if (v === null || v === undefined) throw new FormatError('loadOnnx: a required input of an op is missing');
  if (v instanceof Tensor) return like && v.dtype !== like.dtype && !v.requiresGrad ? constTensor({ type: 0, dims: v.shape, data: v.data }, like.dtype) : v;
  return constTensor(v, like?.dtype);
}

function firstTensor(inputs: readonly Value[]): Tensor | undefined {
  return inputs.find((v): v is Tensor => v instanceof Tensor);
}

function normAxis(ctx: OpContext, a: number, rank: number): number {
  const r = a < 0 ? a + rank : a;
  if (!Number.isInteger(r) || r < 0 || r >= Math.max(rank, 1)) fail(ctx, `axis ${a} is out of range for rank ${rank}`);
  return r;
}

/** Refuses outputs too large for one sample before they are allocated (hostile sizes in a file). */
function checkOutput(ctx: OpContext, shape: readonly number[]): void {
  const per = sizeOfDims(shape.slice(1));
  if (!(per <= MAX_COMPUTED) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(ctx, `the output [${shape.join(',')}] is too large or malformed`);
}

// ---------- layout helpers ----------

const toNHWC = (x: Tensor) => transpose(x, [0, 2, 3, 1]);
const toNCHW = (x: Tensor) => transpose(x, [0, 3, 1, 2]);

/** Spatial rank 1 or 2 as rank 2 (a 1-D op runs over H = 1). */
function as2d(ctx: OpContext, x: Tensor): { x4: Tensor; oneD: boolean } {
  if (x.rank === 4) return { x4: x, oneD: false };
  if (x.rank === 3) return { x4: reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]), oneD: true };
  return fail(ctx, `input of rank ${x.rank} (${x.rank - 2}-D) is not supported; 1-D and 2-D only`);
}

function list2(ctx: OpContext, name: string, oneD: boolean, dflt: number): [number, number] {
  const v = ais(ctx, name);
  if (v === undefined) return [dflt, dflt];
  if (v.length !== (oneD ? 1 : 2)) fail(ctx, `attribute ${name} has ${v.length} values for ${oneD ? 1 : 2} spatial axes`);
  return oneD ? [1, v[0]] : [v[0], v[1]];
}

/** [top, left, bottom, right] for an op's pads/auto_pad. */
function spatialPads(ctx: OpContext, oneD: boolean, inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number]): [number, number, number, number] {
  const auto = astr(ctx, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = ais(ctx, 'pads');
    if (p === undefined) return [0, 0, 0, 0];
    if (p.length !== (oneD ? 2 : 4) || p.some((x) => x < 0 || !Number.isInteger(x))) fail(ctx, `attribute pads [${p.join(',')}] is not valid`);
    return oneD ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') fail(ctx, `auto_pad '${auto}' is not known`);
  const total = (n: number, kk: number, ss: number, dd: number) => Math.max((Math.ceil(n / ss) - 1) * ss + (kk - 1) * dd + 1 - n, 0);
  const th = total(inH, k[0], s[0], d[0]);
  const tw = total(inW, k[1], s[1], d[1]);
  const lo = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
  return [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
}


// ---------- 3-D convolution and pooling, as sums and maxima of 2-D ones over the depth taps ----------

function listN(ctx: OpContext, name: string, n: number, dflt: number): number[] {
  const v = ais(ctx, name);
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (v.length !== n) fail(ctx, `attribute ${name} has ${v.length} values for ${n} spatial axes`);
  return v;
}

/** begin and end pads per spatial axis for pads/auto_pad (effective kernel ek per axis). */
function padsN(ctx: OpContext, sizes: readonly number[], ek: readonly number[], s: readonly number[]): { lo: number[]; hi: number[] } {
  const n = sizes.length;
  const auto = astr(ctx, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = listN(ctx, 'pads', 2 * n, 0);
    if (p.some((x) => x < 0 || !Number.isInteger(x))) fail(ctx, `attribute pads [${p.join(',')}] is not valid`);
    return { lo: p.slice(0, n), hi: p.slice(n) };
  }
  if (auto === 'VALID') return { lo: new Array<number>(n).fill(0), hi: new Array<number>(n).fill(0) };
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') fail(ctx, `auto_pad '${auto}' is not known`);
  const total = sizes.map((m, i) => Math.max((Math.ceil(m / s[i]) - 1) * s[i] + ek[i] - m, 0));
  const lo = total.map((t) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
  return { lo, hi: total.map((t, i) => t - lo[i]) };
}

/** Depth slice d of [N, C, D, H, W] as [N, C, H, W]. */
function depthSlice(x: Tensor, d: number): Tensor {
  const [N, C, , H, W] = x.shape;
  return reshape(slice(x, [0, 0, d, 0, 0], [N, C, 1, H, W]), [N, C, H, W]);
}

function stackDepth(planes: readonly Tensor[]): Tensor {
  const [N, C, H, W] = planes[0].shape;
  return concat(planes.map((p) => reshape(p, [N, C, 1, H, W])), 2);
}

function conv3d(x: Tensor, w: Tensor, b: Tensor | null, ctx: OpContext): Tensor {
  const group = ai(ctx, 'group', 1);
  const [M, Cg, kd, kh, kw] = w.shape;
  if (group < 1 || x.shape[1] !== Cg * group || M % group !== 0) fail(ctx, `input has ${x.shape[1]} channels, weight [${w.shape.join(',')}] with group ${group} does not fit`);
  const s = listN(ctx, 'strides', 3, 1);
  const d = listN(ctx, 'dilations', 3, 1);
  const ek = [kd, kh, kw].map((k, i) => (k - 1) * d[i] + 1);
  const { lo, hi } = padsN(ctx, x.shape.slice(2), ek, s);
  const xp = lo[0] + hi[0] > 0 ? pad(x, [[0, 0], [0, 0], [lo[0], hi[0]], [0, 0], [0, 0]]) : x;
  const D = xp.shape[2];
  const od = Math.floor((D - ek[0]) / s[0]) + 1;
  if (od < 1) fail(ctx, `kernel depth ${ek[0]} is larger than the padded input depth ${D}`);
  const planes: Tensor[] = [];
  for (let o = 0; o < od; o++) {
    let acc: Tensor | null = null;
    for (let a = 0; a < kd; a++) {
      const xs = toNHWC(depthSlice(xp, o * s[0] + a * d[0]));
      const wa = transpose(reshape(slice(w, [0, 0, a, 0, 0], [M, Cg, 1, kh, kw]), [M, Cg, kh, kw]), [2, 3, 1, 0]);
      let xq = xs;
      let padding: [number, number] = [lo[1], lo[2]];
      if (lo[1] !== hi[1] || lo[2] !== hi[2]) {
        xq = pad(xs, [[0, 0], [lo[1], hi[1]], [lo[2], hi[2]], [0, 0]]);
        padding = [0, 0];
      }
      const y = conv2d(xq, wa, { stride: [s[1], s[2]], dilation: [d[1], d[2]], padding, groups: group, bias: a === 0 ? b : null });
      acc = acc ? add(acc, y) : y;
    }
    planes.push(toNCHW(acc!));
  }
  return stackDepth(planes);
}

function pool3d(kind: 'max' | 'avg', x: Tensor, ctx: OpContext): Tensor {
  const k = listN(ctx, 'kernel_shape', 3, 0);
  if (k.some((v) => v < 1)) fail(ctx, 'attribute kernel_shape is required');
  const s = listN(ctx, 'strides', 3, 1);
  const d = listN(ctx, 'dilations', 3, 1);
  if (d.some((v) => v !== 1)) fail(ctx, 'dilated 3-D pooling is not supported');
  const sizes = x.shape.slice(2);
  const { lo, hi } = padsN(ctx, sizes, k, s);
  const ceil = ai(ctx, 'ceil_mode', 0) === 1;
  const out = sizes.map((n, i) => {
    const span = n + lo[i] + hi[i] - k[i];
    if (span < 0) fail(ctx, `window ${k[i]} is larger than the padded input ${n + lo[i] + hi[i]}`);
    let o = (ceil ? Math.ceil(span / s[i]) : Math.floor(span / s[i])) + 1;
    if (ceil && (o - 1) * s[i] >= n + lo[i]) o--;
    return o;
  });
  const extra = out.map((o, i) => Math.max((o - 1) * s[i] + k[i] - (sizes[i] + lo[i] + hi[i]), 0));
  const spec: [number, number][] = [[0, 0], [0, 0], ...sizes.map((_, i) => [lo[i], hi[i] + extra[i]] as [number, number])];
  const planes: Tensor[] = [];
  if (kind === 'max') {
    const xp = pad(x, spec, -Infinity);
    for (let o = 0; o < out[0]; o++) {
      let acc: Tensor | null = null;
      for (let a = 0; a < k[0]; a++) {
        const y = maxPool2d(toNHWC(depthSlice(xp, o * s[0] + a)), { size: [k[1], k[2]], stride: [s[1], s[2]] });
        acc = acc ? maximum(acc, y) : y;
      }
      planes.push(toNCHW(acc!));
    }
    return stackDepth(planes);
  }
  // average: the sum over the window's cells over the number counted (explicit pads too when count_include_pad)
  const includePad = ai(ctx, 'count_include_pad', 0) === 1;
  const xp = pad(x, spec);
  const ones = new Tensor((x.dtype === 'float64' ? new Float64Array(sizeOfDims(sizes)) : new Float32Array(sizeOfDims(sizes))).fill(1), [1, 1, ...sizes]);
  const mask = pad(pad(ones, [[0, 0], [0, 0], ...sizes.map((_, i) => [lo[i], hi[i]] as [number, number])], includePad ? 1 : 0),
    [[0, 0], [0, 0], ...extra.map((e) => [0, e] as [number, number])]);
  for (let o = 0; o < out[0]; o++) {
    let num: Tensor | null = null;
    let den: Tensor | null = null;
    for (let a = 0; a < k[0]; a++) {
      const opt = { size: [k[1], k[2]] as [number, number], stride: [s[1], s[2]] as [number, number] };
      const y = avgPool2d(toNHWC(depthSlice(xp, o * s[0] + a)), opt);
      const m = avgPool2d(toNHWC(depthSlice(mask, o * s[0] + a)), opt);
      num = num ? add(num, y) : y;
      den = den ? add(den, m) : m;
    }
    planes.push(toNCHW(div(num!, den!)));
  }
  return stackDepth(planes);
}

// ---------- convolutions ----------

function conv(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const w = T(inputs[1], x);
  const b = inputs[2] ? T(inputs[2], x) : null;
  if (x.rank === 5 && w.rank === 5) return [conv3d(x, w, b, ctx)];
  const { x4, oneD } = as2d(ctx, x);
  if (w.rank !== x.rank) fail(ctx, `weight of rank ${w.rank} for input of rank ${x.rank}`);
  const group = ai(ctx, 'group', 1);
  const w4 = oneD ? reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2]]) : w;
  const [M, Cg, kh, kw] = w4.shape;
  const C = x4.shape[1];
  if (group < 1 || C !== Cg * group || M % group !== 0) fail(ctx, `input has ${C} channels, weight [${w.shape.join(',')}] with group ${group} does not fit`);
  const s = list2(ctx, 'strides', oneD, 1);
  const d = list2(ctx, 'dilations', oneD, 1);
  const [pt, pl, pb, pr] = spatialPads(ctx, oneD, x4.shape[2], x4.shape[3], [kh, kw], s, d);
  let xt = toNHWC(x4);
  let padding: [number, number] = [pt, pl];
  if (pt !== pb || pl !== pr) {
    xt = pad(xt, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
    padding = [0, 0];
  }
  const kernel = transpose(w4, [2, 3, 1, 0]); // [M, C/g, kh, kw] -> [kh, kw, C/g, M]
  const y = conv2d(xt, kernel, { stride: s, dilation: d, padding, groups: group, bias: b });
  const out = toNCHW(y);
  return [oneD ? reshape(out, [out.shape[0], out.shape[1], out.shape[3]]) : out];
}


/** 3-D transposed convolution: each (input depth, kernel tap) pair adds a 2-D one into output depth i s + a d. */
function convTranspose3d(x: Tensor, w: Tensor, b: Tensor | null, ctx: OpContext): Tensor {
  if (astr(ctx, 'auto_pad', 'NOTSET') !== 'NOTSET' || attr(ctx, 'output_shape') !== undefined) fail(ctx, '3-D ConvTranspose takes explicit pads only (no auto_pad or output_shape)');
  const s = listN(ctx, 'strides', 3, 1);
  const d = listN(ctx, 'dilations', 3, 1);
  const op = listN(ctx, 'output_padding', 3, 0);
  const p = listN(ctx, 'pads', 6, 0);
  const [C, Mg, kd, kh, kw] = w.shape;
  const group = ai(ctx, 'group', 1);
  const D = x.shape[2];
  const fullD = (D - 1) * s[0] + (kd - 1) * d[0] + 1 + op[0];
  const inner: OpContext = {
    ...ctx,
    attrs: { strides: [s[1], s[2]], dilations: [d[1], d[2]], output_padding: [op[1], op[2]], pads: [p[1], p[2], p[4], p[5]], group },
  };
  const planes: (Tensor | null)[] = new Array<Tensor | null>(fullD).fill(null);
  for (let i = 0; i < D; i++) {
    const xi = depthSlice(x, i);
    for (let a = 0; a < kd; a++) {
      const wa = reshape(slice(w, [0, 0, a, 0, 0], [C, Mg, 1, kh, kw]), [C, Mg, kh, kw]);
      const y = convTranspose([xi, wa, null], inner)[0];
      const t = i * s[0] + a * d[0];
      planes[t] = planes[t] ? add(planes[t]!, y) : y;
    }
  }
  const some = planes.find((q) => q !== null)!;
  const filled = planes.map((q) => q ?? mul(some, 0));
  let y = stackDepth(filled.slice(p[0], fullD - p[3]));
  if (b) y = add(y, reshape(b, [1, b.size, 1, 1, 1]));
  return y;
}

function convTranspose(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const w = T(inputs[1], x);
  const b = inputs[2] ? T(inputs[2], x) : null;
  if (x.rank === 5 && w.rank === 5) return [convTranspose3d(x, w, b, ctx)];
  const { x4, oneD } = as2d(ctx, x);
  const group = ai(ctx, 'group', 1);
  const w4 = oneD ? reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2]]) : w;
  const [C, Mg, kh, kw] = w4.shape;
  if (x4.shape[1] !== C) fail(ctx, `input has ${x4.shape[1]} channels but the weight [${w.shape.join(',')}] expects ${C}`);
  const s = list2(ctx, 'strides', oneD, 1);
  const d = list2(ctx, 'dilations', oneD, 1);
  const op = list2(ctx, 'output_padding', oneD, 0);
  const H = x4.shape[2];
  const W = x4.shape[3];
  const full = (n: number, i: 0 | 1, k: number) => (n - 1) * s[i] + (k - 1) * d[i] + 1 + op[i];
  const fullH = full(H, 0, kh);
  const fullW = full(W, 1, kw);
  checkOutput(ctx, [x4.shape[0], Mg * group, fullH, fullW]);
  let pads: [number, number, number, number];
  const outShape = ais(ctx, 'output_shape');
  const auto = astr(ctx, 'auto_pad', 'NOTSET');
  if (outShape !== undefined || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const os = outShape ? outShape.slice(-2) : [H * s[0], W * s[1]];
    const want = oneD ? [1, os[os.length - 1]] : os;
    const th = fullH - want[0];
    const tw = fullW - want[1];
    // ONNX: SAME_UPPER cuts the odd row at the end, otherwise at the start
    const lo = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : t - Math.floor(t / 2));
    pads = oneD ? [0, lo(tw), 0, tw - lo(tw)] : [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
  } else {
    pads = spatialPads(ctx, oneD, H, W, [kh, kw], s, d);
  }
  const xt = toNHWC(x4);
  const run = (xg: Tensor, wg: Tensor, bg: Tensor | null) => {
    // [C, M, kh, kw] -> [kh, kw, M, C]; Keras' 'valid' output (in-1)s + k (+ output padding)
    const kernel = transpose(wg, [2, 3, 1, 0]);
    return conv2dTranspose(xg, kernel, { stride: s, dilation: d, padding: 'valid', outputPadding: op, bias: bg });
  };
  // negative pads (an output_shape beyond the full result) extend with zeros, so the bias comes after
  const extend = pads.some((p) => p < 0);
  let y: Tensor;
  if (group === 1) y = run(xt, w4, extend ? null : b);
  else {
    const cg = C / group;
    if (!Number.isInteger(cg)) fail(ctx, `${C} channels do not split into ${group} groups`);
    const parts: Tensor[] = [];
    for (let g = 0; g < group; g++) {
      const xg = slice(xt, [0, 0, 0, g * cg], [-1, -1, -1, cg]);
      const wg = slice(w4, [g * cg, 0, 0, 0], [cg, -1, -1, -1]);
      const bg = b && !extend ? slice(b, [g * Mg], [Mg]) : null;
      parts.push(run(xg, wg, bg));
    }
    y = concat(parts, 3);
  }
  if (y.shape[1] !== fullH || y.shape[2] !== fullW) fail(ctx, `internal: transposed convolution gave ${y.shape[1]}x${y.shape[2]}, expected ${fullH}x${fullW}`);
  const [pt, pl, pb, pr] = pads;
  const cut = [Math.max(pt, 0), Math.max(pl, 0), Math.max(pb, 0), Math.max(pr, 0)];
  if (cut.some((p) => p > 0)) y = slice(y, [0, cut[0], cut[1], 0], [-1, fullH - cut[0] - cut[2], fullW - cut[1] - cut[3], -1]);
  if (extend) {
    y = pad(y, [[0, 0], [Math.max(-pt, 0), Math.max(-pb, 0)], [Math.max(-pl, 0), Math.max(-pr, 0)], [0, 0]]);
    if (b) y = add(y, reshape(b, [1, 1, 1, b.size]));
  }
  const out = toNCHW(y);
  return [oneD ? reshape(out, [out.shape[0], out.shape[1], out.shape[3]]) : out];
}

// ---------- pooling ----------

function pool(kind: 'max' | 'avg', inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  if (x.rank === 5) return [pool3d(kind, x, ctx)];
  const { x4, oneD } = as2d(ctx, x);
  const k = list2(ctx, 'kernel_shape', oneD, 0);
  if (k[0] < 1 || k[1] < 1) fail(ctx, 'attribute kernel_shape is required');
  const s = list2(ctx, 'strides', oneD, 1);
  const d = list2(ctx, 'dilations', oneD, 1);
  if (kind === 'max' && ai(ctx, 'storage_order', 0) !== 0) fail(ctx, 'storage_order 1 is not supported');
  const H = x4.shape[2];
  const W = x4.shape[3];
  const [pt, pl, pb, pr] = spatialPads(ctx, oneD, H, W, k, s, d);
  const ceil = ai(ctx, 'ceil_mode', 0) === 1;
  const ek: [number, number] = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1];
  const outLen = (n: number, lo: number, hi: number, kk: number, ss: number) => {
    const span = n + lo + hi - kk;
    if (span < 0) fail(ctx, `window ${kk} is larger than the padded input ${n + lo + hi}`);
    let o = (ceil ? Math.ceil(span / ss) : Math.floor(span / ss)) + 1;
    if (ceil && (o - 1) * ss >= n + lo) o--; // the last window must start inside the input or its left padding
    return o;
  };
  const oh = outLen(H, pt, pb, ek[0], s[0]);
  const ow = outLen(W, pl, pr, ek[1], s[1]);
  const extraH = Math.max((oh - 1) * s[0] + ek[0] - (H + pt + pb), 0);
  const extraW = Math.max((ow - 1) * s[1] + ek[1] - (W + pl + pr), 0);
  let xt = toNHWC(x4);
  const padSpec: [number, number][] = [[0, 0], [pt, pb + extraH], [pl, pr + extraW], [0, 0]];
  const padded = padSpec.some(([a, b]) => a + b > 0);
  let y: Tensor;
  if (kind === 'max') {
    if (padded) xt = pad(xt, padSpec, -Infinity);
    if (d[0] === 1 && d[1] === 1) y = maxPool2d(xt, { size: k, stride: s });
    else {
      // dilated windows: the maximum over the kernel's taps, each a strided pick
      let acc: Tensor | null = null;
      for (let a = 0; a < k[0]; a++) {
        const rows = gather(xt, Array.from({ length: oh }, (_, o) => o * s[0] + a * d[0]), 1);
        for (let b = 0; b < k[1]; b++) {
          const tap = gather(rows, Array.from({ length: ow }, (_, o) => o * s[1] + b * d[1]), 2);
          acc = acc ? maximum(acc, tap) : tap;
        }
      }
      y = acc!;
    }
  } else {
    if (d[0] !== 1 || d[1] !== 1) fail(ctx, 'dilated average pooling is not supported');
    const includePad = ai(ctx, 'count_include_pad', 0) === 1;
    if (!padded) y = avgPool2d(xt, { size: k, stride: s });
    else {
      y = avgPool2d(pad(xt, padSpec), { size: k, stride: s });
      // divide by the number of cells counted in each window instead of the window size
      const ones = new Tensor(xt.dtype === 'float64' ? new Float64Array(H * W).fill(1) : new Float32Array(H * W).fill(1), [1, H, W, 1]);
      let mask = includePad ? pad(ones, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 1) : pad(ones, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
      mask = pad(mask, [[0, 0], [0, extraH], [0, extraW], [0, 0]]);
      const frac = avgPool2d(mask, { size: k, stride: s });
      y = div(y, frac);
    }
  }
  if (y.shape[1] !== oh || y.shape[2] !== ow) fail(ctx, `internal: pooling gave ${y.shape[1]}x${y.shape[2]}, expected ${oh}x${ow}`);
  const out = toNCHW(y);
  return [oneD ? reshape(out, [out.shape[0], out.shape[1], out.shape[3]]) : out];
}

function globalPool(kind: 'max' | 'avg' | 'lp', inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  if (x.rank < 3) fail(ctx, `input must have spatial axes, got rank ${x.rank}`);
  const axes = x.shape.map((_, i) => i).slice(2);
  if (kind === 'lp') {
    const p = ai(ctx, 'p', 2);
    return [pow(sum(pow(abs(x), p), axes, true), 1 / p)];
  }
  return [kind === 'max' ? max(x, axes, true) : mean(x, axes, true)];
}

// ---------- normalization ----------

function channelShape(x: Tensor): number[] {
  return x.shape.map((d, i) => (i === 1 ? d : 1));
}

function batchNorm(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  if (ctx.opset < 9 && ai(ctx, 'spatial', 1) !== 1) fail(ctx, 'spatial = 0 (per-activation statistics) is not supported');
  const eps = ai(ctx, 'epsilon', 1e-5);
  const momentum = ai(ctx, 'momentum', 0.9);
  const cs = x.rank >= 2 ? channelShape(x) : [x.shape[0]];
  const [scale, bias, runMean, runVar] = [1, 2, 3, 4].map((i) => reshape(T(inputs[i], x), cs));
  let y: Tensor;
  if (ctx.opset >= 14 && ai(ctx, 'training_mode', 0) === 1) {
    // the node itself asks for batch statistics: outputs y and the moved running statistics
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const m = mean(x, axes, true);
    const centered = sub(x, m);
    const v = mean(square(centered), axes, true);
    y = add(mul(div(centered, sqrt(add(v, eps))), scale), bias);
    const flat = [x.shape[1]];
    return [y, reshape(add(mul(runMean, momentum), mul(m, 1 - momentum)), flat), reshape(add(mul(runVar, momentum), mul(v, 1 - momentum)), flat)];
  }
  if (ctx.training && ctx.trainable) {
    // Keras' rule: a trainable batch norm in training normalizes with the batch's statistics
    // and moves the stored ones; a frozen one (trainable = false) runs in inference mode.
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const m = mean(x, axes, true);
    const centered = sub(x, m);
    const v = mean(square(centered), axes, true);
    y = add(mul(div(centered, sqrt(add(v, eps))), scale), bias);
    const mm = inputs[3];
    const mv = inputs[4];
    if (mm instanceof Tensor && mv instanceof Tensor) {
      for (let i = 0; i < mm.data.length; i++) {
        mm.data[i] = mm.data[i] * momentum + m.data[i] * (1 - momentum);
        mv.data[i] = mv.data[i] * momentum + v.data[i] * (1 - momentum);
      }
    }
  } else {
    // one scale and one shift per channel, computed on [C] vectors: two passes over x instead of four
    const a = div(scale, sqrt(add(runVar, eps)));
    y = add(mul(x, a), sub(bias, mul(runMean, a)));
  }
  return [y];
}

function instanceNorm(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const eps = ai(ctx, 'epsilon', 1e-5);
  const cs = channelShape(x);
  const axes = x.shape.map((_, i) => i).slice(2);
  const m = mean(x, axes, true);
  const c = sub(x, m);
  const v = mean(square(c), axes, true);
  return [add(mul(div(c, sqrt(add(v, eps))), reshape(T(inputs[1], x), cs)), reshape(T(inputs[2], x), cs))];
}

function layerNormOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const axis = normAxis(ctx, ai(ctx, 'axis', -1), x.rank);
  const eps = ai(ctx, 'epsilon', 1e-5);
  const axes = x.shape.map((_, i) => i).slice(axis);
  const m = mean(x, axes, true);
  const c = sub(x, m);
  const v = mean(square(c), axes, true);
  const inv = div(1, sqrt(add(v, eps)));
  let y = mul(c, inv);
  y = mul(y, T(inputs[1], x));
  if (inputs[2]) y = add(y, T(inputs[2], x));
  return [y, m, inv];
}

// ---------- elementwise ----------

/** Opset < 7 broadcasting: b aligned to a at `axis` when broadcast = 1. */
function legacyAlign(a: Tensor, b: Tensor, ctx: OpContext): Tensor {
  if (ctx.opset >= 7 || ai(ctx, 'broadcast', 0) !== 1) return b;
  const axis = attr(ctx, 'axis') === undefined ? a.rank - b.rank : normAxis(ctx, ai(ctx, 'axis', 0), a.rank);
  const shape = [...b.shape, ...new Array<number>(Math.max(a.rank - axis - b.rank, 0)).fill(1)];
  return reshape(b, shape);
}

/** Tensors added or multiplied in (biases, scales) train; scalars (GELU's 0.5, sqrt 2) stay constants. */
const tensorParam = (_i: number, _opset: number, size: number): SlotRole => (size > 1 ? 'param' : 'const');

function binary(f: (a: Tensor, b: Tensor) => Tensor): OpDef {
  return {
    slot: tensorParam,
    run(inputs, ctx) {
      const like = firstTensor(inputs);
      const a = T(inputs[0], like);
      const b = legacyAlign(a, T(inputs[1], like), ctx);
      return [f(a, b)];
    },
  };
}

function variadic(f: (a: Tensor, b: Tensor) => Tensor, meanOf = false): OpDef {
  return {
    slot: tensorParam,
    run(inputs) {
      const like = firstTensor(inputs);
      const ts = inputs.filter((v) => v !== null).map((v) => T(v, like));
      let acc = ts[0];
      for (let i = 1; i < ts.length; i++) acc = f(acc, ts[i]);
      return [meanOf ? div(acc, ts.length) : acc];
    },
  };
}

function unary(f: (x: Tensor, ctx: OpContext) => Tensor): OpDef {
  return { run: (inputs, ctx) => [f(T(inputs[0]), ctx)] };
}

/** erf elementwise; its derivative 2/sqrt(pi) exp(-x^2) is made of ops, so it differentiates again. */
function erfOp(x: Tensor): Tensor {
  const out = new Tensor(x.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size), x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = erfScalar(x.data[i]);
  return recordOp(out, 'erf', [x], (g) => [mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))]);
}

function clipOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  let lo: number, hi: number;
  if (ctx.opset < 11) {
    lo = ai(ctx, 'min', -Infinity);
    hi = ai(ctx, 'max', Infinity);
  } else {
    lo = scalarOf(ctx, inputs[1] ?? null, 'min', -Infinity);
    hi = scalarOf(ctx, inputs[2] ?? null, 'max', Infinity);
  }
  if (lo > hi) return [mul(add(mul(x, 0), 1), hi)]; // ONNX: every value becomes max
  let y = x;
  if (lo !== -Infinity) y = maximum(y, lo);
  if (hi !== Infinity) y = minimum(y, hi);
  return [y];
}

/** Softmax-like ops: one axis from opset 13, the flattened trailing axes before. */
function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OpDef {
  return {
    run(inputs, ctx) {
      const x = T(inputs[0]);
      if (x.rank === 0) return [reshape(f(reshape(x, [1]), 0), [])];
      if (ctx.opset >= 13) return [f(x, normAxis(ctx, ai(ctx, 'axis', -1), x.rank))];
      const axis = normAxis(ctx, ai(ctx, 'axis', 1), x.rank);
      const outer = sizeOfDims(x.shape.slice(0, axis));
      const y = f(reshape(x, [outer, sizeOfDims(x.shape.slice(axis))]), 1);
      return [reshape(y, x.shape)];
    },
  };
}

function gemm(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const like = firstTensor(inputs);
  let a = T(inputs[0], like);
  let b = T(inputs[1], like);
  if (a.rank !== 2 || b.rank !== 2) fail(ctx, `Gemm needs 2-D A and B, got [${a.shape.join(',')}] and [${b.shape.join(',')}]`);
  if (ai(ctx, 'transA', 0)) a = transpose(a, [1, 0]);
  if (ai(ctx, 'transB', 0)) b = transpose(b, [1, 0]);
  const alpha = ai(ctx, 'alpha', 1);
  const beta = ai(ctx, 'beta', 1);
  let y = matmul(a, b);
  if (alpha !== 1) y = mul(y, alpha);
  if (inputs[2]) {
    const c = T(inputs[2], like);
    y = add(y, beta === 1 ? c : mul(c, beta));
  }
  return [y];
}

// ---------- shape ops ----------

/** ONNX Reshape's target: 0 copies the input's dim (unless allowzero), -1 is inferred, the batch symbol is the input's dim 0. */
export function reshapeTarget(ctx: OpContext, inShape: readonly number[], target: readonly (number | string)[]): number[] {
  const allowZero = ai(ctx, 'allowzero', 0) === 1;
  const out = target.map((t, i) => {
    if (t === BATCH) return inShape[0];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < -1) fail(ctx, `reshape target [${target.join(',')}] is not valid`);
    if (t === 0 && !allowZero) {
      if (i >= inShape.length) fail(ctx, `reshape target [${target.join(',')}] copies dim ${i} of a rank-${inShape.length} input`);
      return inShape[i];
    }
    return t;
  });
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) fail(ctx, `reshape target [${target.join(',')}] has more than one -1`);
  const total = sizeOfDims(inShape);
  if (neg === 1) {
    const known = sizeOfDims(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) fail(ctx, `cannot reshape [${inShape.join(',')}] to [${target.join(',')}]`);
    out[out.indexOf(-1)] = total / known;
  }
  if (sizeOfDims(out) !== total) fail(ctx, `cannot reshape [${inShape.join(',')}] (${total} values) to [${out.join(',')}]`);
  return out;
}

function constElems(ctx: OpContext, v: Value, what: string): (number | string)[] {
  if (v === null) fail(ctx, `${what} is missing`);
  if (!isConst(v)) fail(ctx, `${what} must be a constant known at load time`);
  return Array.from(v.data as ArrayLike<number | string>);
}

function axesInput(ctx: OpContext, inputs: readonly Value[], slot: number, fromOpset: number): number[] | undefined {
  if (ctx.opset >= fromOpset) return inputs[slot] ? ints(ctx, inputs[slot], 'axes') : undefined;
  return ais(ctx, 'axes');
}

function squeezeOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const axes = axesInput(ctx, inputs, 1, 13);
  const drop = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => normAxis(ctx, a, x.rank));
  for (const a of drop) if (x.shape[a] !== 1) fail(ctx, `cannot squeeze axis ${a} of [${x.shape.join(',')}]`);
  return [reshape(x, x.shape.filter((_, i) => !drop.includes(i)))];
}

function unsqueezeShape(ctx: OpContext, shape: readonly number[], axes: readonly number[]): number[] {
  const rank = shape.length + axes.length;
  const at = axes.map((a) => normAxis(ctx, a, rank));
  if (new Set(at).size !== at.length) fail(ctx, `axes [${axes.join(',')}] repeat`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : shape[k++]);
  return out;
}

function sliceParams(ctx: OpContext, inputs: readonly Value[], shape: readonly number[]): { axis: number; start: number; step: number; count: number }[] {
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = ais(ctx, 'starts') ?? fail(ctx, 'attribute starts is required');
    ends = ais(ctx, 'ends') ?? fail(ctx, 'attribute ends is required');
    axes = ais(ctx, 'axes');
  } else {
    starts = ints(ctx, inputs[1], 'starts');
    ends = ints(ctx, inputs[2], 'ends');
    axes = inputs[3] ? ints(ctx, inputs[3], 'axes') : undefined;
    steps = inputs[4] ? ints(ctx, inputs[4], 'steps') : undefined;
  }
  if (ends.length !== starts.length) fail(ctx, 'starts and ends differ in length');
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(ctx, a, shape.length));
  return ax.map((axis, i) => {
    const n = shape[axis];
    const step = steps?.[i] ?? 1;
    if (step === 0) fail(ctx, 'slice step 0');
    const clampS = (v: number) => {
      const r = v < 0 ? v + n : v;
      return step > 0 ? Math.min(Math.max(r, 0), n) : Math.min(Math.max(r, -1), n - 1);
    };
    const start = clampS(starts[i]);
    const end = clampS(ends[i]);
    const count = step > 0 ? Math.max(Math.ceil((end - start) / step), 0) : Math.max(Math.ceil((start - end) / -step), 0);
    return { axis, start, step, count };
  });
}

function sliceOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  let x = T(inputs[0]);
  for (const { axis, start, step, count } of sliceParams(ctx, inputs, x.shape)) {
    if (step === 1) {
      const begin = x.shape.map((_, i) => (i === axis ? start : 0));
      const size = x.shape.map((d, i) => (i === axis ? count : d));
      x = count === 0 ? reshape(new Tensor(x.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), size), size) : slice(x, begin, size);
    } else {
      const idx = Array.from({ length: count }, (_, j) => start + j * step);
      x = gather(x, idx, axis);
    }
  }
  return [x];
}

function padOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const mode = astr(ctx, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') fail(ctx, `pad mode '${mode}' is not supported`);
  let pads: number[];
  let value = 0;
  if (ctx.opset < 11) {
    pads = ais(ctx, ctx.opset < 2 ? 'paddings' : 'pads') ?? fail(ctx, 'attribute pads is required');
    value = ai(ctx, 'value', 0);
  } else {
    pads = ints(ctx, inputs[1], 'pads');
    value = scalarOf(ctx, inputs[2] ?? null, 'constant_value', 0);
  }
  const r = x.rank;
  let full = pads;
  if (ctx.opset >= 18 && inputs[3]) {
    const axes = ints(ctx, inputs[3], 'axes').map((a) => normAxis(ctx, a, r));
    full = new Array<number>(2 * r).fill(0);
    axes.forEach((a, i) => { full[a] = pads[i]; full[a + r] = pads[i + axes.length]; });
  }
  if (full.length !== 2 * r) fail(ctx, `pads has ${full.length} values for rank ${r}`);
  // negative pads crop
  const crop = x.shape.map((_, i) => [Math.max(-full[i], 0), Math.max(-full[i + r], 0)]);
  let y = x;
  if (crop.some(([a, b]) => a + b > 0)) y = slice(y, crop.map(([a]) => a), x.shape.map((d, i) => d - crop[i][0] - crop[i][1]));
  const grow = x.shape.map((_, i) => [Math.max(full[i], 0), Math.max(full[i + r], 0)] as [number, number]);
  checkOutput(ctx, y.shape.map((d, i) => d + grow[i][0] + grow[i][1]));
  if (mode === 'constant') {
    if (grow.some(([a, b]) => a + b > 0)) y = pad(y, grow, value);
    return [y];
  }
  // reflect and edge: a gather along each padded axis (differentiable like any gather)
  grow.forEach(([lo, hi], a) => {
    if (lo + hi === 0) return;
    const n = y.shape[a];
    if (mode === 'reflect' && (lo >= n || hi >= n)) fail(ctx, `reflect pads ${lo},${hi} must be smaller than the axis size ${n}`);
    const idx: number[] = [];
    for (let i = -lo; i < n + hi; i++) {
      if (mode === 'edge') idx.push(Math.min(Math.max(i, 0), n - 1));
      else idx.push(i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    }
    y = gather(y, idx, a);
  });
  return [y];
}

function reduceOp(f: (x: Tensor, axes: number[]) => Tensor, axesInputFrom: number): OpDef {
  return {
    constSlots: (opset) => (opset >= axesInputFrom ? [1] : []),
    run(inputs, ctx) {
      const x = T(inputs[0]);
      const keep = ai(ctx, 'keepdims', 1) === 1;
      const given = axesInput(ctx, inputs, 1, axesInputFrom);
      let axes: number[];
      if (given === undefined || given.length === 0) {
        if (ai(ctx, 'noop_with_empty_axes', 0) === 1) return [x];
        axes = x.shape.map((_, i) => i);
      } else axes = [...new Set(given.map((a) => normAxis(ctx, a, x.rank)))].sort((a, b) => a - b);
      let y = f(x, axes);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      y = reshape(y, keep ? kept : x.shape.filter((_, i) => !axes.includes(i)));
      return [y];
    },
  };
}

/** Source indices and weights along one axis for Resize (ONNX's coordinate transforms). */
function resizeAxis(ctx: OpContext, inN: number, outN: number, scale: number, mode: string): { i0: number[]; i1: number[]; w1: number[] } {
  const ct = astr(ctx, 'coordinate_transformation_mode', ctx.opset >= 11 ? 'half_pixel' : 'asymmetric');
  const nearestMode = astr(ctx, 'nearest_mode', 'round_prefer_floor');
  const i0: number[] = [], i1: number[] = [], w1: number[] = [];
  for (let o = 0; o < outN; o++) {
    let c: number;
    switch (ct) {
      case 'half_pixel': c = (o + 0.5) / scale - 0.5; break;
      case 'pytorch_half_pixel': c = outN > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
      case 'align_corners': c = outN > 1 ? (o * (inN - 1)) / (outN - 1) : 0; break;
      case 'asymmetric': c = o / scale; break;
      case 'tf_half_pixel_for_nn': c = (o + 0.5) / scale; break;
      default: fail(ctx, `coordinate_transformation_mode '${ct}' is not supported`);
    }
    if (mode === 'nearest') {
      let r: number;
      switch (nearestMode) {
        case 'round_prefer_floor': r = c - Math.floor(c) === 0.5 ? Math.floor(c) : Math.round(c); break;
        case 'round_prefer_ceil': r = Math.round(c); break;
        case 'floor': r = Math.floor(c); break;
        case 'ceil': r = Math.ceil(c); break;
        default: fail(ctx, `nearest_mode '${nearestMode}' is not supported`);
      }
      r = Math.min(Math.max(r, 0), inN - 1);
      i0.push(r); i1.push(r); w1.push(0);
    } else {
      const cc = Math.min(Math.max(c, 0), inN - 1);
      const f = Math.floor(cc);
      i0.push(f); i1.push(Math.min(f + 1, inN - 1)); w1.push(cc - f);
    }
  }
  return { i0, i1, w1 };
}

function resizeOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  let mode = astr(ctx, 'mode', 'nearest');
  if (mode === 'bilinear') mode = 'linear';
  if (mode !== 'nearest' && mode !== 'linear') fail(ctx, `mode '${mode}' is not supported (nearest and linear only)`);
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (ctx.op === 'Upsample') {
    scales = ctx.opset >= 9 ? ints(ctx, inputs[1], 'scales') : ais(ctx, 'scales');
  } else if (ctx.opset === 10) {
    scales = ints(ctx, inputs[1], 'scales');
  } else {
    const s = inputs[2];
    if (s && isConst(s) && s.data.length > 0) scales = ints(ctx, s, 'scales');
    if (inputs[3]) sizes = constElems(ctx, inputs[3], 'sizes').map((d) => (d === BATCH ? x.shape[0] : (d as number)));
  }
  if (ctx.opset >= 18 && attr(ctx, 'axes') !== undefined) fail(ctx, 'attribute axes is not supported');
  if (astr(ctx, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') fail(ctx, 'keep_aspect_ratio_policy is not supported');
  if (ai(ctx, 'antialias', 0) !== 0) fail(ctx, 'antialias is not supported');
  if (sizes === undefined && scales === undefined) fail(ctx, 'neither scales nor sizes is given');
  const outShape = sizes ?? x.shape.map((d, i) => Math.floor(d * scales![i]));
  if (outShape.length !== x.rank) fail(ctx, `scales/sizes have ${outShape.length} values for rank ${x.rank}`);
  checkOutput(ctx, outShape);
  let y = x;
  for (let a = 0; a < x.rank; a++) {
    if (outShape[a] === x.shape[a] && (scales === undefined || scales[a] === 1)) continue;
    if (outShape[a] < 1) fail(ctx, `output size ${outShape[a]} along axis ${a}`);
    const scale = scales ? scales[a] : outShape[a] / x.shape[a];
    const { i0, i1, w1 } = resizeAxis(ctx, x.shape[a], outShape[a], scale, mode);
    const g0 = gather(y, i0, a);
    if (mode === 'nearest' || w1.every((w) => w === 0)) { y = g0; continue; }
    const g1 = gather(y, i1, a);
    const wshape = y.shape.map((_, i) => (i === a ? w1.length : 1));
    const wt = new Tensor(y.dtype === 'float64' ? Float64Array.from(w1) : Float32Array.from(w1), wshape);
    y = add(g0, mul(sub(g1, g0), wt));
  }
  return [y];
}

function splitOp(inputs: readonly Value[], ctx: OpContext, nOut: number): Tensor[] {
  const x = T(inputs[0]);
  const axis = normAxis(ctx, ai(ctx, 'axis', 0), x.rank);
  const n = x.shape[axis];
  let parts: number[] | undefined = ctx.opset >= 13 ? (inputs[1] ? ints(ctx, inputs[1], 'split') : undefined) : ais(ctx, 'split');
  if (parts === undefined) {
    const k = ctx.opset >= 18 ? ai(ctx, 'num_outputs', nOut) : nOut;
    const each = Math.ceil(n / k);
    parts = Array.from({ length: k }, (_, i) => Math.max(Math.min(each, n - i * each), 0));
  }
  if (parts.reduce((a, b) => a + b, 0) !== n) fail(ctx, `split [${parts.join(',')}] does not add up to ${n}`);
  let at = 0;
  return parts.map((len) => {
    const begin = x.shape.map((_, i) => (i === axis ? at : 0));
    const size = x.shape.map((d, i) => (i === axis ? len : d));
    at += len;
    return slice(x, begin, size);
  });
}

function flattenOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const axis = ai(ctx, 'axis', 1);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a > x.rank) fail(ctx, `axis ${axis} is out of range for rank ${x.rank}`);
  return [reshape(x, [sizeOfDims(x.shape.slice(0, a)), sizeOfDims(x.shape.slice(a))])];
}

function expandOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const s = constElems(ctx, inputs[1], 'shape').map((d) => (d === BATCH ? x.shape[0] : (d as number)));
  const rank = Math.max(x.rank, s.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const a = x.shape[x.rank - rank + i] ?? 1;
    const b = s[s.length - rank + i] ?? 1;
    if (a !== b && a !== 1 && b !== 1) fail(ctx, `cannot expand [${x.shape.join(',')}] to [${s.join(',')}]`);
    out.push(a === 1 ? b : a);
  }
  checkOutput(ctx, out);
  return [broadcastTo(x, out)];
}

function gatherOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const ic = inputs[1];
  if (!isConst(ic)) fail(ctx, 'indices must be a constant known at load time');
  const idx = ints(ctx, ic, 'indices');
  const axis = normAxis(ctx, ai(ctx, 'axis', 0), x.rank);
  const n = x.shape[axis];
  for (const i of idx) if (!Number.isInteger(i) || i < -n || i >= n) fail(ctx, `index ${i} is out of range for axis ${axis} of size ${n}`);
  const y = gather(x, idx, axis);
  return [reshape(y, [...x.shape.slice(0, axis), ...ic.dims, ...x.shape.slice(axis + 1)])];
}

function dropoutOp(inputs: readonly Value[], ctx: OpContext, nOut: number): Tensor[] {
  const x = T(inputs[0]);
  let ratio = ctx.opset >= 12 ? scalarOf(ctx, inputs[1] ?? null, 'ratio', 0.5) : ai(ctx, 'ratio', 0.5);
  if (ctx.opset < 7 && ai(ctx, 'is_test', 0) === 1) ratio = 0;
  let y = x;
  if (ctx.training && ratio > 0 && ratio < 1) {
    const keep = gt(rand(x.shape, { dtype: x.dtype }), ratio);
    y = div(mul(x, keep), 1 - ratio);
  }
  const outs = [y];
  if (nOut > 1) outs.push(add(mul(x, 0), 1)); // the mask: all kept in inference
  return outs;
}

function transposeOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const perm = ais(ctx, 'perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail(ctx, `perm [${perm.join(',')}] is not a permutation of ${x.rank} axes`);
  return [transpose(x, perm)];
}

function concatOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const like = firstTensor(inputs);
  const ts = inputs.filter((v) => v !== null).map((v) => T(v, like));
  const axis = normAxis(ctx, ai(ctx, 'axis', ctx.opset < 4 ? 1 : 0), ts[0].rank);
  const nonEmpty = ts.filter((t) => t.size > 0);
  if (nonEmpty.length === 0) return [ts[0]];
  return [nonEmpty.length === 1 ? nonEmpty[0] : concat(nonEmpty, axis)];
}

function castOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const to = ai(ctx, 'to', DT.FLOAT);
  if (!isFloatType(to)) fail(ctx, `cast of a computed tensor to a non-float type (${to}) is not supported`);
  const dtype: DType = to === DT.DOUBLE ? 'float64' : 'float32';
  if (dtype === x.dtype) return [x];
  const data = dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data);
  const y = new Tensor(data, x.shape);
  return [recordOp(y, 'cast', [x], (g) => [new Tensor(x.dtype === 'float64' ? Float64Array.from(g.data) : Float32Array.from(g.data), g.shape)])];
}

function hardSigmoidOf(x: Tensor, alpha: number, beta: number): Tensor {
  return minimum(maximum(add(mul(x, alpha), beta), 0), 1);
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

function identityOp(inputs: readonly Value[]): Tensor[] {
  return [T(inputs[0])];
}


// ---------- more elementwise and layout ops ----------

/** f elementwise with derivative df(x) made of ops (null: zero gradient, for steps such as Floor). */
function pointwise(x: Tensor, name: string, f: (v: number) => number, df: ((x: Tensor) => Tensor) | null): Tensor {
  const out = new Tensor(x.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size), x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = f(x.data[i]);
  return recordOp(out, name, [x], (g) => [df ? mul(g, df(x)) : mul(g, 0)]);
}

function sinOp(x: Tensor): Tensor {
  return pointwise(x, 'sin', Math.sin, (t) => cosOp(t));
}

function cosOp(x: Tensor): Tensor {
  return pointwise(x, 'cos', Math.cos, (t) => neg(sinOp(t)));
}

/** Round half to even, as ONNX's Round. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function tileOp(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  let x = T(inputs[0]);
  const reps = ints(ctx, inputs[1], 'repeats');
  if (reps.length !== x.rank || reps.some((r) => !Number.isInteger(r) || r < 0)) fail(ctx, `repeats [${reps.join(',')}] do not fit rank ${x.rank}`);
  checkOutput(ctx, x.shape.map((d, i) => d * reps[i]));
  reps.forEach((r, a) => {
    if (r === 1) return;
    const n = x.shape[a];
    x = gather(x, Array.from({ length: n * r }, (_, i) => i % n), a);
  });
  return [x];
}

function depthToSpace(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  if (x.rank !== 4) fail(ctx, `input must be 4-D, got [${x.shape.join(',')}]`);
  const b = ai(ctx, 'blocksize', 0);
  const [N, C, H, W] = x.shape;
  if (b < 1 || C % (b * b) !== 0) fail(ctx, `blocksize ${b} does not divide ${C} channels`);
  const c = C / (b * b);
  const crd = astr(ctx, 'mode', 'DCR') === 'CRD';
  const t = crd ? transpose(reshape(x, [N, c, b, b, H, W]), [0, 1, 4, 2, 5, 3]) : transpose(reshape(x, [N, b, b, c, H, W]), [0, 3, 4, 1, 5, 2]);
  return [reshape(t, [N, c, H * b, W * b])];
}

function spaceToDepth(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  if (x.rank !== 4) fail(ctx, `input must be 4-D, got [${x.shape.join(',')}]`);
  const b = ai(ctx, 'blocksize', 0);
  const [N, C, H, W] = x.shape;
  if (b < 1 || H % b !== 0 || W % b !== 0) fail(ctx, `blocksize ${b} does not divide ${H}x${W}`);
  const t = transpose(reshape(x, [N, C, H / b, b, W / b, b]), [0, 3, 5, 1, 2, 4]);
  return [reshape(t, [N, C * b * b, H / b, W / b])];
}

function lrn(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const size = ai(ctx, 'size', 0);
  if (size < 1 || x.rank < 3) fail(ctx, `size ${size} and input rank ${x.rank} do not fit`);
  const alpha = ai(ctx, 'alpha', 1e-4);
  const beta = ai(ctx, 'beta', 0.75);
  const bias = ai(ctx, 'bias', 1);
  const C = x.shape[1];
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  const sq = pad(square(x), x.shape.map((_, i) => (i === 1 ? [lo, hi] : [0, 0]) as [number, number]));
  let acc: Tensor | null = null;
  for (let k = 0; k < size; k++) {
    const part = slice(sq, x.shape.map((_, i) => (i === 1 ? k : 0)), x.shape.map((d, i) => (i === 1 ? C : d)));
    acc = acc ? add(acc, part) : part;
  }
  return [div(x, pow(add(mul(acc!, alpha / size), bias), beta))];
}

function mvn(inputs: readonly Value[], ctx: OpContext): Tensor[] {
  const x = T(inputs[0]);
  const axes = (ais(ctx, 'axes') ?? [0, 2, 3]).map((a) => normAxis(ctx, a, x.rank));
  const m = mean(x, axes, true);
  const c = sub(x, m);
  return [div(c, add(sqrt(mean(square(c), axes, true)), 1e-9))];
}

function compare(f: (a: Tensor, b: Tensor) => Tensor): OpDef {
  return { run(inputs) { const like = firstTensor(inputs); return [f(T(inputs[0], like), T(inputs[1], like))]; } };
}

const truthy = (t: Tensor) => gt(abs(t), 0);

export const MORE_OPS: Readonly<Record<string, OpDef>> = {
  Sin: unary((x) => sinOp(x)),
  Cos: unary((x) => cosOp(x)),
  Sign: unary((x) => pointwise(x, 'sign', Math.sign, null)),
  Floor: unary((x) => pointwise(x, 'floor', Math.floor, null)),
  Ceil: unary((x) => pointwise(x, 'ceil', Math.ceil, null)),
  Round: unary((x) => pointwise(x, 'round', roundEven, null)),
  Shrink: unary((x, ctx) => {
    const l = ai(ctx, 'lambd', 0.5);
    const b = ai(ctx, 'bias', 0);
    return where(gt(neg(x), l), add(x, b), where(gt(x, l), sub(x, b), 0));
  }),
  Tile: { run: tileOp, constSlots: () => [1] },
  DepthToSpace: { run: depthToSpace },
  SpaceToDepth: { run: spaceToDepth },
  LRN: { run: lrn },
  MeanVarianceNormalization: { run: mvn },
  CastLike: {
    run(inputs, ctx) {
      const like = inputs[1];
      const to = like instanceof Tensor ? (like.dtype === 'float64' ? DT.DOUBLE : DT.FLOAT) : isConst(like) ? like.type : DT.FLOAT;
      return castOp([inputs[0]], { ...ctx, attrs: { to } });
    },
  },
  Equal: compare((a, b) => eq(a, b)),
  Less: compare((a, b) => lt(a, b)),
  Greater: compare((a, b) => gt(a, b)),
  LessOrEqual: compare((a, b) => le(a, b)),
  GreaterOrEqual: compare((a, b) => ge(a, b)),
  Not: unary((x) => eq(x, 0)),
  And: compare((a, b) => mul(truthy(a), truthy(b))),
  Or: compare((a, b) => gt(add(truthy(a), truthy(b)), 0)),
  Xor: compare((a, b) => eq(add(truthy(a), truthy(b)), 1)),
};

/** Ops whose result is boolean (a constant of them is bool; on tensors, 0 and 1). */
export const BOOL_OPS: ReadonlySet<string> = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor']);

/** Every supported op by its ONNX type. */
export const OPS: Readonly<Record<string, OpDef>> = {
  ...MORE_OPS,
  Conv: { run: conv, slot: (i) => (i >= 1 ? 'param' : 'const') },
  ConvTranspose: { run: convTranspose, slot: (i) => (i >= 1 ? 'param' : 'const') },
  MaxPool: { run: (inp, ctx) => pool('max', inp, ctx) },
  AveragePool: { run: (inp, ctx) => pool('avg', inp, ctx) },
  GlobalAveragePool: { run: (inp, ctx) => globalPool('avg', inp, ctx) },
  GlobalMaxPool: { run: (inp, ctx) => globalPool('max', inp, ctx) },
  GlobalLpPool: { run: (inp, ctx) => globalPool('lp', inp, ctx) },
  BatchNormalization: { run: batchNorm, slot: (i) => (i === 1 || i === 2 ? 'param' : 'state') },
  InstanceNormalization: { run: instanceNorm, slot: () => 'param' },
  LayerNormalization: { run: layerNormOp, slot: () => 'param' },
  Relu: unary((x) => relu(x)),
  LeakyRelu: unary((x, ctx) => leakyRelu(x, ai(ctx, 'alpha', 0.01))),
  Elu: unary((x, ctx) => elu(x, ai(ctx, 'alpha', 1))),
  Celu: unary((x, ctx) => {
    const a = ai(ctx, 'alpha', 1);
    return add(relu(x), minimum(mul(sub(exp(div(x, a)), 1), a), 0));
  }),
  Selu: unary((x, ctx) => {
    const a = ai(ctx, 'alpha', SELU_ALPHA);
    const g = ai(ctx, 'gamma', SELU_GAMMA);
    return mul(add(relu(x), minimum(mul(sub(exp(x), 1), a), 0)), g);
  }),
  Sigmoid: unary((x) => sigmoid(x)),
  HardSigmoid: unary((x, ctx) => hardSigmoidOf(x, ai(ctx, 'alpha', 0.2), ai(ctx, 'beta', 0.5))),
  HardSwish: unary((x) => mul(x, hardSigmoidOf(x, 1 / 6, 0.5))),
  Tanh: unary((x) => tanh(x)),
  Softplus: unary((x) => softplus(x)),
  Softsign: unary((x) => div(x, add(abs(x), 1))),
  ThresholdedRelu: unary((x, ctx) => mul(x, gt(x, ai(ctx, 'alpha', 1)))),
  Mish: unary((x) => mul(x, tanh(softplus(x)))),
  PRelu: {
    slot: (i) => (i === 1 ? 'param' : 'const'),
    run(inputs, ctx) {
      const x = T(inputs[0]);
      const s = legacyAlign(x, T(inputs[1], x), { ...ctx, attrs: { broadcast: 1, axis: 1 }, opset: ctx.opset < 7 ? ctx.opset : 7 });
      return [add(relu(x), mul(minimum(x, 0), s))];
    },
  },
  Clip: { run: clipOp },
  Softmax: softmaxLike((x, a) => softmax(x, a)),
  LogSoftmax: softmaxLike((x, a) => logSoftmax(x, a)),
  Gemm: { run: gemm, slot: () => 'param' },
  MatMul: { run: (inp) => { const like = firstTensor(inp); return [matmul(T(inp[0], like), T(inp[1], like))]; }, slot: () => 'param' },
  Add: binary((a, b) => add(a, b)),
  Sub: binary((a, b) => sub(a, b)),
  Mul: binary((a, b) => mul(a, b)),
  Div: binary((a, b) => div(a, b)),
  Pow: { run: (inp, ctx) => { const x = T(inp[0]); return [pow(x, legacyAlign(x, T(inp[1], x), ctx))]; } },
  Sum: variadic((a, b) => add(a, b)),
  Mean: variadic((a, b) => add(a, b), true),
  Max: variadic((a, b) => maximum(a, b)),
  Min: variadic((a, b) => minimum(a, b)),
  Sqrt: unary((x) => sqrt(x)),
  Exp: unary((x) => exp(x)),
  Log: unary((x) => log(x)),
  Neg: unary((x) => neg(x)),
  Abs: unary((x) => abs(x)),
  Reciprocal: unary((x) => div(1, x)),
  Erf: unary((x) => erfOp(x)),
  Flatten: { run: flattenOp },
  Reshape: {
    constSlots: (opset) => (opset >= 5 ? [1] : []),
    run(inputs, ctx) {
      const x = T(inputs[0]);
      const target = ctx.opset >= 5 ? constElems(ctx, inputs[1], 'shape') : (ais(ctx, 'shape') ?? fail(ctx, 'attribute shape is required'));
      return [reshape(x, reshapeTarget(ctx, x.shape, target))];
    },
  },
  Transpose: { run: transposeOp },
  Concat: { run: concatOp },
  Squeeze: { run: squeezeOp, constSlots: (opset) => (opset >= 13 ? [1] : []) },
  Unsqueeze: {
    constSlots: (opset) => (opset >= 13 ? [1] : []),
    run(inputs, ctx) {
      const x = T(inputs[0]);
      const axes = axesInput(ctx, inputs, 1, 13) ?? fail(ctx, 'axes are required');
      return [reshape(x, unsqueezeShape(ctx, x.shape, axes))];
    },
  },
  Pad: { run: padOp, constSlots: (opset) => (opset >= 11 ? [1, 3] : []) },
  Identity: { run: identityOp },
  Dropout: { run: (inp, ctx) => dropoutOp(inp, ctx, 1) },
  Slice: { run: sliceOp, constSlots: (opset) => (opset >= 10 ? [1, 2, 3, 4] : []) },
  Gather: { run: gatherOp, constSlots: () => [1] },
  Cast: { run: castOp },
  Expand: { run: expandOp, constSlots: () => [1] },
  ReduceMean: reduceOp((x, a) => mean(x, a), 18),
  ReduceSum: reduceOp((x, a) => sum(x, a), 13),
  ReduceMax: reduceOp((x, a) => max(x, a), 18),
  ReduceMin: reduceOp((x, a) => min(x, a), 18),
  ReduceSumSquare: reduceOp((x, a) => sum(square(x), a), 18),
  ReduceL1: reduceOp((x, a) => sum(abs(x), a), 18),
  ReduceL2: reduceOp((x, a) => sqrt(sum(square(x), a)), 18),
  ReduceLogSum: reduceOp((x, a) => log(sum(x, a)), 18),
  ReduceLogSumExp: reduceOp((x, a) => logSumExp(x, a), 18),
  Resize: { run: resizeOp, constSlots: () => [1, 2, 3] },
  Upsample: { run: resizeOp, constSlots: (opset) => (opset >= 9 ? [1] : []) },
  Split: { run: () => [], constSlots: (opset) => (opset >= 13 ? [1] : []) },
  Where: {
    run(inputs) {
      const like = firstTensor(inputs.slice(1));
      return [where(T(inputs[0], like), T(inputs[1], like), T(inputs[2], like))];
    },
  },
};

/** Runs one op; Split and Dropout need the node's output count. */
export function runOp(op: string, inputs: readonly Value[], ctx: OpContext, nOut: number): Tensor[] {
  if (op === 'Split') return splitOp(inputs, ctx, nOut);
  if (op === 'Dropout') return dropoutOp(inputs, ctx, nOut);
  const def = OPS[op];
  const outs = def.run(inputs, ctx);
  return outs;
}

const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];
const POOL_ATTRS = ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides'];
const REDUCE_ATTRS = ['axes', 'keepdims', 'noop_with_empty_axes'];
const BROADCAST_ATTRS = ['broadcast', 'axis'];

/**
 * The attributes each op may carry; any other is refused, since dropping one silently would
 * give another model (a renamed 'strides' must not read as the default stride).
 */
export const OP_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  Conv: CONV_ATTRS, ConvTranspose: [...CONV_ATTRS, 'output_padding', 'output_shape'],
  MaxPool: [...POOL_ATTRS, 'storage_order'], AveragePool: [...POOL_ATTRS, 'count_include_pad'],
  GlobalAveragePool: [], GlobalMaxPool: [], GlobalLpPool: ['p'],
  BatchNormalization: ['epsilon', 'momentum', 'spatial', 'is_test', 'training_mode'], InstanceNormalization: ['epsilon'],
  LayerNormalization: ['axis', 'epsilon', 'stash_type'],
  Relu: [], LeakyRelu: ['alpha'], Elu: ['alpha'], Celu: ['alpha'], Selu: ['alpha', 'gamma'], Sigmoid: [], HardSigmoid: ['alpha', 'beta'],
  HardSwish: [], Tanh: [], Softplus: [], Softsign: [], ThresholdedRelu: ['alpha'], Mish: [], PRelu: [], Clip: ['min', 'max'],
  Softmax: ['axis'], LogSoftmax: ['axis'], Gemm: ['alpha', 'beta', 'transA', 'transB', 'broadcast'], MatMul: [],
  Add: BROADCAST_ATTRS, Sub: BROADCAST_ATTRS, Mul: BROADCAST_ATTRS, Div: BROADCAST_ATTRS, Pow: BROADCAST_ATTRS,
  Sum: [], Mean: [], Max: [], Min: [], Sqrt: [], Exp: [], Log: [], Neg: [], Abs: [], Reciprocal: [], Erf: [],
  Flatten: ['axis'], Reshape: ['shape', 'allowzero'], Transpose: ['perm'], Concat: ['axis'], Squeeze: ['axes'], Unsqueeze: ['axes'],
  Pad: ['mode', 'pads', 'paddings', 'value'], Identity: [], Dropout: ['ratio', 'is_test', 'seed'], Slice: ['starts', 'ends', 'axes'],
  Gather: ['axis'], Cast: ['to', 'saturate'], Expand: [],
  ReduceMean: REDUCE_ATTRS, ReduceSum: REDUCE_ATTRS, ReduceMax: REDUCE_ATTRS, ReduceMin: REDUCE_ATTRS, ReduceSumSquare: REDUCE_ATTRS,
  ReduceL1: REDUCE_ATTRS, ReduceL2: REDUCE_ATTRS, ReduceLogSum: REDUCE_ATTRS, ReduceLogSumExp: REDUCE_ATTRS,
  Resize: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
  Upsample: ['mode', 'scales'], Split: ['axis', 'split', 'num_outputs'], Where: [],
  Sin: [], Cos: [], Sign: [], Floor: [], Ceil: [], Round: [], Shrink: ['lambd', 'bias'], Tile: [], DepthToSpace: ['blocksize', 'mode'],
  SpaceToDepth: ['blocksize'], LRN: ['alpha', 'beta', 'bias', 'size'], MeanVarianceNormalization: ['axes'], CastLike: ['saturate'],
  Equal: [], Less: [], Greater: [], LessOrEqual: [], GreaterOrEqual: [], Not: [], And: [], Or: [], Xor: [],
  Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'], ConstantOfShape: ['value'], Shape: ['start', 'end'], Size: [], Range: [],
};

/** Ops whose output has their first input's shape. */
const SAME_SHAPE = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Celu', 'Selu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Mish', 'ThresholdedRelu',
  'Clip', 'Softmax', 'LogSoftmax', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Erf', 'Identity', 'BatchNormalization',
  'InstanceNormalization', 'LRN', 'Sin', 'Cos', 'Sign', 'Floor', 'Ceil', 'Round', 'Shrink',
]);

/**
 * Output shapes by arithmetic for the ops that dominate a CNN's load time (convolutions,
 * pooling, elementwise), so that loading need not run them once; null where a dry run decides.
 */
export function inferShapes(ctx: OpContext, slots: readonly (readonly number[] | null)[]): number[][] | null {
  const op = ctx.op;
  const x = slots[0];
  if (!x) return null;
  const weight = slots[1] ?? null;
  if (SAME_SHAPE.has(op)) {
    if (op === 'BatchNormalization') {
      const c = x[1];
      if (ai(ctx, 'training_mode', 0) === 1 || slots.length !== 5 || !slots.slice(1).every((p) => p && p.length === 1 && p[0] === c)) return null;
    } else if (op === 'InstanceNormalization') return null;
    else if (op === 'Clip' ? slots.length > 3 : slots.length !== 1) return null;
    return [[...x]];
  }
  if ((op === 'GlobalAveragePool' || op === 'GlobalMaxPool') && x.length >= 3 && slots.length === 1) return [x.map((d, i) => (i < 2 ? d : 1))];
  if (x.length !== 4) return null;
  const [N, C, H, W] = x;
  const size = (n: number, lo: number, hi: number, ek: number, s: number, ceil: boolean, poolRule: boolean) => {
    const span = n + lo + hi - ek;
    if (span < 0) return -1;
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (poolRule && ceil && (o - 1) * s >= n + lo) o--;
    return o;
  };
  if (op === 'Conv' && weight && weight.length === 4) {
    const [M, Cg, kh, kw] = weight;
    const group = ai(ctx, 'group', 1);
    if (group < 1 || C !== Cg * group || M % group !== 0 || slots.length > 3) return null;
    if (slots.length === 3 && slots[2] && (slots[2].length !== 1 || slots[2][0] !== M)) return null;
    const s = list2(ctx, 'strides', false, 1);
    const d = list2(ctx, 'dilations', false, 1);
    const [pt, pl, pb, pr] = spatialPads(ctx, false, H, W, [kh, kw], s, d);
    const oh = size(H, pt, pb, (kh - 1) * d[0] + 1, s[0], false, false);
    const ow = size(W, pl, pr, (kw - 1) * d[1] + 1, s[1], false, false);
    return oh >= 1 && ow >= 1 ? [[N, M, oh, ow]] : null;
  }
  if (op === 'MaxPool' || op === 'AveragePool') {
    if (slots.length !== 1) return null;
    if (op === 'MaxPool' && ai(ctx, 'storage_order', 0) !== 0) return null;
    const k = list2(ctx, 'kernel_shape', false, 0);
    if (k[0] < 1 || k[1] < 1) return null;
    const s = list2(ctx, 'strides', false, 1);
    const d = list2(ctx, 'dilations', false, 1);
    if (op === 'AveragePool' && (d[0] !== 1 || d[1] !== 1)) return null;
    const [pt, pl, pb, pr] = spatialPads(ctx, false, H, W, k, s, d);
    const ceil = ai(ctx, 'ceil_mode', 0) === 1;
    const oh = size(H, pt, pb, (k[0] - 1) * d[0] + 1, s[0], ceil, true);
    const ow = size(W, pl, pr, (k[1] - 1) * d[1] + 1, s[1], ceil, true);
    return oh >= 1 && ow >= 1 ? [[N, C, oh, ow]] : null;
  }
  return null;
}

const NUMBER_ATTRS = [
  'alpha', 'beta', 'epsilon', 'momentum', 'gamma', 'lambd', 'bias', 'ratio', 'min', 'max', 'p', 'axis', 'keepdims', 'group', 'transA',
  'transB', 'ceil_mode', 'count_include_pad', 'storage_order', 'allowzero', 'to', 'blocksize', 'size', 'noop_with_empty_axes',
  'training_mode', 'is_test', 'spatial', 'broadcast', 'num_outputs', 'start', 'end', 'saturate', 'seed', 'exclude_outside', 'antialias',
  'cubic_coeff_a', 'extrapolation_value', 'stash_type', 'value_float', 'value_int',
];
const STRING_ATTRS = ['auto_pad', 'mode', 'coordinate_transformation_mode', 'nearest_mode', 'keep_aspect_ratio_policy'];
const LIST_ATTRS = [
  'pads', 'paddings', 'strides', 'dilations', 'kernel_shape', 'perm', 'axes', 'starts', 'ends', 'split', 'shape', 'output_padding',
  'output_shape', 'scales', 'value_floats', 'value_ints',
];

/** The kind an attribute's value must have ('value' is a tensor but Pad-2's number); null when it fits. */
export function attributeKindError(op: string, name: string, v: AttrValue): string | null {
  const want = name === 'value' ? (op === 'Pad' ? 'number' : 'tensor')
    : NUMBER_ATTRS.includes(name) ? 'number' : STRING_ATTRS.includes(name) ? 'string' : LIST_ATTRS.includes(name) ? 'list of numbers' : null;
  if (want === null) return null;
  const ok = want === 'number' ? typeof v === 'number'
    : want === 'string' ? typeof v === 'string'
      : want === 'tensor' ? typeof v === 'object' && v !== null && !Array.isArray(v)
        : Array.isArray(v) && v.every((x) => typeof x === 'number');
  return ok ? null : `attribute '${name}' must be a ${want}, got ${typeof v === 'object' && !Array.isArray(v) ? 'a tensor' : JSON.stringify(v)}`;
}

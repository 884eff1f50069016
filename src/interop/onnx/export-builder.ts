// The ONNX graph under construction for saveOnnx: unique value names, nodes with typed
// attributes, float32 initializers (raw little-endian bytes) and int64 constants, and the tensors
// in gradlab's NHWC layout or in ONNX's channels-first one, each converted at most once.
import { create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType, NodeProtoSchema, TensorProtoSchema, TensorProto_DataType,
  type AttributeProto, type NodeProto, type TensorProto,
} from 'onnx-buf';
import type { Tensor } from '../../tensor/tensor.js';

/** An attribute value: a number is an int unless wrapped as { float }, arrays of ints, strings. */
export type AttrValue = number | { float: number } | readonly number[] | { floats: readonly number[] } | string;

/** 'nhwc': gradlab's layout (channels last); 'nchw': channels moved to axis 1, as ONNX's conv and pooling want. */
export type Layout = 'nhwc' | 'nchw';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values as ONNX raw_data: little-endian bytes. */
export function float32Bytes(values: Float32Array): Uint8Array<ArrayBuffer> {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

function int64Bytes(values: readonly number[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** `data` of `shape` with its axes permuted: out axis i is input axis perm[i]. */
export function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(data.length);
  const strides = new Array<number>(rank);
  let s = 1;
  for (let a = rank - 1; a >= 0; a--) { strides[a] = s; s *= shape[a]; }
  const outShape = perm.map((p) => shape[p]);
  const srcStride = perm.map((p) => strides[p]);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    // odometer over the output's axes, moving the source offset by each axis' stride
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      src += srcStride[a];
      if (idx[a] < outShape[a]) break;
      src -= srcStride[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/** The permutation taking channels-last [N, d1.., C] to channels-first [N, C, d1..] (rank >= 3). */
export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Its inverse: channels-first back to channels-last. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Where axis `a` of a channels-last tensor of `rank` sits in the channels-first one. */
export function channelsFirstAxis(a: number, rank: number): number {
  return a === 0 ? 0 : a === rank - 1 ? 1 : a + 1;
}

/**
 * A tensor of the exported graph: its per-sample shape as gradlab sees it (channels last), and
 * its names in the layouts made so far (the first one is where it was computed).
 */
export class Value {
  readonly names = new Map<Layout, string>();
  constructor(readonly shape: readonly number[], layout: Layout, name: string) {
    this.names.set(layout, name);
  }
  /** The layout it was computed in. */
  get home(): Layout {
    return this.names.keys().next().value as Layout;
  }
  /** Rank with the batch axis. */
  get rank(): number {
    return this.shape.length + 1;
  }
  /** Whether a channels-first form exists (rank 3 or more with the batch axis). */
  get canBeChannelsFirst(): boolean {
    return this.rank >= 3;
  }
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly weightNames = new Map<string, string>();
  private readonly constants = new Map<string, string>();

  constructor(readonly opset: number, reserved: readonly string[]) {
    for (const r of reserved) this.used.add(r);
  }

  /** A name no other value of the graph has, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let n = clean;
    for (let k = 1; this.used.has(n); k++) n = `${clean}_${k}`;
    this.used.add(n);
    return n;
  }

  /** Adds a node; returns its output names (made from `base`). */
  node(op: string, inputs: readonly string[], base: string, attrs: Readonly<Record<string, AttrValue>> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? base : `${base}:${i}`));
    this.nodes.push(create(NodeProtoSchema, {
      opType: op, input: [...inputs], output: outs, name: this.fresh(`${base}/${op}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    }));
    return outs;
  }

  /** An Identity node whose output has the exact (reserved) name `output`. */
  identity(input: string, output: string): void {
    this.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [input], output: [output], name: this.fresh(`${output}/Identity`) }));
  }

  /** node() with one output. */
  op(op: string, inputs: readonly string[], base: string, attrs: Readonly<Record<string, AttrValue>> = {}): string {
    return this.node(op, inputs, base, attrs)[0];
  }

  /** A float32 initializer; `key` (a weight's identity) makes a shared weight one initializer. */
  floats(name: string, dims: readonly number[], values: Float32Array, key?: string): string {
    if (key !== undefined) {
      const known = this.weightNames.get(key);
      if (known) return known;
    }
    const n = this.fresh(name);
    this.initializers.push(create(TensorProtoSchema, {
      name: n, dims: dims.map((d) => BigInt(d)), dataType: TensorProto_DataType.FLOAT, rawData: float32Bytes(values),
    }));
    if (key !== undefined) this.weightNames.set(key, n);
    return n;
  }

  /** A small float32 constant (a scalar when dims is []), shared by value. */
  scalar(value: number, dims: readonly number[] = []): string {
    const key = `f:${dims.join('x')}:${Math.fround(value)}`;
    const known = this.constants.get(key);
    if (known) return known;
    const n = this.floats(`const_${String(value).replace(/[^0-9A-Za-z]/g, '_')}`, dims, new Float32Array(dims.reduce((p, d) => p * d, 1)).fill(value));
    this.constants.set(key, n);
    return n;
  }

  /** An int64 vector constant (shapes, pads, axes, indices), shared by value. */
  ints(values: readonly number[], base = 'ints'): string {
    const key = `i:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const n = this.fresh(base);
    this.initializers.push(create(TensorProtoSchema, {
      name: n, dims: [BigInt(values.length)], dataType: TensorProto_DataType.INT64, rawData: int64Bytes(values),
    }));
    this.constants.set(key, n);
    return n;
  }

  /** A weight tensor, converted to float32 (and permuted when `perm` is given), shared by identity. */
  weight(base: string, t: Tensor, dims: readonly number[] = t.shape, perm?: readonly number[], viewShape: readonly number[] = t.shape): string {
    const key = `${weightKey(t)}:${dims.join('x')}:${perm?.join(',') ?? ''}`;
    const known = this.weightNames.get(key);
    if (known) return known;
    const values = perm ? permute(t.data, viewShape, perm) : Float32Array.from(t.data);
    return this.floats(base, dims, values, key);
  }

  /** The name of `v` in `layout`, adding one Transpose the first time it is asked for. */
  get(v: Value, layout: Layout): string {
    const have = v.names.get(layout);
    if (have) return have;
    // [N, C]: both layouts are the same
    if (!v.canBeChannelsFirst) return v.names.get(v.home)!;
    const from = v.names.get(v.home)!;
    const perm = layout === 'nchw' ? toChannelsFirst(v.rank) : toChannelsLast(v.rank);
    const n = this.op('Transpose', [from], `${from}_${layout}`, { perm });
    v.names.set(layout, n);
    return n;
  }
}

const tensorIds = new WeakMap<Tensor, number>();
let nextTensorId = 0;

function weightKey(t: Tensor): string {
  let id = tensorIds.get(t);
  if (id === undefined) {
    id = nextTensorId++;
    tensorIds.set(t, id);
  }
  return `w${id}`;
}

function attribute(name: string, v: AttrValue): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof v === 'number') return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(v) });
  if (typeof v === 'string') return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(v) as Uint8Array<ArrayBuffer> });
  if (Array.isArray(v)) return create(AttributeProtoSchema, { name, type: T.INTS, ints: v.map((x: number) => BigInt(x)) });
  if ('float' in v) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: v.float });
  return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: [...(v as { floats: readonly number[] }).floats] });
}

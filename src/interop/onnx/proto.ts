// ONNX protobuf decoding and validation: bytes to a checked ModelProto, TensorProtos to plain
// constants. Nothing from the file is trusted before its sizes are checked against its dims.
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProtoSchema, type AttributeProto, type GraphProto, type ModelProto, type TensorProto } from 'onnx-buf';
import { FormatError, ValueError } from '../../core/errors.js';
import { describeValue } from '../../core/validate.js';
import { halfToFloat } from '../../core/float16.js';

/** Most elements one tensor of the file may hold (2^30: 4 GiB of float32). */
export const MAX_ELEMENTS = 2 ** 30;
/** Most elements of a tensor made at load time (ConstantOfShape, a graph input's sample, a dry run). */
export const MAX_COMPUTED = 2 ** 26;
/** Most axes of a tensor. */
export const MAX_RANK = 16;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX element types (TensorProto.DataType) that gradlab reads. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };
const TYPE_NAMES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64',
};

export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}

export function isFloatType(t: number): boolean {
  return t === DT.FLOAT || t === DT.DOUBLE || t === DT.FLOAT16;
}

/** The batch size as a symbol inside folded shape vectors (Shape of a batch-first tensor). */
export const BATCH = 'B';
export type Elem = number | typeof BATCH;

/** A constant: an ONNX tensor decoded into numbers (int64 as numbers, checked to be exact). */
export interface Const {
  readonly type: number;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number> | readonly Elem[];
}

export function sizeOfDims(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A bigint from the file as a safe integer, or a FormatError naming where it is. */
export function safeInt(v: bigint | number, where: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new FormatError(`${where}: integer ${String(v)} is out of range`);
  return n;
}

/**
 * int64 data as numbers: exporters write INT64_MAX/MIN for "to the end" in Slice, so values past
 * 2^53 clamp there (every op that reads such a value clamps it to an axis size anyway).
 */
function clampInt(v: bigint): number {
  const lim = BigInt(Number.MAX_SAFE_INTEGER);
  return v > lim ? Number.MAX_SAFE_INTEGER : v < -lim ? -Number.MAX_SAFE_INTEGER : Number(v);
}

/** Checks dims (non-negative, bounded rank and size) and returns them as numbers. */
export function checkDims(dims: readonly (bigint | number)[], where: string): number[] {
  if (dims.length > MAX_RANK) throw new FormatError(`${where}: ${dims.length} dims (at most ${MAX_RANK})`);
  const out = dims.map((d) => safeInt(d, where));
  let n = 1;
  for (const d of out) {
    if (d < 0) throw new FormatError(`${where}: negative dim in [${out.join(',')}]`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new FormatError(`${where}: dims [${out.join(',')}] hold more than ${MAX_ELEMENTS} elements`);
  }
  return out;
}

/** A TensorProto's values, checked: data length against dims, no external data, a known type. */
export function decodeTensor(t: TensorProto, where: string): Const {
  const w = `${where}${t.name ? ` '${t.name}'` : ''}`;
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    throw new FormatError(`${w}: the tensor's data is stored in an external file, which gradlab does not read (save the model with the weights inside the .onnx)`);
  }
  if (t.segment) throw new FormatError(`${w}: segmented tensors are not supported`);
  const dims = checkDims(t.dims, w);
  const n = sizeOfDims(dims);
  const type = t.dataType;
  if (type === DT.STRING) throw new FormatError(`${w}: string tensors are not supported`);
  const bytes = BYTES[type];
  if (bytes === undefined) throw new FormatError(`${w}: unsupported element type ${typeName(type)}`);
  const lengthError = (got: number, field: string) => new FormatError(`${w}: ${field} holds ${got} values but dims [${dims.join(',')}] need ${n}`);
  if (t.rawData.length > 0 || (n > 0 && t.floatData.length + t.int32Data.length + t.int64Data.length + t.doubleData.length + t.uint64Data.length === 0)) {
    const raw = t.rawData;
    if (raw.length !== n * bytes) throw new FormatError(`${w}: raw_data has ${raw.length} bytes but dims [${dims.join(',')}] of ${typeName(type)} need ${n * bytes}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    switch (type) {
      case DT.FLOAT: {
        if (LITTLE_ENDIAN) return { type, dims, data: new Float32Array(new Uint8Array(raw).buffer) }; // one copy, aligned (Buffer.slice would be a view)
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
        return { type, dims, data: out };
      }
      case DT.DOUBLE: {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
        return { type, dims, data: out };
      }
      case DT.FLOAT16: {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
        return { type: DT.FLOAT, dims, data: out };
      }
      default: {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          switch (type) {
            case DT.UINT8: case DT.BOOL: out[i] = view.getUint8(i); break;
            case DT.INT8: out[i] = view.getInt8(i); break;
            case DT.UINT16: out[i] = view.getUint16(2 * i, true); break;
            case DT.INT16: out[i] = view.getInt16(2 * i, true); break;
            case DT.INT32: out[i] = view.getInt32(4 * i, true); break;
            case DT.UINT32: out[i] = view.getUint32(4 * i, true); break;
            case DT.INT64: out[i] = clampInt(view.getBigInt64(8 * i, true)); break;
            case DT.UINT64: out[i] = clampInt(view.getBigUint64(8 * i, true)); break;
          }
        }
        return { type, dims, data: out };
      }
    }
  }
  if (type === DT.FLOAT) {
    if (t.floatData.length !== n) throw lengthError(t.floatData.length, 'float_data');
    return { type, dims, data: Float32Array.from(t.floatData) };
  }
  if (type === DT.DOUBLE) {
    if (t.doubleData.length !== n) throw lengthError(t.doubleData.length, 'double_data');
    return { type, dims, data: Float64Array.from(t.doubleData) };
  }
  if (type === DT.INT64) {
    if (t.int64Data.length !== n) throw lengthError(t.int64Data.length, 'int64_data');
    return { type, dims, data: Float64Array.from(t.int64Data, clampInt) };
  }
  if (type === DT.UINT64 || type === DT.UINT32) {
    if (t.uint64Data.length !== n) throw lengthError(t.uint64Data.length, 'uint64_data');
    return { type, dims, data: Float64Array.from(t.uint64Data, clampInt) };
  }
  // int32_data carries int32, int16, int8, uint16, uint8, bool and float16 (as bits)
  if (t.int32Data.length !== n) throw lengthError(t.int32Data.length, 'int32_data');
  if (type === DT.FLOAT16) return { type: DT.FLOAT, dims, data: Float32Array.from(t.int32Data, (v) => halfToFloat(v & 0xffff)) };
  return { type, dims, data: Float64Array.from(t.int32Data) };
}

/** Decodes a standalone TensorProto file (the test data's input_0.pb). */
export function decodeTensorFile(bytes: Uint8Array, file = '<bytes>'): Const {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`decodeOnnxTensor: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  if (typeof file !== 'string') throw new ValueError(`decodeOnnxTensor: file must be a string naming the bytes, got ${describeValue(file)}`);
  let t: TensorProto;
  try {
    t = fromBinary(TensorProtoSchema, bytes);
  } catch (e) {
    throw new FormatError(`${file}: not a valid ONNX TensorProto (${(e as Error).message})`);
  }
  return decodeTensor(t, file);
}

/** JSON-safe attribute values: numbers, strings, number lists, string lists or a constant. */
export type AttrValue = number | string | number[] | string[] | Const;
export type Attrs = Record<string, AttrValue>;

const utf8 = new TextDecoder('utf-8', { fatal: false });

const ATTRIBUTE_TYPE_NAMES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS' };

/** The value fields set besides the one the attribute's type names: writers set exactly one. */
function otherValueFields(a: AttributeProto): string[] {
  const set: [number, string, boolean][] = [
    [1, 'f', a.f !== 0], [2, 'i', a.i !== 0n], [3, 's', a.s.length > 0], [4, 't', a.t !== undefined],
    [6, 'floats', a.floats.length > 0], [7, 'ints', a.ints.length > 0], [8, 'strings', a.strings.length > 0],
  ];
  return set.filter(([type, , isSet]) => isSet && type !== a.type).map(([, name]) => name);
}

/** A node's attributes as plain values (ints as numbers, checked exact). */
export function decodeAttributes(list: readonly AttributeProto[], where: string): Attrs {
  const out: Attrs = Object.create(null) as Attrs;
  for (const a of list) {
    const w = `${where} attribute '${a.name}'`;
    if (a.refAttrName) throw new FormatError(`${w}: attribute references (functions) are not supported`);
    const other = otherValueFields(a);
    if (other.length > 0) throw new FormatError(`${w}: declares type ${ATTRIBUTE_TYPE_NAMES[a.type] ?? a.type} but also holds ${other.join(', ')} (a corrupt or mislabelled attribute)`);
    switch (a.type) {
      case 1: out[a.name] = a.f; break;
      case 2: out[a.name] = clampInt(a.i); break;
      case 3: out[a.name] = utf8.decode(a.s); break;
      case 4:
        if (!a.t) throw new FormatError(`${w}: tensor attribute without a tensor`);
        out[a.name] = decodeTensor(a.t, w);
        break;
      case 6: out[a.name] = [...a.floats]; break;
      case 7:
        if (a.ints.length > 1 << 20) throw new FormatError(`${w}: ${a.ints.length} ints`);
        out[a.name] = a.ints.map(clampInt);
        break;
      case 8: out[a.name] = a.strings.map((s) => utf8.decode(s)); break;
      default:
        // subgraphs and sparse tensors: no supported op takes them
        throw new FormatError(`${w}: attribute type ${a.type} (graph, sparse tensor or type proto) is not supported`);
    }
  }
  return out;
}

/** Decodes a .onnx file's bytes; every protobuf error becomes a FormatError naming the file. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let m: ModelProto;
  try {
    m = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new FormatError(`loadOnnx: ${file} is not a valid ONNX model (protobuf: ${(e as Error).message})`);
  }
  if (!m.graph) throw new FormatError(`loadOnnx: ${file} has no graph (not an ONNX model?)`);
  return m;
}

/** The default-domain opset of the model (opset_import with domain '' or 'ai.onnx'). */
export function defaultOpset(m: ModelProto, file: string): number {
  const entry = m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) {
    if (m.opsetImport.length === 0 && m.irVersion < 3n) return 1;
    throw new FormatError(`loadOnnx: ${file} imports no opset of the default ONNX domain (opset_import: ${m.opsetImport.map((o) => `${o.domain || "''"}:${o.version}`).join(', ') || 'none'})`);
  }
  const v = safeInt(entry.version, `loadOnnx: ${file} opset_import`);
  if (v < 1 || v > 30) throw new FormatError(`loadOnnx: ${file} imports opset ${v} of the default domain, outside 1..30`);
  return v;
}

/**
 * Graph-level checks: unique value names, every node input made by an earlier node or an
 * initializer or a graph input (which also rules out cycles), outputs defined.
 */
export function checkGraph(g: GraphProto, file: string): void {
  const defined = new Set<string>(['']);
  for (const i of g.initializer) defined.add(i.name);
  for (const i of g.input) defined.add(i.name);
  if (g.sparseInitializer.length > 0) throw new FormatError(`loadOnnx: ${file} has sparse initializers, which gradlab does not read`);
  g.node.forEach((n, k) => {
    const who = `node ${k}${n.name ? ` ('${n.name}')` : ''} (${n.opType})`;
    for (const name of n.input) {
      if (!defined.has(name)) throw new FormatError(`loadOnnx: ${file}: ${who} reads '${name}', which no earlier node, initializer or graph input defines (out of order or a cycle)`);
    }
    for (const name of n.output) {
      if (name !== '' && defined.has(name)) throw new FormatError(`loadOnnx: ${file}: ${who} redefines '${name}'`);
      defined.add(name);
    }
  });
  for (const o of g.output) {
    if (!defined.has(o.name) || o.name === '') throw new FormatError(`loadOnnx: ${file}: graph output '${o.name}' is never computed`);
  }
  if (g.output.length === 0) throw new FormatError(`loadOnnx: ${file}: the graph has no outputs`);
}

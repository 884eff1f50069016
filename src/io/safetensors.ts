/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * header ({ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }),
 * then the raw little-endian tensor bytes, offsets counted from the end of the header.
 *
 * Writing follows the reference implementation byte for byte: tensors sorted by descending dtype
 * (F64 before F32) then by name, compact JSON with `__metadata__` first, header padded with spaces
 * to a multiple of 8 so the data starts aligned. Reading validates everything the reference does
 * (header length, UTF-8, JSON, dtypes, shapes, offsets contiguous and covering the data exactly)
 * and reports each problem as a FormatError naming the file.
 */
import { DTypeError, FormatError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from '../core/atomic.js';
import { describeValue, showJson } from '../core/validate.js';
import { halfToFloat } from '../core/float16.js';
import { nodeModule } from '../core/env.js';
const fs = nodeModule('fs');
const fsp = nodeModule('fsp');

/** Element types the format defines that gradlab can read. */
export type SafetensorsDType =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

const DTYPE_SIZE: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1,
};

// The reference's header size limit; anything larger is a corrupt length field, not a real header.
const MAX_HEADER_SIZE = 100_000_000;

/** What a safetensors file holds: its tensors by name and its metadata. */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file (integers and halves are widened on reading). */
  dtypes: Record<string, SafetensorsDType>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serializes tensors (float32 as F32, float64 as F64) and optional string metadata. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  if (tensors === null || typeof tensors !== 'object') {
    throw new ValueError(`encodeSafetensors: tensors must be an object of name -> Tensor, got ${String(tensors)}`);
  }
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') {
      throw new ValueError('encodeSafetensors: "__metadata__" is reserved by the format and cannot name a tensor');
    }
    if (!(t instanceof Tensor)) {
      throw new ValueError(`encodeSafetensors: tensors["${name}"] is not a Tensor`);
    }
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') {
      throw new ValueError('encodeSafetensors: metadata must be an object of string -> string');
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new ValueError(`encodeSafetensors: metadata["${k}"] must be a string, got ${typeof v} (the format stores string -> string only)`);
      }
    }
  }
  const dt = (t: Tensor): SafetensorsDType => (t.dtype === 'float64' ? 'F64' : 'F32');
  // Reference order: larger-aligned dtypes first, then by name (code-point order, as Rust's str cmp).
  entries.sort(([an, a], [bn, b]) => DTYPE_SIZE[dt(b)] - DTYPE_SIZE[dt(a)] || (an < bn ? -1 : an > bn ? 1 : 0));

  // Built by hand, not with JSON.stringify of one object: JS objects move integer-like keys
  // ("0", "12") to the front, which would break the reference's key order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(`"__metadata__":{${Object.entries(metadata).map(([k, v]) => `${showJson(k)}:${showJson(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const n = t.data.byteLength;
    parts.push(`${showJson(name)}:{"dtype":"${dt(t)}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + n}]}`);
    offset += n;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      const view = new DataView(out.buffer, pos, t.data.byteLength);
      if (t.dtype === 'float64') t.data.forEach((v, i) => view.setFloat64(i * 8, v, true));
      else t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    }
    pos += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors buffer. F32 and F64 load as they are; F16, BF16, BOOL and 8/16-bit integers
 * load as float32 and 32/64-bit integers as float64 (exact; 64-bit values beyond 2^53 are refused).
 * `source` names the file in error messages.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsContents {
  const fail = (what: string): never => {
    throw new FormatError(`safetensors: ${source}: ${what}`);
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`decodeSafetensors: bytes must be a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  }
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) fail(`header length ${n64} is larger than the ${MAX_HEADER_SIZE}-byte limit (corrupt length field?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length - 8} bytes after the length field; truncated?)`);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail('header JSON is not an object');
  const header = parsed as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) fail('__metadata__ is not an object of string -> string');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__["${k}"] is ${showJson(v)}, not a string`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    entries.push(parseEntry(name, info, fail));
  }

  // Offsets must tile the data section exactly: sorted by begin, each starts where the last ended.
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) fail(`tensor "${e.name}" data_offsets [${e.begin},${e.end}] overlap the previous tensor, which ends at ${cursor}`);
    if (e.begin > cursor) fail(`tensor "${e.name}" data_offsets [${e.begin},${e.end}] leave a gap after offset ${cursor}`);
    cursor = e.end;
  }
  if (cursor > dataLength) fail(`data_offsets reach byte ${cursor} but the file holds only ${dataLength} data bytes (truncated?)`);
  if (cursor < dataLength) fail(`${dataLength - cursor} trailing bytes after the last tensor (offsets end at ${cursor}, data is ${dataLength} bytes)`);

  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDType> = {};
  for (const e of entries) {
    // Copy out: the file buffer may be unaligned for typed-array views and should not be pinned.
    // (A fresh array, not bytes.slice: Buffer.slice returns a view into Node's shared pool.)
    const raw = new Uint8Array(e.end - e.begin);
    raw.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    setOwn(tensors, e.name, new Tensor(convert(e, raw, source), e.shape));
    setOwn(dtypes, e.name, e.dtype);
  }
  return { tensors, metadata, dtypes };
}

// Names come from the file: a tensor called "__proto__" must become a key, not a prototype.
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseEntry(name: string, info: unknown, fail: (what: string) => never): Entry {
  if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`tensor "${name}" entry is not an object`);
  const o = info as Record<string, unknown>;
  const dtype = o.dtype;
  if (typeof dtype !== 'string') fail(`tensor "${name}" has no dtype string`);
  if (!Object.hasOwn(DTYPE_SIZE, dtype as string)) {
    fail(`tensor "${name}" has dtype ${showJson(dtype)}, not one of ${Object.keys(DTYPE_SIZE).join(', ')}`);
  }
  const shape = o.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(`tensor "${name}" shape ${showJson(shape)} is not a list of non-negative integers`);
  }
  const offsets = o.data_offsets;
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((v) => Number.isSafeInteger(v) && (v as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    fail(`tensor "${name}" data_offsets ${showJson(offsets)} are not [begin, end] with 0 <= begin <= end`);
  }
  const dims = shape as number[];
  const [begin, end] = offsets as [number, number];
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * DTYPE_SIZE[dtype as SafetensorsDType];
  if (!Number.isSafeInteger(expected)) fail(`tensor "${name}" shape ${fmtShape(dims)} is too large`);
  if (end - begin !== expected) {
    fail(`tensor "${name}" of dtype ${dtype as string} and shape ${fmtShape(dims)} needs ${expected} bytes but data_offsets [${begin},${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDType, shape: dims, begin, end };
}

function convert(e: Entry, raw: Uint8Array, source: string): Float32Array | Float64Array {
  const count = raw.length / DTYPE_SIZE[e.dtype];
  if (LITTLE_ENDIAN && e.dtype === 'F32') return new Float32Array(raw.buffer, 0, count);
  if (LITTLE_ENDIAN && e.dtype === 'F64') return new Float64Array(raw.buffer, 0, count);
  const v = new DataView(raw.buffer);
  const wide = e.dtype === 'F64' || e.dtype === 'I32' || e.dtype === 'U32' || e.dtype === 'I64' || e.dtype === 'U64';
  const out = wide ? new Float64Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (e.dtype) {
      case 'F64': out[i] = v.getFloat64(i * 8, true); break;
      case 'F32': out[i] = v.getFloat32(i * 4, true); break;
      case 'F16': out[i] = halfToFloat(v.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = bf16ToFloat(v.getUint16(i * 2, true)); break;
      case 'I32': out[i] = v.getInt32(i * 4, true); break;
      case 'U32': out[i] = v.getUint32(i * 4, true); break;
      case 'I16': out[i] = v.getInt16(i * 2, true); break;
      case 'U16': out[i] = v.getUint16(i * 2, true); break;
      case 'I8': out[i] = v.getInt8(i); break;
      case 'U8': out[i] = v.getUint8(i); break;
      case 'BOOL': out[i] = v.getUint8(i) !== 0 ? 1 : 0; break;
      case 'I64':
      case 'U64': {
        const big = e.dtype === 'I64' ? v.getBigInt64(i * 8, true) : v.getBigUint64(i * 8, true);
        const num = Number(big);
        if (!Number.isSafeInteger(num)) {
          throw new DTypeError(`safetensors: ${source}: tensor "${e.name}" (${e.dtype}) holds ${big}, which float64 cannot represent exactly`);
        }
        out[i] = num;
        break;
      }
    }
  }
  return out;
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16);
  return bf16Scratch.getFloat32(0);
}

/** Writes tensors to a .safetensors file atomically. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads a .safetensors file; a missing, truncated or corrupt file gives a FormatError naming it. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  if (typeof path !== 'string' || path === '') throw new ValueError(`readSafetensors: path must be a non-empty string, got ${describeValue(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(path);
  } catch (err) {
    throw new FormatError(`safetensors: cannot read ${path}: ${(err as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

/** Synchronous twin of `readSafetensors`. */
export function readSafetensorsSync(path: string): SafetensorsContents {
  if (typeof path !== 'string' || path === '') throw new ValueError(`readSafetensorsSync: path must be a non-empty string, got ${describeValue(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw new FormatError(`safetensors: cannot read ${path}: ${(err as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun): two zero bytes, a type code, the number of
 * dimensions, each dimension as a big-endian uint32, then the values big-endian, row-major.
 * Files may be gzipped (recognised by the gzip magic bytes, not the name).
 */
import { FormatError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, hasOwn, oneOf, optionKeys, positiveInt } from '../core/validate.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import { nodeModule } from '../core/env.js';
const fs = nodeModule('fs');
const zlib = nodeModule('zlib');

/** The value types an IDX file can store. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
/** The typed array holding an IDX file's values, one per IdxType. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** The raw contents of an IDX file: values in their stored type, in native byte order. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

/** The most data bytes an IDX file may declare unless `maxBytes` says otherwise: 1 GiB (MNIST's training images are 47 MB). */
export const MAX_IDX_BYTES = 2 ** 30;
// Deflate gives at most about 1032 bytes per input byte; a header that claims more than this
// from a gzip stream of its size is lying, and is refused before anything is inflated.
const INFLATE_RATIO = 1100;
const INFLATE_SLACK = 1 << 16;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Un-gzips when the bytes start with the gzip magic; `source` names the file in errors. At most `maxOutput` bytes come out. */
export function maybeGunzip(bytes: Uint8Array, source: string, maxOutput = MAX_IDX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: maxOutput });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new FormatError(`${source}: gzip data inflates to more than ${maxOutput} bytes`);
    throw new FormatError(`${source}: gzip data is corrupt or truncated (${(err as Error).message})`);
  }
}

/**
 * The first inflated bytes of a gzip stream, enough for an IDX header: growing prefixes of the
 * input are inflated (a prefix of k bytes gives at most about 1032 k), so nothing big is made.
 */
function gunzipHead(bytes: Uint8Array, fail: (what: string) => never): Uint8Array {
  for (let k = Math.min(bytes.length, 4096); ; k = Math.min(bytes.length, k * 16)) {
    let out: Uint8Array;
    try {
      out = zlib.gunzipSync(bytes.subarray(0, k), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: k * INFLATE_RATIO + INFLATE_SLACK });
    } catch (err) {
      return fail(`gzip data is corrupt (${(err as Error).message})`);
    }
    if ((out.length >= 4 && out.length >= 4 + 4 * out[3]) || k === bytes.length) return out;
  }
}

/** Options of `parseIdx(bytes, options)`. */
export interface ParseIdxOptions {
  /** false: uint8/int8 data is a view into the input (or its gunzipped copy) rather than a copy. Default true. */
  copy?: boolean;
  /** The most data bytes the header may declare (default MAX_IDX_BYTES, 1 GiB): checked before anything is allocated or inflated. */
  maxBytes?: number;
}

const PARSE_KEYS = optionKeys<ParseIdxOptions>({ copy: true, maxBytes: true });

/**
 * Parses IDX bytes (gzipped or not), validating the whole header against the data size and the
 * limit before allocating; a gzip stream is inflated only up to the size its header declares.
 * With `copy: false`, uint8/int8 data is a view into `input` (or its gunzipped copy) rather than a copy.
 */
export function parseIdx(input: Uint8Array, source = '<bytes>', options: ParseIdxOptions = {}): IdxArray {
  const o = checkOptions('parseIdx', options, PARSE_KEYS);
  const copy = o.copy === undefined ? true : booleanOption('parseIdx', 'copy', o.copy);
  const maxBytes = o.maxBytes === undefined ? MAX_IDX_BYTES : positiveInt('parseIdx', 'maxBytes', o.maxBytes);
  const fail = (what: string): never => {
    throw new FormatError(`loadIdx: ${source}: ${what}`);
  };
  if (!(input instanceof Uint8Array)) {
    throw new ValueError(`parseIdx: bytes must be a Uint8Array, got ${Object.prototype.toString.call(input)}`);
  }
  const gzipped = isGzip(input);
  const head = gzipped ? gunzipHead(input, fail) : input;
  if (head.length < 4) fail(`file is ${head.length} bytes${gzipped ? ' once inflated' : ''}, too short for the 4-byte IDX magic number`);
  if (head[0] !== 0 || head[1] !== 0) {
    fail(`magic number starts with 0x${hex(head[0])}${hex(head[1])}, not 0x0000: not an IDX file`);
  }
  const code = head[2];
  const kind = hasOwn(TYPES, String(code)) ? TYPES[code] : fail(`type code 0x${hex(code)} is not one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64)`);
  const rank = head[3];
  if (rank === 0) fail('header declares 0 dimensions');
  const headerSize = 4 + 4 * rank;
  if (head.length < headerSize) fail(`header declares ${rank} dimensions but the file ends after ${head.length} bytes (truncated?)`);
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(hv.getUint32(4 + 4 * i, false));
  // The product stays exact: it is compared with the limit as it grows.
  let expected = kind.size;
  for (const d of shape) {
    expected *= d;
    if (expected > maxBytes) fail(`shape ${fmtShape(shape)} of ${kind.type} declares more than ${maxBytes} data bytes, the limit (options.maxBytes)`);
  }
  const count = expected / kind.size;
  let bytes = input;
  if (gzipped) {
    const total = headerSize + expected;
    if (total > input.length * INFLATE_RATIO + INFLATE_SLACK) {
      fail(`shape ${fmtShape(shape)} of ${kind.type} declares ${expected} data bytes, more than a gzip stream of ${input.length} bytes can hold`);
    }
    try {
      // One byte more than declared, so that extra data is seen without inflating all of it.
      bytes = zlib.gunzipSync(input, { maxOutputLength: total + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        fail(`shape ${fmtShape(shape)} of ${kind.type} needs ${expected} data bytes but the gzip data inflates to more (extra data)`);
      }
      fail(`gzip data is corrupt or truncated (${(err as Error).message})`);
    }
  }
  const actual = bytes.length - headerSize;
  if (actual < expected) {
    fail(`shape ${fmtShape(shape)} of ${kind.type} needs ${expected} data bytes but the file has ${actual} (truncated?)`);
  }
  if (actual > expected) {
    fail(`shape ${fmtShape(shape)} of ${kind.type} needs ${expected} data bytes but the file has ${actual} (${actual - expected} extra)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: kind.type, shape, data: readValues(view, headerSize, count, kind.type, copy) };
}

function readValues(view: DataView, offset: number, count: number, type: IdxType, copy: boolean): IdxData {
  const base = view.byteOffset + offset;
  switch (type) {
    case 'uint8':
      return copy ? new Uint8Array(view.buffer.slice(base, base + count)) : new Uint8Array(view.buffer, base, count);
    case 'int8':
      return copy ? new Int8Array(view.buffer.slice(base, base + count)) : new Int8Array(view.buffer, base, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/** Reads a file, turning "not there" and friends into a FormatError that says what to do; a file over `maxBytes` is refused unread. */
export function readBytes(path: string, fn: string, hint?: string, maxBytes?: number): Uint8Array {
  try {
    if (maxBytes !== undefined) {
      const size = fs.statSync(path).size;
      if (size > maxBytes) throw new FormatError(`${fn}: ${path} is ${size} bytes, more than the limit of ${maxBytes}`);
    }
    return fs.readFileSync(path);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'file not found' : e.message;
    throw new FormatError(`${fn}: cannot read ${path}: ${why}${hint ? `. ${hint}` : ''}`);
  }
}

/** Options of `readIdx(path, options)`. */
export interface ReadIdxOptions {
  /** The most data bytes the file may declare (default MAX_IDX_BYTES, 1 GiB); a larger file is not read. */
  maxBytes?: number;
}

const READ_KEYS = optionKeys<ReadIdxOptions>({ maxBytes: true });

/** Reads an IDX file (gzipped or not) with its values in their stored type. */
export function readIdx(path: string, options: ReadIdxOptions = {}): IdxArray {
  const o = checkOptions('readIdx', options, READ_KEYS);
  const maxBytes = o.maxBytes === undefined ? MAX_IDX_BYTES : positiveInt('readIdx', 'maxBytes', o.maxBytes);
  // The header is at most 1,024 bytes; a plain file longer than that plus the limit cannot be valid.
  return parseIdx(readBytes(path, 'loadIdx', undefined, maxBytes + 1024), path, { maxBytes });
}

/** Options of `loadIdx(path, options)`. */
export interface LoadIdxOptions {
  /** Defaults to float32, or float64 for int32 and float64 files, so that values stay exact. */
  dtype?: DType;
  /** The most data bytes the file may declare (default MAX_IDX_BYTES, 1 GiB). */
  maxBytes?: number;
}

/** Reads an IDX file (gzipped or not) as a Tensor of its values, unscaled. */
const LOAD_KEYS = optionKeys<LoadIdxOptions>({ dtype: true, maxBytes: true });

export function loadIdx(path: string, options: LoadIdxOptions = {}): Tensor {
  const o = checkOptions('loadIdx', options, LOAD_KEYS);
  const dtype = o.dtype === undefined ? undefined : oneOf('loadIdx', 'dtype', o.dtype, ['float32', 'float64'] as const);
  const idx = readIdx(path, o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes });
  const wide = dtype ?? (idx.type === 'int32' || idx.type === 'float64' ? 'float64' : 'float32');
  const data = wide === 'float64' ? Float64Array.from(idx.data) : Float32Array.from(idx.data);
  return new Tensor(data, idx.shape);
}

/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun): two zero bytes, a type code, the number of
 * dimensions, each dimension as a big-endian uint32, then the values big-endian, row-major.
 * Files may be gzipped (recognised by the gzip magic bytes, not the name).
 */
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FormatError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, oneOf, optionKeys } from '../core/validate.js';
import { Tensor, type DType } from '../tensor/tensor.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
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

/** Un-gzips when the bytes start with the gzip magic; `source` names the file in errors. */
export function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (err) {
      throw new FormatError(`${source}: gzip data is corrupt or truncated (${(err as Error).message})`);
    }
  }
  return bytes;
}

export interface ParseIdxOptions {
  /** false: uint8/int8 data is a view into the input (or its gunzipped copy) rather than a copy. Default true. */
  copy?: boolean;
}

const PARSE_KEYS = optionKeys<ParseIdxOptions>({ copy: true });

/**
 * Parses IDX bytes (gzipped or not), validating the whole header against the data size.
 * With `copy: false`, uint8/int8 data is a view into `input` (or its gunzipped copy) rather than a copy.
 */
export function parseIdx(input: Uint8Array, source = '<bytes>', options: ParseIdxOptions = {}): IdxArray {
  const o = checkOptions('parseIdx', options, PARSE_KEYS);
  const copy = o.copy === undefined ? true : booleanOption('parseIdx', 'copy', o.copy);
  const fail = (what: string): never => {
    throw new FormatError(`loadIdx: ${source}: ${what}`);
  };
  if (!(input instanceof Uint8Array)) {
    throw new ValueError(`parseIdx: bytes must be a Uint8Array, got ${Object.prototype.toString.call(input)}`);
  }
  const bytes = maybeGunzip(input, `loadIdx: ${source}`);
  if (bytes.length < 4) fail(`file is ${bytes.length} bytes, too short for the 4-byte IDX magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`magic number starts with 0x${hex(bytes[0])}${hex(bytes[1])}, not 0x0000: not an IDX file`);
  }
  const code = bytes[2];
  const kind = TYPES[code];
  if (kind === undefined) {
    fail(`type code 0x${hex(code)} is not one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64)`);
  }
  const rank = bytes[3];
  if (rank === 0) fail('header declares 0 dimensions');
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) fail(`header declares ${rank} dimensions but the file ends after ${bytes.length} bytes (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * kind.size;
  const actual = bytes.length - headerSize;
  if (actual < expected) {
    fail(`shape ${fmtShape(shape)} of ${kind.type} needs ${expected} data bytes but the file has ${actual} (truncated?)`);
  }
  if (actual > expected) {
    fail(`shape ${fmtShape(shape)} of ${kind.type} needs ${expected} data bytes but the file has ${actual} (${actual - expected} extra)`);
  }
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

/** Reads a file, turning "not there" and friends into a FormatError that says what to do. */
export function readBytes(path: string, fn: string, hint?: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'file not found' : e.message;
    throw new FormatError(`${fn}: cannot read ${path}: ${why}${hint ? `. ${hint}` : ''}`);
  }
}

/** Reads an IDX file (gzipped or not) with its values in their stored type. */
export function readIdx(path: string): IdxArray {
  return parseIdx(readBytes(path, 'loadIdx'), path);
}

export interface LoadIdxOptions {
  /** Defaults to float32, or float64 for int32 and float64 files, so that values stay exact. */
  dtype?: DType;
}

/** Reads an IDX file (gzipped or not) as a Tensor of its values, unscaled. */
const LOAD_KEYS = optionKeys<LoadIdxOptions>({ dtype: true });

export function loadIdx(path: string, options: LoadIdxOptions = {}): Tensor {
  const o = checkOptions('loadIdx', options, LOAD_KEYS);
  const dtype = o.dtype === undefined ? undefined : oneOf('loadIdx', 'dtype', o.dtype, ['float32', 'float64'] as const);
  const idx = readIdx(path);
  const wide = dtype ?? (idx.type === 'int32' || idx.type === 'float64' ? 'float64' : 'float32');
  const data = wide === 'float64' ? Float64Array.from(idx.data) : Float32Array.from(idx.data);
  return new Tensor(data, idx.shape);
}

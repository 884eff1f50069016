// A small, checked reader of HDF5 files as Keras writes them, over jsfive. jsfive parses the
// object headers, links and attributes; this module checks the superblock first, turns whatever
// jsfive throws (strings, TypeErrors of its failed asserts, RangeErrors past the buffer) into a
// FormatError naming the file and the object, and reads dataset bytes itself after checking them
// against the file's length (jsfive would build a JavaScript array per element).
// Where jsfive can loop on a hostile file, and what bounds it here:
// - B-tree nodes (group members, chunk indexes): a node may list the same child many times, level
//   after level, so the walk grows exponentially; global heaps and fractal heap blocks are walked by
//   addresses from the file too. Every jsfive call runs under a budget of DataView reads.
// - Object header continuations: v1 headers stop at their message count; jsfive's v2 parser
//   remembers visited blocks.
// - Soft links (jsfive follows them recursively): not followed; Keras writes none.
// - Chunked and filtered data (chunk loops, inflate bombs): refused; Keras writes contiguous datasets.
import * as hdf5 from 'jsfive';
import { FormatError, fmtShape } from '../../core/errors.js';
import { halfToFloat } from '../../core/float16.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
// Header message types (HDF5 spec IV.A.2).
const DATASPACE = 0x0001;
const DATA_LAYOUT = 0x0008;
const FILTER_PIPELINE = 0x000b;
/**
 * DataView reads one jsfive call (a group's members, an object's attributes) may make: a group of
 * 1000 layers takes about 50,000; a hostile B-tree reaches the limit in about a second.
 */
const READ_BUDGET = 1_000_000;
/** The most objects a walk visits, and how deep, before calling the file unreasonable. */
const MAX_DEPTH = 64;
const MAX_RANK = 32;

export type H5AttrValue = string | number | boolean | null | readonly (string | number)[];

export interface H5Array {
  /** The object path, e.g. /model_weights/dense/dense/kernel:0 */
  readonly path: string;
  readonly shape: number[];
  /** numpy-style: '<f4', '>f8', '<f2', '<i8', '|u1' */
  readonly dtype: string;
  readonly data: Float32Array;
}

// ---------- the read budget ----------

const GETTERS = ['getInt8', 'getUint8', 'getInt16', 'getUint16', 'getInt32', 'getUint32', 'getFloat32', 'getFloat64', 'getBigInt64', 'getBigUint64'] as const;
type Getter = (this: DataView, offset: number, littleEndian?: boolean) => number | bigint;
let budgetLeft = 0;
let guardDepth = 0;

class BudgetExceeded extends Error {}

/** Runs `fn` with every DataView read counted, so a looping parse ends with an error. */
function withBudget<T>(budget: number, fn: () => T): T {
  if (guardDepth > 0) return fn();
  const proto = DataView.prototype as unknown as Record<string, Getter>;
  const originals = GETTERS.map((g) => proto[g]);
  budgetLeft = budget;
  GETTERS.forEach((g, i) => {
    const orig = originals[i];
    proto[g] = function (this: DataView, offset: number, littleEndian?: boolean) {
      if (--budgetLeft < 0) throw new BudgetExceeded('the file makes the parser read too much (a loop in its structure?)');
      return orig.call(this, offset, littleEndian);
    };
  });
  guardDepth++;
  try {
    return fn();
  } finally {
    guardDepth--;
    GETTERS.forEach((g, i) => { proto[g] = originals[i]; });
  }
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e instanceof RangeError && /call stack/i.test(e.message) ? 'structure nested too deeply (a link cycle?)' : e.message;
  return typeof e === 'string' ? e : String(e);
}

// ---------- strings and attributes ----------

/** HDF5 strings are NUL-padded or NUL-terminated to a fixed length (h5py 2, numpy 'S' arrays). */
function stripNul(s: string): string {
  const i = s.indexOf('\0');
  return i >= 0 ? s.slice(0, i) : s;
}

function cleanAttr(v: unknown): H5AttrValue {
  if (typeof v === 'string') return stripNul(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return null;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const out: (string | number)[] = [];
    for (const x of Array.from(v as ArrayLike<unknown>)) {
      if (typeof x === 'string') out.push(stripNul(x));
      else if (typeof x === 'number') out.push(x);
      else if (typeof x === 'bigint') out.push(Number(x));
      else if (x instanceof Uint8Array) out.push(stripNul(new TextDecoder().decode(x)));
      else throw new Error(`an attribute element of an unsupported kind (${typeof x})`);
    }
    return out;
  }
  if (v instanceof ArrayBuffer) return stripNul(new TextDecoder().decode(v));
  throw new Error(`an attribute of an unsupported kind (${typeof v})`);
}

// ---------- the file ----------

type DataObjectsCtor = new (buffer: ArrayBuffer, offset: number) => hdf5.JsfiveDataObjects;

/** An open HDF5 file: its groups, attributes and datasets, read on demand. */
export class H5File {
  readonly root: H5Group;
  /** @internal */ readonly buffer: ArrayBuffer;
  /** @internal */ readonly ctor: DataObjectsCtor;
  /** @internal */ readonly budget: number;

  private constructor(readonly source: string, buffer: ArrayBuffer, file: hdf5.File) {
    this.buffer = buffer;
    this.ctor = file._dataobjects.constructor as DataObjectsCtor;
    this.budget = READ_BUDGET;
    this.root = new H5Group(this, '/', file._dataobjects, 0);
  }

  /** Opens HDF5 bytes; `source` names the file in error messages. */
  static open(bytes: Uint8Array, source: string): H5File {
    if (!(bytes instanceof Uint8Array)) throw new FormatError(`${source}: expected the bytes of an HDF5 file`);
    if (bytes.length < 64 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
      throw new FormatError(`${source}: not an HDF5 file (${bytes.length < 64 ? `only ${bytes.length} bytes` : 'no HDF5 signature at offset 0'})`);
    }
    const version = bytes[8];
    if (version !== 0 && version !== 2 && version !== 3) throw new FormatError(`${source}: HDF5 superblock version ${version} is not supported (0, 2 or 3)`);
    // sizes of offsets and lengths: byte 13/14 in version 0, 9/10 in versions 2 and 3
    const [so, sl] = version === 0 ? [bytes[13], bytes[14]] : [bytes[9], bytes[10]];
    if (so !== 8 || sl !== 8) throw new FormatError(`${source}: HDF5 file with ${so}-byte offsets and ${sl}-byte lengths (only 8 is supported)`);
    // the end-of-file address (v0: offset 40; v2/3: offset 28), as libhdf5 checks it: a file cut short
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eofAt = version === 0 ? 40 : 28;
    const eof = dv.getUint32(eofAt, true) + dv.getUint32(eofAt + 4, true) * 2 ** 32;
    if (eof > bytes.length) throw new FormatError(`${source}: truncated HDF5 file: its superblock says ${eof} bytes, the file has ${bytes.length}`);
    // jsfive reads an ArrayBuffer (and never writes it): a view of part of one is copied
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : bytes.slice().buffer;
    let file: hdf5.File;
    try {
      file = withBudget(READ_BUDGET, () => new hdf5.File(buffer, source));
    } catch (e) {
      throw new FormatError(`${source}: unreadable HDF5 superblock or root group: ${messageOf(e)}`);
    }
    return new H5File(source, buffer, file);
  }

  /** @internal Runs a jsfive call on object `path`; any failure is a FormatError naming both. */
  guard<T>(path: string, what: string, fn: () => T): T {
    try {
      return withBudget(this.budget, fn);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(`${this.source}: HDF5 object ${path}: cannot read ${what}: ${messageOf(e)}`);
    }
  }

  /** @internal */
  fail(path: string, message: string): FormatError {
    return new FormatError(`${this.source}: HDF5 object ${path}: ${message}`);
  }
}

function join(path: string, name: string): string {
  return path === '/' ? `/${name}` : `${path}/${name}`;
}

/** A group: its members (groups and datasets) and attributes. */
export class H5Group {
  private links: Map<string, number> | null = null;
  private attrCache: Map<string, H5AttrValue> | null = null;

  /** @internal */
  constructor(readonly file: H5File, readonly path: string, private readonly objects: hdf5.JsfiveDataObjects, private readonly depth: number) {}

  private members(): Map<string, number> {
    if (this.links) return this.links;
    const raw = this.file.guard(this.path, 'its members', () => this.objects.get_links());
    const links = new Map<string, number>();
    for (const name of Object.keys(raw)) {
      const target = raw[name];
      // soft links: Keras writes none; following them is how a file makes a cycle
      if (typeof target !== 'number') continue;
      if (!Number.isSafeInteger(target) || target < 0 || target >= this.file.buffer.byteLength) {
        throw this.file.fail(join(this.path, name), `its address ${target} is outside the file (${this.file.buffer.byteLength} bytes)`);
      }
      links.set(name, target);
    }
    this.links = links;
    return links;
  }

  /** Member names, in the file's order (h5py: sorted by name). */
  keys(): string[] {
    return [...this.members().keys()];
  }

  private resolve(path: string): { parent: H5Group; name: string; address: number } {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length === 0) throw this.file.fail(this.path, `empty member path ${JSON.stringify(path)}`);
    let g: H5Group = this;
    for (let i = 0; i < parts.length - 1; i++) g = g.group(parts[i]);
    const name = parts[parts.length - 1];
    const address = g.members().get(name);
    if (address === undefined) throw this.file.fail(join(g.path, name), `not found (the group ${g.path} has ${g.keys().slice(0, 8).map((k) => `'${k}'`).join(', ') || 'no members'})`);
    return { parent: g, name, address };
  }

  private open(path: string): { objects: hdf5.JsfiveDataObjects; full: string; parent: H5Group } {
    const { parent, name, address } = this.resolve(path);
    const full = join(parent.path, name);
    const objects = this.file.guard(full, 'its object header', () => new this.file.ctor(this.file.buffer, address));
    return { objects, full, parent };
  }

  /** Whether a member (or a path of members) exists. */
  has(path: string): boolean {
    const parts = path.split('/').filter((p) => p !== '');
    let g: H5Group = this;
    for (let i = 0; i < parts.length; i++) {
      if (!g.members().has(parts[i])) return false;
      if (i < parts.length - 1) {
        if (!g.isGroup(parts[i])) return false;
        g = g.group(parts[i]);
      }
    }
    return parts.length > 0;
  }

  /** Whether the member `name` is a group (false for a dataset). */
  isGroup(name: string): boolean {
    const { objects, full } = this.open(name);
    return !this.file.guard(full, 'its kind', () => objects.is_dataset);
  }

  /** The group at `path` (relative, members separated by '/'). */
  group(path: string): H5Group {
    const { objects, full, parent } = this.open(path);
    if (this.file.guard(full, 'its kind', () => objects.is_dataset)) throw this.file.fail(full, 'is a dataset where a group was expected');
    if (parent.depth + 1 > MAX_DEPTH) throw this.file.fail(full, `groups nested more than ${MAX_DEPTH} deep`);
    return new H5Group(this.file, full, objects, parent.depth + 1);
  }

  /** Attribute names. */
  attrNames(): string[] {
    return [...this.attributes().keys()];
  }

  private attributes(): Map<string, H5AttrValue> {
    if (this.attrCache) return this.attrCache;
    const raw = this.file.guard(this.path, 'its attributes', () => this.objects.get_attributes());
    const out = new Map<string, H5AttrValue>();
    for (const k of Object.keys(raw)) {
      try {
        out.set(k, cleanAttr(raw[k]));
      } catch (e) {
        throw this.file.fail(this.path, `attribute '${k}': ${messageOf(e)}`);
      }
    }
    this.attrCache = out;
    return out;
  }

  /** An attribute's value, or undefined when absent. */
  attr(name: string): H5AttrValue | undefined {
    return this.attributes().get(name);
  }

  /** A string attribute (variable-length, fixed-length NUL-padded, or a one-element array of them). */
  stringAttr(name: string): string | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
    throw this.file.fail(this.path, `attribute '${name}' should be a string, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }

  /**
   * A list-of-strings attribute as Keras' load_attributes_from_hdf5_group reads it: `name`, or
   * `name0`, `name1`, ... when Keras split it to stay under HDF5's 64 KB header limit. Undefined
   * when absent; an empty list stays empty (h5py writes [] as an empty float array).
   */
  stringListAttr(name: string): string[] | undefined {
    const attrs = this.attributes();
    const parts: H5AttrValue[] = [];
    if (attrs.has(name)) parts.push(attrs.get(name)!);
    else for (let i = 0; attrs.has(`${name}${i}`); i++) parts.push(attrs.get(`${name}${i}`)!);
    if (parts.length === 0) return undefined;
    const out: string[] = [];
    for (const p of parts) {
      if (typeof p === 'string') out.push(p);
      else if (Array.isArray(p) && p.every((x) => typeof x === 'string')) out.push(...(p as string[]));
      else throw this.file.fail(this.path, `attribute '${name}' should be a list of strings`);
    }
    return out;
  }

  /** Reads the dataset at `path` into a Float32Array (float16/32/64 and integer data). */
  dataset(path: string): H5Array {
    const { objects, full } = this.open(path);
    const f = this.file;
    const meta = f.guard(full, 'its header', () => {
      if (!objects.is_dataset) throw f.fail(full, 'is a group where a dataset was expected');
      const space = objects.find_msg_type(DATASPACE);
      if (space.length !== 1) throw f.fail(full, `has ${space.length} dataspace messages`);
      const shape = [...objects.shape];
      const dtype = objects.dtype;
      const filters = objects.filter_pipeline;
      const layout = objects.find_msg_type(DATA_LAYOUT);
      if (layout.length !== 1) throw f.fail(full, `has ${layout.length} data layout messages`);
      const [version, , layoutClass, propertyOffset] = objects._get_data_message_properties(layout[0].get('offset_to_message')!);
      return { shape, dtype, filters, version, layoutClass, propertyOffset };
    });
    const { shape, dtype } = meta;
    if (shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw f.fail(full, `bad shape ${JSON.stringify(shape)}`);
    if (typeof dtype !== 'string') throw f.fail(full, `has a datatype gradlab cannot read as numbers (${JSON.stringify(dtype).slice(0, 60)})`);
    const m = /^([<>|=]?)([fiu])(\d+)$/.exec(dtype);
    if (!m || !['1', '2', '4', '8'].includes(m[3]) || (m[2] === 'f' && m[3] === '1')) throw f.fail(full, `has datatype ${dtype}; expected float16/32/64 or an integer type`);
    if (meta.filters !== null) throw f.fail(full, 'is compressed or filtered (Keras writes plain datasets; gradlab reads only those)');
    if (meta.layoutClass !== 1) {
      throw f.fail(full, `uses ${meta.layoutClass === 2 ? 'chunked' : meta.layoutClass === 0 ? 'compact' : `layout class ${meta.layoutClass}`} storage (Keras writes contiguous datasets; gradlab reads only those)`);
    }
    const itemSize = Number(m[3]);
    const size = shape.reduce((a, b) => a * b, 1);
    const little = m[1] !== '>';
    const bytes = new Uint8Array(f.buffer);
    const view = new DataView(f.buffer);
    // the contiguous layout's properties start with the data's 8-byte address (then, from layout
    // version 3 on, its 8-byte size)
    const po = meta.propertyOffset;
    if (!Number.isSafeInteger(po) || po < 0 || po + 8 > bytes.length) throw f.fail(full, `data layout message at offset ${po} runs past the end of the file`);
    const lo = view.getUint32(po, true);
    const hi = view.getUint32(po + 4, true);
    const nbytes = size * itemSize;
    if (lo === 0xffffffff && hi === 0xffffffff) {
      if (size === 0) return { path: full, shape, dtype, data: new Float32Array(0) };
      throw f.fail(full, 'has no data written (its storage address is undefined)');
    }
    const offset = hi * 2 ** 32 + lo;
    if (!Number.isSafeInteger(offset) || offset + nbytes > bytes.length) {
      throw f.fail(full, `its data (${fmtShape(shape)} ${dtype}, ${nbytes} bytes at offset ${offset}) runs past the end of the file (${bytes.length} bytes)`);
    }
    if (meta.version >= 3 && po + 16 <= bytes.length) {
      const declared = view.getUint32(po + 8, true) + view.getUint32(po + 12, true) * 2 ** 32;
      if (declared !== nbytes) throw f.fail(full, `its layout says ${declared} bytes but ${fmtShape(shape)} ${dtype} needs ${nbytes}`);
    }
    return { path: full, shape, dtype, data: decode(view, offset, size, m[2], itemSize, little) };
  }
}

function decode(view: DataView, offset: number, n: number, kind: string, itemSize: number, little: boolean): Float32Array {
  const out = new Float32Array(n);
  if (kind === 'f' && itemSize === 4 && little) {
    out.set(new Float32Array(view.buffer.slice(offset, offset + 4 * n)));
    return out;
  }
  for (let i = 0; i < n; i++) {
    const p = offset + i * itemSize;
    if (kind === 'f') out[i] = itemSize === 8 ? view.getFloat64(p, little) : itemSize === 4 ? view.getFloat32(p, little) : halfToFloat(view.getUint16(p, little));
    else if (kind === 'i') out[i] = itemSize === 1 ? view.getInt8(p) : itemSize === 2 ? view.getInt16(p, little) : itemSize === 4 ? view.getInt32(p, little) : Number(view.getBigInt64(p, little));
    else out[i] = itemSize === 1 ? view.getUint8(p) : itemSize === 2 ? view.getUint16(p, little) : itemSize === 4 ? view.getUint32(p, little) : Number(view.getBigUint64(p, little));
  }
  return out;
}


// The four dtypes, their storage, NumPy-style promotion between them and the value casts.
import type { FloatArray } from '../backend/backend.js';
import { DTypeError, ValueError } from '../core/errors.js';
import { describeValue } from '../core/validate.js';

export type { FloatArray };
/** The dtypes the backend kernels compute in. */
export type FloatDType = 'float32' | 'float64';
/** int32 is stored in an Int32Array; bool in a Uint8Array holding 0 and 1. */
export type DType = FloatDType | 'int32' | 'bool';
/** A tensor's storage: one typed array per dtype. */
export type TensorData = FloatArray | Int32Array | Uint8Array;

/** Promotion order: a binary op on two dtypes computes in the later one (bool < int32 < float32 < float64). */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** The dtypes float kernels take. */
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64'];

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

export function isDType(v: unknown): v is DType {
  return v === 'float32' || v === 'float64' || v === 'int32' || v === 'bool';
}

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

/** A dtype option checked at run time: a DTypeError naming the function otherwise. */
export function checkDType(fn: string, dtype: unknown, allowed: readonly DType[] = DTYPES): DType {
  if (!isDType(dtype) || !allowed.includes(dtype)) {
    throw new DTypeError(`${fn}: dtype ${describeValue(dtype)} is not supported (use ${allowed.map((d) => `'${d}'`).join(', ')})`);
  }
  return dtype;
}

/**
 * The dtype a binary op on a and b computes in: the larger of the two in bool < int32 < float32 <
 * float64. int32 with float32 gives float32 (PyTorch's choice; NumPy 2 gives float64).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * The dtype of a JS number beside a tensor of dtype `t` (NumPy 2's rule for Python scalars,
 * NEP 50): the number does not upcast a tensor of its own kind, so float32 + 2.5 stays float32 and
 * int32 + 2 stays int32; an integer beside a bool gives int32, a fraction beside an integer
 * or a bool gives float32 (gradlab's default float).
 */
export function scalarDType(t: DType, v: number): DType {
  if (isFloatDType(t)) return t;
  if (Number.isInteger(v)) return 'int32';
  return 'float32';
}

/*
 * Storage the autograd engine knows to be dead (a consumed intermediate gradient) and fit (the
 * weights' gradients after a step) comes back here and is handed out again, zeroed, by allocate:
 * a training step then reuses last step's buffers instead of asking V8 for megabytes of new
 * ones, whose zeroing, page faults and external-memory-driven GCs cost LeNet-5 ~18% of a step.
 * Only whole-buffer arrays of POOL_MIN elements and more are kept, up to POOL_BYTES in all (more
 * while fit reserves one training step's worth).
 */
const POOL_MIN = 2048;
const POOL_BYTES = 64 * 2 ** 20;
const POOL_PER_SIZE = 64;
/** The most a reservation raises the pool's capacity to. */
const POOL_RESERVE_MAX = 2 * 2 ** 30;
const pool = new Map<string, TensorData[]>();
/** Two arrays over one buffer must not both go in: the buffer would be handed out twice. */
const pooledBuffers = new Set<ArrayBufferLike>();
let pooledBytes = 0;
/** What the pool may hold: POOL_BYTES, or more while a reservation (reservePool) is open. */
let poolCap = POOL_BYTES;
const reservations: number[] = [];
/** How many arrays of a pooled size were made new rather than taken from the pool (for tests). */
let madeNew = 0;
/** Off only in tests (setStoragePooling). */
let pooling = true;
/** What allocate handed out while a backward pass was collecting (see trackAllocations). */
let tracked: WeakSet<ArrayBuffer> | null = null;
/** What allocate handed out (pooled sizes only) inside collectAllocations. */
let collected: TensorData[] | null = null;

const poolKey = (dtype: DType, size: number) => `${dtype}:${size}`;

/**
 * Gives `data` back for reuse. The caller guarantees nothing reads or writes it any more; an
 * array that is a view into a larger buffer, or too small to be worth it, is left to the GC.
 */
export function releaseStorage(data: TensorData): void {
  if (!pooling || data.length < POOL_MIN || data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) return;
  if (data.byteLength > poolCap) return;
  const key = poolKey(dtypeOf(data), data.length);
  let list = pool.get(key);
  if ((list && list.length >= POOL_PER_SIZE) || pooledBuffers.has(data.buffer)) return;
  if (pooledBytes + data.byteLength > poolCap && !makeRoom(data.byteLength, key)) return;
  if (!list) list = [];
  pool.delete(key);
  pool.set(key, list);
  list.push(data);
  pooledBuffers.add(data.buffer);
  pooledBytes += data.byteLength;
}

/**
 * Runs f while remembering every buffer allocate returns; `isTracked` answers for them. The
 * autograd engine releases only such buffers: ones made during its own pass, never a tensor
 * that existed before it (the user's seed gradient, a saved forward value).
 */
export function trackAllocations<T>(f: (isTracked: (data: TensorData) => boolean) => T): T {
  const outer = tracked;
  const mine = new WeakSet<ArrayBuffer>();
  tracked = mine;
  try {
    return f((data) => mine.has(data.buffer as ArrayBuffer));
  } finally {
    tracked = outer;
  }
}

/**
 * Runs f and lists every array of a pooled size that allocate handed out meanwhile. fit, evaluate
 * and predict use it on batches that only gradlab's own layers, losses and metrics touch, which
 * keep no tensor past the batch: once it is over, those arrays go back to the pool.
 */
export function collectAllocations<T>(f: () => T): { result: T; allocated: TensorData[] } {
  const outer = collected;
  const mine: TensorData[] = [];
  collected = mine;
  try {
    return { result: f(), allocated: mine };
  } finally {
    collected = outer;
    if (outer) for (const d of mine) outer.push(d);
  }
}

/**
 * Lets the pool hold at least `bytes` until the returned function is called, which trims it back.
 * fit reserves what one training step allocates (a CNN at batch 64 on 32x32 images needs ~150 MB,
 * more than POOL_BYTES): otherwise every step's arrays outgrow the pool, are made anew, and the
 * external-memory pressure they put on V8 forces a full GC about once per step.
 */
export function reservePool(bytes: number): () => void {
  const want = Math.min(Math.max(0, bytes), POOL_RESERVE_MAX);
  reservations.push(want);
  poolCap = Math.max(POOL_BYTES, ...reservations);
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    reservations.splice(reservations.indexOf(want), 1);
    poolCap = Math.max(POOL_BYTES, ...reservations);
    makeRoom(0);
  };
}

/**
 * Makes room for `bytes` more by dropping arrays (to the GC) of the sizes least recently handed
 * out or given back (the pool's Map is kept in that order), never those of `keep`; with 0, trims
 * the pool to its capacity. Without it, a full pool of sizes nobody asks for any more (the last
 * model's, after its fit trimmed the pool) would turn every array of the next model away: a
 * separable CNN trained after Keras' MNIST CNN made all its arrays anew and ran at 55% of its
 * speed. Returns whether the room was made.
 */
function makeRoom(bytes: number, keep?: string): boolean {
  for (const [key, list] of pool) {
    if (pooledBytes + bytes <= poolCap) break;
    if (key === keep) continue;
    while (pooledBytes + bytes > poolCap && list.length > 0) {
      const d = list.pop()!;
      pooledBuffers.delete(d.buffer);
      pooledBytes -= d.byteLength;
    }
    if (list.length === 0) pool.delete(key);
  }
  return pooledBytes + bytes <= poolCap;
}

/** The pool's capacity now (for tests). */
export function poolCapacity(): number {
  return poolCap;
}

/** Internal, for tests: with false the pool neither takes nor gives storage (and is emptied). */
export function setStoragePooling(on: boolean): void {
  pooling = on;
  if (!on) {
    pool.clear();
    pooledBuffers.clear();
    pooledBytes = 0;
  }
}

/** How many arrays of a pooled size allocate has made new so far (for tests: a recycling loop stops adding to it). */
export function newPooledSizeArrays(): number {
  return madeNew;
}

/** The number of bytes waiting in the pool (for tests). */
export function pooledStorageBytes(): number {
  return pooledBytes;
}

function fromPool(dtype: DType, size: number, zero: boolean): TensorData | undefined {
  const key = poolKey(dtype, size);
  const list = pool.get(key);
  const d = list?.pop();
  if (!d) return undefined;
  // to the end of the Map's order: the sizes in use are the last to be evicted
  pool.delete(key);
  pool.set(key, list!);
  pooledBuffers.delete(d.buffer);
  pooledBytes -= d.byteLength;
  if (zero) d.fill(0);
  return d;
}

/**
 * Storage for a backend kernel's output, which the kernel overwrites whole (the Backend contract,
 * checked by runConformance on NaN-filled outputs): from the pool it comes unzeroed, since zeroing
 * a recycled megabyte costs as much as allocating it.
 */
export function allocateOutput(dtype: FloatDType, size: number): FloatArray {
  return take(dtype, size, false) as FloatArray;
}

export function allocate(dtype: FloatDType, size: number): FloatArray;
export function allocate(dtype: 'int32', size: number): Int32Array;
export function allocate(dtype: 'bool', size: number): Uint8Array;
export function allocate(dtype: DType, size: number): TensorData;
export function allocate(dtype: DType, size: number): TensorData {
  return take(dtype, size, true);
}

/** Pooled storage (zeroed when `zero`) or new storage, noted for a backward pass that tracks and a collector. */
function take(dtype: DType, size: number, zero: boolean): TensorData {
  let d = size >= POOL_MIN ? fromPool(dtype, size, zero) : undefined;
  if (d === undefined) {
    d = newStorage(dtype, size);
    if (size >= POOL_MIN) madeNew++;
  }
  if (tracked !== null) tracked.add(d.buffer as ArrayBuffer);
  if (collected !== null && size >= POOL_MIN) collected.push(d);
  return d;
}

function newStorage(dtype: DType, size: number): TensorData {
  try {
    switch (dtype) {
      case 'float64': return new Float64Array(size);
      case 'int32': return new Int32Array(size);
      case 'bool': return new Uint8Array(size);
      default: return new Float32Array(size);
    }
  } catch (e) {
    // Out of memory or past the typed-array limit: a size the caller asked for, not a bug here.
    if (e instanceof RangeError) throw new ValueError(`cannot allocate a ${dtype} tensor of ${size} values: ${e.message}`);
    throw e;
  }
}

export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  throw new DTypeError(`Tensor: storage must be a Float32Array, Float64Array, Int32Array or Uint8Array (bool), got ${describeValue(data)}`);
}

/** Whether typed data can go to a float kernel as it is. */
export function isFloatData(data: TensorData): data is FloatArray {
  return data instanceof Float32Array || data instanceof Float64Array;
}

/**
 * Writes src into dst as dtype: to int32 truncates toward zero as NumPy's astype does, and a NaN,
 * an infinity or a value outside int32's range is a ValueError naming fn (NumPy gives an
 * undefined value there); to bool, nonzero (NaN included) is true. Float to float rounds.
 */
export function castInto(src: ArrayLike<number>, dst: TensorData, fn: string): void {
  const n = src.length;
  if (dst instanceof Int32Array) {
    if (src instanceof Int32Array || src instanceof Uint8Array) {
      dst.set(src);
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = src[i];
      if (!(v > INT32_MIN - 1 && v < INT32_MAX + 1)) {
        const what = Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `${v}, outside int32's range [${INT32_MIN}, ${INT32_MAX}]` : v > 0 ? 'inf' : '-inf';
        throw new ValueError(`${fn}: cannot convert ${what} at flat index ${i} to int32`);
      }
      dst[i] = Math.trunc(v);
    }
    return;
  }
  if (dst instanceof Uint8Array) {
    for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return;
  }
  if (ArrayBuffer.isView(src)) {
    dst.set(src as unknown as ArrayLike<number>);
    return;
  }
  for (let i = 0; i < n; i++) dst[i] = src[i];
}

/** src as a new typed array of dtype (a copy even when the dtype matches). */
export function castData(src: ArrayLike<number>, dtype: DType, fn: string): TensorData {
  const out = allocate(dtype, src.length);
  castInto(src, out, fn);
  return out;
}

/** One value converted to dtype, as castInto does for arrays. */
export function castValue(v: number, dtype: DType, fn: string): number {
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype === 'int32') {
    const d = new Int32Array(1);
    castInto([v], d, fn);
    return d[0];
  }
  return dtype === 'float32' ? Math.fround(v) : v;
}

// The wasm backend's scratch region: a bump allocator over the wasm memory, and the copies in and out.
import type { FloatArray } from '../backend.js';

export const ALIGN = 64;

export function isF32(...arrays: FloatArray[]): boolean {
  for (const a of arrays) if (!(a instanceof Float32Array)) return false;
  return true;
}

/** A bump allocator over the wasm memory, reset at the start of every call. */
export class Scratch {
  private top: number;
  peak = 0;
  constructor(private readonly memory: WebAssembly.Memory, private readonly base: number, readonly cap: number) {
    this.top = base;
  }
  reset(): void {
    this.top = this.base;
  }
  /** Floats allocated since the last reset. */
  used(): number {
    return (this.top - this.base) / 4;
  }
  alloc(floats: number): number {
    const p = this.top;
    this.top += Math.ceil((floats * 4) / ALIGN) * ALIGN;
    return p;
  }
  /** Grows the memory over every allocation so far. Views made earlier are stale afterwards. */
  commit(): void {
    const need = this.top;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    this.peak = Math.max(this.peak, need - this.base);
  }
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
}

// Copies a rows x cols block of a row-major matrix with leading dimension ld into a dense view.
export function copyIn(dst: Float32Array, src: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (cols === ld) {
    dst.set(src.subarray(off, off + rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), r * cols);
}

export function copyOut(src: Float32Array, dst: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (cols === ld) {
    dst.set(src.subarray(0, rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, r * cols + cols), off + r * ld);
}

// The environment adapter's interface (env.ts says how one is chosen).

/** Node's modules as env-node.ts hands them over (types only: nothing here imports them). */
export interface NodeModules {
  fs: typeof import('node:fs');
  fsp: typeof import('node:fs/promises');
  path: typeof import('node:path');
  crypto: typeof import('node:crypto');
  zlib: typeof import('node:zlib');
  url: typeof import('node:url');
  module: { createRequire: typeof import('node:module').createRequire };
}

/** What the wasm pool sends a thread: the compiled kernels, their memory and the shared control blocks. */
export interface PoolWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  queue: SharedArrayBuffer;
}

export interface PoolWorker {
  terminate(): void;
}

export interface Env {
  readonly name: 'node' | 'browser';
  /** A setting such as GRADLAB_THREADS (Node: the process environment; the page has none). */
  variable(name: string): string | undefined;
  /** Threads the wasm backend uses when GRADLAB_THREADS does not say: 1 where threads cannot share memory. */
  defaultThreads(): number;
  /**
   * A compiled wasm file of the package's wasm folder ('relaxed-shared.wasm'); undefined when
   * this engine rejects it (no relaxed SIMD). Synchronous: the browser entry fetches and compiles
   * the modules before the backend is created (`ready()`).
   */
  wasmModule(file: string): WebAssembly.Module | undefined;
  /** Starts a wasm pool thread (worker_threads in Node, a module Web Worker in the page). */
  startPoolWorker(data: PoolWorkerData): PoolWorker;
  /** Whether this thread may sleep in Atomics.wait (a page's main thread may not). */
  canBlock(): boolean;
  /** Yields to the event loop (setImmediate in Node, a message-channel turn in the page). */
  yieldToEventLoop(): Promise<void>;
  /** Where progress bars write by default (process.stdout; in the page, console.log line by line). */
  stdout(): { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** SHA-256 as 64 hex digits (node:crypto; in the page core/sha256.ts: crypto.subtle is asynchronous only). */
  sha256(bytes: Uint8Array): string;
  /** zlib deflate, for PNG pictures (Node's zlib; fflate in the page). */
  deflate(bytes: Uint8Array, level?: number): Uint8Array;
  /** Node's modules; undefined in the page (file paths have no meaning there). */
  readonly node?: NodeModules;
}


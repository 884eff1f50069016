// The page adapter (see env.ts): no file system, wasm modules fetched by URL and compiled
// asynchronously before the backend starts (`loadWasmModules`, awaited by gl.ready()), pool
// threads as module Web Workers over a SharedArrayBuffer (only when the page is
// crossOriginIsolated), compression by fflate.
import { zlibSync } from 'fflate';
import { GradlabError } from './errors.js';
import { sha256Hex } from './sha256.js';
import type { Env, PoolWorkerData } from './env-types.js';

/** The wasm files of dist/wasm, as literal URLs so that bundlers (Vite, webpack) copy them. */
function defaultWasmUrl(file: string): URL {
  switch (file) {
    case 'relaxed.wasm': return new URL('../../wasm/relaxed.wasm', import.meta.url);
    case 'simd.wasm': return new URL('../../wasm/simd.wasm', import.meta.url);
    case 'relaxed-shared.wasm': return new URL('../../wasm/relaxed-shared.wasm', import.meta.url);
    case 'simd-shared.wasm': return new URL('../../wasm/simd-shared.wasm', import.meta.url);
    default: throw new GradlabError(`gradlab: no wasm file '${file}'`);
  }
}

let wasmPrefix: string | undefined;

/**
 * Where the page fetches the wasm files and the pool thread's script (gradlab-worker.js) from,
 * as TF.js' setWasmPaths: a folder URL ending in '/' that serves the package's dist/browser
 * (e.g. '/static/gradlab/'). Needed when a bundler that does not copy assets (esbuild) built the
 * page from the package; by default they are found next to the module that loads them. Call it
 * before gl.ready().
 */
export function setWasmPaths(prefix: string): void {
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new GradlabError(`setWasmPaths: prefix must be a folder URL ending in '/', got ${JSON.stringify(prefix)}`);
  }
  wasmPrefix = prefix;
}

export function wasmUrl(file: string): URL {
  return wasmPrefix === undefined ? defaultWasmUrl(file) : new URL(file, new URL(wasmPrefix, globalThis.location?.href));
}

/** Compiled modules by file name; undefined: fetched and rejected by this engine. */
const compiled = new Map<string, WebAssembly.Module | undefined>();

/** Fetches and compiles (off the main thread's budget: WebAssembly.compile) the files not yet loaded. */
export async function loadWasmModules(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (compiled.has(file)) continue;
    const res = await fetch(wasmUrl(file));
    if (!res.ok) throw new GradlabError(`gradlab: fetching ${wasmUrl(file).href} failed (HTTP ${res.status})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    compiled.set(file, WebAssembly.validate(bytes) ? await WebAssembly.compile(bytes) : undefined);
  }
}

/** The page may use threads: SharedArrayBuffer exists only in a crossOriginIsolated page (COOP/COEP headers). */
export function sharedMemoryAvailable(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

// A worker's global scope may block in Atomics.wait; a page's main thread may not (it throws).
const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'function';

const channel = typeof MessageChannel === 'function' ? new MessageChannel() : undefined;
const waiting: (() => void)[] = [];
if (channel) channel.port1.onmessage = () => waiting.shift()?.();

/** Progress lines to the console: text is held until its newline (no TTY: no carriage returns). */
let pendingLine = '';
const consoleLines = {
  write(text: string): boolean {
    const parts = (pendingLine + text).split('\n');
    pendingLine = parts.pop() ?? '';
    for (const line of parts) console.log(line);
    return true;
  },
};

export const platformEnv: Env = {
  name: 'browser',
  variable: () => undefined,
  defaultThreads() {
    if (!sharedMemoryAvailable()) return 1;
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
    return Math.max(1, Math.min(4, cores));
  },
  wasmModule(file) {
    if (!compiled.has(file)) {
      throw new GradlabError(`gradlab: the wasm module ${file} is not loaded yet: await gl.ready() before creating a wasm backend`);
    }
    return compiled.get(file);
  },
  startPoolWorker(data: PoolWorkerData) {
    // the literal new Worker(new URL(...)) form is what Vite and webpack recognise and bundle
    const w = wasmPrefix === undefined
      ? new Worker(new URL('../backend/wasm/worker-browser.js', import.meta.url), { type: 'module', name: 'gradlab-wasm-pool' })
      : new Worker(new URL('gradlab-worker.js', new URL(wasmPrefix, globalThis.location?.href)), { type: 'module', name: 'gradlab-wasm-pool' });
    w.postMessage(data);
    return { terminate: () => w.terminate() };
  },
  canBlock: () => inWorker,
  // setTimeout(0) is clamped to 4 ms when nested; a message-channel turn is not
  yieldToEventLoop: () => new Promise<void>((r) => {
    if (!channel) {
      setTimeout(r, 0);
      return;
    }
    waiting.push(r);
    channel.port2.postMessage(0);
  }),
  stdout: () => consoleLines,
  sha256: sha256Hex,
  deflate: (bytes, level) => zlibSync(bytes, level === undefined ? {} : { level: level as 0 }),
};

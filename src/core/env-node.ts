// The Node adapter (see env.ts): files through node:fs, wasm bytes read synchronously from the
// package's wasm folder, pool threads as worker_threads, settings from the process environment.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import type { Env, PoolWorkerData } from './env-types.js';

let relaxedFlagSet = false;

/**
 * Node 20 hides relaxed SIMD behind a V8 flag that can be set from inside the process before the
 * first compile; the flag is process-wide, so workers inherit it.
 */
function enableRelaxedSimd(): void {
  if (relaxedFlagSet) return;
  relaxedFlagSet = true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // engines without the flag either have relaxed SIMD on or lack it; validate tells which
  }
}

export const platformEnv: Env = {
  name: 'node',
  variable: (name) => process.env[name],
  defaultThreads: () => Math.max(1, Math.min(2, availableParallelism())),
  wasmModule(file) {
    enableRelaxedSimd();
    // dist/src/core/ -> dist/wasm/, where `npm run build:wasm` writes the modules
    const bytes = fs.readFileSync(new URL(`../../wasm/${file}`, import.meta.url));
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : undefined;
  },
  startPoolWorker(data: PoolWorkerData) {
    const w = new Worker(new URL('../backend/wasm/worker.js', import.meta.url), { workerData: data });
    // Idle workers sleep in Atomics.wait; they must not keep the process alive.
    w.unref();
    return { terminate: () => void w.terminate() };
  },
  canBlock: () => true,
  yieldToEventLoop: () => new Promise((r) => setImmediate(r)),
  stdout: () => process.stdout,
  sha256: (bytes) => crypto.createHash('sha256').update(bytes).digest('hex'),
  deflate: (bytes, level) => zlib.deflateSync(bytes, level === undefined ? {} : { level }),
  node: { fs, fsp, path, crypto, zlib, url, module: { createRequire } },
};

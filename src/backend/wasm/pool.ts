import { Worker } from 'node:worker_threads';
import type { WasmKernels } from './module.js';

/** Kernels a worker can run; the index is the wire format of the control block. */
export const POOL_KERNELS = ['gemm', 'convForward', 'convBackInput', 'convBackFilter'] as const;
export type PoolKernel = (typeof POOL_KERNELS)[number];

export const MAX_ARGS = 16;
// Control block per worker, in a SharedArrayBuffer: i32 [state, kernel, nargs, pad] then f64 args.
// state: 0 idle, 1 job posted, 2 job done; word 3 is 1 when the job trapped.
export const CONTROL_BYTES = 16 + 8 * MAX_ARGS;
export const IDLE = 0;
export const POSTED = 1;
export const DONE = 2;
/**
 * Polls before sleeping: a futex round trip costs ~48 us, a spinning hand-off ~0.2 us
 * (PERF-NOTES.md), and back-to-back kernels of a training step arrive well within the spin.
 */
export const SPIN = 100_000;

/** Runs one kernel call per thread over the shared memory: thread 0 is the caller. */
export interface Pool {
  readonly size: number;
  /** jobs[t] are thread t's arguments (null: nothing for it); returns when all are done. */
  run(kernel: PoolKernel, jobs: (number[] | null)[]): void;
  close(): void;
}

function call(k: WasmKernels, kernel: PoolKernel, a: readonly number[]): void {
  (k[kernel] as (...args: number[]) => void)(...a);
}

export function singleThread(k: WasmKernels): Pool {
  return {
    size: 1,
    run(kernel, jobs) {
      const a = jobs[0];
      if (a) call(k, kernel, a);
    },
    close() {},
  };
}

export function workerPool(k: WasmKernels, module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number): Pool {
  const workers: Worker[] = [];
  const ctrls: Int32Array[] = [];
  const argv: Float64Array[] = [];
  for (let t = 1; t < threads; t++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { module, memory, control } });
    // Idle workers sleep in Atomics.wait; they must not keep the process alive.
    w.unref();
    workers.push(w);
    ctrls.push(new Int32Array(control, 0, 4));
    argv.push(new Float64Array(control, 16, MAX_ARGS));
  }
  return {
    size: threads,
    run(kernel, jobs) {
      const kid = POOL_KERNELS.indexOf(kernel);
      const posted: number[] = [];
      for (let t = 1; t < threads; t++) {
        const a = jobs[t];
        if (!a) continue;
        const c = ctrls[t - 1];
        argv[t - 1].set(a);
        c[1] = kid;
        c[2] = a.length;
        Atomics.store(c, 0, POSTED);
        Atomics.notify(c, 0);
        posted.push(t - 1);
      }
      const mine = jobs[0];
      if (mine) call(k, kernel, mine);
      let failed = false;
      for (const w of posted) {
        const c = ctrls[w];
        let spins = 0;
        while (Atomics.load(c, 0) !== DONE) {
          if (++spins > SPIN) Atomics.wait(c, 0, POSTED);
        }
        if (c[3] !== 0) failed = true;
        Atomics.store(c, 0, IDLE);
      }
      if (failed) throw new Error(`wasm backend: ${kernel} trapped on a pool thread`);
    },
    close() {
      for (const w of workers) void w.terminate();
    },
  };
}

import { env, type PoolWorker, type PoolWorkerData } from '../../core/env.js';
import { instantiate, type WasmKernels } from './module.js';

/** Kernels a worker can run; the index is the wire format of the control block. */
export const POOL_KERNELS = [
  'gemmPacked', 'convForward', 'convBackInput', 'convBackFilter', 'gemm', 'maxPool', 'maxPoolBackward',
  'groupedForward', 'groupedBackInput', 'groupedBackFilter', 'sumPartials',
] as const;
export type PoolKernel = (typeof POOL_KERNELS)[number];

/**
 * A run is a queue of jobs (each the leading arguments of one kernel call) that every thread
 * pulls from with an atomic counter until it is empty, appending its own trailing arguments (its
 * packing/im2col buffers). Pulling instead of a fixed split keeps both cores busy when one of them
 * is slowed by another process; jobs are a few hundred microseconds or more.
 *
 * Queue (SharedArrayBuffer): i32 [next, count, width, kernel] then f64 jobs [MAX_JOBS][MAX_ARGS].
 * Control block per worker: i32 [state, trapped, nSuffix, pad] then f64 suffix [MAX_ARGS].
 * state: 0 idle, 1 run posted, 3 running (the worker took the run), 2 run done. A worker that has
 * not taken a run by the time the caller has emptied the queue is un-posted (1 -> 0 by CAS), so
 * the caller never waits for a sleeping worker to wake up just to find nothing left.
 */
export const MAX_ARGS = 16;
export const MAX_JOBS = 256;
export const QUEUE_BYTES = 16 + 8 * MAX_ARGS * MAX_JOBS;
export const CONTROL_BYTES = 16 + 8 * MAX_ARGS;
export const IDLE = 0;
export const POSTED = 1;
export const DONE = 2;
export const RUNNING = 3;
/**
 * Polls before sleeping: a futex round trip costs ~48 us, a spinning hand-off ~0.2 us
 * (PERF-NOTES.md), and back-to-back kernels of a training step arrive well within the spin.
 */
export const SPIN = 100_000;

export interface Pool {
  readonly size: number;
  /**
   * Runs every job (its leading arguments) on whichever thread takes it first; thread t appends
   * suffix[t]. Returns when all jobs are done. Which thread runs which job changes from call to
   * call, so for the same bits on every call (ARCHITECTURE.md) a job's results may depend only
   * on its own arguments: jobs write disjoint outputs, or per-job partials folded in job order,
   * and suffix[t] holds only scratch.
   */
  run(kernel: PoolKernel, jobs: number[][], suffix: number[][]): void;
  close(): void;
}

/** Pulls jobs from the queue until it is empty; shared by the caller and the workers. */
export function drain(k: WasmKernels, queue: SharedArrayBuffer, suffix: ArrayLike<number>, nSuffix: number,
  args: number[]): void {
  const head = new Int32Array(queue, 0, 4);
  const body = new Float64Array(queue, 16);
  const count = head[1];
  const width = head[2];
  const kernel = POOL_KERNELS[head[3]];
  for (;;) {
    const i = Atomics.add(head, 0, 1);
    if (i >= count) return;
    args.length = width + nSuffix;
    for (let a = 0; a < width; a++) args[a] = body[i * MAX_ARGS + a];
    for (let a = 0; a < nSuffix; a++) args[width + a] = suffix[a];
    (k[kernel] as (...a: number[]) => void)(...args);
  }
}

function call(k: WasmKernels, kernel: PoolKernel, job: number[], suffix: ArrayLike<number>, nSuffix: number, args: number[]): void {
  args.length = 0;
  for (const v of job) args.push(v);
  for (let a = 0; a < nSuffix; a++) args.push(suffix[a]);
  (k[kernel] as (...a: number[]) => void)(...args);
}

export function singleThread(k: WasmKernels): Pool {
  const args: number[] = [];
  return {
    size: 1,
    run(kernel, jobs, suffix) {
      for (const j of jobs) call(k, kernel, j, suffix[0], suffix[0].length, args);
    },
    close() {},
  };
}

export function workerPool(k: WasmKernels, module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number): Pool {
  const queue = new SharedArrayBuffer(QUEUE_BYTES);
  const head = new Int32Array(queue, 0, 4);
  const body = new Float64Array(queue, 16);
  const workers: PoolWorker[] = [];
  const ctrls: Int32Array[] = [];
  const suffixes: Float64Array[] = [];
  const args: number[] = [];
  for (let t = 1; t < threads; t++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    workers.push(env().startPoolWorker({ module, memory, control, queue }));
    ctrls.push(new Int32Array(control, 0, 4));
    suffixes.push(new Float64Array(control, 16, MAX_ARGS));
  }
  const single = singleThread(k);
  // A page's main thread may not sleep in Atomics.wait: it spins until the helper is done.
  const canBlock = env().canBlock();
  return {
    size: threads,
    run(kernel, jobs, suffix) {
      if (jobs.length <= 1) {
        single.run(kernel, jobs, suffix);
        return;
      }
      if (jobs.length > MAX_JOBS) throw new Error(`wasm pool: ${jobs.length} jobs, at most ${MAX_JOBS}`);
      const width = jobs[0].length;
      for (let i = 0; i < jobs.length; i++) {
        if (jobs[i].length !== width) throw new Error('wasm pool: jobs of one run must have the same arity');
        body.set(jobs[i], i * MAX_ARGS);
      }
      head[1] = jobs.length;
      head[2] = width;
      head[3] = POOL_KERNELS.indexOf(kernel);
      Atomics.store(head, 0, 0);
      const helpers = Math.min(workers.length, jobs.length - 1);
      for (let w = 0; w < helpers; w++) {
        const c = ctrls[w];
        suffixes[w].set(suffix[w + 1]);
        c[2] = suffix[w + 1].length;
        Atomics.store(c, 0, POSTED);
        Atomics.notify(c, 0);
      }
      drain(k, queue, suffix[0], suffix[0].length, args);
      let failed = false;
      for (let w = 0; w < helpers; w++) {
        const c = ctrls[w];
        if (Atomics.compareExchange(c, 0, POSTED, IDLE) === POSTED) continue; // never started
        let spins = 0;
        while (Atomics.load(c, 0) !== DONE) {
          if (++spins > SPIN && canBlock) Atomics.wait(c, 0, RUNNING);
        }
        if (c[1] !== 0) failed = true;
        Atomics.store(c, 0, IDLE);
      }
      if (failed) throw new Error(`wasm backend: ${kernel} trapped on a pool thread`);
    },
    close() {
      for (const w of workers) w.terminate();
    },
  };
}

/**
 * A pool thread's life (worker.ts in Node, worker-browser.ts in the page): instantiates the
 * shared-memory kernels and, each time a run is posted in its control block, pulls jobs from the
 * shared queue. It spins briefly before sleeping so hand-offs between the kernels of one
 * training step stay sub-microsecond. Never returns.
 */
export function serveThread(data: PoolWorkerData): never {
  const k: WasmKernels = instantiate(data.module, data.memory);
  const ctrl = new Int32Array(data.control, 0, 4);
  const suffix = new Float64Array(data.control, 16, MAX_ARGS);
  const args: number[] = [];
  for (;;) {
    let spins = 0;
    for (;;) {
      const s = Atomics.load(ctrl, 0);
      // take the run unless the caller un-posted it first
      if (s === POSTED && Atomics.compareExchange(ctrl, 0, POSTED, RUNNING) === POSTED) break;
      if (++spins > SPIN) Atomics.wait(ctrl, 0, s);
    }
    try {
      drain(k, data.queue, suffix, ctrl[2], args);
      ctrl[1] = 0;
    } catch {
      ctrl[1] = 1; // reported by the caller; the loop must survive to keep the pool usable
    }
    Atomics.store(ctrl, 0, DONE);
    Atomics.notify(ctrl, 0);
  }
}

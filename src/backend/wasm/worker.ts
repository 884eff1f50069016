// A pool thread: instantiates the shared-memory kernels and, each time a run is posted in its
// control block, pulls jobs from the shared queue (see pool.ts). It spins briefly before sleeping
// so hand-offs between the kernels of one training step stay sub-microsecond.
import { workerData } from 'node:worker_threads';
import { instantiate, type WasmKernels } from './module.js';
import { DONE, MAX_ARGS, POSTED, RUNNING, SPIN, drain } from './pool.js';

const data = workerData as {
  module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; queue: SharedArrayBuffer;
};
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

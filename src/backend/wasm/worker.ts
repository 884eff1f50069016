// A pool thread: instantiates the shared-memory kernels and runs the calls posted in its control
// block (see pool.ts), spinning briefly before sleeping so hand-offs stay sub-microsecond.
import { workerData } from 'node:worker_threads';
import { instantiate, type WasmKernels } from './module.js';
import { DONE, MAX_ARGS, POOL_KERNELS, POSTED, SPIN } from './pool.js';

const data = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer };
const k: WasmKernels = instantiate(data.module, data.memory);
const ctrl = new Int32Array(data.control, 0, 4);
const argv = new Float64Array(data.control, 16, MAX_ARGS);
const args: number[] = [];

for (;;) {
  let spins = 0;
  let s: number;
  while ((s = Atomics.load(ctrl, 0)) !== POSTED) {
    if (++spins > SPIN) Atomics.wait(ctrl, 0, s);
  }
  const kernel = POOL_KERNELS[ctrl[1]];
  args.length = ctrl[2];
  for (let i = 0; i < args.length; i++) args[i] = argv[i];
  try {
    (k[kernel] as (...a: number[]) => void)(...args);
    ctrl[3] = 0;
  } catch {
    ctrl[3] = 1; // reported by the caller; the loop must survive to keep the pool usable
  }
  Atomics.store(ctrl, 0, DONE);
  Atomics.notify(ctrl, 0);
}

// A pool thread in the page (a module Web Worker started by core/env-browser.ts): its first
// message carries the kernels, their shared memory and the control blocks; then it serves the
// pool for good (pool.ts's serveThread; Atomics.wait is allowed in workers).
import type { PoolWorkerData } from '../../core/env.js';
import { serveThread } from './pool.js';

const scope = globalThis as unknown as { onmessage: ((e: { data: PoolWorkerData }) => void) | null };
scope.onmessage = (e) => {
  scope.onmessage = null;
  serveThread(e.data);
};

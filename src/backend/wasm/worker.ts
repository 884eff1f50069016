// A pool thread in Node (worker_threads); the loop is pool.ts's serveThread.
import { workerData } from 'node:worker_threads';
import type { PoolWorkerData } from '../../core/env.js';
import { serveThread } from './pool.js';

serveThread(workerData as PoolWorkerData);

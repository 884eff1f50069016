import type { Backend } from './backend.js';
import { jsBackend } from './js/index.js';
import { ValueError } from '../core/errors.js';
import { env } from '../core/env.js';

export type { Backend } from './backend.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
let current: Backend = jsBackend;

/** Makes a backend selectable by name (the wasm backend registers itself when it loads). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Selects the backend that kernels run on: 'js' (reference) or any registered one. */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new ValueError(`setBackend: unknown backend ${typeof name === 'string' ? `'${name}'` : typeof name} (available: ${[...backends.keys()].join(', ')})`);
  }
  current = b;
}

export function getBackend(): string {
  return current.name;
}

/** The active backend's kernels; for ops only. */
export function kernels(): Backend {
  return current;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

export type BackendName = 'native' | 'wasm' | 'js';

/** The backend GRADLAB_BACKEND asks for, or undefined when it is unset; any other value is a ValueError. */
export function requestedBackend(): BackendName | undefined {
  const want = env().variable('GRADLAB_BACKEND');
  if (want === undefined || want === '') return undefined;
  if (want !== 'native' && want !== 'wasm' && want !== 'js') {
    throw new ValueError(`GRADLAB_BACKEND: expected 'native', 'wasm' or 'js', got '${want}'`);
  }
  return want;
}

/** Threads a fast backend uses: GRADLAB_THREADS (1 to 64), else the environment's default. */
export function requestedThreads(): number {
  const v = env().variable('GRADLAB_THREADS');
  if (v === undefined || v === '') return env().defaultThreads();
  const t = Number(v);
  if (!Number.isInteger(t) || t < 1 || t > 64) {
    throw new ValueError(`GRADLAB_THREADS: expected an integer from 1 to 64, got '${v}'`);
  }
  return t;
}

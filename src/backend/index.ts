import type { Backend } from './backend.js';
import { jsBackend } from './js/index.js';
import { ValueError } from '../core/errors.js';

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

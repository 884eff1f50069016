import { KERNEL_NAMES, type Backend } from './backend.js';
import { checkKernels } from './defaults.js';
import { jsBackend } from './js/index.js';
import { ValueError } from '../core/errors.js';
import { env } from '../core/env.js';

export type { Backend, BackendParts, CoreKernel, DefaultKernel, KernelName } from './backend.js';
export { CORE_KERNELS, KERNEL_NAMES } from './backend.js';
export { withDefaults } from './defaults.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
let current: Backend = jsBackend;

/**
 * Makes a backend selectable by name (the wasm backend registers itself when it loads). The
 * type asks for every kernel; a backend written from its core gets the rest from withDefaults.
 * A JavaScript caller's object missing a kernel is refused here, not at its first call.
 */
export function registerBackend(backend: Backend): void {
  checkKernels('registerBackend', backend, KERNEL_NAMES);
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

/** The names GRADLAB_BACKEND may take (a backend of each loads when it can: native, wasm; js always). */
export const BACKEND_NAMES = ['native', 'wasm', 'js'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * GRADLAB_BACKEND, checked: undefined when unset or empty (the default: the fastest backend
 * that loaded). A name outside BACKEND_NAMES is a ValueError, so a typo never reads as "default".
 */
export function requestedBackend(): BackendName | undefined {
  // (the page's adapter has no settings: there the default stands)
  const v = env().variable('GRADLAB_BACKEND');
  if (v === undefined || v === '') return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) {
    throw new ValueError(`GRADLAB_BACKEND: expected ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')} or unset, got '${v}'`);
  }
  return v as BackendName;
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

/**
 * Selects the backend GRADLAB_BACKEND names, once the loaders have run (src/index.ts, the CLI);
 * one that did not load is an error naming those that did. Unset: leaves the default.
 */
export function applyRequestedBackend(): void {
  const want = requestedBackend();
  if (want === undefined) return;
  if (!backends.has(want)) {
    throw new ValueError(`GRADLAB_BACKEND=${want}, but the ${want} backend did not load (available: ${[...backends.keys()].join(', ')})`);
  }
  setBackend(want);
}

// The environment adapter: what differs between Node and a browser page (file access, wasm
// bytes, threads, settings, compression) sits behind one object. Which one is chosen by the
// package's conditional import '#env' (package.json "imports"): Node gets env-node.ts, a bundler
// building for the browser (esbuild, Vite, webpack: the 'browser' condition) gets
// env-browser.ts, exactly as the 'browser' export condition picks src/browser.ts. Nothing else
// sniffs for `process` or `window`.
import { platformEnv } from '#env';
import { GradlabError } from './errors.js';
import type { Env, NodeModules } from './env-types.js';

export type { Env, NodeModules, PoolWorker, PoolWorkerData } from './env-types.js';

let current: Env = platformEnv;

/** Replaces the adapter (tests; an embedder with its own file access). */
export function setEnv(e: Env): void {
  current = e;
}

export function env(): Env {
  return current;
}

/**
 * A Node module as a lazy object: its members are looked up on use, so a module that touches
 * files only in some functions stays importable in the page, and those functions fail there
 * with an error that says what to use instead.
 */
export function nodeModule<K extends keyof NodeModules>(name: K): NodeModules[K] {
  return new Proxy({} as NodeModules[K], {
    get(_t, key) {
      const e = env();
      if (e.node === undefined) {
        throw new GradlabError(`gradlab: file access (node:${name === 'fsp' ? 'fs/promises' : name}.${String(key)}) is not available in the browser; pass bytes (Uint8Array), a URL (fetch) or an 'indexeddb://name' path instead`);
      }
      return (e.node[name] as unknown as Record<PropertyKey, unknown>)[key];
    },
  });
}

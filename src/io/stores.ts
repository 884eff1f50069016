// Model stores: where a model folder's files go when the path is a URL-like 'scheme://key'
// instead of a directory ('indexeddb://name' as TF.js, 'https://host/dir' read by fetch,
// 'memory://...' for bytes in memory). A store holds the same files a folder does (model.json
// and weights-<hash>.safetensors) and io/folder.ts checks them the same way.
import { ValueError } from '../core/errors.js';

export interface ModelStore {
  /** 'indexeddb', 'https', ...: paths 'indexeddb://<key>' go to this store. */
  readonly scheme: string;
  /** Replaces everything stored under key with these files, as one unit; absent: the store is read-only. */
  write?(key: string, files: Readonly<Record<string, Uint8Array>>): Promise<void>;
  /** One file stored under key; undefined when the key or the file is not there. */
  read(key: string, name: string): Promise<Uint8Array | undefined>;
}

const stores = new Map<string, ModelStore>();

/** Adds (or replaces) the store for a scheme. */
export function registerModelStore(store: ModelStore): void {
  if (store === null || typeof store !== 'object' || typeof store.scheme !== 'string' || !/^[a-z][a-z0-9+.-]*$/.test(store.scheme)) {
    throw new ValueError(`registerModelStore: store must be { scheme, read, write? } with a lower-case scheme, got ${String(store?.scheme)}`);
  }
  if (typeof store.read !== 'function') throw new ValueError(`registerModelStore: store '${store.scheme}' has no read function`);
  stores.set(store.scheme, store);
}

/** The store a path names ('indexeddb://digits' -> the indexeddb store, key 'digits'); null for a file path. */
export function storeFor(path: string): { store: ModelStore; key: string; scheme: string } | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(path);
  if (m === null) return null;
  const scheme = m[1].toLowerCase();
  const store = stores.get(scheme);
  if (store === undefined) return null;
  return { store, key: scheme === 'http' || scheme === 'https' ? path : m[2], scheme };
}

/** Reads model folders over HTTP(S): '<url>/model.json', then the weights file it names. Read-only. */
export function fetchStore(scheme: 'http' | 'https'): ModelStore {
  return {
    scheme,
    async read(key, name) {
      // the URL of the folder, or of its model.json
      const base = key.endsWith('/model.json') ? key.slice(0, -'model.json'.length) : key.endsWith('/') ? key : `${key}/`;
      const res = await fetch(new URL(name, base));
      if (res.status === 404) return undefined;
      if (!res.ok) throw new ValueError(`fetch ${new URL(name, base).href}: HTTP ${res.status} ${res.statusText}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** Files in memory under keys ('memory://<key>'): what modelToFiles/loadModelFromFiles go through. */
export const memoryStore = {
  scheme: 'memory',
  files: new Map<string, Record<string, Uint8Array>>(),
  async write(key: string, files: Readonly<Record<string, Uint8Array>>): Promise<void> {
    this.files.set(key, { ...files });
  },
  async read(key: string, name: string): Promise<Uint8Array | undefined> {
    return this.files.get(key)?.[name];
  },
} satisfies ModelStore & { files: Map<string, Record<string, Uint8Array>> };
registerModelStore(memoryStore);

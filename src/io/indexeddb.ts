// IndexedDB as a model store, as TF.js' 'indexeddb://name': model.save('indexeddb://digits')
// puts the folder's files (model.json and the weights) into one record of the page's 'gradlab'
// database in one transaction, so a reader finds the old model or the new one.
import { IOError, ValueError } from '../core/errors.js';
import type { ModelStore } from './stores.js';

const DATABASE = 'gradlab';
const MODELS = 'models';

interface StoredModel {
  files: Record<string, Uint8Array>;
  savedAt: string;
}

function openDatabase(what: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (idb === undefined) return Promise.reject(new IOError(`${what}: this environment has no IndexedDB`, `indexeddb://`, 'read'));
  return new Promise((resolve, reject) => {
    const req = idb.open(DATABASE, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(MODELS);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Runs one request in its own transaction and resolves once the transaction has committed. */
async function transact<T>(what: string, mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDatabase(what);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(MODELS, mode);
      const req = body(tx.objectStore(MODELS));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? req.error);
      tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export const indexedDbStore: ModelStore = {
  scheme: 'indexeddb',
  async write(key, files) {
    const record: StoredModel = { files: { ...files }, savedAt: new Date().toISOString() };
    await transact('model.save', 'readwrite', (s) => s.put(record, key));
  },
  async read(key, name) {
    const record = (await transact('loadModel', 'readonly', (s) => s.get(key))) as StoredModel | undefined;
    return record?.files[name];
  },
};

/** The models in IndexedDB, as TF.js' tf.io.listModels: 'indexeddb://<name>' -> when it was saved and its size in bytes. */
export async function listModels(): Promise<Record<string, { savedAt: string; bytes: number }>> {
  const db = await openDatabase('listModels');
  try {
    return await new Promise((resolve, reject) => {
      const out: Record<string, { savedAt: string; bytes: number }> = {};
      const tx = db.transaction(MODELS, 'readonly');
      const req = tx.objectStore(MODELS).openCursor();
      req.onsuccess = () => {
        const c = req.result;
        if (c === null) return;
        const v = c.value as StoredModel;
        out[`indexeddb://${String(c.key)}`] = { savedAt: v.savedAt, bytes: Object.values(v.files).reduce((n, f) => n + f.length, 0) };
        c.continue();
      };
      tx.oncomplete = () => resolve(out);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Deletes 'indexeddb://<name>' (TF.js' tf.io.removeModel); resolves to whether it was there. */
export async function removeModel(path: string): Promise<boolean> {
  const m = /^indexeddb:\/\/(.+)$/.exec(typeof path === 'string' ? path : '');
  if (m === null) throw new ValueError(`removeModel: path must be 'indexeddb://<name>', got ${JSON.stringify(path)}`);
  const had = (await transact('removeModel', 'readonly', (s) => s.count(m[1]))) > 0;
  if (had) await transact('removeModel', 'readwrite', (s) => s.delete(m[1]));
  return had;
}

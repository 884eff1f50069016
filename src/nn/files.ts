// Models as bytes in memory: the files model.save writes into a folder (model.json and
// weights-<hash>.safetensors), as a record of Uint8Arrays, and back, with the same checks
// (checksums, shapes) as a folder. For pages (upload, download, postMessage to a worker).
import { ValueError } from '../core/errors.js';
import { describeValue } from '../core/validate.js';
import { memoryStore } from '../io/stores.js';
import type { Model } from './model.js';
import { loadModel, type LoadModelOptions } from './saving.js';

let next = 0;

/** The files of `model.save(dir)`, in memory: { 'model.json': ..., 'weights-<hash>.safetensors': ... }. */
export async function modelToFiles(model: Model): Promise<Record<string, Uint8Array>> {
  if (model === null || typeof model !== 'object' || typeof (model as { save?: unknown }).save !== 'function') {
    throw new ValueError(`modelToFiles: model must be a gradlab Model, got ${describeValue(model)}`);
  }
  const key = `files-${++next}`;
  try {
    await model.save(`memory://${key}`);
    return { ...memoryStore.files.get(key) };
  } finally {
    memoryStore.files.delete(key);
  }
}

/** The model `modelToFiles` (or a folder's files, read as bytes) describes. */
export async function loadModelFromFiles(files: Readonly<Record<string, Uint8Array>>, options: LoadModelOptions = {}): Promise<Model> {
  if (files === null || typeof files !== 'object' || Array.isArray(files)) {
    throw new ValueError(`loadModelFromFiles: files must be an object of file name -> Uint8Array, got ${describeValue(files)}`);
  }
  for (const [name, bytes] of Object.entries(files)) {
    if (!(bytes instanceof Uint8Array)) throw new ValueError(`loadModelFromFiles: files['${name}'] must be a Uint8Array, got ${describeValue(bytes)}`);
  }
  const key = `files-${++next}`;
  memoryStore.files.set(key, { ...files });
  try {
    return await loadModel(`memory://${key}`, options);
  } finally {
    memoryStore.files.delete(key);
  }
}

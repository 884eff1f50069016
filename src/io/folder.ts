// A model folder: model.json (what the model is) naming its weights file (its tensors).
// Knows nothing of layers: nn/ turns models into these two parts and back.
//
// A save replaces the model as one unit. The weights go to a new file named by their hash
// (weights-<16 hex>.safetensors), then model.json, which names that file and its SHA-256, is
// renamed into place: that rename is the commit. Only then are the old weights file and the
// temporary files of killed saves removed. A reader therefore finds the old model or the new one,
// never new weights under an old model.json. model.json also carries the SHA-256 of its own
// content ("checksum"), so a flipped bit in it is found too; deleting that line makes a hand-edited
// model.json loadable. Folders written before (weights.safetensors, no record in model.json) still load.
import { FormatError, IOError, ioError } from '../core/errors.js';
import { isWriting, parseTempName, writeFileAtomic } from '../core/atomic.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors.js';
import { showJson } from '../core/validate.js';
import { storeFor, type ModelStore } from './stores.js';
import { env, nodeModule } from '../core/env.js';
const fsp = nodeModule('fsp');
const fs = nodeModule('fs');
const path = nodeModule('path');

export const MODEL_FILE = 'model.json';
/** The weights file of folders written before model.json named its weights. */
export const LEGACY_WEIGHTS_FILE = 'weights.safetensors';
const LOCK_FILE = '.save.lock';
const WEIGHTS_NAME = /^weights-[0-9a-f]{16}\.safetensors$/;

/** What model.json records of its weights file. */
export interface WeightsRecord {
  file: string;
  sha256: string;
  bytes: number;
}

const sha256 = (bytes: Uint8Array): string => env().sha256(bytes);

/**
 * Writes a model folder: the weights, then model.json (the description plus a `weights` record),
 * then removes what no longer belongs (old weights files, temporary files of killed saves).
 * File-system failures are IOErrors naming `fn`.
 */
export async function writeModelFolder(dir: string, description: Record<string, unknown>, tensors: Record<string, Tensor>, modelName: string, fn = 'model.save'): Promise<WeightsRecord> {
  const bytes = encodeSafetensors(tensors, { format: 'gradlab', model: modelName });
  const hash = sha256(bytes);
  const record: WeightsRecord = { file: `weights-${hash.slice(0, 16)}.safetensors`, sha256: hash, bytes: bytes.length };
  const content = { ...description, weights: record };
  const json = JSON.stringify({ ...content, checksum: `sha256:${sha256(new TextEncoder().encode(JSON.stringify(content)))}` }, null, 2) + '\n';
  const target = storeFor(dir);
  if (target !== null) {
    if (target.store.write === undefined) throw new IOError(`${fn}: cannot write to ${dir}: the ${target.scheme} store is read-only`, dir, 'write');
    try {
      // one write of both files: a store replaces the model as a unit, as the folder's rename does
      await target.store.write(target.key, { [record.file]: bytes, [MODEL_FILE]: new TextEncoder().encode(json) });
    } catch (err) {
      throw ioError(fn, 'write', 'the model', dir, err);
    }
    return record;
  }
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw ioError(fn, 'write', 'the model folder', path.resolve(dir), err);
  }
  await withFolderLock(dir, fn, async () => {
    await writeFileAtomic(path.join(dir, record.file), bytes, fn, 'the weights');
    await writeFileAtomic(path.join(dir, MODEL_FILE), json, fn, 'the model description');
    removeLeftovers(dir, record.file);
  });
  return record;
}

/** Old weights files and dead writers' temporary files; removal is best effort (the model is already committed). */
function removeLeftovers(dir: string, keep: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const ours = (target: string) => target === MODEL_FILE || target === LEGACY_WEIGHTS_FILE || WEIGHTS_NAME.test(target);
  for (const name of names) {
    const tmp = parseTempName(name);
    const stale = tmp !== null
      ? ours(tmp.target) && !isWriting(path.join(dir, name)) && (tmp.pid === process.pid || !processAlive(tmp.pid))
      : name !== keep && (name === LEGACY_WEIGHTS_FILE || WEIGHTS_NAME.test(name));
    if (!stale) continue;
    try {
      // a folder of that name is not ours to remove
      if (fs.statSync(path.join(dir, name)).isFile()) fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // gone already
    }
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

const folderQueues = new Map<string, Promise<void>>();

/**
 * One save at a time per folder: in this process by a queue, across processes by a lock file
 * holding the writer's pid (a lock whose process is gone, e.g. killed mid-save, is taken over).
 */
async function withFolderLock(dir: string, fn: string, body: () => Promise<void>): Promise<void> {
  const key = path.resolve(dir);
  const before = folderQueues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const queued = before.then(() => mine);
  folderQueues.set(key, queued);
  await before;
  const lock = path.join(key, LOCK_FILE);
  try {
    await acquireLockFile(lock, fn);
    try {
      await body();
    } finally {
      await fsp.rm(lock, { force: true }).catch(() => undefined);
    }
  } finally {
    release();
    if (folderQueues.get(key) === queued) folderQueues.delete(key);
  }
}

async function acquireLockFile(lock: string, fn: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const h = await fsp.open(lock, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw ioError(fn, 'write', 'the lock file', lock, err);
    }
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(lock, 'utf8'));
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // Our own pid here is a lock an earlier save of this process failed to remove; an empty lock
    // a second old is one whose writer died between creating and filling it.
    const stale = Number.isSafeInteger(holder) && holder > 0 ? holder === process.pid || !processAlive(holder) : age > 1000;
    if (stale) {
      await fsp.rm(lock, { force: true }).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new IOError(`${fn}: another process (pid ${holder}) has been saving into ${path.resolve(lock, '..')} for 30 s (${LOCK_FILE})`, lock, 'write');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The parsed model.json of a model folder; a missing or unparsable file is a FormatError, an unreadable one an IOError. */
export function readModelDescription(dir: string, fn: string): { description: unknown; file: string; text: string } {
  const file = path.join(dir, MODEL_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FormatError(`${fn}: no ${MODEL_FILE} in ${dir} (is it a folder written by model.save()?)`);
    throw ioError(fn, 'read', 'the model description', file, err);
  }
  return { description: parseDescription(fn, text, file), file, text };
}

function parseDescription(fn: string, text: string, file: string): unknown {
  let description: unknown;
  try {
    description = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${fn}: ${file} is not valid JSON (${(e as Error).message})`);
  }
  checkOwnChecksum(fn, description, file);
  return description;
}

/** model.json's `checksum`: the SHA-256 of the rest of its content, as JSON.stringify writes it (so whitespace does not count). */
function checkOwnChecksum(fn: string, description: unknown, file: string): void {
  if (description === null || typeof description !== 'object' || Array.isArray(description) || !Object.hasOwn(description, 'checksum')) return;
  const { checksum, ...content } = description as Record<string, unknown>;
  if (typeof checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(checksum)) throw new FormatError(`${fn}: ${file}: checksum must be 'sha256:' and 64 hex digits, got ${showJson(checksum)}`);
  if (checksum.slice(7) !== sha256(new TextEncoder().encode(JSON.stringify(content)))) {
    throw new FormatError(`${fn}: ${file} does not match its checksum (the file is corrupt, or was edited: remove the "checksum" line to load an edited model.json)`);
  }
  delete (description as Record<string, unknown>).checksum;
}

/** The weights record of a parsed model.json, checked; null for a folder that predates it. */
function weightsRecord(fn: string, description: unknown, file: string): WeightsRecord | null {
  const d = description as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object' || !Object.hasOwn(d, 'weights')) return null;
  const w = d.weights as Record<string, unknown> | null;
  if (w === null || typeof w !== 'object' || Array.isArray(w)) throw new FormatError(`${fn}: ${file}: 'weights' must be { file, sha256, bytes }, got ${showJson(w)}`);
  // The name is checked, not just used: model.json must not point outside its folder.
  if (typeof w.file !== 'string' || !WEIGHTS_NAME.test(w.file)) throw new FormatError(`${fn}: ${file}: weights.file must be a name like weights-<16 hex digits>.safetensors, got ${showJson(w.file)}`);
  if (typeof w.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(w.sha256)) throw new FormatError(`${fn}: ${file}: weights.sha256 must be 64 hex digits, got ${showJson(w.sha256)}`);
  if (!Number.isSafeInteger(w.bytes) || (w.bytes as number) < 8) throw new FormatError(`${fn}: ${file}: weights.bytes must be an integer >= 8, got ${showJson(w.bytes)}`);
  return { file: w.file, sha256: w.sha256, bytes: w.bytes as number };
}

export interface ModelFolderContents extends SafetensorsContents {
  description: unknown;
  /** model.json's path. */
  file: string;
  /** The weights file's path. */
  weightsFile: string;
}

/**
 * Reads model.json and the weights it names, checking the weights' size and SHA-256 against its
 * record before decoding them. A save that replaces the folder while this reads is met by reading
 * model.json again (its old weights file may be gone by then).
 */
export async function readModelFolder(dir: string, fn: string): Promise<ModelFolderContents> {
  const target = storeFor(dir);
  if (target !== null) return readStoredModel(dir, target.store, target.key, fn);
  for (let attempt = 0; ; attempt++) {
    const { description, file, text } = readModelDescription(dir, fn);
    const record = weightsRecord(fn, description, file);
    const weightsFile = path.join(dir, record?.file ?? LEGACY_WEIGHTS_FILE);
    let bytes: Uint8Array;
    try {
      if (record !== null) {
        const size = fs.statSync(weightsFile).size;
        if (size !== record.bytes) throw new FormatError(`${fn}: ${weightsFile} is ${size} bytes but ${file} says ${record.bytes} (truncated or replaced?)`);
      }
      bytes = fs.readFileSync(weightsFile);
    } catch (err) {
      if (err instanceof FormatError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT') {
        if (attempt < 3 && readModelDescriptionText(dir) !== text) continue;
        throw new FormatError(`${fn}: ${weightsFile}, the weights ${file} names, is missing`);
      }
      throw ioError(fn, 'read', 'the weights', weightsFile, err);
    }
    if (record !== null && sha256(bytes) !== record.sha256) {
      throw new FormatError(`${fn}: ${weightsFile} does not match the SHA-256 in ${file} (the file is corrupt or was changed)`);
    }
    return { description, file, weightsFile, ...decodeSafetensors(bytes, weightsFile) };
  }
}

function readModelDescriptionText(dir: string): string | null {
  try {
    return fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8');
  } catch {
    return null;
  }
}

/** A model from a store ('indexeddb://name', a URL): the same checks as a folder's. */
async function readStoredModel(dir: string, store: ModelStore, key: string, fn: string): Promise<ModelFolderContents> {
  const where = dir.endsWith('/') ? dir : `${dir}/`;
  const readFile = async (name: string, what: string): Promise<Uint8Array | undefined> => {
    try {
      return await store.read(key, name);
    } catch (err) {
      throw ioError(fn, 'read', what, where + name, err);
    }
  };
  const file = where + MODEL_FILE;
  const json = await readFile(MODEL_FILE, 'the model description');
  if (json === undefined) throw new FormatError(`${fn}: no ${MODEL_FILE} in ${dir} (is it a model saved there by model.save()?)`);
  const description = parseDescription(fn, new TextDecoder().decode(json), file);
  const record = weightsRecord(fn, description, file);
  const weightsFile = where + (record?.file ?? LEGACY_WEIGHTS_FILE);
  const bytes = await readFile(record?.file ?? LEGACY_WEIGHTS_FILE, 'the weights');
  if (bytes === undefined) throw new FormatError(`${fn}: ${weightsFile}, the weights ${file} names, is missing`);
  if (record !== null) {
    if (bytes.length !== record.bytes) throw new FormatError(`${fn}: ${weightsFile} is ${bytes.length} bytes but ${file} says ${record.bytes} (truncated or replaced?)`);
    if (sha256(bytes) !== record.sha256) throw new FormatError(`${fn}: ${weightsFile} does not match the SHA-256 in ${file} (the file is corrupt or was changed)`);
  }
  return { description, file, weightsFile, ...decodeSafetensors(bytes, weightsFile) };
}

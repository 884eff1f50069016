/**
 * Atomic file writes: the data goes to a temporary file in the target's own directory (so the
 * final rename stays on one file system and is atomic), is fsynced, and then renamed over the
 * target. A reader therefore sees either the old file or the complete new one, never a torn write,
 * even if the process dies midway.
 */
import { ValueError, ioError } from './errors.js';
import { showJson } from './validate.js';
import { nodeModule } from './env.js';
const fs = nodeModule('fs');
const fsp = nodeModule('fsp');
const path = nodeModule('path');
const crypto = nodeModule('crypto');

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  // Leading dot keeps it out of casual listings; pid + random suffix avoid clashes between writers.
  return path.join(dir, `.${base}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

function checkArgs(fn: string, file: string, data: string | Uint8Array): void {
  if (typeof file !== 'string' || file.length === 0) {
    throw new ValueError(`${fn}: path must be a non-empty string, got ${showJson(file)}`);
  }
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new ValueError(`${fn}: data must be a string or Uint8Array, got ${Object.prototype.toString.call(data)}`);
  }
}

/** The temporary files this process is writing now: a folder's clean-up must leave them alone. */
const inFlight = new Set<string>();

/** Whether `tmp` (a path) is a temporary file this process is still writing. */
export function isWriting(tmp: string): boolean {
  return inFlight.has(path.resolve(tmp));
}

/** What a temporary file of `writeFileAtomic` is called: `.<target>.<pid>.<12 hex>.tmp`, or null for another name. */
export function parseTempName(name: string): { target: string; pid: number } | null {
  const m = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : null;
}

/**
 * Writes `data` to `file` atomically (temp file + fsync + rename), creating parent folders.
 * A file-system failure is an IOError naming `fn` (the caller, e.g. 'model.save'), `what` and the path.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, fn = 'writeFileAtomic', what = 'file'): Promise<void> {
  checkArgs('writeFileAtomic', file, data);
  const target = path.resolve(file);
  const dir = path.dirname(target);
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw ioError(fn, 'write', 'the folder of', target, err);
  }
  const tmp = tempPathFor(target);
  inFlight.add(tmp);
  let handle: import('node:fs/promises').FileHandle | null = null;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = null;
    await fsp.rename(tmp, target);
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(fn, 'write', what, target, err);
  } finally {
    inFlight.delete(tmp);
  }
  await syncDir(dir);
}

/** Synchronous twin of `writeFileAtomic`. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, fn = 'writeFileAtomicSync', what = 'file'): void {
  checkArgs('writeFileAtomicSync', file, data);
  const target = path.resolve(file);
  const dir = path.dirname(target);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw ioError(fn, 'write', 'the folder of', target, err);
  }
  const tmp = tempPathFor(target);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the useful one
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the original error is the useful one
    }
    throw ioError(fn, 'write', what, target, err);
  }
  syncDirSync(dir);
}

// Fsync the directory so the rename itself survives a crash. Not possible on every platform
// (Windows cannot open directories), where it is skipped: the data is already safe.
async function syncDir(dir: string): Promise<void> {
  let handle: import('node:fs/promises').FileHandle | null = null;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    if (handle !== null) await handle.close().catch(() => undefined);
  }
}

function syncDirSync(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

// Reads named entries of a zip archive (Keras 3's .keras files) with every size and offset checked
// before anything is inflated, and each entry's CRC-32 verified: fflate inflates into a buffer of
// the size the archive claims and silently stops there, so a lying size is caught by the CRC.
import { inflateSync } from 'fflate';
import { FormatError } from '../../core/errors.js';
import { crc32 } from '../../core/crc32.js';

export interface ZipLimits {
  /** The most bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** The most bytes all the wanted entries together may inflate to. */
  maxTotalBytes: number;
  /** The most entries the central directory may list. */
  maxEntries: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Deflate cannot compress by more than about 1032:1; a claim beyond that is a lie or a bomb. */
const MAX_RATIO = 1100;
/** Weights compress little (about 1.1:1): a large entry claiming more than 50:1 is taken for a zip bomb. */
const BOMB_RATIO = 50;
const BOMB_FREE_BYTES = 256 * 2 ** 20;



/** Whether the bytes start like a zip archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * The entries of `bytes` whose names are in `wanted`, inflated; names absent from the archive are
 * absent from the result. Any inconsistency is a FormatError naming `source`, the entry and the offset.
 */
export function readZipEntries(bytes: Uint8Array, source: string, wanted: readonly string[], limits: ZipLimits): Map<string, Uint8Array> {
  const fail = (msg: string) => new FormatError(`${source}: ${msg}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  // the end-of-central-directory record: 22 bytes plus a comment of at most 65535
  let e = -1;
  for (let i = n - 22; i >= 0 && i >= n - 22 - 65535; i--) {
    if (view.getUint32(i, true) === EOCD) { e = i; break; }
  }
  if (e < 0) throw fail('not a zip archive (no end-of-central-directory record; truncated?)');
  const count = view.getUint16(e + 10, true);
  const cdSize = view.getUint32(e + 12, true);
  const cdOffset = view.getUint32(e + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw fail('zip64 archives are not supported (a .keras file is far below 4 GB)');
  if (count > limits.maxEntries) throw fail(`the zip lists ${count} entries (at most ${limits.maxEntries} expected)`);
  if (cdOffset + cdSize > e) throw fail(`the zip's central directory (${cdSize} bytes at offset ${cdOffset}) overlaps its end record at ${e}`);
  const out = new Map<string, Uint8Array>();
  let total = 0;
  let p = cdOffset;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize) throw fail(`zip central directory entry ${i} at offset ${p} runs past the directory`);
    if (view.getUint32(p, true) !== CENTRAL) throw fail(`zip central directory entry ${i} at offset ${p} has a bad signature`);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const csize = view.getUint32(p + 20, true);
    const usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    if (p + 46 + nameLen > cdOffset + cdSize) throw fail(`zip central directory entry ${i}: its name runs past the directory`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (!wanted.includes(name)) continue;
    if (out.has(name)) throw fail(`zip entry '${name}' appears twice`);
    if (usize > limits.maxEntryBytes) throw fail(`zip entry '${name}' would inflate to ${usize} bytes (limit ${limits.maxEntryBytes})`);
    total += usize;
    if (total > limits.maxTotalBytes) throw fail(`the zip's entries would inflate to more than ${limits.maxTotalBytes} bytes`);
    if (local + 30 > n || view.getUint32(local, true) !== LOCAL) throw fail(`zip entry '${name}': no local header at offset ${local}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + csize > n) throw fail(`zip entry '${name}': ${csize} bytes at offset ${start} run past the end of the file (${n} bytes)`);
    const raw = bytes.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) {
      if (csize !== usize) throw fail(`zip entry '${name}' is stored with ${csize} bytes but claims ${usize}`);
      data = raw.slice();
    } else if (method === 8) {
      if (usize > MAX_RATIO * Math.max(csize, 1) + 1024) throw fail(`zip entry '${name}' claims ${usize} bytes from ${csize} compressed (more than deflate can give)`);
      if (usize > BOMB_FREE_BYTES && usize > BOMB_RATIO * csize) throw fail(`zip entry '${name}' would inflate ${csize} bytes to ${usize} (a zip bomb?)`);
      try {
        data = inflateSync(raw, { out: new Uint8Array(usize) });
      } catch (err) {
        throw fail(`zip entry '${name}' does not inflate: ${(err as Error).message}`);
      }
      if (data.length !== usize) throw fail(`zip entry '${name}' inflates to ${data.length} bytes but claims ${usize}`);
    } else {
      throw fail(`zip entry '${name}' uses compression method ${method} (only stored and deflate are supported)`);
    }
    if (crc32(data) !== crc) throw fail(`zip entry '${name}' fails its CRC-32 check (corrupt, or its sizes lie)`);
    out.set(name, data);
  }
  return out;
}

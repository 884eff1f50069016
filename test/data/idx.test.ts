import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadIdx, parseIdx, readIdx } from '../../src/data/idx.js';
import { FormatError, ValueError } from '../../src/core/errors.js';

/** An IDX file built by hand: magic 00 00 <code> <rank>, big-endian dims, big-endian values. */
function idx(code: number, shape: number[], values: number[], extra = 0): Uint8Array {
  const size = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }[code] ?? 1;
  const out = new Uint8Array(4 + 4 * shape.length + size * values.length + extra);
  const v = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const base = 4 + 4 * shape.length;
  values.forEach((x, i) => {
    const at = base + size * i;
    if (code === 0x08) v.setUint8(at, x);
    else if (code === 0x09) v.setInt8(at, x);
    else if (code === 0x0b) v.setInt16(at, x, false);
    else if (code === 0x0c) v.setInt32(at, x, false);
    else if (code === 0x0d) v.setFloat32(at, x, false);
    else v.setFloat64(at, x, false);
  });
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-idx-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('parses every IDX element type, big-endian, plain and gzipped', () => {
  const cases: [number, string, number[]][] = [
    [0x08, 'uint8', [0, 1, 127, 128, 200, 255]],
    [0x09, 'int8', [-128, -1, 0, 1, 64, 127]],
    [0x0b, 'int16', [-32768, -2, 0, 3, 300, 32767]],
    [0x0c, 'int32', [-2147483648, -70000, 0, 1, 65536, 2147483647]],
    [0x0d, 'float32', [-1.5, 0.25, 0, 3, 1e10, -7]],
    [0x0e, 'float64', [0.1, -0.2, 1 / 3, 1e300, -5e-300, 0]],
  ];
  for (const [code, type, values] of cases) {
    for (const bytes of [idx(code, [2, 3], values), gzipSync(idx(code, [2, 3], values))]) {
      const got = parseIdx(bytes, 'case');
      assert.equal(got.type, type);
      assert.deepEqual(got.shape, [2, 3]);
      assert.deepEqual([...got.data], values, type);
    }
  }
});

test('loadIdx reads files as Tensors, float64 for int32/float64 files', () => {
  const plain = path.join(tmp, 'a-idx3-ubyte');
  fs.writeFileSync(plain, idx(0x08, [2, 1, 2], [1, 2, 3, 250]));
  const t = loadIdx(plain);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.shape, [2, 1, 2]);
  assert.deepEqual(t.toArray(), [[[1, 2]], [[3, 250]]]);
  const gz = path.join(tmp, 'b-idx1-int.gz');
  fs.writeFileSync(gz, gzipSync(idx(0x0c, [3], [16777217, -1, 7])));
  const u = loadIdx(gz);
  assert.equal(u.dtype, 'float64');
  assert.deepEqual(u.toArray(), [16777217, -1, 7]);
  assert.equal(loadIdx(gz, { dtype: 'float32' }).dtype, 'float32');
  assert.equal(readIdx(gz).type, 'int32');
  assert.throws(() => loadIdx(gz, { dtype: 'int8' as unknown as 'float32' }), ValueError);
});

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseIdx(bytes, 'bad.idx'), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, /bad\.idx/);
    assert.match(e.message, pattern);
    return true;
  });
}

test('header errors: magic, type code, dims, sizes, gzip', () => {
  const good = idx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
  rejects(good.subarray(0, 3), /too short/);
  const magic = good.slice();
  magic[1] = 8;
  rejects(magic, /magic number starts with 0x0008/);
  const code = good.slice();
  code[2] = 0x0a;
  rejects(code, /type code 0x0A/);
  rejects(idx(0x08, [], []), /0 dimensions/);
  rejects(good.subarray(0, 9), /declares 2 dimensions but the file ends after 9 bytes/);
  rejects(good.subarray(0, good.length - 1), /needs 6 data bytes but the file has 5 \(truncated\?\)/);
  rejects(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 6], 2), /needs 6 data bytes but the file has 8 \(2 extra\)/);
  rejects(idx(0x0b, [4], [1, 2, 3]), /int16 needs 8 data bytes but the file has 6/);
  const gz = gzipSync(good);
  rejects(gz.subarray(0, gz.length - 6), /gzip data is corrupt or truncated/);
});

test('a missing file is a FormatError naming it', () => {
  const missing = path.join(tmp, 'nope-idx1-ubyte');
  assert.throws(() => loadIdx(missing), (e: unknown) => e instanceof FormatError && e.message.includes(missing) && /not found/.test(e.message));
});

test('a gzip bomb is refused after inflating no more than its header declares', () => {
  // 20 MB of zeros after a header that declares 10 bytes: about 20 KB gzipped
  const bomb = gzipSync(Buffer.concat([idx(0x08, [10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), Buffer.alloc(20_000_000)]));
  assert.ok(bomb.length < 30_000);
  // (inflating it all would say how many bytes are extra: the bounded inflate cannot know)
  assert.throws(() => parseIdx(bomb, 'bomb.gz'), /loadIdx: bomb.gz: shape \[10\] of uint8 needs 10 data bytes but the gzip data inflates to more \(extra data\)$/);
  // a header that claims more than its gzip stream can hold is refused before inflating
  const lying = gzipSync(idx(0x0d, [1000, 1000, 100], [1, 2, 3]));
  assert.throws(() => parseIdx(lying, 'lying.gz'), /declares 400000000 data bytes, more than a gzip stream of \d+ bytes can hold/);
  // and so is one over the limit, gzipped or not, before allocating
  assert.throws(() => parseIdx(idx(0x0e, [65536, 65536, 65536], []), 'huge'), /shape \[65536,65536,65536\] of float64 declares more than 1073741824 data bytes, the limit \(options.maxBytes\)/);
  assert.throws(() => parseIdx(idx(0x08, [100], []), 'small', { maxBytes: 99 }), /declares more than 99 data bytes/);
  assert.equal(parseIdx(gzipSync(idx(0x08, [100], new Array(100).fill(7))), 'ok', { maxBytes: 100 }).data[99], 7);
  const file = path.join(tmp, 'big.idx');
  fs.writeFileSync(file, idx(0x08, [5000], new Array(5000).fill(1)));
  assert.throws(() => readIdx(file, { maxBytes: 100 }), /big.idx is 5008 bytes, more than the limit of 1124/);
  assert.throws(() => loadIdx(file, { maxBytes: 0 }), ValueError);
});

/** A small deterministic generator for the fuzz tests. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('fuzz: mutated IDX files, plain and gzipped, give a FormatError or the same or detectably different values', { timeout: 20_000 }, () => {
  const r = lcg(5);
  const values = Array.from({ length: 6 * 7 * 3 }, () => Math.round((r() - 0.5) * 1000) / 8);
  const plain = idx(0x0d, [6, 7, 3], values);
  const ref = parseIdx(plain, 'ref');
  const counts = { mutations: 0, typedErrors: 0, acceptedIdentical: 0, acceptedDifferent: 0, untyped: 0 };
  for (let k = 0; k < 400; k++) {
    const gz = k % 2 === 1;
    let bytes: Uint8Array = plain.slice();
    const kind = (k >> 1) % 5;
    if (kind === 0) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
    else if (kind === 1) bytes[Math.floor(r() * 16)] ^= 1 << Math.floor(r() * 8); // header bit flip
    else if (kind === 2) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
    else if (kind === 3) new DataView(bytes.buffer).setUint32(4 + 4 * Math.floor(r() * 3), [0, 1, 0xffffffff, 0x10000, 7 + Math.floor(r() * 3)][Math.floor(r() * 5)], false);
    else bytes = new Uint8Array([...bytes, ...new Uint8Array(1 + Math.floor(r() * 4))]);
    if (gz) {
      let z = gzipSync(bytes);
      // mutate the gzip stream itself for a third of them: truncated or a flipped bit
      if (k % 3 === 0) z = z.subarray(0, Math.floor(r() * z.length));
      else if (k % 3 === 1) { z = z.slice(); z[Math.floor(r() * z.length)] ^= 1 << Math.floor(r() * 8); }
      bytes = z;
    }
    counts.mutations++;
    try {
      const got = parseIdx(bytes, `m${k}`);
      const same = got.type === ref.type && got.shape.join() === ref.shape.join() && got.data.every((v, i) => Object.is(v, ref.data[i]));
      if (same) counts.acceptedIdentical++;
      else {
        counts.acceptedDifferent++;
        assert.equal(got.data.length, got.shape.reduce((a, b) => a * b, 1));
      }
    } catch (e) {
      if (e instanceof FormatError) counts.typedErrors++;
      else { counts.untyped++; assert.fail(`untyped ${String(e)} for mutation ${k}`); }
    }
  }
  console.log(`idx fuzz: ${JSON.stringify(counts)}`);
  assert.equal(counts.untyped, 0);
  assert.ok(counts.typedErrors > 100 && counts.acceptedIdentical > 0);
});

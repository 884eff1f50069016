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

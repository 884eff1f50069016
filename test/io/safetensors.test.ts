import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsSync,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/tensor/creation.js';
import { FormatError, ValueError } from '../../src/core/errors.js';

// Fixtures live in the source tree (test/io/fixtures), written by make_safetensors_fixtures.py.
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/io/fixtures');

/** Builds a file from a header object (or raw header text) and a data section. */
function build(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const json = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip keeps names, shapes, dtypes, values and metadata; header is 8-aligned', () => {
  const w = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([0.1, -0.2], { dtype: 'float64' });
  const s = tensor(3.5);
  const bytes = encodeSafetensors({ w, b, s, '0': tensor([9]) }, { epoch: '3', name: 'mlp' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  // Integer-like names keep the reference's order: F64 first, then F32 names sorted.
  const headerText = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
  assert.match(headerText, /^\{"__metadata__":\{"epoch":"3","name":"mlp"\},"b":.*,"0":.*,"s":.*,"w":.*\} *$/);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { epoch: '3', name: 'mlp' });
  assert.deepEqual(Object.keys(back.tensors).sort(), ['0', 'b', 's', 'w']);
  assert.deepEqual(back.tensors.w.shape, [2, 3]);
  assert.equal(back.tensors.w.dtype, 'float32');
  assert.deepEqual(back.tensors.w.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(back.tensors.b.dtype, 'float64');
  assert.deepEqual([...back.tensors.b.data], [0.1, -0.2]);
  assert.deepEqual(back.tensors.s.shape, []);
  assert.equal(back.tensors.s.item(), 3.5);
  assert.deepEqual(back.dtypes, { '0': 'F32', b: 'F64', s: 'F32', w: 'F32' });
});

test('encoder output equals the independent Python writer byte for byte', () => {
  const expected = fs.readFileSync(path.join(FIXTURES, 'floats.safetensors'));
  const ours = encodeSafetensors(
    {
      w: tensor([[1, 2], [3, 4]]),
      b: tensor([-0.5, 0.25]),
      v: tensor([1 / 3, 2, -1e300], { dtype: 'float64' }),
    },
    { framework: 'gradlab' },
  );
  assert.deepEqual(Buffer.from(ours), expected);
});

test('reads every dtype of the Python-written fixture', () => {
  const got = readSafetensorsSync(path.join(FIXTURES, 'mixed.safetensors'));
  const want = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mixed.expected.json'), 'utf8')) as {
    metadata: Record<string, string>;
    tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  };
  assert.deepEqual(got.metadata, want.metadata);
  assert.deepEqual(Object.keys(got.tensors).sort(), Object.keys(want.tensors).sort());
  for (const [name, w] of Object.entries(want.tensors)) {
    const t = got.tensors[name];
    assert.deepEqual(t.shape, w.shape, name);
    assert.equal(got.dtypes[name], w.dtype, name);
    assert.deepEqual([...t.data], w.values, name);
  }
  // Integers wider than float32's 24-bit mantissa come back as float64.
  assert.equal(got.tensors.count.dtype, 'float64');
  assert.equal(got.tensors.big.dtype, 'float64');
  assert.equal(got.tensors.pixels.dtype, 'float32');
});

test('writeSafetensors / readSafetensors go through the file system atomically', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-st-'));
  const file = path.join(dir, 'sub', 'model.safetensors');
  await writeSafetensors(file, { k: tensor([[1, 2]]) }, { a: 'b' });
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['model.safetensors']);
  const back = await readSafetensors(file);
  assert.deepEqual(back.tensors.k.toArray(), [[1, 2]]);
  assert.deepEqual(back.metadata, { a: 'b' });
  await assert.rejects(readSafetensors(path.join(dir, 'missing.safetensors')), (e: unknown) =>
    e instanceof FormatError && e.message.includes('missing.safetensors'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('names from the file cannot reach the prototype', () => {
  const bytes = build(JSON.parse('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), new Uint8Array(4));
  const back = decodeSafetensors(bytes);
  assert.ok(Object.hasOwn(back.tensors, '__proto__'));
  assert.ok(back.tensors['__proto__'] instanceof Tensor);
  assert.equal(Object.getPrototypeOf(back.tensors), Object.prototype);
});

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeSafetensors(bytes, 'bad.safetensors'), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.match(e.message, /bad\.safetensors/);
    assert.match(e.message, pattern);
    return true;
  });
}

test('corrupt files give a FormatError naming the file and the problem', () => {
  const good = encodeSafetensors({ a: tensor([1, 2]), b: tensor([3]) });
  const entry = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  // Too short for the length field; every truncation of a good file.
  rejects(good.subarray(0, 5), /too short/);
  rejects(good.subarray(0, 20), /runs past the end/);
  rejects(good.subarray(0, good.length - 1), /truncated/);
  // Absurd header length.
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  rejects(huge, /larger than/);
  // Header text that is not JSON / not an object / not UTF-8.
  rejects(build('{"a": {"dtype": "F32",', new Uint8Array(0)), /not valid JSON/);
  rejects(build('[1,2]', new Uint8Array(0)), /not an object/);
  const badUtf8 = build('{"a":1}', new Uint8Array(0));
  badUtf8[9] = 0xff;
  rejects(badUtf8, /UTF-8/);
  // Bad entries.
  rejects(build({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /dtype "Q7"/);
  rejects(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/);
  rejects(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)), /data_offsets/);
  rejects(build({ __metadata__: { k: 3 }, a: entry([0, 8]) }, new Uint8Array(8)), /__metadata__\["k"\]/);
  // Size that does not match shape * dtype.
  rejects(build({ a: entry([0, 12]) }, new Uint8Array(12)), /needs 8 bytes but data_offsets \[0,12\] span 12/);
  // Offsets out of range, overlapping, with a gap, or leaving trailing bytes.
  rejects(build({ a: entry([0, 8]), b: entry([8, 16]) }, new Uint8Array(12)), /reach byte 16 but the file holds only 12/);
  rejects(build({ a: entry([0, 8]), b: entry([4, 12]) }, new Uint8Array(12)), /overlap/);
  rejects(build({ a: entry([0, 8]), b: entry([12, 20]) }, new Uint8Array(20)), /gap/);
  rejects(build({ a: entry([0, 8]) }, new Uint8Array(12)), /4 trailing bytes/);
});

test('encode rejects bad input with ValueError before any work', () => {
  assert.throws(() => encodeSafetensors({ a: [1, 2] as unknown as Tensor }), ValueError);
  assert.throws(() => encodeSafetensors({ __metadata__: tensor([1]) }), /reserved/);
  assert.throws(() => encodeSafetensors({ a: tensor([1]) }, { n: 3 as unknown as string }), /metadata\["n"\] must be a string/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic.js';
import { ValueError } from '../../src/core/errors.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-atomic-'));
}

test('writeFileAtomic writes strings and bytes, creates parent folders, overwrites, leaves no temp files', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'a', 'b', 'out.txt');
  await writeFileAtomic(file, 'hello');
  assert.equal(fs.readFileSync(file, 'utf8'), 'hello');
  await writeFileAtomic(file, new Uint8Array([1, 2, 3, 250]));
  assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3, 250]);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['out.txt']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writeFileAtomicSync writes, overwrites and leaves no temp files', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'x', 'y.bin');
  writeFileAtomicSync(file, 'first');
  writeFileAtomicSync(file, 'second, longer');
  assert.equal(fs.readFileSync(file, 'utf8'), 'second, longer');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['y.bin']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a failed rename keeps the old target and removes the temp file', async () => {
  const dir = tmpDir();
  // A non-empty directory in the target's place makes the rename fail.
  const target = path.join(dir, 'busy');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep'), 'k');
  await assert.rejects(writeFileAtomic(target, 'data'));
  assert.throws(() => writeFileAtomicSync(target, 'data'));
  assert.deepEqual(fs.readdirSync(dir), ['busy']);
  assert.equal(fs.readFileSync(path.join(target, 'keep'), 'utf8'), 'k');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad arguments give ValueError', async () => {
  await assert.rejects(writeFileAtomic('', 'x'), ValueError);
  assert.throws(() => writeFileAtomicSync('/tmp/x', 42 as unknown as string), /writeFileAtomicSync: data must be/);
});

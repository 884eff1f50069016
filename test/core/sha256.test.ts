// The page's SHA-256 (core/sha256.ts) against node:crypto on lengths around every padding edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../src/core/sha256.js';
import { Random } from '../../src/tensor/random.js';

test('sha256Hex matches node:crypto for 0..200 bytes and a large buffer', () => {
  const rng = new Random(3);
  for (const n of [...Array.from({ length: 201 }, (_, i) => i), 1000, 65536, 1_000_003]) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = Math.floor(rng.uniform() * 256);
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `length ${n}`);
  }
  assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

// The op codes the kernels compile come from one table (src/backend/codes.ts): the generated
// assembly/codes.ts and native/src/codes.h must be what `npm run gen:codes` writes from it now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACTIVATION_CODES, BINARY_CODES, REDUCE_CODES, UNARY_CODES, generatedCodeFiles } from '../../src/backend/codes.js';

const root = new URL('../../../', import.meta.url);

test('assembly/codes.ts and native/src/codes.h are current (run npm run gen:codes)', () => {
  for (const [rel, text] of Object.entries(generatedCodeFiles())) {
    assert.equal(readFileSync(new URL(rel, root), 'utf8'), text, `${rel} is stale: run npm run gen:codes`);
  }
});

test('each table gives every op its own code, and the C header defines them', () => {
  for (const table of [UNARY_CODES, BINARY_CODES, REDUCE_CODES, ACTIVATION_CODES]) {
    const codes = Object.values(table);
    assert.equal(new Set(codes).size, codes.length);
  }
  const h = generatedCodeFiles()['native/src/codes.h'];
  assert.match(h, /#define GL_BINARY_MASK_POSITIVE 11\n/);
  assert.match(h, /#define GL_ACT_TANH 3\n/);
  assert.match(generatedCodeFiles()['assembly/codes.ts'], /export const UNARY_SIGMOID: i32 = 9;\n/);
});

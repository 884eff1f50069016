// float16 conversions: every one of the 65,536 bit patterns, against Float32Array's own rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floatToHalf, halfToFloat } from '../../src/core/float16.js';

test('halfToFloat and floatToHalf agree on every float16 bit pattern', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = halfToFloat(h);
    if (Number.isNaN(v)) {
      assert.ok(((h >> 10) & 0x1f) === 0x1f && (h & 0x3ff) !== 0, `0x${h.toString(16)}`);
      assert.ok(Number.isNaN(halfToFloat(floatToHalf(v))));
      continue;
    }
    assert.equal(floatToHalf(v), h, `0x${h.toString(16)} -> ${v}`);
  }
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
});

test('floatToHalf rounds to nearest, ties to even, and overflows to infinity', () => {
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // halfway between 1 and its successor: to the even one
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(floatToHalf(65520), 0x7c00);
  assert.equal(floatToHalf(-1e10), 0xfc00);
  assert.equal(floatToHalf(2 ** -26), 0); // below half the smallest subnormal
});

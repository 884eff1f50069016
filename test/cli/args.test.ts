import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, finiteNumber, integer, nonNegativeInt, positiveInt, positiveNumber } from '../../src/cli/common.js';

test('command-line numbers: the core meaning, the text quoted as typed', () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);
  assert.equal(positiveInt('--batch-size', '64'), 64);
  assert.throws(() => positiveInt('--batch-size', '0'), usage(/^--batch-size must be a positive integer, got '0'$/));
  assert.throws(() => positiveInt('--batch-size', '2.5'), usage(/positive integer/));
  assert.equal(nonNegativeInt('--epochs', '0'), 0);
  assert.throws(() => nonNegativeInt('--epochs', 'ten'), usage(/^--epochs must be a non-negative integer, got 'ten'$/));
  assert.equal(integer('--seed', '-3'), -3);
  assert.throws(() => integer('--seed', '1.5'), usage(/^--seed must be an integer, got '1\.5'$/));
  assert.equal(positiveNumber('--lr', '1e-3'), 1e-3);
  assert.throws(() => positiveNumber('--C', '-1'), usage(/^--C must be a positive number, got '-1'$/));
  assert.throws(() => positiveNumber('--C', 'Infinity'), usage(/positive number/));
  assert.equal(finiteNumber('--coef0', '-0.5'), -0.5);
  assert.throws(() => finiteNumber('--coef0', 'abc'), usage(/^--coef0 must be a number, got 'abc'$/));
  // decimal and exponent notation only, as CSV cells: Number() would read '' as 0 and '0x3' as 3
  for (const text of ['', ' ', '0x3', '0b1', ' 2']) assert.throws(() => nonNegativeInt('--epochs', text), usage(/non-negative integer/), `'${text}'`);
  assert.throws(() => finiteNumber('--validation-split', ''), usage(/^--validation-split must be a number, got ''$/));
});

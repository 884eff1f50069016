import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { checkOptions, nearestName, oneOf, optionKeys, positiveInt, requireOption } from '../../src/core/validate.js';

interface Opts { kernelSize: number; strides?: number; learningRate?: number }
const KEYS = optionKeys<Opts>({ kernelSize: true, strides: true, learningRate: true });

test('checkOptions names the function, the unknown key and the nearest known one', () => {
  assert.deepEqual(checkOptions('f', undefined, KEYS), {});
  assert.throws(() => checkOptions('layers.conv2d', { kernel_size: 3 } as never, KEYS), {
    name: 'ValueError', message: "layers.conv2d: unknown option 'kernel_size' (did you mean 'kernelSize'?)",
  });
  assert.throws(() => checkOptions('f', { learning_rate: 1 } as never, KEYS), /did you mean 'learningRate'/);
  assert.throws(() => checkOptions('f', { stride: 1 } as never, KEYS), /unknown option 'stride' \(did you mean 'strides'\?\)/);
  assert.throws(() => checkOptions('f', { zzzzzz: 1 } as never, KEYS), /unknown option 'zzzzzz' \(known: 'kernelSize', 'strides', 'learningRate'\)/);
  for (const bad of [null, 3, 'x', [1]]) assert.throws(() => checkOptions('f', bad as never, KEYS), ValueError);
  // inherited names are not options
  assert.throws(() => checkOptions('f', JSON.parse('{"__proto__": 1}'), KEYS), /unknown option '__proto__'/);
});

test('nearestName, requireOption and the scalar validators', () => {
  assert.equal(nearestName('input_shape', ['inputShape', 'name']), 'inputShape');
  assert.equal(nearestName('qqq', ['inputShape', 'name']), null);
  assert.throws(() => requireOption('layers.conv2d', {} as Opts, 'kernelSize', '{ kernelSize: 3 }'), /layers.conv2d: option 'kernelSize' is required, e.g. \{ kernelSize: 3 \}/);
  assert.equal(positiveInt('f', 'n', 3), 3);
  assert.throws(() => positiveInt('f', 'n', 2.5), /f: n must be a positive integer, got 2.5/);
  assert.throws(() => positiveInt('f', 'n', '3'), /got the string "3"/);
  assert.equal(oneOf('f', 'padding', 'same', ['valid', 'same'] as const), 'same');
  assert.throws(() => oneOf('f', 'padding', 'sme', ['valid', 'same'] as const), /did you mean 'same'/);
});

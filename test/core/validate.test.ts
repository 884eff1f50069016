import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import {
  checkOptions, describeValue, functionOption, intInRange, integer, isPositiveInt, nearestName, nonNegativeNumber, oneOf, optionKeys,
  optional, orderedPair, positiveInt, positiveNumber, requireOption, stringArray, stringOption, unknownNameError,
} from '../../src/core/validate.js';

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

test('other libraries\' names for an option suggest gradlab\'s, when it is one of the known keys', () => {
  const known = optionKeys<{ seed?: number; learningRate?: number; epsilon?: number }>({ seed: true, learningRate: true, epsilon: true });
  assert.throws(() => checkOptions('f', { random_state: 0 } as never, known), /f: unknown option 'random_state' \(did you mean 'seed'\?\)/);
  assert.throws(() => checkOptions('f', { lr: 0.1 } as never, known), /unknown option 'lr' \(did you mean 'learningRate'\?\)/);
  assert.throws(() => checkOptions('f', { eps: 1e-8 } as never, known), /did you mean 'epsilon'/);
  // Only when the gradlab name is an option of this function:
  assert.equal(unknownNameError('f', 'option', 'random_state', ['testSize']).message, "f: unknown option 'random_state' (known: 'testSize')");
  assert.equal(unknownNameError('f', 'option', 'constructor', ['seed']).message, "f: unknown option 'constructor' (known: 'seed')");
});

test('the shared scalar, string, pair and function validators', () => {
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue(new Float32Array(2)), 'a Float32Array');
  assert.equal(describeValue({}), 'an object');
  assert.equal(describeValue(Object.create(null)), 'an object');
  assert.equal(describeValue(() => 1), 'a function');
  assert.equal(isPositiveInt(3), true);
  assert.equal(isPositiveInt('3'), false);
  assert.throws(() => positiveNumber('f', 'C', 0), /f: C must be a positive finite number, got 0/);
  assert.throws(() => positiveNumber('f', 'C', Infinity), ValueError);
  assert.equal(integer('f', 'seed', -3), -3);
  assert.throws(() => integer('f', 'seed', 0.5), /f: seed must be an integer, got 0.5/);
  assert.equal(intInRange('f', 'n', 10, 1, 10), 10);
  assert.throws(() => intInRange('f', 'n', 11, 1, 10), /f: n must be an integer in \[1, 10\], got 11/);
  assert.equal(nonNegativeNumber('f', 'tol', 0), 0);
  assert.throws(() => nonNegativeNumber('f', 'tol', -1e-9), /tol must be a finite number >= 0/);
  assert.throws(() => nonNegativeNumber('f', 'tol', NaN), ValueError);
  assert.equal(stringOption('f', 'title', ''), '');
  assert.throws(() => stringOption('f', 'title', 3), /f: title must be a string, got 3/);
  assert.deepEqual(stringArray('f', 'names', ['a']), ['a']);
  assert.throws(() => stringArray('f', 'names', ['a', 2]), /f: names\[1\] is 2, not a string/);
  assert.throws(() => stringArray('f', 'names', 'a'), /names must be an array of strings/);
  assert.deepEqual(orderedPair('f', 'range', [0, 1]), [0, 1]);
  for (const bad of [[1, 1], [0, NaN], [0], 'x']) {
    assert.throws(() => orderedPair('f', 'range', bad, ['min', 'max']), /f: range must be \[min, max\] with finite min < max/);
  }
  const g = () => 1;
  assert.equal(functionOption('f', 'cb', g), g);
  assert.throws(() => functionOption('f', 'cb', {}), /f: cb must be a function, got an object/);
  assert.equal(optional('f', 'title', undefined, stringOption), undefined);
  assert.equal(optional('f', 'n', 4, positiveInt), 4);
  assert.throws(() => optional('f', 'n', null, positiveInt), /n must be a positive integer, got null/);
});

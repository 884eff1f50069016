// Optimizer options, from code or from a saved model's config: Keras's snake_case names are met
// with the camelCase gradlab one, and values are checked before the optimizer is made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adam, optimizers, resolveOptimizer, rmsprop, sgd } from '../../src/optim/index.js';
import { ValueError } from '../../src/core/errors.js';

function valueError(re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ValueError && re.test(e.message);
}

test('sgd, adam and rmsprop: Keras and PyTorch spellings name the gradlab option', () => {
  assert.throws(() => sgd({ learning_rate: 0.1 } as never), valueError(/^sgd: unknown option 'learning_rate' \(did you mean 'learningRate'\?\)$/));
  assert.throws(() => adam({ learning_rate: 0.1 } as never), valueError(/^adam: unknown option 'learning_rate' \(did you mean 'learningRate'\?\)$/));
  assert.throws(() => rmsprop({ learning_rate: 0.1 } as never), valueError(/^rmsprop: unknown option 'learning_rate' \(did you mean 'learningRate'\?\)$/));
  assert.throws(() => optimizers.sgd({ lr: 0.1 } as never), valueError(/unknown option 'lr' \(did you mean 'learningRate'\?\)/));
  assert.throws(() => adam({ beta_1: 0.9 } as never), valueError(/unknown option 'beta_1' \(did you mean 'beta1'\?\)/));
  assert.throws(() => adam({ eps: 1e-8 } as never), valueError(/unknown option 'eps' \(did you mean 'epsilon'\?\)/));
  assert.throws(() => adam({ amsgrad: true } as never), valueError(/unknown option 'amsgrad' \(known: 'learningRate', 'beta1', 'beta2', 'epsilon'\)/));
  assert.throws(() => sgd({ weight_decay: 1e-4 } as never), valueError(/^sgd: unknown option 'weight_decay'/));
  assert.throws(() => sgd(0.1 as never), valueError(/sgd: options must be an object, got 0\.1/));
});

test('optimizer option values', () => {
  assert.throws(() => sgd({ learningRate: 0 }), valueError(/sgd: learningRate must be a positive finite number, got 0/));
  assert.throws(() => sgd({ momentum: 1 }), valueError(/sgd: momentum must be a number in \[0, 1\), got 1/));
  assert.throws(() => sgd({ nesterov: 1 } as never), valueError(/sgd: nesterov must be true or false/));
  assert.throws(() => adam({ beta2: -0.1 }), valueError(/adam: beta2 must be a number in \[0, 1\)/));
  assert.throws(() => adam({ epsilon: -1 }), valueError(/adam: epsilon must be a finite number >= 0/));
  assert.throws(() => rmsprop({ rho: 1.5 }), valueError(/rmsprop: rho must be a number in \[0, 1\)/));
  assert.deepEqual(sgd({ learningRate: 0.5, momentum: 0.9, nesterov: true }).getConfig(), { learningRate: 0.5, momentum: 0.9, nesterov: true });
});

test('resolveOptimizer: a config from a file gets the same checks, naming where it came from', () => {
  assert.throws(() => resolveOptimizer('loadModel', 'adam', { learning_rate: 0.01 }),
    valueError(/^loadModel: optimizer 'adam': unknown option 'learning_rate' \(did you mean 'learningRate'\?\)$/));
  assert.throws(() => resolveOptimizer('loadModel', 'sgd', { momentum: 2 }), valueError(/^loadModel: optimizer 'sgd': momentum must be a number in \[0, 1\)/));
  assert.throws(() => resolveOptimizer('loadModel', 'rmsprop', null as never), valueError(/loadModel: optimizer 'rmsprop': options must be an object, got null/));
  assert.throws(() => resolveOptimizer('m.compile', 'adamw'), valueError(/m\.compile: unknown optimizer "adamw" \(did you mean 'adam'\?\)/));
  assert.throws(() => resolveOptimizer('m.compile', 'constructor'), valueError(/unknown optimizer "constructor"/));
  // A saved config is what getConfig() wrote: it reads back as the same optimizer.
  const saved = JSON.parse(JSON.stringify(adam({ learningRate: 0.02, beta1: 0.8 }).getConfig())) as Record<string, number>;
  assert.deepEqual(resolveOptimizer('loadModel', 'adam', saved).getConfig(), { learningRate: 0.02, beta1: 0.8, beta2: 0.999, epsilon: 1e-7 });
  const own = sgd();
  assert.equal(resolveOptimizer('m.compile', own), own);
});

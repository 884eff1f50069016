import type { FusedActivation } from '../backend/backend.js';
import { ValueError } from '../core/errors.js';
import type { Random } from '../tensor/random.js';
import { Tensor, recordOp } from '../tensor/tensor.js';
import { binaryKernel, div, exp, gt, minimum, mul, sub, unaryKernel, where } from './elementwise.js';
import { logSumExp, max, sum } from './reduce.js';
import { registerOp, type OpSample } from './registry.js';
import { expectTensor, sampleAwayFromZero, sampleUniform } from './util.js';
import { normAxis } from '../tensor/shape.js';

/** Hard threshold: 1 where x >= 0, else 0. Its gradient is zero everywhere it exists. */
export function step(x: Tensor): Tensor {
  expectTensor(x, 'step', 'x');
  const out = unaryKernel('step', x);
  return recordOp(out, 'step', [x], (g) => [mul(g, 0)]);
}

/** 1 / (1 + e^-x), computed without overflow; derivative u (1 - u). */
export function sigmoid(x: Tensor): Tensor {
  expectTensor(x, 'sigmoid', 'x');
  const out = unaryKernel('sigmoid', x);
  return recordOp(out, 'sigmoid', [x], (g) => [mul(g, mul(out, sub(1, out)))]);
}

/** Hyperbolic tangent; derivative 1 - tanh^2. */
export function tanh(x: Tensor): Tensor {
  expectTensor(x, 'tanh', 'x');
  const out = unaryKernel('tanh', x);
  return recordOp(out, 'tanh', [x], (g) => [mul(g, sub(1, mul(out, out)))]);
}

/** max(x, 0); derivative 1 for x > 0, else 0. */
export function relu(x: Tensor): Tensor {
  expectTensor(x, 'relu', 'x');
  const out = unaryKernel('relu', x);
  return recordOp(out, 'relu', [x], (g) => [reluBackward(g, x)]);
}

/**
 * dL/dz for u = activation(z), written with differentiable ops on the output u (relu's mask
 * u > 0 is z > 0): the backward of the fused conv/dense ops when a graph is recorded.
 */
export function activationGradFromOutput(g: Tensor, u: Tensor, activation: FusedActivation): Tensor {
  switch (activation) {
    case 'linear': return g;
    case 'relu': return reluBackward(g, u);
    case 'sigmoid': return mul(g, mul(u, sub(1, u)));
    case 'tanh': return mul(g, sub(1, mul(u, u)));
  }
}

/** g where x > 0, else 0 (as mul(g, gt(x, 0)) in one kernel); linear in g, flat in x. */
function reluBackward(g: Tensor, x: Tensor): Tensor {
  const out = binaryKernel('maskPositive', g, x, 'relu');
  return recordOp(out, 'reluBackward', [g], (gg) => [reluBackward(gg, x)]);
}

/** x for x > 0, alpha x otherwise (alpha 0.2, as tf.nn.leaky_relu). */
export function leakyRelu(x: Tensor, alpha = 0.2): Tensor {
  expectTensor(x, 'leakyRelu', 'x');
  return where(gt(x, 0), x, mul(x, alpha));
}

/** x for x > 0, alpha (e^x - 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  expectTensor(x, 'elu', 'x');
  // exp of min(x, 0) keeps the unused branch finite, so its zero gradient does not become NaN.
  return where(gt(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}

/** log(1 + e^x), stable for large |x|; derivative sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  expectTensor(x, 'softplus', 'x');
  const out = unaryKernel('softplus', x);
  return recordOp(out, 'softplus', [x], (g) => [mul(g, sigmoid(x))]);
}

/** e^x / sum(e^x) along `axis` (default last), shifted by the max for stability. */
export function softmax(x: Tensor, axis = -1): Tensor {
  expectTensor(x, 'softmax', 'x');
  if (x.rank === 0) throw new ValueError('softmax: needs a tensor of rank >= 1, got a scalar');
  const a = normAxis('softmax', axis, x.rank);
  const e = exp(sub(x, max(x, a, true).detach()));
  return div(e, sum(e, a, true));
}

/** x - logSumExp(x) along `axis`: log-probabilities without overflow or log(0). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  expectTensor(x, 'logSoftmax', 'x');
  if (x.rank === 0) throw new ValueError('logSoftmax: needs a tensor of rank >= 1, got a scalar');
  const a = normAxis('logSoftmax', axis, x.rank);
  return sub(x, logSumExp(x, a, true));
}

// ---------- registry ----------

function samples(name: string, fn: (x: Tensor) => Tensor, draw: (r: Random, s: number[]) => Tensor = (r, s) => sampleAwayFromZero(r, s, 0.05, 3)) {
  return (rng: Random): OpSample[] => [[6], [3, 4], [2, 3, 4]].map((s) => ({ label: `${name} [${s}]`, inputs: [draw(rng, s)], fn }));
}
registerOp({ name: 'step', family: 'activation', samples: samples('step', step) });
registerOp({ name: 'sigmoid', family: 'activation', samples: samples('sigmoid', sigmoid) });
registerOp({ name: 'tanh', family: 'activation', samples: samples('tanh', tanh) });
registerOp({ name: 'relu', family: 'activation', samples: samples('relu', relu) });
registerOp({
  name: 'internal:reluBackward', family: 'activation',
  samples: (rng) => [[6], [3, 4]].map((s) => {
    const x = sampleAwayFromZero(rng, s, 0.05, 3);
    return { label: `reluBackward [${s}]`, inputs: [sampleUniform(rng, s)], fn: (g: Tensor) => reluBackward(g, x) };
  }),
});
registerOp({ name: 'leakyRelu', family: 'activation', samples: samples('leakyRelu', (x) => leakyRelu(x, 0.1)) });
registerOp({ name: 'elu', family: 'activation', samples: samples('elu', (x) => elu(x, 1.5)) });
registerOp({ name: 'softplus', family: 'activation', samples: samples('softplus', softplus, (r, s) => sampleUniform(r, s, -4, 4)) });
registerOp({
  name: 'softmax', family: 'activation',
  samples: (rng) => [
    { label: 'softmax last axis', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => softmax(x) },
    { label: 'softmax axis 0', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => softmax(x, 0) },
    { label: 'softmax large logits', inputs: [sampleUniform(rng, [2, 4], 50, 60)], fn: (x) => softmax(x) },
  ],
});
registerOp({
  name: 'logSoftmax', family: 'activation',
  samples: (rng) => [
    { label: 'logSoftmax last axis', inputs: [sampleUniform(rng, [3, 5], -2, 2)], fn: (x) => logSoftmax(x) },
    { label: 'logSoftmax axis 1 of 3', inputs: [sampleUniform(rng, [2, 3, 4], -2, 2)], fn: (x) => logSoftmax(x, 1) },
  ],
});

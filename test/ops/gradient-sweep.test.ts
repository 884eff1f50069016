import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { Tensor, recordOp } from '../../src/tensor/tensor.js';
import { registeredOps } from '../../src/ops/registry.js';
import * as ops from '../../src/ops/index.js';
import { unaryKernel } from '../../src/ops/elementwise.js';

// Functions of the ops layer that are not differentiable (comparisons, indices, checking tools).
const NOT_OPS = new Set(['gt', 'ge', 'lt', 'le', 'eq', 'ne', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'argmax', 'argmin', 'oneHot', 'gradcheck', 'jacobian', 'registeredOps']);
// Exported under a second name (Keras' spelling): the same function object as a registered op.
const ALIASES: Record<string, string> = { swish: 'silu', cast: 'astype' };

test('every registered op passes a float64 gradcheck on all of its samples', () => {
  const rng = new gl.Random(20261123);
  let cases = 0;
  let maxErr = 0;
  const failures: string[] = [];
  for (const op of registeredOps()) {
    const samples = op.samples(rng);
    assert.ok(samples.length > 0, `${op.name} has no samples`);
    for (const s of samples) {
      cases++;
      for (const t of s.inputs) assert.equal(t.dtype, 'float64', `${s.label}: samples must be float64`);
      const r = gl.gradcheck(s.fn, s.inputs, { raiseException: false, ...op.tolerance });
      maxErr = Math.max(maxErr, r.maxAbsError);
      if (!r.passed) failures.push(`${s.label}: ${JSON.stringify(r.worst)}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(cases >= 150, `only ${cases} sample cases`);
  console.log(`gradient sweep: ${registeredOps().length} ops, ${cases} cases, largest |analytic - numerical| = ${maxErr.toExponential(2)}`);
});

test('every exported differentiable function is in the registry', () => {
  const names = new Set(registeredOps().map((o) => o.name));
  const missing: string[] = [];
  for (const [name, value] of Object.entries(ops)) {
    if (typeof value !== 'function' || NOT_OPS.has(name)) continue;
    assert.equal((gl as Record<string, unknown>)[name], value, `${name} is not exported from the package root`);
    if (name in ALIASES) {
      assert.equal(value, (ops as Record<string, unknown>)[ALIASES[name]], `${name} is listed as an alias of ${ALIASES[name]} but is another function`);
      if (!names.has(ALIASES[name])) missing.push(`${name} (alias of ${ALIASES[name]})`);
      continue;
    }
    if (!names.has(name)) missing.push(name);
  }
  for (const name of Object.keys(ALIASES)) assert.equal(typeof (ops as Record<string, unknown>)[name], 'function', `alias ${name} is not exported`);
  for (const [name, value] of Object.entries(gl.losses)) {
    if (typeof value === 'function' && !names.has(`losses.${name}`)) missing.push(`losses.${name}`);
  }
  assert.deepEqual(missing, [], 'exported but not registered (add it to the registry with samples, or to NOT_OPS if it is not differentiable)');
});

test('conv2d samples cover its option space', () => {
  const labels = registeredOps().find((o) => o.name === 'conv2d')!.samples(new gl.Random(1)).map((s) => s.label);
  for (const needle of ['"valid"', '"same"', '"full"', '"padding":1', '"stride":2', '"dilation":2', '"flip":true', 'w[2,2', 'w[3,3', ',1] w', ',2] w', 'x[1,', 'x[2,',
    '"groups":2', '"groups":3', '"groups":4', 'with bias']) {
    assert.ok(labels.some((l) => l.includes(needle)), `no conv2d sample with ${needle}`);
  }
  // groups with a fused bias and activation
  assert.ok(labels.some((l) => l.includes('"groups"') && l.includes('"activation":"relu"') && l.includes('with bias')));
});

test('depthwiseConv2d and conv2dTranspose samples cover their option spaces', () => {
  const labelsOf = (name: string) => registeredOps().find((o) => o.name === name)!.samples(new gl.Random(1)).map((s) => s.label);
  const dw = labelsOf('depthwiseConv2d');
  // multipliers 1, 2, 3 (the kernel's last dimension), every padding kind, strides and dilations, fused epilogues
  for (const needle of [',1] {', ',2] {', ',3] {', '{}', '"same"', '"full"', '"padding":1', '"padding":[1,2]', '"stride":2', '"stride":[2,1]',
    '"dilation":2', '"dilation":[1,2]', '"activation":"sigmoid"', 'with bias']) {
    assert.ok(dw.some((l) => l.includes(needle)), `no depthwiseConv2d sample with ${needle}`);
  }
  const tr = labelsOf('conv2dTranspose');
  for (const needle of ['{}', '"same"', '"stride":2', '"stride":3', '"stride":[2,3]', '"outputPadding":0', '"outputPadding":1', '"outputPadding":[1,2]',
    '"dilation":2', '"dilation":[2,1]', 'w[4,4', 'w[1,2', '"activation":"tanh"', 'with bias']) {
    assert.ok(tr.some((l) => l.includes(needle)), `no conv2dTranspose sample with ${needle}`);
  }
});

test('gradcheck catches a wrong backward', () => {
  // sigmoid with the derivative of tanh: a plausible bug the sweep must not let through.
  const wrong = (x: Tensor): Tensor => {
    const out = unaryKernel('sigmoid', x);
    return recordOp(out, 'badSigmoid', [x], (g) => [gl.mul(g, gl.sub(1, gl.mul(out, out)))]);
  };
  const x = gl.randn([5], { dtype: 'float64', seed: 3 });
  assert.equal(gl.gradcheck(wrong, [x], { raiseException: false }).passed, false);
  assert.throws(() => gl.gradcheck(wrong, [x]), /gradcheck: gradient mismatch for inputs\[0\] \[5\]/);
  assert.throws(() => gl.gradcheck(gl.sigmoid, [gl.randn([3])]), gl.DTypeError);
});

test('second derivatives through the backward ops', () => {
  // gradcheck of x -> grad f(x), where the gradient is computed with createGraph: checks the backward ops' own backward.
  const gradOf = (f: (x: Tensor) => Tensor) => (x: Tensor): Tensor => {
    x.grad = null;
    f(x).backward(undefined, { createGraph: true });
    const g = x.grad!;
    x.grad = null;
    return g;
  };
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['tanh', (x) => gl.sum(gl.tanh(x)), [4]],
    ['matmul', (x) => gl.sum(gl.square(gl.matmul(x, gl.transpose(x)))), [3, 2]],
    ['conv2d', (x) => gl.sum(gl.square(gl.conv2d(x, gl.flip(x, [1, 2]).reshape([3, 3, 1, 1]), { padding: 'same' }))), [1, 3, 3, 1]],
    ['avgPool2d', (x) => gl.sum(gl.square(gl.avgPool2d(gl.mul(x, x), { size: 2, stride: 1 }))), [1, 3, 3, 1]],
    ['logSoftmax', (x) => gl.sum(gl.mul(gl.logSoftmax(x), gl.arange(0, 4, 1, { dtype: 'float64' }))), [2, 4]],
    // the fused layer ops: their backward with a graph is made of differentiable ops
    ['dense + bias + sigmoid', (x) => gl.sum(gl.square(gl.dense(x, gl.transpose(x), gl.sum(x, 0), 'sigmoid'))), [3, 3]],
    ['dense + tanh', (x) => gl.sum(gl.square(gl.dense(x, gl.mul(x, 0.5), null, 'tanh'))), [2, 2]],
    ['conv2d + bias + tanh', (x) => gl.sum(gl.square(gl.conv2d(x, gl.flip(x, [1, 2]).reshape([3, 3, 1, 1]),
      { padding: 'same', bias: gl.sum(x).reshape([1]), activation: 'tanh' }))), [1, 3, 3, 1]],
    // the activations computed by one loop: with a graph their backward is made of ops
    ['silu', (x) => gl.sum(gl.mul(gl.silu(x), gl.silu(x))), [5]],
    ['gelu', (x) => gl.sum(gl.square(gl.gelu(x))), [5]],
    ['gelu approximate', (x) => gl.sum(gl.square(gl.gelu(x, { approximate: true }))), [5]],
    ['selu', (x) => gl.sum(gl.square(gl.selu(x))), [5]],
    ['hardSwish', (x) => gl.sum(gl.square(gl.hardSwish(gl.mul(x, 3)))), [5]],
    ['hardSigmoid', (x) => gl.sum(gl.square(gl.hardSigmoid(gl.mul(x, 2)))), [5]],
    ['relu with options', (x) => gl.sum(gl.square(gl.relu(x, { maxValue: 1, negativeSlope: 0.3, threshold: 0.2 }))), [5]],
    ['layerNorm', (x) => gl.sum(gl.square(gl.layerNorm(gl.reshape(x, [2, 3]), { gamma: gl.slice(x, [0], [3]), beta: gl.slice(x, [3], [3]) }))), [6]],
    ['layerNorm axis [0,2]', (x) => gl.sum(gl.mul(gl.layerNorm(gl.reshape(x, [2, 2, 2]), { axis: [0, 2] }), gl.reshape(x, [2, 2, 2]))), [8]],
    ['sparseCategoricalCrossentropy on probabilities', (x) => gl.losses.sparseCategoricalCrossentropy([0, 2], gl.softmax(gl.reshape(x, [2, 3]))), [6]],
    ['batchNorm', (x) => gl.sum(gl.mul(gl.batchNorm(gl.reshape(x, [4, 2]), { gamma: gl.slice(x, [0], [2]) }), gl.reshape(x, [4, 2]))), [8]],
    ['conv2d + sigmoid', (x) => gl.sum(gl.square(gl.conv2d(x, gl.flip(x, [1, 2]).reshape([3, 3, 1, 1]),
      { padding: 'same', activation: 'sigmoid' }))), [1, 3, 3, 1]],
    // the convolution variants: depthwise, grouped and transposed, fused or not
    ['depthwiseConv2d', (x) => gl.sum(gl.square(gl.depthwiseConv2d(x, gl.reshape(gl.slice(x, [0, 0, 0, 0], [1, 2, 2, 2]), [2, 2, 2, 1]),
      { padding: 'same' }))), [1, 3, 3, 2]],
    ['depthwiseConv2d + bias + tanh', (x) => gl.sum(gl.square(gl.depthwiseConv2d(x, gl.reshape(gl.slice(x, [0, 0, 0, 0], [1, 2, 2, 2]), [2, 2, 2, 1]),
      { stride: 2, padding: 'same', bias: gl.reshape(gl.sum(x, [0, 1, 2]), [2]), activation: 'tanh' }))), [1, 3, 3, 2]],
    ['grouped conv2d', (x) => gl.sum(gl.square(gl.conv2d(x, gl.reshape(gl.slice(x, [0, 0, 0, 0], [1, 2, 2, 4]), [2, 2, 2, 2]),
      { groups: 2, padding: 'same' }))), [1, 3, 3, 4]],
    ['conv2dTranspose', (x) => gl.sum(gl.square(gl.conv2dTranspose(x, gl.reshape(gl.slice(x, [0, 0, 0, 0], [1, 2, 2, 1]), [2, 2, 1, 1]),
      { stride: 2, padding: 'same' }))), [1, 3, 3, 1]],
    ['conv2dTranspose + bias + sigmoid', (x) => gl.sum(gl.square(gl.conv2dTranspose(x, gl.reshape(gl.slice(x, [0, 0, 0, 0], [1, 2, 2, 1]), [2, 2, 1, 1]),
      { stride: 2, bias: gl.reshape(gl.sum(x), [1]), activation: 'sigmoid' }))), [1, 3, 3, 1]],
  ];
  for (const [name, f, shape] of cases) {
    const x = gl.randn(shape, { dtype: 'float64', seed: 7 });
    const r = gl.gradcheck(gradOf(f), [x], { raiseException: false });
    assert.ok(r.passed, `second derivative of ${name}: ${JSON.stringify(r.worst)}`);
  }
});

/**
 * Runs f on fresh leaf copies of `inputs` twice, backward from `seed` with the hand-written loop
 * and with createGraph (the backward made of ops), and asserts the gradients agree within
 * tol * (1 + |loop|) and that createGraph recorded every one but those named in `constant`.
 * Returns the loop's gradients.
 */
function assertBackwardsAgree(label: string, names: string[], inputs: Tensor[], f: (leaves: Tensor[]) => Tensor, seed: Tensor,
  tol = 1e-12, constant: string[] = []): Tensor[] {
  const run = (createGraph: boolean) => {
    const leaves = inputs.map((t) => new Tensor(t.data.slice(), t.shape, true));
    f(leaves).backward(seed, { createGraph });
    return leaves.map((t) => t.grad!);
  };
  const loop = run(false);
  const ops = run(true);
  names.forEach((name, k) => {
    assert.equal(ops[k].requiresGrad, !constant.includes(name), `${label} d${name}: the createGraph gradient is ${constant.includes(name) ? 'not ' : ''}recorded`);
    for (let i = 0; i < loop[k].size; i++) {
      const d = Math.abs(loop[k].data[i] - ops[k].data[i]);
      assert.ok(d <= tol * (1 + Math.abs(loop[k].data[i])), `${label} d${name}[${i}]: loop ${loop[k].data[i]}, ops ${ops[k].data[i]}`);
    }
  });
  return loop;
}

test('the one-loop backward and the backward made of ops (createGraph) give the same gradient', () => {
  const x = gl.mul(gl.randn([64], { dtype: 'float64', seed: 11 }), 3);
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['silu', gl.silu], ['gelu', (v) => gl.gelu(v)], ['gelu approximate', (v) => gl.gelu(v, { approximate: true })],
    ['selu', gl.selu], ['hardSwish', gl.hardSwish], ['hardSigmoid', gl.hardSigmoid], ['relu6', (v) => gl.relu6(gl.mul(v, 3))],
    ['relu with options', (v) => gl.relu(v, { maxValue: 2, negativeSlope: 0.1, threshold: 0.5 })],
    ['softmax', (v) => gl.reshape(gl.softmax(gl.reshape(v, [8, 8])), [64])],
  ];
  const seed = gl.randn([64], { dtype: 'float64', seed: 12 });
  for (const [name, f] of cases) {
    // piecewise-linear ones have a gradient that is constant in x: nothing to record
    const linearPieces = ['hardSigmoid', 'relu6', 'relu with options'].includes(name);
    assertBackwardsAgree(name, ['x'], [x], ([v]) => f(v), seed, 1e-13, linearPieces ? ['x'] : []);
  }
});

test('sparseCategoricalCrossentropy on probabilities: the one-loop backward and the backward made of ops agree', () => {
  // rows summing to more or less than 1 (the loss renormalises), one row clipped (no gradient)
  const p0 = gl.tensor([[0.2, 0.5, 0.6], [0.1, 0.1, 0.3], [1e-9, 0.4, 0.4], [0.7, 0.2, 0.1]], { dtype: 'float64' });
  const labels = [1, 2, 0, 0];
  const [loop] = assertBackwardsAgree('sparseCategoricalCrossentropy', ['p'], [p0],
    ([p]) => gl.losses.sparseCategoricalCrossentropy(labels, p), gl.tensor(1.5, { dtype: 'float64' }));
  for (let k = 0; k < 3; k++) assert.equal(loop.data[6 + k], 0, 'the clipped row has no gradient');
  // the value: -mean(log(clip(p[i, y] / sum_k p[i, k]))) with the clipped row at log(1e-7)
  const want = -(Math.log(0.5 / 1.3) + Math.log(0.3 / 0.5) + Math.log(1e-7) + Math.log(0.7 / 1.0)) / 4;
  assert.ok(Math.abs(gl.losses.sparseCategoricalCrossentropy(labels, p0).item() - want) < 1e-12);
});

test('sparseCategoricalCrossentropy on logits: the one-loop backward and the backward made of ops agree', () => {
  const z0 = gl.tensor([[2, -1, 0.5], [30, 31, -40], [0, 0, 0]], { dtype: 'float64' });
  const labels = [0, 2, 1];
  assertBackwardsAgree('sparseCategoricalCrossentropy fromLogits', ['z'], [z0],
    ([z]) => gl.losses.sparseCategoricalCrossentropy(labels, z, { fromLogits: true }), gl.tensor(0.5, { dtype: 'float64' }));
  // -mean(z[y] - logsumexp(z)), the logsumexp of the second row without overflow
  const lse = (r: number[]) => { const m = Math.max(...r); return m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0)); };
  const want = ((lse([2, -1, 0.5]) - 2) + (lse([30, 31, -40]) + 40) + (lse([0, 0, 0]) - 0)) / 3;
  assert.ok(Math.abs(gl.losses.sparseCategoricalCrossentropy(labels, z0, { fromLogits: true }).item() - want) < 1e-12);
});

test("batchNorm: the kernels' backward and the backward made of ops agree for x, gamma and beta", () => {
  for (const shape of [[6, 3], [2, 3, 4, 5]]) {
    const c = shape[shape.length - 1];
    const x0 = gl.add(gl.randn(shape, { dtype: 'float64', seed: 31 }), 2);
    const g0 = gl.add(gl.randn([c], { dtype: 'float64', seed: 32 }), 1);
    const b0 = gl.randn([c], { dtype: 'float64', seed: 33 });
    const seed = gl.randn(shape, { dtype: 'float64', seed: 34 });
    assertBackwardsAgree(`batchNorm ${JSON.stringify(shape)}`, ['x', 'gamma', 'beta'], [x0, g0, b0],
      ([x, g, b]) => gl.batchNorm(x, { gamma: g, beta: b }), seed, 1e-12, ['beta']);
  }
});

test('layerNorm: the one-loop backward and the backward made of ops agree for x, gamma and beta', () => {
  for (const [shape, axis, pshape] of [[[3, 4, 5], -1, [5]], [[2, 3, 4, 2], [1, 2], [3, 4]], [[2, 3, 4], [0, 2], [2, 4]]] as [number[], number | number[], number[]][]) {
    const x0 = gl.randn(shape, { dtype: 'float64', seed: 21 });
    const g0 = gl.add(gl.randn(pshape, { dtype: 'float64', seed: 22 }), 1);
    const b0 = gl.randn(pshape, { dtype: 'float64', seed: 23 });
    const seed = gl.randn(shape, { dtype: 'float64', seed: 24 });
    assertBackwardsAgree(`layerNorm ${JSON.stringify(axis)}`, ['x', 'gamma', 'beta'], [x0, g0, b0],
      ([x, g, b]) => gl.layerNorm(x, { axis, gamma: g, beta: b }), seed, 1e-12, ['beta']);
  }
});

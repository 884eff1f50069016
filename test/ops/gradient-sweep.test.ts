import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { Tensor, recordOp } from '../../src/tensor/tensor.js';
import { registeredOps } from '../../src/ops/registry.js';
import * as ops from '../../src/ops/index.js';
import { unaryKernel } from '../../src/ops/elementwise.js';

// Functions of the ops layer that are not differentiable (comparisons, indices, checking tools).
const NOT_OPS = new Set(['gt', 'ge', 'lt', 'le', 'eq', 'argmax', 'argmin', 'oneHot', 'gradcheck', 'jacobian', 'registeredOps']);

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
    if (!names.has(name)) missing.push(name);
  }
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
    ['conv2d + sigmoid', (x) => gl.sum(gl.square(gl.conv2d(x, gl.flip(x, [1, 2]).reshape([3, 3, 1, 1]),
      { padding: 'same', activation: 'sigmoid' }))), [1, 3, 3, 1]],
  ];
  for (const [name, f, shape] of cases) {
    const x = gl.randn(shape, { dtype: 'float64', seed: 7 });
    const r = gl.gradcheck(gradOf(f), [x], { raiseException: false });
    assert.ok(r.passed, `second derivative of ${name}: ${JSON.stringify(r.worst)}`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as plot from '../../src/plot/index.js';
import { tensor } from '../../src/tensor/creation.js';
import { ValueError } from '../../src/core/errors.js';

interface LineRow { series: string; x: number; y: number | null }
interface CMRow { true: string; predicted: string; count: number; value: number }

function values<T>(fig: plot.Figure): T[] {
  return (fig.toSpec() as unknown as { data: { values: T[] } }).data.values;
}

test('line: the spec data are the series, NaN as a gap, insertion order kept', () => {
  const a = [3, 2, 1.5];
  const b = new Float64Array([5, NaN, 4, 3.25]);
  const bx = new Float32Array([10, 20, 30, 40]);
  const fig = plot.line({ first: a, second: { x: bx, y: b } }, { title: 'Loss', xLabel: 'epoch', yLabel: 'loss' });
  assert.deepEqual(values<LineRow>(fig), [
    { series: 'first', x: 0, y: 3 },
    { series: 'first', x: 1, y: 2 },
    { series: 'first', x: 2, y: 1.5 },
    { series: 'second', x: 10, y: 5 },
    { series: 'second', x: 20, y: null },
    { series: 'second', x: 30, y: 4 },
    { series: 'second', x: 40, y: 3.25 },
  ]);
  const spec = fig.toSpec() as unknown as { title: string; encoding: Record<string, { title?: string; scale?: { domain?: string[] } }> };
  assert.equal(spec.title, 'Loss');
  assert.equal(spec.encoding.x.title, 'epoch');
  assert.equal(spec.encoding.y.title, 'loss');
  assert.deepEqual(spec.encoding.color.scale?.domain, ['first', 'second']);
});

test('line: a Tensor or bare array is one series', () => {
  const t = tensor([0.5, 0.25, 0.125]);
  assert.deepEqual(values<LineRow>(plot.line(t)).map((r) => r.y), [0.5, 0.25, 0.125]);
  assert.deepEqual(values<LineRow>(plot.line({ loss: t })).map((r) => [r.x, r.y]), [[0, 0.5], [1, 0.25], [2, 0.125]]);
});

test('line: inputs are not mutated', () => {
  const a = [3, 1, 2];
  const x = [2, 0, 1];
  const t = tensor([4, 5, 6]);
  const tCopy = Array.from(t.data);
  plot.line({ a: { x, y: a }, t });
  assert.deepEqual(a, [3, 1, 2]);
  assert.deepEqual(x, [2, 0, 1]);
  assert.deepEqual(Array.from(t.data), tCopy);
  assert.deepEqual(t.shape, [3]);
});

test('line: bad input throws ValueError naming the series', () => {
  assert.throws(() => plot.line({ lr: { x: [0, 1, 2], y: [1, 2] } }), (e: Error) =>
    e instanceof ValueError && /plot\.line/.test(e.message) && /'lr'/.test(e.message) && /3 x values but 2 y values/.test(e.message));
  assert.throws(() => plot.line({}), ValueError);
  assert.throws(() => plot.line({ a: [] }), /series 'a' is empty/);
  assert.throws(() => plot.line({ a: [1, 0] }, { yScale: 'log' }), /positive/);
  assert.throws(() => plot.line({ a: ['1' as unknown as number] }), ValueError);
  assert.throws(() => plot.line({ a: { x: [0, Infinity], y: [1, 2] } }), /not finite/);
  assert.throws(() => plot.line({ a: [1] }, { width: -3 }), /width/);
});

test('fn: samples evenly from a to b and evaluates every function', () => {
  const fig = plot.fn({ sq: (x) => x * x, lin: (x) => 2 * x }, [-1, 1], { samples: 5, title: 'f' });
  const rows = values<LineRow>(fig);
  const xs = [-1, -0.5, 0, 0.5, 1];
  assert.deepEqual(rows.filter((r) => r.series === 'sq').map((r) => [r.x, r.y]), xs.map((x) => [x, x * x]));
  assert.deepEqual(rows.filter((r) => r.series === 'lin').map((r) => [r.x, r.y]), xs.map((x) => [x, 2 * x]));
  assert.equal(values<LineRow>(plot.fn(Math.sin, [0, 5])).length, 200);
});

test('fn: D2 hinge loss J(t) over 100 values has minimum 3.4 on [3.1, 4.7]', () => {
  const x = [0, 1.3, 2.1, 2.8, 4.2, 5.7];
  const y = [-1, -1, -1, 1, -1, 1];
  const J = (t: number): number => x.reduce((s, xi, i) => s + Math.max(0, 1 - y[i] * (xi - t)), 0);
  const rows = values<LineRow>(plot.fn(J, [0, 5], { samples: 100 }));
  const min = Math.min(...rows.map((r) => r.y as number));
  assert.ok(Math.abs(min - 3.4) < 1e-9, `min ${min}`);
  for (const r of rows) {
    const atMin = Math.abs((r.y as number) - 3.4) < 1e-9;
    assert.equal(atMin, r.x >= 3.1 - 1e-9 && r.x <= 4.7 + 1e-9, `t=${r.x} J=${r.y}`);
  }
});

test('fn: bad interval or samples throw ValueError', () => {
  assert.throws(() => plot.fn(Math.sin, [1, 1]), /a < b/);
  assert.throws(() => plot.fn(Math.sin, [0, NaN]), ValueError);
  assert.throws(() => plot.fn(Math.sin, [0, 1], { samples: 1 }), /samples/);
  assert.throws(() => plot.fn({}, [0, 1]), ValueError);
  assert.throws(() => plot.fn((() => 'x') as unknown as plot.Fn1, [0, 1]), /not a number/);
});

test('confusionMatrix: counts match a hand count; rows true, columns predicted', () => {
  const yTrue = [0, 1, 2, 2, 1, 0, 2, 2];
  const yPred = tensor([0, 2, 2, 2, 1, 0, 1, 2]);
  const fig = plot.confusionMatrix(yTrue, yPred);
  // true 0: pred 0,0 | true 1: pred 2,1 | true 2: pred 2,2,1,2
  const expected = [[2, 0, 0], [0, 1, 1], [0, 1, 3]];
  const rows = values<CMRow>(fig);
  assert.equal(rows.length, 9);
  for (const r of rows) assert.equal(r.count, expected[Number(r.true)][Number(r.predicted)]);
  assert.deepEqual(yTrue, [0, 1, 2, 2, 1, 0, 2, 2]);
  assert.deepEqual(Array.from(yPred.data), [0, 2, 2, 2, 1, 0, 1, 2]);
  assert.deepEqual(plot.confusionCounts(yTrue, yPred).counts, expected);
});

test('confusionMatrix: labels as class values (order) or names; normalize gives row fractions', () => {
  const c = plot.confusionCounts([-1, 1, 1], [1, 1, -1], [1, -1]);
  assert.deepEqual(c.classes, [1, -1]);
  assert.deepEqual(c.counts, [[1, 1], [1, 0]]);
  const named = values<CMRow>(plot.confusionMatrix([0, 1, 1], [0, 0, 1], ['cat', 'dog'], { normalize: true }));
  const dogRow = named.filter((r) => r.true === 'dog');
  assert.deepEqual(dogRow.map((r) => [r.predicted, r.value]), [['cat', 0.5], ['dog', 0.5]]);
});

test('confusionMatrix: bad input throws ValueError', () => {
  assert.throws(() => plot.confusionMatrix([0, 1], [0]), /yTrue has 2 values but yPred has 1/);
  assert.throws(() => plot.confusionMatrix([0, 2], [0, 1], ['a', 'b']), /yTrue\[1\] = 2 is not one of the labels/);
  assert.throws(() => plot.confusionMatrix([], []), ValueError);
  assert.throws(() => plot.confusionMatrix([0, NaN], [0, 1]), ValueError);
  assert.throws(() => plot.confusionMatrix([0], [0], [0, 0]), /duplicates/);
});

// Optimizer snapshots: Adam's are taken by reference (its kernel writes the new moments to other
// arrays), so they must stay as they were through later steps, reuse as `into`, and restores;
// each optimizer's snapshot/step/restore must give the same bits as steps never snapshotted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as gl from '../../src/index.js';
import { adam, rmsprop, sgd, type Optimizer, type OptimizerState } from '../../src/optim/index.js';

const N = 3000;
const param = () => gl.tensor(Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.1)), { requiresGrad: true });
const gradAt = (step: number) => gl.tensor(Float32Array.from({ length: N }, (_, i) => Math.cos(i * 0.07 + step)));
const copyOf = (s: OptimizerState) => [...s.slots.values()].map((arrays) => arrays.map((a) => Array.from(a)));

function stepOnce(o: Optimizer, p: gl.Tensor, step: number): void {
  p.grad = gradAt(step);
  o.step([p]);
  p.grad = null;
}

for (const make of [adam, sgd, rmsprop]) {
  test(`${make.name}: snapshots survive later steps, reuse as into, and restores`, () => {
    const o = make.name === 'sgd' ? sgd({ momentum: 0.9 }) : make();
    const p = param();
    stepOnce(o, p, 0);
    const s1 = o.snapshotState!();
    const want1 = copyOf(s1);
    stepOnce(o, p, 1);
    const s2 = o.snapshotState!();
    const want2 = copyOf(s2);
    stepOnce(o, p, 2);
    assert.deepEqual(copyOf(s1), want1, 'the first snapshot after two more steps');
    assert.deepEqual(copyOf(s2), want2, 'the second after one');
    // as fit's guard does: the older snapshot is reused for the next one
    const s3 = o.snapshotState!(s1);
    const want3 = copyOf(s3);
    stepOnce(o, p, 3);
    stepOnce(o, p, 4);
    assert.deepEqual(copyOf(s2), want2, 'the second snapshot after reuse of the first');
    assert.deepEqual(copyOf(s3), want3, 'the reused snapshot holds the state at its time');
    // restoring a snapshot and stepping from it leaves the snapshot as it was, and gives the
    // same values as the step taken from that state the first time
    const w2 = Float32Array.from(p.data as Float32Array);
    o.restoreState!(s2);
    stepOnce(o, p, 2);
    assert.deepEqual(copyOf(s2), want2, 'a restored snapshot after a step');
    const again = copyOf(o.snapshotState!());
    o.restoreState!(s2);
    stepOnce(o, p, 2);
    assert.deepEqual(copyOf(o.snapshotState!()), again, 'the same step from the same restored state');
    assert.ok(w2.length === N);
  });
}

test('adam with snapshots before every step gives the bits of adam without them', () => {
  const run = (snapshots: boolean) => {
    const o = adam();
    const p = param();
    let older: OptimizerState | undefined, newer: OptimizerState | undefined;
    for (let t = 0; t < 6; t++) {
      if (snapshots) {
        const s = o.snapshotState!(older);
        older = newer;
        newer = s;
      }
      stepOnce(o, p, t);
    }
    return { w: Array.from(p.data), state: copyOf(o.snapshotState!()) };
  };
  assert.deepEqual(run(true), run(false));
});

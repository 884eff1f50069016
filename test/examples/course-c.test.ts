// COURSE part C and lab E2. examples.test.ts runs every C example (each asserts its own answers);
// here: that none of them is missing, and the E2 lab end to end on a tiny configuration so it
// cannot rot unnoticed (the full lab takes minutes and is run by hand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.js'));

test('there are examples for COURSE C1-C4 and lab E2', () => {
  for (const p of ['c1', 'c2', 'c3', 'c4']) assert.ok(files.some((f) => f.startsWith(p + '_')), `no example for ${p.toUpperCase()}`);
  assert.ok(files.includes('e2_dense_mnist.js'));
});

interface Curves {
  config: { epochs: number; trainSize: number; batchSize: number };
  runs: { learningRate: number; batchLoss: number[]; valAccuracy: number[]; history: Record<string, number[]> }[];
}

test('lab E2 on 500 images for 2 epochs: records every batch and epoch, compares two learning rates, writes its figures', () => {
  const out = mkdtempSync(join(tmpdir(), 'gradlab-e2-'));
  const stdout = execFileSync(process.execPath, [join(dir, 'e2_dense_mnist.js')], {
    stdio: 'pipe',
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env, GRADLAB_OUT: out, GRADLAB_BACKEND: 'js',
      E2_TRAIN_SIZE: '500', E2_TEST_SIZE: '200', E2_EPOCHS: '2', E2_LRS: '0.001,0.01',
    },
  });
  assert.match(stdout, /E2 ok/);
  const curves = JSON.parse(readFileSync(join(out, 'e2_curves.json'), 'utf8')) as Curves;
  assert.deepEqual(curves.runs.map((r) => r.learningRate), [0.001, 0.01]);
  for (const r of curves.runs) {
    assert.equal(r.batchLoss.length, 2 * 5, '5 batches of 100 per epoch');
    assert.ok(r.batchLoss.every((v) => Number.isFinite(v) && v > 0));
    assert.equal(r.valAccuracy.length, 2);
    assert.deepEqual(r.valAccuracy, r.history.val_accuracy);
    // Learning, not luck: 500 images, 2 epochs. Seeded runs reach 64% (lr 0.001) and 81.5% (lr 0.01)
    // on the 200 test images; chance is 10% (20 of 200, sd 4), so the bounds below sit 15+ sd above it.
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    assert.ok(mean(r.batchLoss.slice(5)) < mean(r.batchLoss.slice(0, 5)), `lr ${r.learningRate}: the loss falls from epoch 1 to epoch 2 (${r.batchLoss})`);
    assert.ok(mean(r.batchLoss.slice(5)) < 0.75 * Math.log(10), `lr ${r.learningRate}: epoch 2's loss is well below chance's ln 10 (${r.batchLoss})`);
  }
  const [slow, fast] = curves.runs.map((r) => r.valAccuracy.at(-1)!);
  assert.ok(slow >= 0.5, `lr 0.001: ${slow * 100}% test accuracy after 2 epochs, expected >= 50% (10 classes: chance is 10%)`);
  assert.ok(fast >= 0.7, `lr 0.01: ${fast * 100}% test accuracy after 2 epochs, expected >= 70%`);
  assert.ok(fast > slow + 0.05, `the larger learning rate learns faster in 2 epochs (${fast} vs ${slow}), the lab's point`);
  for (const name of ['e2_batch_loss', 'e2_val_accuracy', 'e2_lr_loss', 'e2_lr_val_accuracy']) {
    const png = readFileSync(join(out, `${name}.png`));
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name}.png is a PNG`);
    assert.match(readFileSync(join(out, `${name}.svg`), 'utf8'), /^<svg/);
  }
});

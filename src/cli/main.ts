#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tensor } from '../tensor/tensor.js';
import { manualSeed } from '../tensor/random.js';
import { getBackend } from '../backend/index.js';
import { loadWasmBackend } from '../backend/wasm/index.js';
import { optimizers } from '../optim/index.js';
import '../train/index.js';
import { writeFileAtomic } from '../core/atomic.js';
import { argmax } from '../ops/index.js';
import { datasets } from '../data/datasets.js';
import { loadCsv } from '../data/csv.js';
import { registerSvmCommand } from './svm.js';
import { registerConvertCommand } from './convert.js';
import { UsageError, describeError, isInputError, readJsonSamples, integer, loadCliData, modelFrom, nonNegativeInt, positiveInt, positiveNumber, timestamp } from './common.js';
import { LogRecorder } from '../train/callbacks.js';
import { scalarMetrics, writeClassifierReport } from '../plot/report.js';

// The fastest backend, as importing the package does (GRADLAB_BACKEND=js selects the reference).
loadWasmBackend();

const program = new Command();
program
  .name('gradlab')
  .description('Train and run neural networks and SVMs: gradlab train trains a LeNet-5 CNN on the bundled MNIST digits.')
  .exitOverride();

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

program.command('train')
  .description('train a model (default: LeNet-5 on MNIST with Adam) and write the model, metrics.json and pictures')
  .addOption(new Option('--model <model>', "'lenet', 'mlp', or a saved model folder").default('lenet'))
  .addOption(new Option('--data <data>', "'mnist', 'fashion-mnist', or a CSV file").default('mnist'))
  .option('--label <column>', 'label column of a CSV file (default: the last)')
  .option('--epochs <n>', 'passes over the training data', '3')
  .option('--batch-size <n>', 'samples per update', '64')
  .option('--lr <rate>', 'learning rate', '0.001')
  .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd', 'rmsprop']).default('adam'))
  .option('--train-size <n>', 'use only the first n training samples')
  .option('--test-size <n>', 'use only the first n test samples')
  .option('--seed <n>', 'seed for initial weights and shuffling', '42')
  .option('--out <dir>', 'output folder (default runs/<timestamp>)')
  .option('--quiet', 'no progress bar')
  .action(async (o: Record<string, string | boolean | undefined>) => {
    const epochs = nonNegativeInt('--epochs', String(o.epochs));
    const batchSize = positiveInt('--batch-size', String(o.batchSize));
    const lr = positiveNumber('--lr', String(o.lr));
    const seed = integer('--seed', String(o.seed));
    const trainSize = o.trainSize !== undefined ? positiveInt('--train-size', String(o.trainSize)) : undefined;
    const testSize = o.testSize !== undefined ? positiveInt('--test-size', String(o.testSize)) : undefined;
    const out = resolve(String(o.out ?? join('runs', timestamp())));
    const say = (s: string) => { if (!o.quiet) console.log(s); };

    let t = performance.now();
    const data = loadCliData(String(o.data), { trainSize, testSize, seed, label: o.label as string | undefined });
    say(`Data: ${data.name}, ${fmt(data.xTrain.shape[0])} training and ${fmt(data.xTest.shape[0])} test samples of shape [${data.xTrain.shape.slice(1)}] (${fmt((performance.now() - t) / 1000, 2)} s)`);
    manualSeed(seed);
    const model = await modelFrom(String(o.model), data.xTrain.shape.slice(1), data.classes);
    if (!o.quiet) model.summary();
    const opt = o.optimizer === 'sgd' ? optimizers.sgd({ learningRate: lr }) : o.optimizer === 'rmsprop' ? optimizers.rmsprop({ learningRate: lr }) : optimizers.adam({ learningRate: lr });
    model.compile({ optimizer: opt, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    say(`Training on the ${getBackend()} backend: ${epochs} epochs, batch ${batchSize}, ${o.optimizer} (learning rate ${lr}), seed ${seed}`);
    t = performance.now();
    // Every batch's logs, for the loss-per-batch curve of the report.
    const recorder = new LogRecorder();
    const history = await model.fit(data.xTrain, data.yTrain, {
      epochs, batchSize, seed, validationData: [data.xTest, data.yTest], verbose: o.quiet ? 0 : 1, callbacks: [recorder],
    });
    const seconds = (performance.now() - t) / 1000;
    const trainedEpochs = history.epoch.length;
    // The test predictions come from evaluate's own pass: a second pass would cost seconds.
    const { logs: test, predictions: outputs } = model.evaluateAndPredict(data.xTest, data.yTest, { batchSize: 256 });
    await mkdir(out, { recursive: true });
    await model.save(join(out, 'model'));
    const metrics = {
      data: data.name, model: String(o.model), backend: getBackend(), epochs: trainedEpochs, batch_size: batchSize,
      optimizer: o.optimizer, learning_rate: lr, seed, train_samples: data.xTrain.shape[0], test_samples: data.xTest.shape[0],
      test_loss: test.loss, test_accuracy: test.accuracy, seconds,
      images_per_second: seconds > 0 ? (data.xTrain.shape[0] * trainedEpochs) / seconds : null,
      terminated_on_nan: history.terminatedOnNaN, stop_reason: history.stopReason, history: history.history,
    };
    await writeFileAtomic(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    console.log(`Test accuracy: ${(100 * test.accuracy).toFixed(2)}% (loss ${test.loss.toFixed(4)}) after ${trainedEpochs} epochs in ${fmt(seconds, 1)} s (${fmt(metrics.images_per_second ?? 0)} samples/s)`);
    console.log(`Wrote ${join(out, 'model')}/ and ${join(out, 'metrics.json')}`);
    const tReport = performance.now();
    try {
      const conv = model.layers.find((l) => l.className === 'Conv2D');
      const report = await writeClassifierReport(out, {
        title: `gradlab train: ${model.name} on ${data.name}`,
        subtitle: `${String(o.model)} on ${data.name}: ${trainedEpochs} epoch${trainedEpochs === 1 ? '' : 's'}, batch ${batchSize}, ${o.optimizer} (learning rate ${lr}), seed ${seed}, ${getBackend()} backend`,
        metrics: scalarMetrics(metrics),
        yTrue: data.yTest, yPred: argmax(outputs, -1), classNames: data.classNames,
        ...(data.images ? { images: data.xTest } : {}),
        training: { history: history.history, batches: recorder.batches },
        ...(conv ? { filters: conv } : {}),
        seed,
      });
      console.log(`Wrote ${report.html} and ${report.files.length - 1} figure files (${fmt((performance.now() - tReport) / 1000, 2)} s)`);
    } catch (e) {
      // The model and metrics are saved; a failed report should not hide that, but must not pass silently.
      console.error(`gradlab: the report could not be written: ${describeError(e)}`);
      process.exitCode = 1;
    }
  });

program.command('summary')
  .description('print the layer table of a model')
  .argument('<model>', "'lenet', 'mlp', or a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx")
  .option('--input-shape <shape>', 'per-sample input shape for lenet/mlp, e.g. 28,28,1', '28,28,1')
  .option('--classes <n>', 'outputs for lenet/mlp', '10')
  .action(async (spec: string, o: { inputShape: string; classes: string }) => {
    const shape = o.inputShape.split(',').map((s) => positiveInt('--input-shape', s.trim()));
    const model = await modelFrom(spec, shape, positiveInt('--classes', o.classes));
    model.summary();
  });

program.command('evaluate')
  .description('loss and accuracy of a saved model on a data set')
  .argument('<model>', 'a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx')
  .addOption(new Option('--data <data>', "'mnist', 'fashion-mnist', or a CSV file").default('mnist'))
  .option('--label <column>', 'label column of a CSV file')
  .option('--test-size <n>', 'use only the first n test samples')
  .action(async (spec: string, o: Record<string, string | undefined>) => {
    if (!existsSync(spec)) throw new UsageError(`model '${spec}' does not exist`);
    const testSize = o.testSize !== undefined ? positiveInt('--test-size', o.testSize) : undefined;
    const data = loadCliData(String(o.data), { testSize, seed: 0, label: o.label });
    const model = await modelFrom(spec, data.xTest.shape.slice(1), data.classes);
    if (!model.compileConfig()) model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const r = model.evaluate(data.xTest, data.yTest, { batchSize: 256 });
    console.log(Object.entries(r).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ') + ` (${fmt(data.xTest.shape[0])} samples of ${data.name})`);
  });

program.command('predict')
  .description('class predictions of a saved model')
  .argument('<model>', 'a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx')
  .argument('<input>', "a JSON file of samples, a CSV file of features, or mnist:<index> / fashion-mnist:<index> for a test image")
  .action(async (spec: string, input: string) => {
    if (!existsSync(spec)) throw new UsageError(`model '${spec}' does not exist`);
    let x: Tensor;
    let truth: number[] | null = null;
    const m = /^(mnist|fashion-mnist):(\d+)(?:-(\d+))?$/.exec(input);
    if (m) {
      const from = Number(m[2]);
      const to = m[3] !== undefined ? Number(m[3]) : from;
      const d = m[1] === 'mnist' ? datasets.mnist() : datasets.fashionMnist();
      if (to >= d.test.x.shape[0] || to < from) throw new UsageError(`${input}: test images are numbered 0-${d.test.x.shape[0] - 1}`);
      const per = 28 * 28;
      x = new Tensor(d.test.x.data.slice(from * per, (to + 1) * per), [to - from + 1, 28, 28, 1]);
      truth = Array.from(d.test.labels.subarray(from, to + 1));
    } else {
      if (!existsSync(input)) throw new UsageError(`input file '${input}' does not exist`);
      if (input.endsWith('.json')) {
        const { tensor } = await import('../tensor/creation.js');
        x = tensor(readJsonSamples(input));
      } else {
        x = loadCsv(input, {}).x;
      }
    }
    const model = await modelFrom(spec, x.shape.slice(1), 10);
    const p = model.predict(x);
    const cls = argmax(p, -1);
    const k = p.shape[p.shape.length - 1];
    for (let i = 0; i < x.shape[0]; i++) {
      const c = cls.data[i];
      const prob = p.data[i * k + c];
      console.log(`${i}: class ${c} (p = ${prob.toFixed(4)})${truth ? ` true ${truth[i]}` : ''}`);
    }
  });

registerSvmCommand(program);
registerConvertCommand(program);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander as one line.
      process.exit(e.exitCode === 0 ? 0 : 2);
    }
    console.error(`gradlab: ${describeError(e)}`);
    process.exit(isInputError(e) ? 2 : 1);
  }
}

void main();

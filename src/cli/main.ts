#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tensor } from '../tensor/tensor.js';
import { manualSeed } from '../tensor/random.js';
import { getBackend, requestedBackend } from '../backend/index.js';
import { loadDefaultBackend } from '../backend/select.js';
import { nativeBackend, nativeUnavailableReason } from '../backend/native/index.js';
import { optimizers } from '../optim/index.js';
import '../train/index.js';
import { writeFileAtomic } from '../core/atomic.js';
import { argmax } from '../ops/index.js';
import { loadCsv } from '../data/csv.js';
import { registerSvmCommand } from './svm.js';
import { registerConvertCommand } from './convert.js';
import { registerTransferCommand } from './transfer.js';
import { registerLabCommand } from './lab.js';
import { UsageError, describeError, finiteNumber, isInputError, readJsonSamples, integer, loadCliData, modelFrom, nonNegativeInt, positiveInt, positiveNumber, timestamp } from './common.js';
import { isSvmFolder, plural, testImagesFrom } from './common.js';
import { flatSamples, loadSvm, svmSummary } from './svm-model.js';
import { LogRecorder } from '../train/callbacks.js';
import { scalarMetrics, writeClassifierReport } from '../plot/report.js';

// The fastest backend, as importing the package does (GRADLAB_BACKEND=native|wasm|js picks one).
loadDefaultBackend();

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
  .option('--validation-split <fraction>', 'the last fraction of the training samples (before shuffling) held out for validation each epoch; 0: none. The test set is scored once, at the end', '0.1')
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
    const validationSplit = finiteNumber('--validation-split', String(o.validationSplit));
    if (!(validationSplit >= 0 && validationSplit < 1)) throw new UsageError(`--validation-split must be a number from 0 up to (not including) 1, got '${String(o.validationSplit)}'`);
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
    const nVal = validationSplit > 0 ? data.xTrain.shape[0] - Math.floor(data.xTrain.shape[0] * (1 - validationSplit)) : 0;
    if (validationSplit > 0 && (nVal === 0 || nVal === data.xTrain.shape[0])) {
      throw new UsageError(`--validation-split ${validationSplit} of ${plural(data.xTrain.shape[0], 'training sample')} leaves no ${nVal === 0 ? 'validation' : 'training'} samples (use --validation-split 0 for none)`);
    }
    const whyNotNative = nativeUnavailableReason();
    if (whyNotNative !== undefined && requestedBackend() === undefined) say(`native backend not built (${whyNotNative}); using ${getBackend()}`);
    const nb = getBackend() === 'native' ? nativeBackend()?.info() : undefined;
    say(`Training on the ${getBackend()} backend${nb ? ` (${nb.isa}, ${plural(nb.threads, 'thread')})` : ''}: ${plural(epochs, 'epoch')}, batch ${batchSize}, ${o.optimizer} (learning rate ${lr}), seed ${seed}; ${nVal > 0 ? `validating on the last ${plural(nVal, 'training sample')}` : 'no validation'}`);
    t = performance.now();
    // Every batch's logs, for the loss-per-batch curve of the report.
    const recorder = new LogRecorder();
    const history = await model.fit(data.xTrain, data.yTrain, {
      epochs, batchSize, seed, ...(validationSplit > 0 ? { validationSplit } : {}), verbose: o.quiet ? 0 : 1, callbacks: [recorder],
    });
    const seconds = (performance.now() - t) / 1000;
    const trainedEpochs = history.epoch.length;
    // The test predictions come from evaluate's own pass: a second pass would cost seconds.
    const { logs: test, predictions: outputs } = model.evaluateAndPredict(data.xTest, data.yTest, { batchSize: 256 });
    await mkdir(out, { recursive: true });
    await model.save(join(out, 'model'));
    const metrics = {
      data: data.name, model: String(o.model), backend: getBackend(), epochs: trainedEpochs, batch_size: batchSize,
      optimizer: o.optimizer, learning_rate: lr, seed, train_samples: data.xTrain.shape[0] - nVal, validation_samples: nVal, test_samples: data.xTest.shape[0],
      test_loss: test.loss, test_accuracy: test.accuracy, seconds,
      images_per_second: seconds > 0 ? ((data.xTrain.shape[0] - nVal) * trainedEpochs) / seconds : null,
      terminated_on_nan: history.terminatedOnNaN, stop_reason: history.stopReason, history: history.history,
    };
    await writeFileAtomic(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    console.log(`Test accuracy: ${(100 * test.accuracy).toFixed(2)}% (loss ${test.loss.toFixed(4)}) after ${plural(trainedEpochs, 'epoch')} in ${fmt(seconds, 1)} s (${fmt(metrics.images_per_second ?? 0)} samples/s)`);
    console.log(`Wrote ${join(out, 'model')}/ and ${join(out, 'metrics.json')}`);
    const tReport = performance.now();
    try {
      const conv = model.layers.find((l) => l.className === 'Conv2D');
      const report = await writeClassifierReport(out, {
        title: `gradlab train: ${model.name} on ${data.name}`,
        subtitle: `${String(o.model)} on ${data.name}: ${plural(trainedEpochs, 'epoch')}, batch ${batchSize}, ${o.optimizer} (learning rate ${lr}), seed ${seed}, ${nVal > 0 ? `validated on the last ${plural(nVal, 'training sample')}` : 'no validation set'}, ${getBackend()} backend`,
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
  .argument('<model>', "'lenet', 'mlp', or a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx; or an SVM folder from gradlab svm / gl.svm.save")
  .option('--input-shape <shape>', 'per-sample input shape for lenet/mlp, e.g. 28,28,1', '28,28,1')
  .option('--classes <n>', 'outputs for lenet/mlp', '10')
  .action(async (spec: string, o: { inputShape: string; classes: string }) => {
    if (isSvmFolder(spec)) {
      console.log(svmSummary(await loadSvm(spec)));
      return;
    }
    const shape = o.inputShape.split(',').map((s) => positiveInt('--input-shape', s.trim()));
    const model = await modelFrom(spec, shape, positiveInt('--classes', o.classes));
    model.summary();
  });

program.command('evaluate')
  .description('loss and accuracy of a saved model on a data set')
  .argument('<model>', 'a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx; or an SVM folder')
  .addOption(new Option('--data <data>', "'mnist', 'fashion-mnist', or a CSV file").default('mnist'))
  .option('--label <column>', 'label column of a CSV file')
  .option('--test-size <n>', 'use only the first n test samples')
  .action(async (spec: string, o: Record<string, string | undefined>) => {
    if (!existsSync(spec)) throw new UsageError(`model '${spec}' does not exist`);
    const testSize = o.testSize !== undefined ? positiveInt('--test-size', o.testSize) : undefined;
    const data = loadCliData(String(o.data), { testSize, seed: 0, label: o.label });
    if (isSvmFolder(spec)) {
      const svm = await loadSvm(spec);
      const accuracy = svm.score(flatSamples(data.xTest), data.yTest);
      console.log(`accuracy: ${accuracy.toFixed(4)} (${plural(data.xTest.shape[0], 'sample')} of ${data.name})`);
      return;
    }
    const model = await modelFrom(spec, data.xTest.shape.slice(1), data.classes);
    if (!model.compileConfig()) model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const r = model.evaluate(data.xTest, data.yTest, { batchSize: 256 });
    console.log(Object.entries(r).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ') + ` (${plural(data.xTest.shape[0], 'sample')} of ${data.name})`);
  });

program.command('predict')
  .description('class predictions of a saved model')
  .argument('<model>', 'a saved model: a gradlab folder, Keras .h5/.keras, TF.js model.json or .onnx; or an SVM folder')
  .argument('<input>', 'a JSON file of samples, a CSV file of features, or test images: mnist:<indices> / fashion-mnist:<indices>, e.g. mnist:7, mnist:0-9, mnist:0,3,10-12')
  .action(async (spec: string, input: string) => {
    if (!existsSync(spec)) throw new UsageError(`model '${spec}' does not exist`);
    let x: Tensor;
    let truth: number[] | null = null;
    let names: number[] | null = null;
    const images = testImagesFrom(input);
    if (images) {
      ({ x, indices: names } = images);
      truth = images.labels;
    } else {
      if (!existsSync(input)) throw new UsageError(`input '${input}' is neither a file (JSON or CSV) nor mnist:<indices> / fashion-mnist:<indices> (e.g. mnist:0-9 or mnist:0,3)`);
      if (input.endsWith('.json')) {
        const { tensor } = await import('../tensor/creation.js');
        x = tensor(readJsonSamples(input));
      } else {
        x = loadCsv(input, {}).x;
      }
    }
    const label = (i: number) => String(names ? names[i] : i);
    if (isSvmFolder(spec)) {
      const svm = await loadSvm(spec);
      const cls = svm.predict(flatSamples(x));
      for (let i = 0; i < x.shape[0]; i++) console.log(`${label(i)}: class ${cls.data[i]}${truth ? ` true ${truth[i]}` : ''}`);
      return;
    }
    const model = await modelFrom(spec, x.shape.slice(1), 10);
    const p = model.predict(x);
    const cls = argmax(p, -1);
    const k = p.shape[p.shape.length - 1];
    for (let i = 0; i < x.shape[0]; i++) {
      const c = cls.data[i];
      const prob = p.data[i * k + c];
      console.log(`${label(i)}: class ${c} (p = ${prob.toFixed(4)})${truth ? ` true ${truth[i]}` : ''}`);
    }
  });

registerSvmCommand(program);
registerConvertCommand(program);
registerTransferCommand(program);
registerLabCommand(program);

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

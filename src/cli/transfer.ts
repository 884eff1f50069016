// `gradlab transfer`: the pretrained-network lab. Load a trained base, freeze it, cache its
// features once, train a new head on them, fine-tune the top block at a low learning rate, and
// compare with the same network trained from scratch on the same images.
import { Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileAtomic } from '../core/atomic.js';
import { Tensor } from '../tensor/tensor.js';
import { manualSeed } from '../tensor/random.js';
import { getBackend } from '../backend/index.js';
import { optimizers } from '../optim/index.js';
import { datasets } from '../data/datasets.js';
import { input, InputLayer, type Layer, type SymbolicTensor } from '../nn/layer.js';
import { layers as L } from '../nn/catalog.js';
import { model as functional, type Model } from '../nn/model.js';
import { modelFromConfig } from '../nn/saving.js';
import type { History } from '../train/callbacks.js';
import { LogRecorder } from '../train/callbacks.js';
import { listPretrained, pretrained, selectClasses, type PretrainedInfo } from '../apps/pretrained.js';
import { preprocessInput } from '../apps/imagenet.js';
import { loadModel as loadAnyModel } from '../interop/door.js';
import { imageDatasetFromDirectory, type ImageDataset } from '../data/image-dataset.js';
import { line } from '../plot/charts.js';
import { images as imageGrid } from '../plot/images.js';
import { scalarMetrics, writeClassifierReport, type ReportFigure } from '../plot/report.js';
import { UsageError, integer, nonNegativeInt, positiveInt, positiveNumber, timestamp } from './common.js';
import { plural } from './common.js';

const DEFAULT_BASE = 'mnist-digits-0-4';
/** The target task of the shipped base: digits it never saw. */
const TARGET_DIGITS = [5, 6, 7, 8, 9];

/** The lab's data: images as the base takes them, labels 0..k-1. */
export interface LabData {
  name: string;
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  classNames: string[];
}

/** A base network and where to cut and fine-tune it. */
interface Base {
  model: Model;
  label: string;
  /** Layer whose output feeds the new head (null: the model's output). */
  featureLayer: string | null;
  /** Layers unfrozen for fine-tuning. */
  topBlock: string[];
  info: PretrainedInfo | null;
}

type Preprocess = 'none' | 'scale' | 'tf' | 'caffe' | 'torch';

/** A user's base through gl.loadModel's door: gradlab folder, Keras .h5/.keras, TF.js model.json, ONNX. */
async function loadBaseModel(spec: string): Promise<Model> {
  if (!existsSync(spec)) throw new UsageError(`--base: '${spec}' does not exist (shipped networks: ${listPretrained().map((p) => p.name).join(', ')})`);
  return loadAnyModel(spec);
}

/**
 * The top block of a user's base: the layers after the last pooling (or strided) layer that comes
 * before its last weighted layer, as Keras' lab unfreezes VGG16's block5. Falls back to the last
 * weighted layer alone.
 */
export function topBlockOf(m: Model): string[] {
  const ls = m.layers.filter((l) => !(l instanceof InputLayer));
  let last = -1;
  for (let i = ls.length - 1; i >= 0 && last < 0; i--) if (ls[i].weights.length > 0) last = i;
  if (last < 0) return [];
  let start = last;
  for (let i = last - 1; i >= 0; i--) {
    // An imported ONNX graph is made of OnnxNode layers: their op type says what they are.
    const op = (ls[i] as Layer & { opType?: unknown }).opType;
    const c = ls[i].className === 'OnnxNode' && typeof op === 'string' ? op : ls[i].className;
    const strides = ls[i].getConfig().strides;
    if (/Pool|ZeroPadding/.test(c) || (strides !== undefined && String(strides) !== '1,1' && String(strides) !== '1')) break;
    start = i;
  }
  return ls.slice(start, last + 1).filter((l) => l.weights.length > 0).map((l) => l.name);
}

async function openBase(spec: string): Promise<Base> {
  const shipped = listPretrained().find((p) => p.name === spec);
  if (shipped) return { model: await pretrained(spec), label: spec, featureLayer: shipped.featureLayer, topBlock: shipped.topBlock, info: shipped };
  const m = await loadBaseModel(spec);
  return { model: m, label: spec, featureLayer: null, topBlock: topBlockOf(m), info: null };
}

/** The base's inputs from 0-255 images: as they are, scaled to 0-1, or Keras' imagenet_utils modes. */
function preprocess(x: Tensor, mode: Preprocess): Tensor {
  if (mode === 'none') return x;
  if (mode === 'scale') return new Tensor(Float32Array.from(x.data, (v) => v / 255), x.shape);
  if (mode !== 'tf' && x.shape[x.shape.length - 1] !== 3) throw new UsageError(`--preprocess ${mode} needs RGB images (3 channels); these have ${x.shape[x.shape.length - 1]}`);
  return preprocessInput(x, { mode });
}

/** The symbolic output of `name` in `m` (its first call). */
function outputOf(m: Model, name: string): SymbolicTensor {
  const layer = m.getLayer(name);
  const node = layer.inboundNodes[0];
  if (!node) throw new UsageError(`base layer '${name}' is not connected`);
  return node.outputs[0];
}

/** The head: global average pooling for 4-D features, then softmax over the classes (sigmoid for two). */
function makeHead(featureShape: readonly number[], classes: number): Layer[] {
  const head: Layer[] = [];
  if (featureShape.length === 3) head.push(L.globalAveragePooling2d({ name: 'head_pool' }));
  else if (featureShape.length !== 1) head.push(L.flatten({ name: 'head_flatten' }));
  head.push(classes === 2 ? L.dense({ name: 'head', units: 1, activation: 'sigmoid' }) : L.dense({ name: 'head', units: classes, activation: 'softmax' }));
  return head;
}

const applyAll = (ls: readonly Layer[], x: SymbolicTensor): SymbolicTensor => ls.reduce((y, l) => l.apply(y) as SymbolicTensor, x);

function compileFor(m: Model, classes: number, lr: number): void {
  m.compile({ optimizer: optimizers.adam({ learningRate: lr }), loss: classes === 2 ? 'binary_crossentropy' : 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
}

/** Class indices from the outputs (sigmoid: p > 0.5). */
function labelsOf(p: Tensor): Int32Array {
  const n = p.shape[0];
  const k = p.size / n;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (k === 1) out[i] = p.data[i] > 0.5 ? 1 : 0;
    else {
      let best = 0;
      for (let j = 1; j < k; j++) if (p.data[i * k + j] > p.data[i * k + best]) best = j;
      out[i] = best;
    }
  }
  return out;
}

function targets(y: Tensor, classes: number): Tensor {
  return classes === 2 ? new Tensor(y.data, [y.shape[0], 1]) : y;
}

/** Epoch histories one after another (head training, then fine-tuning). */
function joinHistories(...hs: History[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const h of hs) for (const [k, v] of Object.entries(h.history)) (out[k] ??= []).push(...v);
  return out;
}

function accuracy(pred: Int32Array, y: Tensor): number {
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y.data[i]) hits++;
  return hits / pred.length;
}

interface LabSettings {
  epochs: number;
  fineTuneEpochs: number;
  scratchEpochs: number;
  batchSize: number;
  lr: number;
  fineTuneLr: number;
  seed: number;
  /** Test images scored after every epoch for the curves (the final accuracies use all of them). */
  valSize: number;
  verbose: 0 | 2;
}

/** The lab on tensors; returns the numbers and what the report needs. */
async function runLab(base: Base, data: LabData, s: LabSettings, say: (line: string) => void) {
  const classes = data.classNames.length;
  if (classes < 2) throw new UsageError(`--data: ${data.name} has ${plural(classes, 'class', 'classes')}; a classifier needs at least two class subfolders`);
  const yTrain = targets(data.yTrain, classes);
  const yTest = targets(data.yTest, classes);
  const seconds: Record<string, number> = {};
  const time = async <T>(key: string, f: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await f();
    seconds[key] = (performance.now() - t) / 1000;
    return r;
  };
  const inputs = base.model.inputs;
  if (inputs.length !== 1 || base.model.outputs.length !== 1) throw new UsageError(`--base: the lab needs a model with one input and one output; ${base.label} has ${inputs.length} and ${base.model.outputs.length}`);
  const want = inputs[0].perSampleShape;
  const have = data.xTrain.shape.slice(1);
  if (want.length !== have.length || want.some((d, i) => d !== null && d > 0 && d !== have[i])) {
    throw new UsageError(`the base takes inputs of shape [${want}] but the images are [${have}] (set --image-size / check the channels)`);
  }
  // The frozen trunk: from the input to the feature layer.
  const featureOut = base.featureLayer ? outputOf(base.model, base.featureLayer) : base.model.outputs[0];
  const trunk = functional({ inputs, outputs: featureOut, name: 'base' });
  trunk.trainable = false;
  const trunkParams = trunk.countParams();

  // Feature extraction: the frozen base runs once over the images, not once per epoch.
  const fTrain = await time('features', () => trunk.predict(data.xTrain, { batchSize: 64 }));
  const fTest = await time('features_test', () => trunk.predict(data.xTest, { batchSize: 64 }));
  const nVal = Math.min(s.valSize, data.xTest.shape[0]);
  const rows = (t: Tensor, n: number) => (n === t.shape[0] ? t : new Tensor(t.data.subarray(0, (n * t.size) / t.shape[0]), [n, ...t.shape.slice(1)]));
  const val = [rows(data.xTest, nVal), rows(yTest, nVal)] as const;
  const featureShape = fTrain.shape.slice(1);
  say(`Features: [${featureShape}] per image from ${base.featureLayer ?? 'the base output'}, cached for ${fTrain.shape[0]} training and ${fTest.shape[0]} test images (${(seconds.features + seconds.features_test).toFixed(1)} s)`);

  manualSeed(s.seed);
  const head = makeHead(featureShape, classes);
  const features = input({ shape: featureShape, name: 'features' });
  const headModel = functional({ inputs: features, outputs: applyAll(head, features), name: 'head' });
  compileFor(headModel, classes, s.lr);
  const headHistory = await time('head', () => headModel.fit(fTrain, yTrain, { epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, validationData: [rows(fTest, nVal), val[1]], verbose: 0 }));
  const headAcc = accuracy(labelsOf(headModel.predict(fTest, { batchSize: 256 })), data.yTest);
  say(`Head on the frozen base: ${plural(s.epochs, 'epoch')} in ${seconds.head.toFixed(1)} s, test accuracy ${(100 * headAcc).toFixed(2)}%`);

  // The full network: base layers then the trained head; only the top block and the head train.
  const net = functional({ inputs, outputs: applyAll(head, featureOut), name: 'transfer' });
  const top = new Set(base.topBlock);
  const headSet = new Set(head);
  for (const l of net.layers) if (!(l instanceof InputLayer)) l.trainable = top.has(l.name) || headSet.has(l);
  compileFor(net, classes, s.fineTuneLr);
  const recorder = new LogRecorder();
  let fineHistory: History | null = null;
  if (s.fineTuneEpochs > 0) {
    fineHistory = await time('fine_tune', () => net.fit(data.xTrain, yTrain, { epochs: s.fineTuneEpochs, batchSize: s.batchSize, seed: s.seed, validationData: val, verbose: s.verbose, callbacks: [recorder] }));
    say(`Fine-tuned ${[...top].join(', ') || 'nothing (no top block)'} and the head: ${plural(s.fineTuneEpochs, 'epoch')} at learning rate ${s.fineTuneLr} in ${seconds.fine_tune.toFixed(1)} s`);
  }
  const tPredict = performance.now();
  const transferPred = labelsOf(net.predict(data.xTest, { batchSize: 128 }));
  seconds.transfer_predict = (performance.now() - tPredict) / 1000;
  const transferAcc = accuracy(transferPred, data.yTest);

  // The baseline: the same layers with fresh weights, all trained, on the same images.
  let scratchAcc: number | null = null;
  let scratchPred: Int32Array | null = null;
  let scratchHistory: History | null = null;
  let sameBudgetAcc: number | null = null;
  if (s.scratchEpochs > 0) {
    manualSeed(s.seed + 1);
    const fresh = modelFromConfig({ className: 'Functional', config: trunk.getConfig() });
    // The config records the frozen flags; the baseline trains every layer.
    fresh.trainable = true;
    const scratch = functional({ inputs: fresh.inputs, outputs: applyAll(makeHead(featureShape, classes), fresh.outputs[0]), name: 'scratch' });
    compileFor(scratch, classes, s.lr);
    // The baseline's test accuracy after as many passes over the images as the transfer made
    // (one feature pass plus fine-tuning), read on the way to its full training.
    const budget = s.fineTuneEpochs + 1;
    const atBudget = {
      onEpochEnd: (epoch: number) => {
        if (epoch + 1 === budget) sameBudgetAcc = accuracy(labelsOf(scratch.predict(data.xTest, { batchSize: 128 })), data.yTest);
      },
    };
    scratchHistory = await time('scratch', () => scratch.fit(data.xTrain, yTrain, { epochs: s.scratchEpochs, batchSize: s.batchSize, seed: s.seed, validationData: val, verbose: s.verbose, callbacks: [atBudget] }));
    scratchPred = labelsOf(scratch.predict(data.xTest, { batchSize: 128 }));
    scratchAcc = accuracy(scratchPred, data.yTest);
    say(`From scratch: ${plural(s.scratchEpochs, 'epoch')} at learning rate ${s.lr} in ${seconds.scratch.toFixed(1)} s`);
  }
  return {
    net, trunkParams, headParams: headModel.countParams(), trainableParams: net.trainableWeights.reduce((a, w) => a + w.size, 0),
    featureShape, headAcc, transferAcc, transferPred, scratchAcc, scratchPred, sameBudgetAcc, sameBudgetEpochs: s.fineTuneEpochs + 1, seconds, recorder,
    transferHistory: fineHistory ? joinHistories(headHistory, fineHistory) : joinHistories(headHistory),
    scratchHistory: scratchHistory?.history ?? null,
  };
}

/** The digits 5-9 the shipped base never saw: a seeded subset of the MNIST training images, and test images. */
function mnistTarget(trainSize: number, testSize: number | undefined, seed: number): LabData {
  const { train, test } = datasets.mnist();
  const tr = selectClasses(train, TARGET_DIGITS, { limit: trainSize, seed, balanced: true });
  const te = selectClasses(test, TARGET_DIGITS, testSize === undefined ? {} : { limit: testSize, seed: seed + 1 });
  return { name: 'MNIST digits 5-9', xTrain: tr.x, yTrain: tr.y, xTest: te.x, yTest: te.y, classNames: TARGET_DIGITS.map(String) };
}

/** A folder of class subfolders, split 80/20 with the seed, resized to the base's input. */
async function folderData(dir: string, size: [number, number], channels: number, seed: number, trainSize: number | undefined, testSize: number | undefined): Promise<LabData> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--data: '${dir}' is not a folder of class subfolders`);
  const colorMode = channels === 1 ? 'grayscale' : channels === 4 ? 'rgba' : 'rgb';
  const [tr, te] = imageDatasetFromDirectory(dir, { imageSize: size, batchSize: 32, labelMode: 'int', validationSplit: 0.2, subset: 'both', seed, colorMode });
  // Only the batches needed are decoded, then cut to exactly n images.
  const load = (set: ImageDataset, n: number | undefined) => {
    const t = (n === undefined || n >= set.size ? set : set.take(Math.ceil(n / set.batchSize))).toTensors();
    if (!t.y) throw new UsageError(`--data: ${dir} gave no labels`);
    const k = Math.min(n ?? t.x.shape[0], t.x.shape[0]);
    const rows = (v: Tensor) => (k === v.shape[0] ? v : new Tensor(v.data.slice(0, (k * v.size) / v.shape[0]), [k, ...v.shape.slice(1)]));
    return { x: rows(t.x), y: rows(t.y) };
  };
  const a = load(tr, trainSize);
  const b = load(te, testSize);
  return { name: dir, xTrain: a.x, yTrain: a.y, xTest: b.x, yTest: b.y, classNames: [...tr.classNames] };
}

function imageSizeArg(v: string): [number, number] {
  const parts = v.split(/[,x]/).map((p) => positiveInt('--image-size', p.trim()));
  if (parts.length === 1) return [parts[0], parts[0]];
  if (parts.length === 2) return [parts[0], parts[1]];
  throw new UsageError(`--image-size must be N or H,W, got '${v}'`);
}

/** Adds `gradlab transfer` to the program. */
export function registerTransferCommand(program: Command): void {
  program.command('transfer')
    .description('the pretrained-network lab: freeze a trained base, train a new head on its cached features, fine-tune the top block, compare with training from scratch')
    .option('--base <model>', `a shipped network (${DEFAULT_BASE}), or any model gl.loadModel opens: .h5/.keras, .onnx, a TF.js model.json, a gradlab folder`, DEFAULT_BASE)
    .option('--data <folder>', `a folder with one subfolder of images per class (default with the shipped base: MNIST digits ${TARGET_DIGITS[0]}-${TARGET_DIGITS.at(-1)})`)
    .option('--image-size <n>', 'resize the images to N or H,W (default: the base\'s input size, else 224)')
    .addOption(new Option('--preprocess <mode>', "inputs for the base: 'none' (0-255), 'scale' (0-1), or Keras' 'tf', 'caffe' (VGG, ResNet) and 'torch' (default: 'scale' for a shipped base, else 'none')").choices(['none', 'scale', 'tf', 'caffe', 'torch']))
    .option('--train-size <n>', 'training images (default 20 of the digits 5-9, four of each, drawn with the seed; a folder: 80% of its images)')
    .option('--test-size <n>', 'test images (default: all 4,861 test digits 5-9; a folder: 20% of its images)')
    .option('--val-size <n>', 'test images scored after each epoch for the curves', '500')
    .option('--epochs <n>', 'epochs of the new head on the cached features (cheap: the base does not run)', '100')
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning the top block and the head', '10')
    .option('--scratch-epochs <n>', 'epochs of the baseline trained from scratch (0: no baseline, e.g. for VGG16-sized bases)', '100')
    .option('--batch-size <n>', 'images per update', '32')
    .option('--lr <rate>', 'learning rate of the head and of the baseline', '0.001')
    .option('--fine-tune-lr <rate>', 'learning rate of fine-tuning', '0.0001')
    .option('--seed <n>', 'seed of the subset, the new weights and the shuffling', '42')
    .option('--out <dir>', 'output folder (default runs/transfer-<timestamp>)')
    .option('--quiet', 'print only the result')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const t0 = performance.now();
      const epochs = nonNegativeInt('--epochs', String(o.epochs));
      const fineTuneEpochs = nonNegativeInt('--fine-tune-epochs', String(o.fineTuneEpochs));
      const scratchEpochs = nonNegativeInt('--scratch-epochs', String(o.scratchEpochs));
      const batchSize = positiveInt('--batch-size', String(o.batchSize));
      const lr = positiveNumber('--lr', String(o.lr));
      const fineTuneLr = positiveNumber('--fine-tune-lr', String(o.fineTuneLr));
      const seed = integer('--seed', String(o.seed));
      const trainSize = o.trainSize !== undefined ? positiveInt('--train-size', String(o.trainSize)) : undefined;
      const testSize = o.testSize !== undefined ? positiveInt('--test-size', String(o.testSize)) : undefined;
      const valSize = positiveInt('--val-size', String(o.valSize));
      const imageSize = o.imageSize !== undefined ? imageSizeArg(String(o.imageSize)) : undefined;
      const baseSpec = String(o.base);
      const shipped = listPretrained().some((p) => p.name === baseSpec);
      if (!shipped && !existsSync(baseSpec)) throw new UsageError(`--base: '${baseSpec}' does not exist (shipped networks: ${listPretrained().map((p) => p.name).join(', ')})`);
      if (!shipped && o.data === undefined) throw new UsageError('--base with your own network needs --data <folder of class subfolders>');
      if (o.data === undefined && imageSize !== undefined) throw new UsageError('--image-size applies to --data <folder>; the MNIST digits are 28x28');
      const mode = (o.preprocess as Preprocess | undefined) ?? (shipped ? 'scale' : 'none');
      const out = resolve(String(o.out ?? join('runs', `transfer-${timestamp()}`)));
      const say = (s: string) => { if (!o.quiet) console.log(s); };

      let t = performance.now();
      const base = await openBase(baseSpec);
      const loadMs = performance.now() - t;
      say(`Base: ${base.label}${base.info ? ` (${base.info.sourceTask}, ${(100 * base.info.testAccuracy).toFixed(2)}% test accuracy there)` : ''}: ${base.model.countParams().toLocaleString('en-US')} parameters, loaded in ${loadMs.toFixed(0)} ms`);

      t = performance.now();
      let data: LabData;
      if (o.data === undefined) {
        data = mnistTarget(trainSize ?? 20, testSize, seed);
      } else {
        const inShape = base.model.inputs[0].perSampleShape;
        const size: [number, number] = imageSize ?? (inShape.length === 3 && inShape[0] > 0 && inShape[1] > 0 ? [inShape[0], inShape[1]] : [224, 224]);
        const channels = inShape.length === 3 && inShape[2] > 0 ? inShape[2] : 3;
        data = await folderData(String(o.data), size, channels, seed, trainSize, testSize);
        // The shipped base learnt on 0-1 images; a folder gives 0-255.
        data = { ...data, xTrain: preprocess(data.xTrain, mode), xTest: preprocess(data.xTest, mode) };
      }
      const dataSeconds = (performance.now() - t) / 1000;
      say(`Data: ${data.name}, ${data.xTrain.shape[0]} training and ${data.xTest.shape[0]} test images of shape [${data.xTrain.shape.slice(1)}], classes ${data.classNames.join(', ')} (${dataSeconds.toFixed(2)} s)`);
      if (data.xTrain.shape[0] === 0 || data.xTest.shape[0] === 0) throw new UsageError(`--data: ${data.name} leaves no training or no test images`);

      const lab = await runLab(base, data, { epochs, fineTuneEpochs, scratchEpochs, batchSize, lr, fineTuneLr, seed, valSize, verbose: o.quiet ? 0 : 2 }, say);
      const wall = (performance.now() - t0) / 1000;
      const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}%`);
      const margin = lab.scratchAcc === null ? null : lab.transferAcc - lab.scratchAcc;
      const points = (m: number) => `${(100 * Math.abs(m)).toFixed(2)} points ${m >= 0 ? 'better' : 'worse'}`;
      console.log(`Test accuracy: transfer ${pct(lab.transferAcc)} (head alone ${pct(lab.headAcc)}), from scratch ${pct(lab.scratchAcc)} after ${plural(scratchEpochs, 'epoch')}${margin === null ? '' : `: transfer is ${points(margin)}`} (${plural(data.xTrain.shape[0], 'training image')}, ${wall.toFixed(1)} s)`);
      if (lab.sameBudgetAcc !== null) {
        console.log(`With the transfer's budget of ${plural(lab.sameBudgetEpochs, 'pass', 'passes')} over the images, from scratch reaches ${pct(lab.sameBudgetAcc)}: transfer is ${points(lab.transferAcc - lab.sameBudgetAcc)}`);
      }

      // Eight test images, as the lab shows them.
      const eight = Array.from({ length: Math.min(8, data.xTest.shape[0]) }, (_, i) => Math.floor((i * data.xTest.shape[0]) / Math.min(8, data.xTest.shape[0])));
      const nameOf = (c: number) => data.classNames[c] ?? String(c);
      const examples = eight.map((i) => ({
        index: i, true: nameOf(data.yTest.data[i]), transfer: nameOf(lab.transferPred[i]), ...(lab.scratchPred ? { scratch: nameOf(lab.scratchPred[i]) } : {}),
      }));
      await mkdir(out, { recursive: true });
      await lab.net.save(join(out, 'model'));
      const metrics = {
        base: base.label, data: data.name, classes: data.classNames, preprocess: o.data === undefined ? 'none (MNIST in 0-1)' : mode,
        train_samples: data.xTrain.shape[0], test_samples: data.xTest.shape[0], image_shape: data.xTrain.shape.slice(1),
        transfer_test_accuracy: lab.transferAcc, scratch_test_accuracy: lab.scratchAcc, margin,
        scratch_same_budget_test_accuracy: lab.sameBudgetAcc, scratch_same_budget_epochs: lab.sameBudgetAcc === null ? null : lab.sameBudgetEpochs,
        margin_same_budget: lab.sameBudgetAcc === null ? null : lab.transferAcc - lab.sameBudgetAcc,
        head_only_test_accuracy: lab.headAcc, scratch_final_train_accuracy: lab.scratchHistory?.accuracy?.at(-1) ?? null,
        curve_test_samples: Math.min(valSize, data.xTest.shape[0]), source_test_accuracy: base.info?.testAccuracy ?? null,
        base_parameters: lab.trunkParams, head_parameters: lab.headParams, fine_tuned_parameters: lab.trainableParams,
        feature_layer: base.featureLayer ?? '(output)', feature_shape: lab.featureShape, top_block: base.topBlock,
        epochs, fine_tune_epochs: fineTuneEpochs, scratch_epochs: scratchEpochs, batch_size: batchSize, learning_rate: lr, fine_tune_learning_rate: fineTuneLr, seed,
        backend: getBackend(), base_load_ms: loadMs, data_seconds: dataSeconds,
        feature_seconds: (lab.seconds.features ?? 0) + (lab.seconds.features_test ?? 0), head_seconds: lab.seconds.head ?? 0,
        fine_tune_seconds: lab.seconds.fine_tune ?? 0, scratch_seconds: lab.seconds.scratch ?? 0, seconds: wall,
        test_examples: examples, transfer_history: lab.transferHistory, scratch_history: lab.scratchHistory,
      };
      await writeFileAtomic(join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');

      const figures: ReportFigure[] = [];
      const epochAxis = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
      const curve = (key: string) => {
        const series: Record<string, { x: number[]; y: number[] }> = {};
        const tv = lab.transferHistory[key];
        if (tv?.length) series.transfer = { x: epochAxis(tv.length), y: tv };
        const sv = lab.scratchHistory?.[key];
        if (sv?.length) series['from scratch'] = { x: epochAxis(sv.length), y: sv };
        return series;
      };
      for (const [key, title] of [['val_accuracy', 'Test accuracy per epoch'], ['loss', 'Training loss per epoch']] as const) {
        const series = curve(key);
        if (Object.keys(series).length > 0) {
          figures.push({ name: `compare_${key}`, figure: line(series, { title, xLabel: 'epoch', yLabel: key.replace('val_', 'test ').replace('_', ' '), width: 420, height: 240 }), caption: `${title}: the transferred network (epochs 1-${epochs}: the head on the cached features, no pass of the base; then ${plural(fineTuneEpochs, 'epoch')} of fine-tuning) and the same network from scratch (${plural(scratchEpochs, 'epoch')} over the images).` });
        }
      }
      const per = data.xTest.size / data.xTest.shape[0];
      const pick = new Float32Array(eight.length * per);
      eight.forEach((r, i) => pick.set(data.xTest.data.subarray(r * per, (r + 1) * per), i * per));
      figures.push({
        name: 'eight_test_images',
        figure: imageGrid(new Tensor(pick, [eight.length, ...data.xTest.shape.slice(1)]), { titles: examples.map((e) => `${e.true}: ${e.transfer}${'scratch' in e ? ` / ${e.scratch}` : ''}`), title: 'Eight test images: true: transfer / scratch' }),
        caption: 'Eight test images with the true label, the transferred network\'s and the scratch baseline\'s predictions.',
      });
      const report = await writeClassifierReport(out, {
        title: `gradlab transfer: ${base.label} to ${data.name}`,
        subtitle: `${plural(data.xTrain.shape[0], 'training image')}; head ${plural(epochs, 'epoch')} on cached features, fine-tuning ${plural(fineTuneEpochs, 'epoch')} at ${fineTuneLr}; baseline ${plural(scratchEpochs, 'epoch')} from scratch; seed ${seed}, ${getBackend()} backend`,
        metrics: scalarMetrics(metrics),
        yTrue: data.yTest, yPred: lab.transferPred, classNames: data.classNames,
        images: data.xTest, samples: 8, seed,
        training: { history: lab.transferHistory, batches: lab.recorder.batches },
        figures,
      });
      console.log(`Wrote ${join(out, 'metrics.json')}, ${join(out, 'model')}/ and ${report.html}`);
    });
}

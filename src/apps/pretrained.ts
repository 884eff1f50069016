/**
 * Pretrained networks that ship in the package (pretrained/<name>/: model.json, weights.safetensors
 * and info.json), trained here by scripts/train-pretrained.mjs with a fixed seed: no network is
 * needed to load them. info.json is written by that script and records what it measured.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, hasOwn, intInRange, optionKeys, optional, positiveInt, integer } from '../core/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import type { LabelledImages } from '../data/datasets.js';
import { input, type SymbolicTensor } from '../nn/layer.js';
import { layers } from '../nn/catalog.js';
import { model, type Model } from '../nn/model.js';
import { loadModel } from '../nn/saving.js';

/** What `listPretrained()` says about one shipped network (from its info.json). */
export interface PretrainedInfo {
  name: string;
  description: string;
  /** The task it was trained on, e.g. 'MNIST digits 0-4 (5 classes)'. */
  sourceTask: string;
  inputShape: number[];
  classNames: string[];
  /** Accuracy on the source task's test images, measured by the script that trained it. */
  testAccuracy: number;
  testSamples: number;
  trainSamples: number;
  epochs: number;
  parameters: number;
  /** The output of this layer is the feature vector a new head goes on. */
  featureLayer: string;
  /** Layers unfrozen when fine-tuning the top block. */
  topBlock: string[];
  seed: number;
  /** The committed script that trained it, relative to the package root. */
  script: string;
  trainSeconds: number;
  /** Absolute path of the model folder. */
  path: string;
}

let root: string | null = null;

/** The package root: the first folder above this file holding package.json and pretrained/ (from src/ or dist/src/). */
function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'pretrained'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new FormatError(`pretrained: no pretrained/ folder beside package.json above ${fileURLToPath(import.meta.url)} (is the package installed completely?)`);
}

/** The folder that holds the shipped networks. */
export function pretrainedRoot(): string {
  return join(packageRoot(), 'pretrained');
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

function readInfo(name: string): PretrainedInfo {
  const dir = join(pretrainedRoot(), name);
  const file = join(dir, 'info.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FormatError(`listPretrained: ${file} is not readable JSON: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new FormatError(`listPretrained: ${file} must hold an object`);
  const r = raw as Record<string, unknown>;
  const need = (key: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!hasOwn(r, key) || !ok(r[key])) throw new FormatError(`listPretrained: ${file}: '${key}' must be ${what}, got ${describeValue(r[key])}`);
  };
  const str = (v: unknown) => typeof v === 'string';
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const ints = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0);
  const strs = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(str);
  for (const k of ['description', 'sourceTask', 'featureLayer', 'script']) need(k, str, 'a string');
  for (const k of ['testAccuracy', 'testSamples', 'trainSamples', 'epochs', 'parameters', 'seed', 'trainSeconds']) need(k, num, 'a number');
  need('inputShape', ints, 'a list of positive integers');
  need('classNames', strs, 'a list of strings');
  need('topBlock', strs, 'a list of layer names');
  return {
    name, description: r.description as string, sourceTask: r.sourceTask as string, inputShape: r.inputShape as number[],
    classNames: r.classNames as string[], testAccuracy: r.testAccuracy as number, testSamples: r.testSamples as number,
    trainSamples: r.trainSamples as number, epochs: r.epochs as number, parameters: r.parameters as number,
    featureLayer: r.featureLayer as string, topBlock: r.topBlock as string[], seed: r.seed as number, script: r.script as string,
    trainSeconds: r.trainSeconds as number, path: dir,
  };
}

/** The networks that ship in the package, with their source task, measured accuracy and size. */
export function listPretrained(): PretrainedInfo[] {
  const dir = pretrainedRoot();
  return readdirSync(dir)
    .filter((n) => NAME.test(n) && statSync(join(dir, n)).isDirectory() && existsSync(join(dir, n, 'info.json')))
    .sort()
    .map(readInfo);
}

/** Loads a shipped network by name (see listPretrained()): offline, from the package's folder. */
export async function pretrained(name: string): Promise<Model> {
  const fn = 'pretrained';
  const known = listPretrained();
  if (typeof name !== 'string' || !known.some((k) => k.name === name)) {
    throw new ValueError(`${fn}: unknown network ${typeof name === 'string' ? `'${name}'` : describeValue(name)}; shipped: ${known.map((k) => `'${k.name}'`).join(', ') || 'none'}`);
  }
  return loadModel(join(pretrainedRoot(), name));
}

/** Options of `applications.digitNet`. */
export interface DigitNetArgs {
  /** Required: classes of the softmax output. */
  classes: number;
  /** Default 'digit_net'. */
  name?: string;
  /** Default [28, 28, 1]. */
  inputShape?: number[];
  /** Filters of the three conv blocks (default [16, 32, 64]). */
  filters?: [number, number, number];
}

const DIGIT_NET_KEYS = optionKeys<DigitNetArgs>({ classes: true, name: true, inputShape: true, filters: true });

/**
 * The shipped digit network's architecture with fresh weights (the script trains it; the transfer
 * lab trains it from scratch as the baseline). Keras-style block names; `flatten` is the feature
 * layer, block3 the top block:
 * 3x3 conv 16 / pool / 3x3 conv 32 / pool / 3x3 conv 64 / pool / flatten (576) / dense 64 / softmax.
 */
export function digitNet(args: DigitNetArgs): Model {
  const fn = 'digitNet';
  const a = checkOptions(fn, args, DIGIT_NET_KEYS, 'args');
  const classes = positiveInt(fn, 'classes', a.classes);
  const shape = a.inputShape ?? [28, 28, 1];
  const image = input({ shape, name: 'image' });
  let y: SymbolicTensor = image;
  const block = (i: number, filters: number) => {
    y = layers.conv2d({ name: `block${i}_conv1`, filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(y) as SymbolicTensor;
    y = layers.maxPooling2d({ name: `block${i}_pool`, poolSize: 2 }).apply(y) as SymbolicTensor;
  };
  const filters = a.filters ?? [16, 32, 64];
  if (!Array.isArray(filters) || filters.length !== 3) throw new ValueError(`${fn}: filters must be three positive integers, got ${describeValue(filters)}`);
  filters.forEach((f, i) => block(i + 1, positiveInt(fn, `filters[${i}]`, f)));
  y = layers.flatten({ name: 'flatten' }).apply(y) as SymbolicTensor;
  y = layers.dense({ name: 'fc1', units: 64, activation: 'relu' }).apply(y) as SymbolicTensor;
  y = layers.dense({ name: 'predictions', units: classes, activation: 'softmax' }).apply(y) as SymbolicTensor;
  return model({ inputs: image, outputs: y, name: a.name ?? 'digit_net' });
}

/** Options of `applications.selectClasses`. */
export interface SelectClassesOptions {
  /** At most this many samples, drawn at random with `seed` (default: all, in order). */
  limit?: number;
  /** Seed of the draw with `limit` (default 0). */
  seed?: number;
  /** With `limit`: as many samples of each class as possible (the first classes take the remainder). Default false. */
  balanced?: boolean;
}

const SELECT_KEYS = optionKeys<SelectClassesOptions>({ limit: true, seed: true, balanced: true });

/**
 * The samples of `data` whose label is in `classes`, relabelled 0..k-1 in the order of `classes`
 * (digits 5-9 become 0-4). With `limit`, a seeded random subset of that size.
 */
export function selectClasses(data: LabelledImages, classes: readonly number[], options: SelectClassesOptions = {}): LabelledImages {
  const fn = 'selectClasses';
  const o = checkOptions(fn, options, SELECT_KEYS);
  if (data === null || typeof data !== 'object' || !(data.x instanceof Tensor) || !(data.labels instanceof Int32Array) || data.x.rank < 1 || data.x.shape[0] !== data.labels.length) {
    throw new ValueError(`${fn}: data must be labelled images { x: Tensor [n, ...], labels: Int32Array [n] } (e.g. gl.datasets.mnist().train), got ${describeValue(data)}`);
  }
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => Number.isInteger(c) && c >= 0)) {
    throw new ValueError(`${fn}: classes must be a non-empty list of class labels, got ${describeValue(classes)}`);
  }
  if (new Set(classes).size !== classes.length) throw new ValueError(`${fn}: classes ${JSON.stringify(classes)} repeats a class`);
  const limit = optional(fn, 'limit', o.limit, positiveInt);
  const seed = integer(fn, 'seed', o.seed ?? 0);
  const newLabel = new Map(classes.map((c, i) => [c, i]));
  let idx: number[] = [];
  for (let i = 0; i < data.labels.length; i++) if (newLabel.has(data.labels[i])) idx.push(i);
  if (idx.length === 0) throw new ValueError(`${fn}: no sample has a label in ${JSON.stringify(classes)}`);
  const balanced = booleanOption(fn, 'balanced', o.balanced ?? false);
  if (limit !== undefined && limit < idx.length) {
    const perm = new Random(seed).permutation(idx.length);
    if (balanced) {
      // Walk the one seeded permutation, taking a sample while its class is under its quota.
      const k = classes.length;
      const quota = classes.map((_, i) => Math.floor(limit / k) + (i < limit % k ? 1 : 0));
      const picked: number[] = [];
      for (const p of perm) {
        const c = newLabel.get(data.labels[idx[p]])!;
        if (quota[c] > 0) {
          quota[c]--;
          picked.push(idx[p]);
        }
      }
      idx = picked.sort((a, b) => a - b);
    } else {
      idx = Array.from(perm.subarray(0, intInRange(fn, 'limit', limit, 1, idx.length)), (p) => idx[p]).sort((a, b) => a - b);
    }
  }
  const per = data.x.size / data.x.shape[0];
  const x = new Float32Array(idx.length * per);
  const labels = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    x.set(data.x.data.subarray(r * per, (r + 1) * per), i * per);
    labels[i] = newLabel.get(data.labels[r])!;
  });
  return { x: new Tensor(x, [idx.length, ...data.x.shape.slice(1)]), y: new Tensor(Float32Array.from(labels), [idx.length]), labels };
}

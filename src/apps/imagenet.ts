// Keras' imagenet_utils: preprocess_input in its three modes and decode_predictions.
import { readFileSync, statSync } from 'node:fs';
import { FormatError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, describeValue, hasOwn, oneOf, optionKeys, positiveInt } from '../core/validate.js';
import { tensor } from '../tensor/creation.js';
import { Tensor, allocate, type NestedArray } from '../tensor/tensor.js';

/** Options of `applications.preprocessInput`. */
export interface PreprocessInputOptions {
  /**
   * 'caffe' (default; VGG, ResNet): RGB to BGR, then minus the ImageNet means [103.939, 116.779,
   * 123.68] (BGR); 'tf' (MobileNetV2): x / 127.5 - 1; 'torch': x / 255, then per channel
   * (x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225].
   */
  mode?: 'caffe' | 'tf' | 'torch';
}

const PREPROCESS_KEYS = optionKeys<PreprocessInputOptions>({ mode: true });
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Keras' preprocess_input on channels-last images with values in 0-255 ([..., 3]; any channel
 * count for 'tf'): a new tensor of the same shape and dtype. Not recorded for autograd.
 */
export function preprocessInput(x: Tensor | NestedArray, options: PreprocessInputOptions = {}): Tensor {
  const fn = 'applications.preprocessInput';
  const o = checkOptions(fn, options, PREPROCESS_KEYS);
  const mode = oneOf(fn, 'mode', o.mode ?? 'caffe', ['caffe', 'tf', 'torch'] as const);
  if (!(x instanceof Tensor) && !Array.isArray(x)) throw new ValueError(`${fn}: x must be a Tensor or nested array of pixels, got ${describeValue(x)}`);
  const t = x instanceof Tensor ? x : tensor(x);
  const src = t.data;
  const out = allocate(t.dtype, t.size);
  if (mode === 'tf') {
    for (let i = 0; i < src.length; i++) out[i] = src[i] / 127.5 - 1;
    return new Tensor(out, t.shape);
  }
  const c = t.shape[t.rank - 1];
  if (t.rank < 1 || c !== 3) throw new ShapeError(`${fn}: mode '${mode}' needs channels-last images with 3 channels (RGB) on the last axis, got shape ${fmtShape(t.shape)}`);
  for (let i = 0; i < src.length; i += 3) {
    if (mode === 'caffe') {
      out[i] = src[i + 2] - CAFFE_MEAN_BGR[0];
      out[i + 1] = src[i + 1] - CAFFE_MEAN_BGR[1];
      out[i + 2] = src[i] - CAFFE_MEAN_BGR[2];
    } else {
      for (let k = 0; k < 3; k++) out[i + k] = (src[i + k] / 255 - TORCH_MEAN[k]) / TORCH_STD[k];
    }
  }
  return new Tensor(out, t.shape);
}

/** ImageNet's class index as Keras' imagenet_class_index.json holds it: "0": ["n01440764", "tench"], ... */
export type ClassIndex = Readonly<Record<string, readonly [string, string]>>;

/** Options of `applications.decodePredictions`. */
export interface DecodePredictionsOptions {
  /** How many classes per sample, best first (default 5). */
  top?: number;
  /** The path of Keras' imagenet_class_index.json, or its parsed contents. Required (gradlab does not download). */
  classIndex: string | ClassIndex;
}

/** One class of one sample. */
export interface DecodedPrediction {
  classId: string;
  label: string;
  score: number;
}

const DECODE_KEYS = optionKeys<DecodePredictionsOptions>({ top: true, classIndex: true });
const MAX_CLASS_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_CLASSES = 1_000_000;
const CLASS_INDEX_URL = 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json';

/** The index as [classId, label] by column, after checking its keys are exactly 0 .. K-1. */
function readClassIndex(fn: string, spec: unknown): [string, string][] {
  let parsed: unknown = spec;
  let where = 'classIndex';
  if (typeof spec === 'string') {
    where = spec;
    let size: number;
    try {
      size = statSync(spec).size;
    } catch (e) {
      throw new FormatError(`${fn}: cannot read the class index ${spec}: ${(e as Error).message} (Keras' file is ${CLASS_INDEX_URL})`);
    }
    if (size > MAX_CLASS_INDEX_BYTES) throw new FormatError(`${fn}: ${spec} is ${size} bytes, more than a class index can be (limit ${MAX_CLASS_INDEX_BYTES})`);
    try {
      parsed = JSON.parse(readFileSync(spec, 'utf8')) as unknown;
    } catch (e) {
      throw new FormatError(`${fn}: ${spec} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new ValueError(`${fn}: classIndex must be the path of imagenet_class_index.json (${CLASS_INDEX_URL}) or its parsed object, got ${describeValue(spec)}`);
  }
  const Err = typeof spec === 'string' ? FormatError : ValueError;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Err(`${fn}: ${where} must hold an object {"0": [classId, label], ...}, got ${describeValue(parsed)}`);
  const keys = Object.keys(parsed);
  if (keys.length === 0 || keys.length > MAX_CLASSES) throw new Err(`${fn}: ${where} has ${keys.length} classes (need 1 to ${MAX_CLASSES})`);
  const rows: [string, string][] = new Array<[string, string]>(keys.length);
  for (const k of keys) {
    if (!/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= keys.length) throw new Err(`${fn}: ${where} has key ${JSON.stringify(k)}; the keys must be "0" to "${keys.length - 1}"`);
    const v = (parsed as Record<string, unknown>)[k];
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') {
      throw new Err(`${fn}: ${where}["${k}"] must be [classId, label] (two strings), got ${Array.isArray(v) ? JSON.stringify(v).slice(0, 80) : describeValue(v)}`);
    }
    rows[Number(k)] = [v[0], v[1]];
  }
  return rows;
}

/**
 * Keras' decode_predictions: for each row of `preds` ([samples, classes], classes as many as the
 * class index has: 1000 for ImageNet), the `top` best classes, best first (ties: lower index
 * first), as { classId: 'n02504458', label: 'African_elephant', score }.
 */
export function decodePredictions(preds: Tensor | readonly (readonly number[])[], options: DecodePredictionsOptions): DecodedPrediction[][] {
  const fn = 'applications.decodePredictions';
  const o = checkOptions(fn, options, DECODE_KEYS);
  if (!hasOwn(o, 'classIndex') || o.classIndex === undefined) {
    throw new ValueError(`${fn}: option 'classIndex' is required: the path of Keras' imagenet_class_index.json (${CLASS_INDEX_URL}) or its parsed object`);
  }
  const top = positiveInt(fn, 'top', o.top ?? 5);
  if (!(preds instanceof Tensor) && !Array.isArray(preds)) throw new ValueError(`${fn}: preds must be a Tensor [samples, classes] or an array of rows, got ${describeValue(preds)}`);
  const p = preds instanceof Tensor ? preds : tensor(preds as NestedArray);
  const index = readClassIndex(fn, o.classIndex);
  const k = index.length;
  if (p.rank !== 2 || p.shape[1] !== k) {
    throw new ShapeError(`${fn}: expects preds of shape [samples, ${k}] (one column per class of the class index), got ${fmtShape(p.shape)}`);
  }
  if (top > k) throw new ValueError(`${fn}: top (${top}) is more than the ${k} classes`);
  const out: DecodedPrediction[][] = [];
  for (let s = 0; s < p.shape[0]; s++) {
    const row = p.data.subarray(s * k, (s + 1) * k);
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    out.push(order.slice(0, top).map((i) => ({ classId: index[i][0], label: index[i][1], score: row[i] })));
  }
  return out;
}

// One door for every model format: a gradlab folder, Keras .h5/.keras, a TF.js model.json or
// .onnx, told apart by their contents first (magic bytes, JSON keys) and their names second.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError, ValueError } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, optionKeys } from '../core/validate.js';
import { loadModel as loadModelFolder, type LoadModelOptions } from '../nn/saving.js';
import type { Model } from '../nn/model.js';
import { loadKeras } from './keras/files.js';
import { loadTfjs } from './tfjs.js';
import { loadOnnx } from './onnx/import.js';
// Registers ONNX with model.save, so a model from this door can be written in every format (tfjs and Keras register above).
import './onnx/export.js';

const LOAD_KEYS = optionKeys<LoadModelOptions>({ allowNonFinite: true });

/** The formats `loadModel` tells apart. */
export type ModelFormatName = 'gradlab' | 'keras-h5' | 'keras' | 'tfjs' | 'onnx';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

function head(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}

/** Which format a model.json is: gradlab's folder description or a TF.js layers model. */
function jsonFormat(fn: string, file: string): 'gradlab' | 'tfjs' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FormatError(`${fn}: ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    if (Object.hasOwn(o, 'modelTopology')) return 'tfjs';
    if (o.format === 'gradlab-model' || o.format === 'gradlab-sequential') return 'gradlab';
  }
  throw new FormatError(`${fn}: ${file} is neither a gradlab model description (format 'gradlab-model') nor a TensorFlow.js layers model (no modelTopology)`);
}

/** The format of the model at `path`, from its contents (and its name where contents cannot tell). */
export function detectModelFormat(path: string): { format: ModelFormatName; path: string } {
  return detect(path, 'detectModelFormat');
}

function detect(path: string, fn: string): { format: ModelFormatName; path: string } {
  if (typeof path !== 'string' || path === '') throw new ValueError(`${fn}: path must be a non-empty path, got ${describeValue(path)}`);
  if (!existsSync(path)) throw new FormatError(`${fn}: '${path}' does not exist`);
  if (statSync(path).isDirectory()) {
    const json = join(path, 'model.json');
    if (existsSync(json)) {
      const f = jsonFormat(fn, json);
      return { format: f, path: f === 'tfjs' ? json : path };
    }
    if (existsSync(join(path, 'saved_model.pb'))) {
      throw new FormatError(`${fn}: '${path}' is a TensorFlow SavedModel, which gradlab does not read; convert it to ONNX (python -m tf2onnx.convert --saved-model ${path} --output model.onnx) or save the Keras model as .keras or .h5`);
    }
    throw new FormatError(`${fn}: '${path}' is a folder without model.json: not a gradlab or TensorFlow.js model`);
  }
  const bytes = head(path, 8);
  if (startsWith(bytes, HDF5_SIGNATURE)) return { format: 'keras-h5', path };
  if (startsWith(bytes, ZIP_SIGNATURE)) return { format: 'keras', path };
  if (path.toLowerCase().endsWith('.json')) {
    const f = jsonFormat(fn, path);
    return { format: f, path: f === 'gradlab' ? dirname(path) : path };
  }
  if (path.toLowerCase().endsWith('.onnx')) return { format: 'onnx', path };
  throw new FormatError(`${fn}: cannot tell the format of '${basename(path)}': not HDF5 (.h5), not a zip (.keras), not JSON (model.json), and not named .onnx`);
}

/**
 * Opens a model in any format gradlab reads: a folder written by `model.save()`, a Keras `.h5`
 * or `.keras` file, a TensorFlow.js `model.json` (or its folder), or an `.onnx` file.
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  const fn = 'loadModel';
  const o = checkOptions(fn, options, LOAD_KEYS);
  const allowNonFinite = booleanOption(fn, 'allowNonFinite', o.allowNonFinite ?? false);
  const found = detect(path, fn);
  if (allowNonFinite && found.format !== 'gradlab') throw new ValueError(`${fn}: allowNonFinite applies to gradlab folders only; ${found.format} files must hold finite weights`);
  switch (found.format) {
    case 'gradlab': return loadModelFolder(found.path, { allowNonFinite });
    case 'keras-h5':
    case 'keras': return loadKeras(found.path);
    case 'tfjs': return loadTfjs(found.path);
    case 'onnx': return loadOnnx(found.path);
  }
}

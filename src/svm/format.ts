// The saved-model folder shared by SVC, LinearSVC, SVR and OneClassSVM: model.json (format, kind, hyper-parameters,
// classes, counts) and weights.safetensors (the arrays, float64). Each file is written atomically;
// the JSON goes last, so a folder with a model.json always has the weights it names.
// Each model lays out its own fields with these helpers; io.ts picks the class by `kind`.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { FormatError, ValueError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { hasOwn, unknownNameError } from '../core/validate.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

export const FORMAT = 'gradlab.svm/1';

export type ModelKind = 'SVC' | 'LinearSVC' | 'SVR' | 'OneClassSVM';

/** What every model.json starts with. */
export interface SavedHeader {
  format: typeof FORMAT;
  kind: ModelKind;
}

/** A model folder as read back: the parsed model.json (checked for format only) and the tensors. */
export interface SavedModel {
  json: SavedHeader & Record<string, unknown>;
  tensors: Record<string, Tensor>;
  jsonPath: string;
  weightsPath: string;
}

export function checkDir(fn: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) throw new ValueError(`${fn}: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  return dir;
}

export function f64(data: Float64Array, shape: number[]): Tensor {
  return tensor(data, { shape, dtype: 'float64' });
}

/** Writes the folder dir (created if missing): the weights, then model.json. */
export async function writeSaved(dir: string, json: SavedHeader, tensors: Record<string, Tensor>): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, 'weights.safetensors'), tensors, { format: FORMAT, kind: json.kind });
  await writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
}

/** Reads model.json (which must be a JSON object of this format) and the weights of a folder. */
export async function readSaved(dir: string): Promise<SavedModel> {
  const jsonPath = path.join(dir, 'model.json');
  let raw: string;
  try {
    raw = await fsp.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new FormatError(`svm.load: cannot read ${jsonPath}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new FormatError(`svm.load: ${jsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new FormatError(`svm.load: ${jsonPath} holds no JSON object`);
  const header = json as SavedModel['json'];
  if (header.format !== FORMAT) throw new FormatError(`svm.load: ${jsonPath} has format ${JSON.stringify(header.format)}, expected '${FORMAT}'`);
  if (!(['SVC', 'LinearSVC', 'SVR', 'OneClassSVM'] as unknown[]).includes(header.kind)) {
    throw new FormatError(`svm.load: ${jsonPath} names an unknown model kind ${JSON.stringify(header.kind)}`);
  }
  const weightsPath = path.join(dir, 'weights.safetensors');
  const { tensors } = await readSafetensors(weightsPath);
  return { json: header, tensors, jsonPath, weightsPath };
}

/**
 * Checks a model.json as strictly as the options it came from: every field of `known` present,
 * no other (with the nearest known name, as for options).
 */
export function checkFields(file: string, json: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(json)) {
    if (!known.includes(key)) throw new FormatError(unknownNameError(`svm.load: ${file}`, 'field', key, known).message);
  }
  for (const key of known) {
    if (!hasOwn(json, key) || json[key] === undefined || json[key] === null) throw new FormatError(`svm.load: ${file} has no field '${key}'`);
  }
}

/** A field that must be an array of numbers passing `ok` (e.g. integers). */
export function numberList(file: string, json: Record<string, unknown>, key: string, ok: (v: number) => boolean, what: string): number[] {
  const v = json[key];
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'number' && ok(e))) {
    throw new FormatError(`svm.load: ${file}: field '${key}' must be an array of ${what}`);
  }
  return v as number[];
}

/** The `classes` field: at least two finite numbers in increasing order, as fit sorts them (no duplicates). */
export function classList(file: string, json: Record<string, unknown>): number[] {
  const classes = numberList(file, json, 'classes', Number.isFinite, 'finite numbers');
  if (classes.length < 2) throw new FormatError(`svm.load: ${file} has ${classes.length} classes; a classifier has two or more`);
  for (let i = 1; i < classes.length; i++) {
    if (!(classes[i] > classes[i - 1])) {
      throw new FormatError(`svm.load: ${file}: field 'classes' must be sorted and distinct, as fit writes it; ${classes[i]} follows ${classes[i - 1]}`);
    }
  }
  return classes;
}

/** Refuses tensors the model does not have, so that a renamed or added one is not passed over. */
export function onlyTensors(t: Record<string, Tensor>, file: string, names: readonly string[]): void {
  for (const k of Object.keys(t)) {
    if (!names.includes(k)) throw new FormatError(`svm.load: ${file} holds a tensor '${k}' that the model does not have (expected ${names.map((n) => `'${n}'`).join(', ')})`);
  }
}

/** A float64 copy of the named tensor, which must have exactly `shape` and finite values. */
export function savedArray(t: Record<string, Tensor>, name: string, file: string, shape: number[]): Float64Array {
  const v = hasOwn(t, name) ? t[name] : undefined;
  if (v === undefined) throw new FormatError(`svm.load: ${file} has no tensor '${name}'`);
  if (v.shape.length !== shape.length || v.shape.some((s, i) => s !== shape[i])) {
    throw new FormatError(`svm.load: ${file} tensor '${name}' has shape [${v.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  const out = Float64Array.from(v.data);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new FormatError(`svm.load: ${file} tensor '${name}' holds ${out[i]} at flat index ${i}; a fitted model has finite values only`);
  }
  return out;
}

/** The shape of the 2-D tensor `name` (read from the file; its values are checked by savedArray). */
export function saved2D(t: Record<string, Tensor>, name: string, file: string): { rows: number; cols: number } {
  const v = hasOwn(t, name) ? t[name] : undefined;
  if (v === undefined || v.rank !== 2) throw new FormatError(`svm.load: ${file} has no 2-D tensor '${name}'`);
  const [rows, cols] = v.shape;
  if (cols < 1) throw new FormatError(`svm.load: ${file} tensor '${name}' has shape [${rows},${cols}]: no features`);
  return { rows, cols };
}

/** Runs `build` (a constructor that validates the saved hyper-parameters), reporting its ValueError as the file's FormatError. */
export function fromFile<T>(file: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ValueError) throw new FormatError(`svm.load: ${file}: ${err.message}`);
    throw err;
  }
}

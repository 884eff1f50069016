import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { FormatError, ValueError } from '../core/errors.js';
import { tensor } from '../tensor/creation.js';
import { writeFileAtomic } from '../core/atomic.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { LinearSVC } from './linear.js';
import { SVC, type SVCState } from './svc.js';

// A saved model is a folder: model.json (kind, hyper-parameters, classes, counts) and
// weights.safetensors (the arrays, float64). Each file is written atomically; the JSON goes last,
// so a folder with a model.json always has the weights it names.
const FORMAT = 'gradlab.svm/1';

/** The SVC's state less its arrays, which go to the safetensors file. */
type SVCJson = { format: typeof FORMAT; kind: 'SVC' } & Omit<SVCState, 'svCoef' | 'rho' | 'supportVectors'>;

interface LinearJson {
  format: typeof FORMAT;
  kind: 'LinearSVC';
  C: number;
  loss: 'hinge' | 'squared_hinge';
  tol: number;
  classes: number[];
}

function f64(data: Float64Array, shape: number[]): Tensor {
  return tensor(data, { shape, dtype: 'float64' });
}

/** Writes a fitted SVC or LinearSVC to the folder dir (created if missing). */
export async function saveModel(model: SVC | LinearSVC, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new ValueError(`svm.save: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  await fsp.mkdir(dir, { recursive: true });
  let json: SVCJson | LinearJson;
  let tensors: Record<string, Tensor>;
  if (model instanceof SVC) {
    if (model.options.kernel !== undefined && typeof model.options.kernel === 'function') {
      throw new ValueError('svm.save: an SVC with a custom kernel function cannot be saved (the function is code, not data)');
    }
    const s = model.getState();
    const k = s.classes.length;
    json = {
      format: FORMAT, kind: 'SVC', kernel: s.kernel, C: s.C, gamma: s.gamma, degree: s.degree, coef0: s.coef0, tol: s.tol,
      classes: s.classes, nSupport: s.nSupport, supportIndices: s.supportIndices,
    };
    tensors = {
      support_vectors: f64(s.supportVectors.data, [s.supportVectors.rows, s.supportVectors.cols]),
      sv_coef: f64(s.svCoef, [k - 1, s.supportVectors.rows]),
      rho: f64(s.rho, [s.rho.length]),
    };
  } else if (model instanceof LinearSVC) {
    const s = model.getState();
    json = { format: FORMAT, kind: 'LinearSVC', C: s.C, loss: s.loss, tol: s.tol, classes: s.classes };
    tensors = { coef: f64(s.coef.data, [s.coef.rows, s.coef.cols]), intercept: f64(s.intercept, [s.intercept.length]) };
  } else {
    throw new ValueError('svm.save: model must be a fitted SVC or LinearSVC');
  }
  await writeSafetensors(path.join(dir, 'weights.safetensors'), tensors, { format: FORMAT, kind: json.kind });
  await writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
}

function need(t: Record<string, Tensor>, name: string, file: string, shape: number[]): Float64Array {
  const v = t[name];
  if (v === undefined) throw new FormatError(`svm.load: ${file} has no tensor '${name}'`);
  if (v.shape.length !== shape.length || v.shape.some((s, i) => s !== shape[i])) {
    throw new FormatError(`svm.load: ${file} tensor '${name}' has shape [${v.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  return Float64Array.from(v.data);
}

/** Reads a model written by `save` (an SVC or a LinearSVC, as model.json says). */
export async function loadModel(dir: string): Promise<SVC | LinearSVC> {
  const jsonPath = path.join(dir, 'model.json');
  let raw: string;
  try {
    raw = await fsp.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new FormatError(`svm.load: cannot read ${jsonPath}: ${(err as Error).message}`);
  }
  let json: SVCJson | LinearJson;
  try {
    json = JSON.parse(raw) as SVCJson | LinearJson;
  } catch (err) {
    throw new FormatError(`svm.load: ${jsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  if (json.format !== FORMAT) throw new FormatError(`svm.load: ${jsonPath} has format ${JSON.stringify(json.format)}, expected '${FORMAT}'`);
  const wPath = path.join(dir, 'weights.safetensors');
  const { tensors } = await readSafetensors(wPath);
  const k = json.classes.length;
  if (json.kind === 'SVC') {
    const nSV = json.nSupport.reduce((a, b) => a + b, 0);
    const sv = tensors.support_vectors;
    if (sv === undefined || sv.rank !== 2) throw new FormatError(`svm.load: ${wPath} has no 2-D tensor 'support_vectors'`);
    const d = sv.shape[1];
    const state: SVCState = {
      kernel: json.kernel, C: json.C, gamma: json.gamma, degree: json.degree, coef0: json.coef0, tol: json.tol,
      classes: json.classes, nSupport: json.nSupport, supportIndices: json.supportIndices,
      svCoef: need(tensors, 'sv_coef', wPath, [k - 1, nSV]),
      rho: need(tensors, 'rho', wPath, [(k * (k - 1)) / 2]),
      supportVectors: { data: need(tensors, 'support_vectors', wPath, [nSV, d]), rows: nSV, cols: d },
    };
    return SVC.fromState(state);
  }
  if (json.kind === 'LinearSVC') {
    const c = tensors.coef;
    if (c === undefined || c.rank !== 2) throw new FormatError(`svm.load: ${wPath} has no 2-D tensor 'coef'`);
    const [rows, cols] = c.shape;
    return LinearSVC.fromState({
      C: json.C, loss: json.loss, tol: json.tol, classes: json.classes,
      coef: { data: need(tensors, 'coef', wPath, [rows, cols]), rows, cols },
      intercept: need(tensors, 'intercept', wPath, [rows]),
    });
  }
  throw new FormatError(`svm.load: ${jsonPath} names an unknown model kind ${JSON.stringify((json as { kind: unknown }).kind)}`);
}

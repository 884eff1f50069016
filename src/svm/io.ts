// svm.save and svm.load: the one entry point for every model (SVC, LinearSVC, SVR, OneClassSVM). Each class writes and reads
// its own fields (SVC.save / SVC.fromSaved); the folder format is in format.ts, which the class
// modules import, so nothing here is imported back by them.
import { ValueError } from '../core/errors.js';
import { checkDir, readSaved } from './format.js';
import { LinearSVC } from './linear.js';
import { SVC } from './svc.js';
import { OneClassSVM, SVR } from './regression.js';

/** Writes a fitted SVC or LinearSVC to the folder dir (created if missing): model.json and weights.safetensors, each atomically. */
export async function saveModel(model: SVC | LinearSVC | SVR | OneClassSVM, dir: string): Promise<void> {
  checkDir('svm.save', dir);
  if (!(model instanceof SVC) && !(model instanceof LinearSVC) && !(model instanceof SVR) && !(model instanceof OneClassSVM)) {
    throw new ValueError('svm.save: model must be a fitted SVC, LinearSVC, SVR or OneClassSVM');
  }
  await model.save(dir);
}

/** Reads a model written by `save` (an SVC or a LinearSVC, as model.json says). */
export async function loadModel(dir: string): Promise<SVC | LinearSVC | SVR | OneClassSVM> {
  checkDir('svm.load', dir);
  const saved = await readSaved(dir);
  switch (saved.json.kind) {
    case 'SVC': return SVC.fromSaved(saved);
    case 'SVR': return SVR.fromSaved(saved);
    case 'OneClassSVM': return OneClassSVM.fromSaved(saved);
    default: return LinearSVC.fromSaved(saved);
  }
}

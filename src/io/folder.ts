// A model folder: model.json (what the model is) beside weights.safetensors (its tensors).
// Knows nothing of layers: nn/ turns models into these two parts and back.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';

/** Writes the weights, then model.json, each atomically, so a model.json on disk always has its weights beside it. */
export async function writeModelFolder(dir: string, description: unknown, tensors: Record<string, Tensor>, modelName: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'gradlab', model: modelName });
  await writeFileAtomic(join(dir, MODEL_FILE), JSON.stringify(description, null, 2) + '\n');
}

/** The parsed model.json of a model folder; a missing or unparsable file is a FormatError. */
export function readModelDescription(dir: string, fn: string): { description: unknown; file: string } {
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) throw new FormatError(`${fn}: no ${MODEL_FILE} in ${dir} (is it a folder written by model.save()?)`);
  try {
    return { description: JSON.parse(readFileSync(file, 'utf8')), file };
  } catch (e) {
    throw new FormatError(`${fn}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** The tensors of a model folder, checked as a safetensors file. */
export async function readModelWeights(dir: string): Promise<{ tensors: Record<string, Tensor>; file: string }> {
  const file = join(dir, WEIGHTS_FILE);
  return { tensors: (await readSafetensors(file)).tensors, file };
}

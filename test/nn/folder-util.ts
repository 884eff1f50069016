// Helpers for tests that edit saved model folders by hand, as a user or a corrupt disk would.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export function readDescription(dir: string): Json {
  return JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Json;
}

/** The weights file model.json names. */
export function weightsPath(dir: string): string {
  return join(dir, (readDescription(dir).weights as { file: string }).file);
}

/** Rewrites model.json after `edit`, without its own checksum (as a hand edit that removes it). */
export function editDescription(dir: string, edit: (d: Json) => void): void {
  const d = readDescription(dir);
  delete d.checksum;
  edit(d);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(d, null, 2));
}

/** Replaces the weights bytes and records their size and SHA-256 in model.json, so only the content checks remain. */
export function replaceWeights(dir: string, bytes: Uint8Array): void {
  const file = weightsPath(dir);
  writeFileSync(file, bytes);
  editDescription(dir, (d) => {
    const w = d.weights as Json;
    w.sha256 = createHash('sha256').update(bytes).digest('hex');
    w.bytes = bytes.length;
  });
}

/** The layers list of a saved Sequential model's description. */
export function layersOf(d: Json): Json[] {
  return ((d.model as Json).config as Json).layers as Json[];
}

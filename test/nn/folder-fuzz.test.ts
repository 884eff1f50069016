// Fuzzing gradlab's model folders: seeded mutations of a saved model's model.json and weights file
// (truncations, bit flips, lying lengths, dtypes, shapes and offsets, huge sizes, prototype names).
// Each must be refused with a typed error or load a model that predicts exactly as the original.
// With the checksums in place nothing may load differently; with them bypassed (a mutation whose
// checksums are recomputed, as a deliberate editor would) the content checks alone must still
// refuse everything but edits the format cannot tell from a real model (a changed activation, a
// flipped bit inside float data), which are counted apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gl from '../../src/index.js';

type Json = Record<string, unknown>;
const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function build(): gl.Model {
  gl.manualSeed(7);
  const { layers } = gl;
  const image = gl.input({ shape: [4, 4, 1], name: 'image' });
  const a = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }).apply(image);
  const b = layers.batchNormalization({ name: 'bn' }).apply(a);
  const c = layers.add({ name: 'skip' }).apply([a, b]);
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(layers.flatten({ name: 'flat' }).apply(c));
  return gl.model({ inputs: image, outputs: out, name: 'fuzzed' });
}

const BAD_VALUES: readonly unknown[] = [0, -1, 1, 2, 3, 0.5, 1e9, 1e10, 2 ** 31, 2 ** 53, -1e9, NaN, null, true, false, '', 'x', '__proto__', 'constructor', 'toString',
  [], {}, [1e9], [0], [-1], [2 ** 31, 2 ** 31], [1e6, 1e6], 'relu', 'sigmoid', 'float64', 'Dense', 'Functional', 'F64', 'I32', 'F16', 'BOOL', 'U8'];
const BAD_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'x'];

/** Every path (list of keys) to a value in a JSON tree. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((e, i) => paths(e, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Json)[k], [...at, k], out);
  return out;
}

function parentOf(root: unknown, path: (string | number)[]): [Json | unknown[], string | number] | null {
  if (path.length === 0) return null;
  let node = root as Json;
  for (const k of path.slice(0, -1)) node = (node as Json)[k as string] as Json;
  return [node, path[path.length - 1]];
}

/** One structural mutation of a JSON tree, in place; returns its kind. */
function mutateTree(root: Json, r: gl.Random): string {
  const all = paths(root).filter((p) => p.length > 0);
  const p = all[r.int(0, all.length)];
  const [parent, key] = parentOf(root, p)!;
  const kind = r.int(0, 5);
  if (kind === 0 || Array.isArray(parent) && kind >= 2) {
    (parent as Json)[key as string] = structuredClone(BAD_VALUES[r.int(0, BAD_VALUES.length)]);
    return 'value';
  }
  if (kind === 1) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
    return 'delete';
  }
  if (kind === 2) {
    const name = r.random() < 0.5 ? BAD_KEYS[r.int(0, BAD_KEYS.length)] : flipChar(String(key), r);
    const v = (parent as Json)[key as string];
    delete (parent as Json)[key as string];
    Object.defineProperty(parent, name, { value: v, enumerable: true, writable: true, configurable: true });
    return 'rename';
  }
  if (kind === 3) {
    const v = (parent as Json)[key as string];
    if (typeof v === 'number') (parent as Json)[key as string] = [v * 2, v + 1, -v, v * 1e6, Math.floor(v / 2)][r.int(0, 5)];
    else if (Array.isArray(v) && v.length > 0) v.push(structuredClone(v[r.int(0, v.length)]));
    else (parent as Json)[key as string] = structuredClone(BAD_VALUES[r.int(0, BAD_VALUES.length)]);
    return 'resize';
  }
  const v = (parent as Json)[key as string];
  if (typeof v === 'string') (parent as Json)[key as string] = flipChar(v, r);
  else (parent as Json)[key as string] = structuredClone(BAD_VALUES[r.int(0, BAD_VALUES.length)]);
  return 'string';
}

function flipChar(s: string, r: gl.Random): string {
  if (s.length === 0) return 'x';
  const i = r.int(0, s.length);
  return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << r.int(0, 5))) + s.slice(i + 1);
}

function flipBit(b: Uint8Array, lo: number, hi: number, r: gl.Random): Uint8Array {
  const out = new Uint8Array(b);
  if (hi > lo) out[r.int(lo, hi)] ^= 1 << r.int(0, 8);
  return out;
}

/** A safetensors file from a header object and data bytes (header length and padding made right). */
function assemble(header: Json, data: Uint8Array): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const n = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + n + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(data, 8 + n);
  return out;
}

interface Tally { tried: number; typed: number; identical: number; different: number; undetectable: number; untyped: string[] }
const tally = (): Tally => ({ tried: 0, typed: 0, identical: 0, different: 0, undetectable: 0, untyped: [] });

test('fuzzed model folders give typed errors or the same model', { timeout: 120_000 }, async () => {
  const original = build();
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-fuzz-'));
  await original.save(dir);
  const x = gl.rand([2, 4, 4, 1], { seed: 3 });
  const want = Array.from(original.predict(x).data);
  const modelText = readFileSync(join(dir, 'model.json'), 'utf8');
  const desc = JSON.parse(modelText) as Json;
  const weightsName = (desc.weights as { file: string }).file;
  const weights = new Uint8Array(readFileSync(join(dir, weightsName)));
  const headerLen = Number(new DataView(weights.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + headerLen))) as Json;
  const data = weights.subarray(8 + headerLen);

  /** model.json text with its weights record and own checksum made to fit (what a deliberate editor would write). */
  const resealed = (d: Json, w: Uint8Array): string => {
    const { checksum: _c, ...rest } = d;
    const content = { ...rest, weights: { ...(rest.weights as Json), sha256: sha(w), bytes: w.length } };
    return JSON.stringify({ ...content, checksum: `sha256:${sha(enc.encode(JSON.stringify(content)))}` }, null, 2);
  };

  async function attempt(t: Tally, json: string | Uint8Array, w: Uint8Array, mayDiffer: boolean): Promise<void> {
    t.tried++;
    writeFileSync(join(dir, 'model.json'), json);
    writeFileSync(join(dir, weightsName), w);
    let m: gl.Model;
    try {
      m = await gl.loadModel(dir);
    } catch (e) {
      if (e instanceof gl.GradlabError) t.typed++;
      else t.untyped.push(`${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      return;
    }
    let got: number[] | null = null;
    try {
      got = Array.from(m.predict(x).data);
    } catch (e) {
      // A model that loads but cannot predict on the original input is a different model.
      if (!(e instanceof gl.GradlabError)) t.untyped.push(`predict: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    const same = got !== null && got.length === want.length && got.every((v, i) => Object.is(v, want[i]));
    if (same) t.identical++;
    else if (mayDiffer) t.undetectable++;
    else t.different++;
  }

  const r = new gl.Random(20261202);
  const N = 150;
  const jsonChecked = tally();
  const jsonResealed = tally();
  const textBytes = enc.encode(modelText);
  for (let i = 0; i < N; i++) {
    const k = i % 3;
    if (k === 0) await attempt(jsonChecked, textBytes.subarray(0, r.int(0, textBytes.length)), weights, false);
    else if (k === 1) await attempt(jsonChecked, flipBit(textBytes, 0, textBytes.length, r), weights, false);
    else {
      const d = structuredClone(desc);
      mutateTree(d, r);
      await attempt(jsonChecked, JSON.stringify(d, null, 2), weights, false);
    }
  }
  for (let i = 0; i < 2 * N; i++) {
    const d = structuredClone(desc);
    delete d.checksum;
    const before = JSON.stringify(d);
    const kind = mutateTree(d, r);
    if (JSON.stringify(d) === before) continue;
    // Resealed, a changed or deleted value can be a real other model (relu -> sigmoid, a default
    // for a missing option): counted as undetectable. A renamed key never is: it is unknown.
    await attempt(jsonResealed, resealed(d, weights), weights, kind !== 'rename');
  }

  const wChecked = tally();
  const wResealed = tally();
  const headerEnd = 8 + headerLen;
  for (let i = 0; i < 2 * N; i++) {
    const k = i % 6;
    let w: Uint8Array;
    let dataOnly = false;
    if (k === 0) w = weights.subarray(0, r.int(0, weights.length));
    else if (k === 1) w = flipBit(weights, 0, headerEnd, r);
    else if (k === 2) { w = flipBit(weights, headerEnd, weights.length, r); dataOnly = true; }
    else if (k === 3) {
      w = new Uint8Array(weights);
      const lie = [0, 1, 7, headerLen - 8, headerLen + 8, weights.length, 2 ** 32, 2 ** 53, r.int(0, 2 ** 30)][r.int(0, 9)];
      new DataView(w.buffer).setBigUint64(0, BigInt(lie), true);
    } else if (k === 4) {
      const h = structuredClone(header);
      const names = Object.keys(h).filter((n) => n !== '__metadata__');
      const name = names[r.int(0, names.length)];
      const e = h[name] as Json;
      const which = r.int(0, 6);
      if (which === 0) e.dtype = ['F64', 'F16', 'BF16', 'I32', 'I64', 'U8', 'BOOL', 'Q7', '__proto__', 'constructor'][r.int(0, 10)];
      else if (which === 1) e.shape = [[1e9], [2 ** 31, 2 ** 31], [-1], [], [0], [1, 1, 1, 1, 1], [2 ** 53]][r.int(0, 7)];
      else if (which === 2) e.data_offsets = [[0, 2 ** 53], [0, 0], [8, 0], [-8, 8], [0, 1e15]][r.int(0, 5)];
      else if (which === 3) {
        const v = h[name];
        delete h[name];
        Object.defineProperty(h, ['__proto__', 'constructor', 'toString', 'head/kernel', 'conv/bias', 'bn/gamma'][r.int(0, 6)], { value: v, enumerable: true, writable: true, configurable: true });
      } else if (which === 4) delete h[name];
      else h['extra/' + name] = structuredClone(e);
      w = assemble(h, data);
    } else {
      // Two tensors' names swapped: a consistent file with the values in the wrong places.
      const h = structuredClone(header);
      const names = Object.keys(h).filter((n) => n !== '__metadata__');
      const [p, q] = [names[r.int(0, names.length)], names[r.int(0, names.length)]];
      [h[p], h[q]] = [h[q], h[p]];
      w = assemble(h, data);
      dataOnly = true; // same shapes swapped (bn/gamma and bn/beta) is a file no format check can tell
    }
    await attempt(wChecked, modelText, w, false);
    await attempt(wResealed, resealed(desc, w), w, dataOnly);
  }

  const show = (name: string, t: Tally) => console.log(`${name}: ${t.tried} mutations, ${t.typed} typed errors, ${t.identical} accepted-identical, ${t.different} accepted-different, ${t.undetectable} undetectable edits, ${t.untyped.length} untyped`);
  show('model.json (checksums kept)', jsonChecked);
  show('model.json (checksums recomputed)', jsonResealed);
  show('weights (checksums kept)', wChecked);
  show('weights (checksums recomputed)', wResealed);
  for (const t of [jsonChecked, jsonResealed, wChecked, wResealed]) assert.deepEqual(t.untyped.slice(0, 5), [], 'untyped errors');
  assert.equal(jsonChecked.different + jsonChecked.undetectable, 0, 'a mutated model.json loaded as a different model despite its checksum');
  assert.equal(wChecked.different + wChecked.undetectable, 0, 'mutated weights loaded despite the checksum');
  assert.equal(wResealed.different, 0, 'a resealed header mutation loaded as a different model');
  assert.ok(jsonChecked.typed > N * 0.9 && wChecked.typed > N, 'most mutations are refused');
  assert.ok(jsonResealed.typed > jsonResealed.tried / 2, 'the content checks refuse most structural edits on their own');
});

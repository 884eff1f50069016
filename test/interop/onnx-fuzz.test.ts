// Seeded mutations of a valid .onnx file (PyTorch's residual CNN): truncations, bit flips, lying
// dims and data lengths, wrong types, huge sizes, unknown ops, prototype names. Each must be a
// typed error (FormatError, ValueError, ShapeError) or load a model whose predictions are the
// same, or differ only where the format cannot tell (a flipped bit inside data or an attribute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import * as gl from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIX = join(here, '..', '..', '..', 'test', 'interop', 'fixtures', 'onnx');
const BYTES = new Uint8Array(readFileSync(join(FIX, 'rescnn_opset13.onnx')));
const golden = JSON.parse(readFileSync(join(FIX, 'rescnn.json'), 'utf8')) as { inputShape: number[]; input: number[] };
const X = gl.tensor(Float32Array.from(golden.input)).reshape(golden.inputShape);

/** A seeded uniform [0, 1) source for the mutations: gradlab's own generator. */
function rng(seed: number): () => number {
  const g = new gl.Random(seed);
  return () => g.random();
}

const atPredict: string[] = [];
type Outcome = 'typed' | 'typed-at-predict' | 'identical' | 'different';

function outcome(bytes: Uint8Array, reference: Float32Array | null, untyped: string[], label: string): Outcome {
  let model: gl.Model;
  try {
    model = gl.io.loadOnnxSync(bytes, label);
  } catch (e) {
    if (e instanceof gl.FormatError || e instanceof gl.ValueError || e instanceof gl.ShapeError) return 'typed';
    untyped.push(`${label}: load: ${(e as Error).name}: ${(e as Error).message}`);
    return 'typed';
  }
  let y: gl.Tensor;
  try {
    y = model.predict(X);
  } catch (e) {
    if (e instanceof gl.GradlabError) { atPredict.push(`${label}: ${(e as Error).message.slice(0, 160)}`); return 'typed-at-predict'; }
    untyped.push(`${label}: predict: ${(e as Error).name}: ${(e as Error).message}`);
    return 'typed';
  }
  if (reference && y.size === reference.length && y.data.every((v, i) => Object.is(v, reference[i]))) return 'identical';
  return 'different';
}

function structural(r: () => number): { label: string; mutate: (m: ModelProto) => void }[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const g = (m: ModelProto) => m.graph!;
  const inits = (m: ModelProto) => g(m).initializer.filter((t) => t.dims.length > 0);
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'nonexistent'];
  return [
    { label: 'dim plus one', mutate: (m) => { const t = pick(inits(m)); t.dims[0] += 1n; } },
    { label: 'dim 2^40', mutate: (m) => { const t = pick(inits(m)); t.dims[0] = 2n ** 40n; } },
    { label: 'dims 2^20 x 2^20', mutate: (m) => { const t = pick(inits(m)); t.dims = [2n ** 20n, 2n ** 20n]; } },
    { label: 'negative dim', mutate: (m) => { const t = pick(inits(m)); t.dims[0] = -1n; } },
    { label: 'dim dropped', mutate: (m) => { const t = pick(inits(m)); t.dims.pop(); } },
    { label: 'raw_data short', mutate: (m) => { const t = pick(inits(m)); t.rawData = t.rawData.slice(0, Math.max(t.rawData.length - 4, 0)); } },
    { label: 'raw_data long', mutate: (m) => { const t = pick(inits(m)); const b = new Uint8Array(t.rawData.length + 4); b.set(t.rawData); t.rawData = b; } },
    { label: 'float_data with lying length', mutate: (m) => { const t = pick(inits(m)); t.rawData = new Uint8Array(0); t.floatData = [1, 2, 3]; } },
    { label: 'data type int64', mutate: (m) => { pick(inits(m)).dataType = 7; } },
    { label: 'data type string', mutate: (m) => { pick(inits(m)).dataType = 8; } },
    { label: 'data type 99', mutate: (m) => { pick(inits(m)).dataType = 99; } },
    { label: 'data type double', mutate: (m) => { pick(inits(m)).dataType = 11; } },
    { label: 'unknown op', mutate: (m) => { pick(g(m).node).opType = pick(['FooBar', '__proto__', 'constructor', 'toString', '']); } },
    { label: 'other domain', mutate: (m) => { pick(g(m).node).domain = 'com.example'; } },
    { label: 'input renamed', mutate: (m) => { const n = pick(g(m).node.filter((x) => x.input.length > 0)); n.input[0] = pick(names); } },
    { label: 'output duplicated', mutate: (m) => { const ns = g(m).node; const a = pick(ns); const b = pick(ns); if (a !== b) b.output[0] = a.output[0]; else a.output[0] = g(m).input[0].name; } },
    { label: 'nodes reversed', mutate: (m) => { g(m).node.reverse(); } },
    { label: 'node moved first', mutate: (m) => { const ns = g(m).node; const i = 1 + Math.floor(r() * (ns.length - 1)); const [n] = ns.splice(i, 1); ns.unshift(n); } },
    { label: 'attribute huge', mutate: (m) => { const n = pick(g(m).node.filter((x) => x.attribute.some((a) => a.ints.length > 0))); const a = n.attribute.find((x) => x.ints.length > 0)!; a.ints[0] = pick([2n ** 40n, -5n, 0n, 2n ** 62n]); } },
    { label: 'attribute type changed', mutate: (m) => { const n = pick(g(m).node.filter((x) => x.attribute.length > 0)); const a = pick(n.attribute); a.type = pick([1, 2, 3, 4, 5, 99]) as typeof a.type; } },
    { label: 'attribute renamed __proto__', mutate: (m) => { const n = pick(g(m).node.filter((x) => x.attribute.length > 0)); pick(n.attribute).name = pick(['__proto__', 'constructor']); } },
    { label: 'input dim zero', mutate: (m) => { const d = g(m).input[0].type!.value.value as { shape: { dim: { value: { case: string; value: unknown } }[] } }; d.shape.dim[1].value = { case: 'dimValue', value: 0n }; } },
    { label: 'input dim huge', mutate: (m) => { const d = g(m).input[0].type!.value.value as { shape: { dim: { value: { case: string; value: unknown } }[] } }; d.shape.dim[2].value = { case: 'dimValue', value: 2n ** 33n }; } },
    { label: 'input dim symbolic', mutate: (m) => { const d = g(m).input[0].type!.value.value as { shape: { dim: { value: { case: string; value: unknown } }[] } }; d.shape.dim[3].value = { case: 'dimParam', value: 'w' }; } },
    { label: 'input int64', mutate: (m) => { (g(m).input[0].type!.value.value as { elemType: number }).elemType = 7; } },
    { label: 'output undefined', mutate: (m) => { g(m).output[0].name = pick(names); } },
    { label: 'initializer renamed consistently', mutate: (m) => { const t = pick(inits(m)); const nm = pick(names); for (const n of g(m).node) n.input = n.input.map((i) => (i === t.name ? nm : i)); t.name = nm; } },
    { label: 'opset version', mutate: (m) => { m.opsetImport[0].version = pick([0n, 999n, -1n, 2n ** 40n]); } },
    { label: 'opset domain', mutate: (m) => { m.opsetImport[0].domain = 'foo'; } },
    { label: 'graph removed', mutate: (m) => { m.graph = undefined; } },
    { label: 'external data', mutate: (m) => { const t = pick(inits(m)); t.dataLocation = 1; } },
  ];
}

test('fuzz: mutated .onnx files give typed errors or an equivalent model', { timeout: 120_000 }, () => {
  const reference = Float32Array.from(gl.io.loadOnnxSync(BYTES, 'original').predict(X).data);
  const r = rng(20240611);
  const untyped: string[] = [];
  const counts: Record<Outcome, number> = { typed: 0, 'typed-at-predict': 0, identical: 0, different: 0 };
  const structuralDifferent: string[] = [];
  let mutations = 0;
  const started = Date.now();
  const run = (bytes: Uint8Array, label: string, isStructural: boolean) => {
    mutations++;
    const o = outcome(bytes, reference, untyped, label);
    counts[o]++;
    if (o === 'different' && isStructural) structuralDifferent.push(label);
  };
  for (let i = 0; i < 60; i++) run(BYTES.slice(0, Math.floor(r() * BYTES.length)), `truncated ${i}`, false);
  for (let i = 0; i < 160; i++) {
    const b = BYTES.slice();
    const flips = 1 + Math.floor(r() * 3);
    // half of the flips land in the first 600 bytes: the graph's header, nodes and attributes
    for (let k = 0; k < flips; k++) b[Math.floor(r() * (r() < 0.5 ? 600 : b.length))] ^= 1 << Math.floor(r() * 8);
    run(b, `bit flip ${i}`, false);
  }
  for (let i = 0; i < 40; i++) {
    const b = BYTES.slice();
    const at = Math.floor(r() * b.length);
    b.fill(r() < 0.5 ? 0xff : 0x00, at, Math.min(at + 1 + Math.floor(r() * 8), b.length));
    run(b, `overwrite ${i}`, false);
  }
  const kinds = structural(r);
  for (let i = 0; i < 160; i++) {
    const kind = kinds[i % kinds.length];
    const m = fromBinary(ModelProtoSchema, BYTES);
    kind.mutate(m);
    let bytes: Uint8Array;
    try {
      bytes = toBinary(ModelProtoSchema, m);
    } catch {
      continue; // a value protobuf cannot encode
    }
    run(bytes, `${kind.label} ${i}`, true);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`onnx fuzz: ${mutations} mutations in ${seconds.toFixed(1)} s: ${counts.typed} typed errors at load, ${counts['typed-at-predict']} typed errors at predict, ${counts.identical} accepted-identical, ${counts.different} accepted-different, ${untyped.length} untyped`);
  if (untyped.length > 0) console.log(untyped.slice(0, 20).join('\n'));
  if (atPredict.length > 0) console.log(`typed errors at predict: ${atPredict.join('; ')}`);
  if (structuralDifferent.length > 0) console.log(`structural mutations accepted with other predictions: ${structuralDifferent.join(', ')}`);
  assert.deepEqual(untyped, []);
  assert.deepEqual(structuralDifferent, []);
  assert.deepEqual(atPredict, [], 'every defect the file can show is found at load');
  assert.ok(mutations >= 400);
});

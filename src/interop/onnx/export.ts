// ONNX export: a gradlab model (sequential or functional, nested models inlined) as an ONNX
// ModelProto that takes the same NHWC float32 inputs and gives the same outputs, with a symbolic
// batch axis. The graph is built and encoded in memory first, so a model that cannot be
// exported leaves nothing on disk; the file is written atomically.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, StringStringEntryProtoSchema, TensorProto_DataType, TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema, TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema, type ValueInfoProto,
} from 'onnx-buf';
import { writeFileAtomic } from '../../core/atomic.js';
import { ValueError } from '../../core/errors.js';
import { checkOptions, optionKeys } from '../../core/validate.js';
import { InputLayer, type Layer, type Node, type SymbolicTensor } from '../../nn/layer.js';
import { Model, registerModelFileFormat } from '../../nn/model.js';
import { GraphBuilder, Value } from './export-builder.js';
import { cannot, converterFor, type Converter } from './export-layers.js';
import { Sequential } from '../../nn/sequential.js';
import { nodeModule } from '../../core/env.js';
const nodePath = nodeModule('path');
const fsp = nodeModule('fsp');

/** gradlab's version, written as the ONNX producer_version (a test keeps it equal to package.json's). */
export const GRADLAB_VERSION = '0.1.0';

/** Options of `io.saveOnnx`, `io.encodeOnnx` and `model.save('x.onnx', options)`. */
export interface OnnxExportOptions {
  /** The ai.onnx opset to write, 13 to 17 (default 13). */
  opset?: number;
}

const EXPORT_KEYS = optionKeys<OnnxExportOptions>({ opset: true });

/** The ONNX IR version each opset came with (ONNX 1.8 to 1.12). */
const IR_VERSION: Readonly<Record<number, number>> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8 };
/** The ai.onnx opsets gradlab writes. */
export const ONNX_OPSETS: readonly number[] = Object.keys(IR_VERSION).map(Number);

function checkExportOptions(fn: string, options: OnnxExportOptions | undefined): number {
  const o = checkOptions(fn, options, EXPORT_KEYS);
  const opset = o.opset === undefined ? 13 : o.opset;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || !(opset in IR_VERSION)) {
    throw new ValueError(`${fn}: opset must be an integer from ${ONNX_OPSETS[0]} to ${ONNX_OPSETS[ONNX_OPSETS.length - 1]}, got ${JSON.stringify(opset)}`);
  }
  return opset;
}

/** The calls of `m` from its inputs to its outputs, each after the calls it reads. */
function orderedNodes(m: Model): Node[] {
  const inputs = new Set<SymbolicTensor>(m.inputs);
  const order: Node[] = [];
  const done = new Set<Node>();
  for (const out of m.outputs) {
    if (inputs.has(out)) continue;
    const stack: [Node, number][] = [[out.node, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, k] = top;
      if (done.has(node)) { stack.pop(); continue; }
      if (k < node.inputs.length) {
        top[1]++;
        const s = node.inputs[k];
        if (!inputs.has(s) && !done.has(s.node)) stack.push([s.node, 0]);
      } else {
        done.add(node);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/** Every layer a model runs, nested models' layers included (for the checks before any work). */
function everyLayer(m: Model, into: Layer[] = []): Layer[] {
  for (const node of orderedNodes(m)) {
    into.push(node.layer);
    if (node.layer instanceof Model) everyLayer(node.layer, into);
  }
  return into;
}

/** Checks that every layer can be exported, before building anything. */
function checkModel(fn: string, model: unknown): Model {
  if (!(model instanceof Model)) throw new ValueError(`${fn}: model must be a gradlab Model (gl.sequential or gl.model), got ${model === null ? 'null' : typeof model}`);
  if (model.inputs.length === 0) {
    throw new ValueError(`${fn}: the model '${model.name}' is not built yet; give the first layer an inputShape or call build([..]) or predict first`);
  }
  model.inputs.forEach((t) => {
    if (t.dtype !== 'float32') throw new ValueError(`${fn}: input '${t.layer.name}' is ${t.dtype}; ONNX export writes float32 models only`);
  });
  for (const l of everyLayer(model)) {
    if (l instanceof Model) {
      // a Model subclass may run its graph its own way
      if (l.constructor !== Model && l.constructor !== Sequential) throw cannot(l, `it is a ${l.constructor.name} (a subclass of Model), whose computation may differ from its graph's`);
      continue;
    }
    if (l instanceof InputLayer) continue;
    const f = converterFor(l);
    if (typeof f === 'string') throw cannot(l, f);
    if (l.dtype !== 'float32' || l.weights.some((w) => w.tensor.dtype !== 'float32')) {
      throw cannot(l, `its weights are ${l.dtype}; ONNX export writes float32 models only (a float64 model would not give the same outputs)`);
    }
  }
  return model;
}

/** Converts the calls of `m` on `inputs`, inlining nested models; names start with `prefix`. */
function inline(b: GraphBuilder, m: Model, inputs: readonly Value[], prefix: string): Value[] {
  const values = new Map<SymbolicTensor, Value>();
  m.inputs.forEach((s, i) => values.set(s, inputs[i]));
  const calls = new Map<Layer, number>();
  for (const node of orderedNodes(m)) {
    const args = node.inputs.map((s) => values.get(s)!);
    const k = calls.get(node.layer) ?? 0;
    calls.set(node.layer, k + 1);
    const base = `${prefix}${node.layer.name}${k > 0 ? `_call${k}` : ''}`;
    let outs: Value[];
    if (node.layer instanceof Model) outs = inline(b, node.layer, args, `${base}/`);
    else {
      const f = converterFor(node.layer) as Converter;
      outs = f(b, { layer: node.layer, inputs: args, outShapes: node.outputs.map((s) => s.perSampleShape), base });
    }
    node.outputs.forEach((s, i) => values.set(s, outs[i]));
  }
  return m.outputs.map((s) => values.get(s)!);
}

function valueInfo(name: string, shape: readonly number[]): ValueInfoProto {
  const dims = [
    create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: 'batch' } }),
    ...shape.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } })),
  ];
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT, shape: create(TensorShapeProtoSchema, { dim: dims }) }) },
    }),
  });
}

/**
 * The model as ONNX bytes (a serialized ModelProto): inputs and outputs named as the model's,
 * NHWC as in gradlab, float32, batch axis 'batch'. Throws a ValueError naming the layer when a
 * layer cannot be expressed exactly.
 */
export function encodeOnnx(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  const fn = 'encodeOnnx';
  const opset = checkExportOptions(fn, options);
  const m = checkModel(fn, model);
  return encode(m, opset);
}

function encode(m: Model, opset: number): Uint8Array {
  const inputNames = m.inputNames;
  const outputNames = m.outputNames.map((n) => (inputNames.includes(n) ? `${n}_output` : n));
  const b = new GraphBuilder(opset, [...inputNames, ...outputNames]);
  const ins = m.inputs.map((s, i) => new Value(s.perSampleShape, 'nhwc', inputNames[i]));
  const outs = inline(b, m, ins, '');
  // name the outputs: rename the value that makes each one, or copy it when it is an input,
  // a weight or another output already
  const fixed = new Set<string>([...inputNames, ...b.initializers.map((t) => t.name)]);
  const rename = new Map<string, string>();
  outs.forEach((v, i) => {
    const src = b.get(v, 'nhwc');
    if (fixed.has(src) || rename.has(src)) b.identity(src, outputNames[i]);
    else rename.set(src, outputNames[i]);
    fixed.add(outputNames[i]);
  });
  if (rename.size > 0) {
    for (const node of b.nodes) {
      node.input = node.input.map((n) => rename.get(n) ?? n);
      node.output = node.output.map((n) => rename.get(n) ?? n);
    }
  }
  const graph = create(GraphProtoSchema, {
    name: m.name,
    node: b.nodes,
    initializer: b.initializers,
    input: m.inputs.map((s, i) => valueInfo(inputNames[i], s.perSampleShape)),
    output: m.outputs.map((s, i) => valueInfo(outputNames[i], s.perSampleShape)),
  });
  const proto = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION[opset]),
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    producerName: 'gradlab',
    producerVersion: GRADLAB_VERSION,
    docString: `gradlab model '${m.name}': inputs NHWC as in gradlab`,
    metadataProps: [create(StringStringEntryProtoSchema, { key: 'layout', value: 'NHWC (channels last), as gradlab' })],
    graph,
  });
  return toBinary(ModelProtoSchema, proto);
}

async function checkPath(fn: string, path: unknown): Promise<string> {
  if (typeof path !== 'string' || path === '') throw new ValueError(`${fn}: path must be a non-empty file path, got ${JSON.stringify(path)}`);
  if (path.endsWith('/') || path.endsWith(nodePath.sep)) throw new ValueError(`${fn}: path '${path}' names a folder; give a file such as model.onnx`);
  const info = await fsp.stat(path).catch(() => null);
  if (info?.isDirectory()) throw new ValueError(`${fn}: path '${path}' is an existing folder; give a file such as model.onnx`);
  // the nearest existing ancestor must be a folder
  let dir = nodePath.dirname(nodePath.resolve(path));
  for (;;) {
    const d = await fsp.stat(dir).catch(() => null);
    if (d) {
      if (!d.isDirectory()) throw new ValueError(`${fn}: cannot write '${path}': '${dir}' is a file, not a folder`);
      break;
    }
    const up = nodePath.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path;
}

/**
 * Writes `model` as an ONNX file (atomically: nothing is written when the model cannot be
 * exported). Also reachable as `model.save('x.onnx')` or `model.save(path, { format: 'onnx', opset })`.
 */
export async function saveOnnx(model: Model, path: string, options: OnnxExportOptions = {}): Promise<void> {
  const fn = 'saveOnnx';
  const opset = checkExportOptions(fn, options);
  const m = checkModel(fn, model);
  const file = await checkPath(fn, path);
  const bytes = encode(m, opset);
  try {
    await writeFileAtomic(file, bytes);
  } catch (e) {
    throw new ValueError(`${fn}: cannot write '${file}': ${(e as Error).message}`);
  }
}

registerModelFileFormat({
  name: 'onnx',
  extensions: ['.onnx'],
  save: (model, path, options) => saveOnnx(model, path, options as OnnxExportOptions),
});

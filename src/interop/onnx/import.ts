// gl.io.loadOnnx: an ONNX graph as a gradlab functional Model. Every node that computes on the
// inputs becomes an OnnxNode layer (its op, attributes, constant inputs and weights in its
// config), so the model predicts, trains, summarizes and saves as a gradlab folder. Nodes whose
// inputs are all known at load time (shape arithmetic, constant subgraphs) fold into constants.
import type { NodeProto, ValueInfoProto } from 'onnx-buf';
import { FormatError, GradlabError, ValueError } from '../../core/errors.js';
import { checkOptions, hasOwn, optionKeys, positiveInt } from '../../core/validate.js';
import { zeros } from '../../tensor/creation.js';
import { Tensor, noGrad, type DType } from '../../tensor/tensor.js';
import { registerLayerClass } from '../../nn/catalog.js';
import { InputLayer, Layer, type LayerOutput, type Shape, type SymbolicTensor } from '../../nn/layer.js';
import { Model } from '../../nn/model.js';
import {
  BATCH, DT, MAX_COMPUTED, checkDims, checkGraph, decodeAttributes, decodeModel, decodeTensor, defaultOpset, isFloatType, safeInt, sizeOfDims, typeName,
  type AttrValue, type Attrs, type Const, type Elem,
} from './proto.js';
import { BOOL_OPS, OPS, OP_ATTRIBUTES, attributeKindError, inferShapes, isConst, runOp, type OpContext, type SlotRole, type Value } from './ops.js';
import { nodeModule } from '../../core/env.js';
const fsp = nodeModule('fsp');

/** The ONNX op types loadOnnx reads (besides Constant, ConstantOfShape, Shape, Size and Range, which always fold). */
export function supportedOnnxOps(): string[] {
  return [...Object.keys(OPS), 'Constant', 'ConstantOfShape', 'Shape', 'Size', 'Range'].sort();
}

// ---------- JSON-safe configs ----------

type Json = Record<string, unknown>;

/** Non-finite numbers and the batch symbol survive JSON as strings. */
function encodeElems(data: ArrayLike<number> | readonly Elem[]): (number | string)[] {
  return Array.from(data as ArrayLike<number | string>, (x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

function decodeElems(v: unknown, where: string): Elem[] {
  if (!Array.isArray(v)) throw new FormatError(`${where}: constant data must be an array`);
  return v.map((x) => {
    if (typeof x === 'number') return x;
    if (x === BATCH) return BATCH;
    if (x === 'Infinity' || x === '-Infinity' || x === 'NaN') return Number(x);
    throw new FormatError(`${where}: constant data holds ${JSON.stringify(x)}`);
  });
}

function constToJson(c: Const): Json {
  return { type: c.type, dims: [...c.dims], data: encodeElems(c.data) };
}

function constFromJson(v: unknown, where: string): Const {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(`${where}: a constant must be { type, dims, data }`);
  const o = v as Json;
  if (!Number.isInteger(o.type) || !Array.isArray(o.dims)) throw new FormatError(`${where}: a constant must be { type, dims, data }`);
  const dims = checkDims(o.dims as number[], where);
  const elems = decodeElems(o.data, where);
  if (elems.length !== sizeOfDims(dims)) throw new FormatError(`${where}: constant data has ${elems.length} values for dims [${dims.join(',')}]`);
  const type = o.type as number;
  const plain = elems.every((x) => typeof x === 'number');
  const data = !plain ? elems : type === DT.FLOAT ? Float32Array.from(elems as number[]) : Float64Array.from(elems as number[]);
  return { type, dims, data };
}

function attrsToJson(attrs: Attrs): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'number') out[k] = { f: Number.isFinite(v) ? v : String(v) };
    else if (typeof v === 'string') out[k] = { s: v };
    else if (Array.isArray(v)) out[k] = v.every((x) => typeof x === 'number') ? { fs: encodeElems(v as number[]) } : { ss: v };
    else out[k] = { t: constToJson(v as Const) };
  }
  return out;
}

function attrsFromJson(v: unknown, where: string): Attrs {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(`${where}: attrs must be an object`);
  const out = Object.create(null) as Attrs;
  for (const [k, e] of Object.entries(v as Json)) {
    if (typeof e !== 'object' || e === null) throw new FormatError(`${where}: attribute '${k}' is malformed`);
    const o = e as Json;
    let val: AttrValue;
    if (hasOwn(o, 'f')) val = decodeElems([o.f], where)[0] as number;
    else if (hasOwn(o, 's') && typeof o.s === 'string') val = o.s;
    else if (hasOwn(o, 'fs')) val = decodeElems(o.fs, where) as number[];
    else if (hasOwn(o, 'ss') && Array.isArray(o.ss) && o.ss.every((x) => typeof x === 'string')) val = o.ss as string[];
    else if (hasOwn(o, 't')) val = constFromJson(o.t, `${where} attribute '${k}'`);
    else throw new FormatError(`${where}: attribute '${k}' is malformed`);
    out[k] = val;
  }
  return out;
}

/** One input of a node: a computed tensor (the k-th layer input), a weight, a constant, or none. */
type Slot =
  | { kind: 'input'; index: number }
  | { kind: 'weight'; role: string; shape: number[]; dtype: DType; trainable: boolean }
  | { kind: 'const'; value: Const }
  | { kind: 'none' };

function slotToJson(s: Slot): Json {
  return s.kind === 'const' ? { kind: 'const', value: constToJson(s.value) } : { ...s };
}

function slotFromJson(v: unknown, where: string): Slot {
  if (typeof v !== 'object' || v === null) throw new FormatError(`${where}: a slot must be an object`);
  const o = v as Json;
  switch (o.kind) {
    case 'input':
      if (!Number.isInteger(o.index) || (o.index as number) < 0) break;
      return { kind: 'input', index: o.index as number };
    case 'weight':
      if (typeof o.role !== 'string' || !Array.isArray(o.shape) || (o.dtype !== 'float32' && o.dtype !== 'float64') || typeof o.trainable !== 'boolean') break;
      return { kind: 'weight', role: o.role, shape: checkDims(o.shape as number[], where), dtype: o.dtype, trainable: o.trainable };
    case 'const':
      return { kind: 'const', value: constFromJson(o.value, where) };
    case 'none':
      return { kind: 'none' };
  }
  throw new FormatError(`${where}: slot ${JSON.stringify(v)} is malformed`);
}

// ---------- the layer ----------

/** An OnnxNode layer's config, as the ONNX importer makes it and model.json stores it. */
export interface OnnxNodeConfig {
  name: string;
  trainable?: boolean;
  opType: string;
  opset: number;
  attrs: Json;
  slots: Json[];
  outputs: number;
  /** Dim 0 of each input in the shape dry run (the graph's fixed sizes, else 1). */
  batchHints?: number[];
}

const SLOT_NAMES: Record<string, readonly string[]> = {
  Conv: ['X', 'W', 'B'], ConvTranspose: ['X', 'W', 'B'], BatchNormalization: ['X', 'scale', 'B', 'mean', 'var'], Gemm: ['A', 'B', 'C'],
  MatMul: ['A', 'B'], PRelu: ['X', 'slope'], InstanceNormalization: ['X', 'scale', 'B'], LayerNormalization: ['X', 'scale', 'B'],
  Add: ['A', 'B'], Sub: ['A', 'B'], Mul: ['A', 'B'], Div: ['A', 'B'],
};

/** One ONNX node as a layer: runs the op on its inputs, constants and weights (ONNX's layouts). */
export class OnnxNode extends Layer {
  readonly className = 'OnnxNode';
  readonly opType: string;
  readonly opset: number;
  readonly attrs: Attrs;
  readonly slots: readonly Slot[];
  readonly outputCount: number;
  readonly batchHints: readonly number[];
  /** Dim 0 of each output in the last shape dry run. */
  dryRunDim0: number[] = [];
  private readonly inputs: number;
  private readonly weightSlots = new Map<number, Tensor>();

  constructor(config: Record<string, unknown>) {
    const c = config as unknown as OnnxNodeConfig;
    const known = ['name', 'trainable', 'opType', 'opset', 'attrs', 'slots', 'outputs', 'batchHints'];
    for (const k of Object.keys(config)) if (!known.includes(k)) throw new ValueError(`OnnxNode: unknown option '${k}'`);
    super({ name: c.name, trainable: c.trainable }, 'onnx_node');
    const where = `OnnxNode '${this.name}'`;
    if (typeof c.opType !== 'string' || !hasOwn(OPS, c.opType)) throw new FormatError(`${where}: unsupported op type ${JSON.stringify(c.opType)}`);
    if (!Number.isInteger(c.opset) || c.opset < 1 || c.opset > 30) throw new FormatError(`${where}: opset must be an integer in 1..30, got ${JSON.stringify(c.opset)}`);
    if (!Number.isInteger(c.outputs) || c.outputs < 1 || c.outputs > 1024) throw new FormatError(`${where}: outputs must be a positive integer, got ${JSON.stringify(c.outputs)}`);
    if (!Array.isArray(c.slots) || c.slots.length > 1024) throw new FormatError(`${where}: slots must be an array`);
    this.opType = c.opType;
    this.opset = c.opset;
    this.attrs = attrsFromJson(c.attrs ?? {}, where);
    this.slots = c.slots.map((s, i) => slotFromJson(s, `${where} slot ${i}`));
    this.outputCount = c.outputs;
    const idx = this.slots.flatMap((s) => (s.kind === 'input' ? [s.index] : []));
    if (idx.length === 0 || idx.some((v, i) => v !== i)) throw new FormatError(`${where}: the slots must take inputs 0, 1, ... in order`);
    this.inputs = idx.length;
    const hints = c.batchHints ?? idx.map(() => 1);
    if (!Array.isArray(hints) || hints.length !== idx.length || !hints.every((h) => Number.isInteger(h) && h >= 0 && h <= 1 << 20)) {
      throw new FormatError(`${where}: batchHints must be one integer per input, got ${JSON.stringify(c.batchHints)}`);
    }
    this.batchHints = hints;
  }

  override get inputCount(): number {
    return this.inputs;
  }

  protected override buildWeights(): void {
    this.slots.forEach((s, i) => {
      if (s.kind === 'weight') this.weightSlots.set(i, this.addWeight(s.role, zeros(s.shape, { dtype: s.dtype }), s.trainable));
    });
  }

  protected override computeOutputShapes(inputShapes: readonly Shape[]): number[][] {
    const slotShapes = this.slots.map((s) => {
      switch (s.kind) {
        case 'input': return [this.batchHints[s.index], ...inputShapes[s.index]];
        case 'weight': return s.shape;
        case 'const': return [...s.value.dims];
        default: return null;
      }
    });
    const inferred = inferShapes(this.context(false), slotShapes);
    if (inferred && inferred.length === this.outputCount) {
      this.dryRunDim0 = inferred.map((s) => s[0]);
      return inferred.map((s) => s.slice(1));
    }
    const dtype = this.slots.some((s) => s.kind === 'weight' && s.dtype === 'float64') ? 'float64' : 'float32';
    const outs = noGrad(() => this.run(inputShapes.map((s, i) => zeros([this.batchHints[i], ...s], { dtype })), false));
    this.dryRunDim0 = outs.map((o) => o.u.shape[0] ?? 1);
    return outs.map((o) => {
      if (o.u.rank === 0) throw new FormatError(`loadOnnx: ${this.opType} node '${this.name}' gives a scalar, which has no batch axis`);
      return o.u.shape.slice(1);
    });
  }

  protected override run(inputs: readonly Tensor[], training: boolean): LayerOutput[] {
    const values: Value[] = this.slots.map((s, i) => {
      switch (s.kind) {
        case 'input': return inputs[s.index];
        case 'weight': return this.weightSlots.get(i)!;
        case 'const': return s.value;
        default: return null;
      }
    });
    const ctx = this.context(training);
    let outs: Tensor[];
    try {
      outs = runOp(this.opType, values, ctx, this.outputCount);
    } catch (e) {
      if (e instanceof GradlabError) throw e;
      // inputs the file describes inconsistently (shapes were inferred, not run, at load)
      throw new FormatError(`loadOnnx: ${ctx.where}: cannot compute (${(e as Error).message})`);
    }
    if (outs.length < this.outputCount) throw new FormatError(`loadOnnx: ${ctx.where} gives ${outs.length} outputs, the node names ${this.outputCount}`);
    return outs.slice(0, this.outputCount).map((u) => ({ z: u, u }));
  }

  private context(training: boolean): OpContext {
    return { op: this.opType, attrs: this.attrs, opset: this.opset, where: `layer '${this.name}' (${this.opType})`, training, trainable: this.trainable };
  }

  forward(x: Tensor, training: boolean): LayerOutput {
    return this.run([x], training)[0];
  }

  /** Multiplications per sample of the convolutions and matrix products (for summary()). */
  override multiplications(): number {
    const w = this.slots[1];
    const wShape = w?.kind === 'weight' ? w.shape : w?.kind === 'const' ? [...w.value.dims] : null;
    const out = this.outputShapes?.[0];
    const ins = this.inputShapes;
    if (!out || !ins) return 0;
    if ((this.opType === 'Conv' || this.opType === 'ConvTranspose') && wShape && wShape.length >= 3) {
      const perTap = sizeOfDims(wShape.slice(1));
      return this.opType === 'Conv' ? sizeOfDims(out) * perTap : sizeOfDims(ins[0]) * perTap;
    }
    if ((this.opType === 'Gemm' || this.opType === 'MatMul') && ins[0].length >= 1) {
      const transA = this.opType === 'Gemm' && this.attrs.transA === 1;
      return transA ? 0 : sizeOfDims(out) * ins[0][ins[0].length - 1];
    }
    return 0;
  }

  override getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable, opType: this.opType, opset: this.opset, attrs: attrsToJson(this.attrs),
      slots: this.slots.map(slotToJson), outputs: this.outputCount, batchHints: [...this.batchHints],
    };
  }
}

registerLayerClass('OnnxNode', OnnxNode);

// ---------- the importer ----------

type Val = { kind: 'const'; c: Const } | { kind: 'sym'; s: SymbolicTensor };

/** Stands for the batch size while folding shape arithmetic on float64 tensors. */
const SENTINEL = 2 ** 40 + 7;

function safeName(s: string): string {
  return s.replace(/[/\s:]+/g, '_').replace(/^_+|_+$/g, '') || 'node';
}

function isInt(type: number): boolean {
  return !isFloatType(type);
}

function constFromTensor(t: Tensor, type: number, where: string): Const {
  if (isFloatType(type)) {
    return { type: type === DT.DOUBLE ? DT.DOUBLE : DT.FLOAT, dims: [...t.shape], data: type === DT.DOUBLE ? Float64Array.from(t.data) : Float32Array.from(t.data) };
  }
  let hasBatch = false;
  const elems: Elem[] = [];
  for (let i = 0; i < t.size; i++) {
    const x = t.data[i];
    if (x === SENTINEL) { hasBatch = true; elems.push(BATCH); continue; }
    if (Math.abs(x) >= 2 ** 39) throw new FormatError(`${where}: shape arithmetic on the batch size (other than moving it) is not supported`);
    elems.push(type === DT.BOOL ? (x !== 0 ? 1 : 0) : Math.trunc(x));
  }
  return { type, dims: [...t.shape], data: hasBatch ? elems : Float64Array.from(elems as number[]) };
}

function tensorFromConst(c: Const): Tensor {
  const data = new Float64Array(c.data.length);
  for (let i = 0; i < c.data.length; i++) {
    const x = c.data[i];
    data[i] = x === BATCH ? SENTINEL : (x as number);
  }
  return new Tensor(data, c.dims);
}

function hasBatch(c: Const): boolean {
  for (let i = 0; i < c.data.length; i++) if (c.data[i] === BATCH) return true;
  return false;
}

function outputType(op: string, attrs: Attrs, ins: readonly (Const | null)[]): number {
  if (op === 'Cast') return typeof attrs.to === 'number' ? attrs.to : DT.FLOAT;
  if (op === 'Where') return ins[1]?.type ?? DT.FLOAT;
  if (BOOL_OPS.has(op)) return DT.BOOL;
  if (op === 'CastLike') return ins[1]?.type ?? DT.FLOAT;
  return ins.find((c) => c !== null)?.type ?? DT.FLOAT;
}

interface Converted {
  model: Model;
  opset: number;
}

function elemType(vi: ValueInfoProto): number {
  return vi.type?.value.case === 'tensorType' ? vi.type.value.value.elemType : 0;
}

/** Options of `io.loadOnnx` and `io.loadOnnxSync`. */
export interface LoadOnnxOptions {
  /**
   * Per-sample shapes (no batch axis) of graph inputs by name, for graphs whose inputs have
   * symbolic dims besides the batch (e.g. exported with a dynamic height and width). Default:
   * none (the graph's own shapes, which must then be fixed but for the batch).
   */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
}

const LOAD_KEYS = optionKeys<LoadOnnxOptions>({ inputShapes: true });

function checkLoadOptions(options: LoadOnnxOptions | undefined): Map<string, number[]> {
  const o = checkOptions('loadOnnx', options, LOAD_KEYS);
  const shapes = new Map<string, number[]>();
  if (o.inputShapes === undefined) return shapes;
  if (typeof o.inputShapes !== 'object' || o.inputShapes === null || Array.isArray(o.inputShapes)) {
    throw new ValueError(`loadOnnx: inputShapes must be an object of per-sample shapes by input name, got ${JSON.stringify(o.inputShapes)}`);
  }
  for (const [name, shape] of Object.entries(o.inputShapes)) {
    if (!Array.isArray(shape)) throw new ValueError(`loadOnnx: inputShapes.${name} must be an array of positive integers, got ${JSON.stringify(shape)}`);
    shapes.set(name, shape.map((d, i) => positiveInt('loadOnnx', `inputShapes.${name}[${i}]`, d)));
  }
  return shapes;
}

/** Converts a decoded, checked model proto into a gradlab Model. */
function convert(bytes: Uint8Array, file: string, given: ReadonlyMap<string, number[]> = new Map()): Converted {
  const proto = decodeModel(bytes, file);
  const g = proto.graph!;
  const opset = defaultOpset(proto, file);
  checkGraph(g, file);
  const values = new Map<string, Val>();
  g.initializer.forEach((t, i) => {
    if (!t.name) throw new FormatError(`loadOnnx: ${file}: initializer ${i} has no name`);
    values.set(t.name, { kind: 'const', c: decodeTensor(t, `loadOnnx: ${file}: initializer ${i}`) });
  });
  const usedNames = new Set<string>();
  const claim = (base: string) => {
    let n = safeName(base);
    for (let k = 1; usedNames.has(n); k++) n = `${safeName(base)}_${k}`;
    usedNames.add(n);
    return n;
  };
  for (const name of given.keys()) {
    if (!g.input.some((vi) => vi.name === name && !g.initializer.some((t) => t.name === name))) {
      throw new ValueError(`loadOnnx: inputShapes names '${name}', which is not an input of ${file} (inputs: ${g.input.filter((vi) => !g.initializer.some((t) => t.name === vi.name)).map((vi) => `'${vi.name}'`).join(', ')})`);
    }
  }
  // graph inputs (that are not initializers): the model's inputs, dim 0 the batch
  const inputs: SymbolicTensor[] = [];
  const dim0 = new Map<SymbolicTensor, number>();
  /** Graph inputs with a fixed dim 0: Shape gives its value; with a symbolic one, the batch symbol. */
  let fixedBatch = true;
  let graphBatch = -1;
  for (const vi of g.input) {
    if (values.has(vi.name)) continue;
    const where = `loadOnnx: ${file}: graph input '${vi.name}'`;
    const t = elemType(vi);
    if (t !== DT.FLOAT && t !== DT.DOUBLE) throw new FormatError(`${where} is ${typeName(t)}; gradlab models take float or double inputs`);
    const dims = vi.type?.value.case === 'tensorType' ? vi.type.value.value.shape?.dim ?? [] : [];
    if (dims.length === 0) throw new FormatError(`${where} has no shape or is a scalar; gradlab inputs need a batch axis`);
    const want = given.get(vi.name);
    if (want && want.length !== dims.length - 1) throw new ValueError(`loadOnnx: inputShapes.${vi.name} [${want.join(',')}] has ${want.length} dims but '${vi.name}' has ${dims.length - 1} besides the batch`);
    const perSample = dims.slice(1).map((d, i) => {
      if (want) {
        if (d.value.case === 'dimValue' && Number(d.value.value) !== want[i]) throw new ValueError(`loadOnnx: inputShapes.${vi.name}[${i}] is ${want[i]} but the graph fixes that dim to ${d.value.value}`);
        return want[i];
      }
      if (d.value.case !== 'dimValue') throw new FormatError(`${where}: dim ${i + 1} is symbolic ('${d.value.value ?? ''}'); only the batch (dim 0) may be (give the shape with loadOnnx(path, { inputShapes: { '${vi.name}': [...] } }))`);
      const n = safeInt(d.value.value, where);
      if (n < 1) throw new FormatError(`${where}: dim ${i + 1} is ${n}`);
      return n;
    });
    checkDims(perSample, where);
    if (sizeOfDims(perSample) > MAX_COMPUTED) throw new FormatError(`${where}: a sample of shape [${perSample.join(',')}] has more than ${MAX_COMPUTED} values`);
    const d0 = dims[0].value;
    let b = 1;
    if (d0.case === 'dimValue') {
      b = safeInt(d0.value, where);
      if (b < 1) throw new FormatError(`${where}: dim 0 is ${b}`);
      if (b > 1 << 20) throw new FormatError(`${where}: dim 0 is ${b}, more than ${1 << 20}`);
      if (graphBatch < 0) graphBatch = b;
    } else fixedBatch = false;
    const layer = new InputLayer({ shape: perSample, name: claim(vi.name), dtype: t === DT.DOUBLE ? 'float64' : 'float32' });
    values.set(vi.name, { kind: 'sym', s: layer.output });
    dim0.set(layer.output, b);
    inputs.push(layer.output);
  }
  if (inputs.length === 0) throw new FormatError(`loadOnnx: ${file}: the graph has no inputs besides initializers (a constant model)`);
  const referenced = new Set<string>(g.output.map((o) => o.name));
  for (const n of g.node) for (const i of n.input) referenced.add(i);
  const outputNames = new Set(g.output.map((o) => o.name));
  const weightsToSet: [Tensor, Const][] = [];

  g.node.forEach((node, k) => {
    const where = `node ${k}${node.name ? ` ('${node.name}')` : ''} (${node.opType})`;
    const fail = (msg: string): never => { throw new FormatError(`loadOnnx: ${file}: ${where}, opset ${opset}: ${msg}`); };
    if (node.domain !== '' && node.domain !== 'ai.onnx') fail(`op '${node.opType}' of domain '${node.domain}' is not supported`);
    const allowed = hasOwn(OP_ATTRIBUTES, node.opType) ? OP_ATTRIBUTES[node.opType] : null;
    if (!allowed) {
      const others = unsupportedOps(g.node).filter((t) => t !== node.opType);
      fail(`unsupported op '${node.opType}'${others.length > 0 ? ` (the graph also uses ${others.map((t) => `'${t}'`).join(', ')}, unsupported too)` : ''}`);
    }
    const attrs = decodeAttributes(node.attribute, `loadOnnx: ${file}: ${where}`);
    // opset-1 ops carry consumed_inputs, an old in-place hint without effect on the result
    const extra = Object.keys(attrs).filter((a) => !allowed!.includes(a) && a !== 'consumed_inputs');
    if (extra.length > 0) fail(`attribute '${extra[0]}' is not one of ${node.opType}'s (${allowed!.join(', ') || 'none'})`);
    for (const [name, v] of Object.entries(attrs)) {
      const bad = attributeKindError(node.opType, name, v);
      if (bad) fail(bad);
    }
    const ins: (Val | null)[] = node.input.map((n) => (n === '' ? null : values.get(n)!));
    const setConst = (i: number, c: Const) => { if (node.output[i]) values.set(node.output[i], { kind: 'const', c }); };
    const op = node.opType;
    if (op === 'Constant') {
      const keys = Object.keys(attrs);
      if (keys.length !== 1) fail(`needs exactly one value attribute, got ${keys.join(', ') || 'none'}`);
      const v = attrs[keys[0]];
      if (keys[0] === 'value' && typeof v === 'object' && !Array.isArray(v)) return setConst(0, v);
      if (keys[0] === 'value_float' && typeof v === 'number') return setConst(0, { type: DT.FLOAT, dims: [], data: Float32Array.of(v) });
      if (keys[0] === 'value_int' && typeof v === 'number') return setConst(0, { type: DT.INT64, dims: [], data: Float64Array.of(v) });
      if (keys[0] === 'value_floats' && Array.isArray(v)) return setConst(0, { type: DT.FLOAT, dims: [v.length], data: Float32Array.from(v as number[]) });
      if (keys[0] === 'value_ints' && Array.isArray(v)) return setConst(0, { type: DT.INT64, dims: [v.length], data: Float64Array.from(v as number[]) });
      return fail(`attribute '${keys[0]}' is not supported`);
    }
    if (op === 'Shape' || op === 'Size') {
      const x = ins[0] ?? fail('has no input');
      const full: Elem[] = x.kind === 'const' ? [...x.c.dims] : [fixedBatch ? dim0.get(x.s)! : BATCH, ...x.s.perSampleShape];
      if (op === 'Size') {
        if (full.includes(BATCH)) fail('Size of a batch of tensors is not known at load time');
        return setConst(0, { type: DT.INT64, dims: [], data: Float64Array.of(sizeOfDims(full as number[])) });
      }
      const r = full.length;
      const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
      const start = clampAxis(typeof attrs.start === 'number' ? attrs.start : 0);
      const end = clampAxis(typeof attrs.end === 'number' ? attrs.end : r);
      const part = full.slice(start, Math.max(end, start));
      return setConst(0, { type: DT.INT64, dims: [part.length], data: part.includes(BATCH) ? part : Float64Array.from(part as number[]) });
    }
    const allConst = ins.every((v) => v === null || v.kind === 'const');
    if (op === 'ConstantOfShape' || op === 'Range') {
      if (!allConst) fail('needs constant inputs');
      const cs = ins.map((v) => (v as { c: Const } | null)?.c ?? null);
      if (cs.some((c) => c && hasBatch(c))) fail('the result would depend on the batch size, which is not known at load time');
      if (op === 'ConstantOfShape') {
        const dims = checkDims(Array.from(cs[0]!.data as ArrayLike<number>), `loadOnnx: ${file}: ${where}`);
        const v = attrs.value as Const | undefined;
        const type = v?.type ?? DT.FLOAT;
        const fill = v ? (v.data[0] as number) : 0;
        const n = sizeOfDims(dims);
        if (n > MAX_COMPUTED) fail(`shape [${dims.join(',')}] has more than ${MAX_COMPUTED} values`);
        return setConst(0, { type, dims, data: (type === DT.FLOAT ? new Float32Array(n) : new Float64Array(n)).fill(fill) });
      }
      const [start, limit, delta] = cs.map((c) => (c ? (c.data[0] as number) : NaN));
      if (!(delta !== 0) || !Number.isFinite(start + limit + delta)) fail('start, limit and delta must be finite and delta nonzero');
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      if (n > 1 << 24) fail(`${n} values are too many`);
      const data = Array.from({ length: n }, (_, i) => start + i * delta);
      return setConst(0, { type: cs[0]!.type, dims: [n], data: cs[0]!.type === DT.FLOAT ? Float32Array.from(data) : Float64Array.from(data) });
    }
    const def = hasOwn(OPS, op) ? OPS[op] : undefined;
    if (!def) fail(`unsupported op '${op}'`);
    const ctxBase = { op, attrs, opset, where: `${file}: ${where}`, training: false, trainable: true };
    if (allConst) {
      // a constant subgraph: computed now on float64 tensors (the batch symbol as a sentinel)
      const cs = ins.map((v) => (v as { c: Const } | null)?.c ?? null);
      if ((op === 'Cast' || op === 'CastLike') && cs[0]) {
        // any type to any type, ints truncated toward zero as C casts do
        return setConst(0, constFromTensor(tensorFromConst(cs[0]), outputType(op, attrs, cs), `loadOnnx: ${file}: ${where}`));
      }
      const vals: Value[] = cs.map((c, i) => (c === null ? null : (def!.constSlots?.(opset) ?? []).includes(i) ? c : tensorFromConst(c)));
      let outs: Tensor[];
      try {
        outs = noGrad(() => runOp(op, vals, ctxBase, node.output.length));
      } catch (e) {
        if (e instanceof FormatError) throw e;
        if (e instanceof GradlabError) fail(e.message);
        throw e;
      }
      const type = outputType(op, attrs, cs);
      outs.forEach((t, i) => setConst(i, constFromTensor(t, type, `loadOnnx: ${file}: ${where}`)));
      return;
    }
    // a computing node: one OnnxNode layer
    const constSlots = def!.constSlots?.(opset) ?? [];
    const data = ins[0];
    const target = ins[1];
    if (op === 'Reshape' && opset >= 5 && fixedBatch && data?.kind === 'sym' && target?.kind === 'const' && target.c.dims.length === 1) {
      // a graph exported with a fixed batch b folds view(x.size(0), -1) to [b, ...]: read b as the batch
      const c = target.c;
      if (c.data.length > 0 && c.data[0] === graphBatch && dim0.get(data.s) === graphBatch) {
        ins[1] = { kind: 'const', c: { type: c.type, dims: c.dims, data: [BATCH, ...Array.from(c.data as ArrayLike<number>).slice(1)] } };
      }
    }
    const names = SLOT_NAMES[op];
    const slots: Slot[] = [];
    const dyn: SymbolicTensor[] = [];
    const firstSym = ins.find((v): v is { kind: 'sym'; s: SymbolicTensor } => v !== null && v.kind === 'sym')!.s;
    const weightValues: Const[] = [];
    ins.forEach((v, i) => {
      if (v === null) { slots.push({ kind: 'none' }); return; }
      if (v.kind === 'sym') {
        if (constSlots.includes(i)) fail(`input ${i} ('${node.input[i]}') must be a constant known at load time, but it is computed from the graph's inputs`);
        slots.push({ kind: 'input', index: dyn.length });
        dyn.push(v.s);
        return;
      }
      const c = v.c;
      const role: SlotRole = def!.slot?.(i, opset, c.data.length) ?? 'const';
      const big = c.data.length > 64;
      if (isFloatType(c.type) && !constSlots.includes(i) && !hasBatch(c) && (role !== 'const' || big)) {
        const base = names?.[i] ?? `input_${i}`;
        let r = base;
        for (let n = 1; slots.some((s) => s.kind === 'weight' && s.role === r); n++) r = `${base}_${n}`;
        slots.push({ kind: 'weight', role: r, shape: [...c.dims], dtype: firstSym.dtype, trainable: role === 'param' });
        weightValues.push(c);
      } else slots.push({ kind: 'const', value: c });
    });
    const outName = node.output.find((o) => outputNames.has(o));
    // outputs nothing reads (BatchNormalization's saved statistics, Dropout's mask) are not made
    let nOut = 0;
    node.output.forEach((o, i) => { if (o && referenced.has(o)) nOut = i + 1; });
    const layer = new OnnxNode({
      name: claim(outName ?? (node.name || `${op}_${k}`)), opType: op, opset, attrs: attrsToJson(attrs), slots: slots.map(slotToJson),
      outputs: Math.max(nOut, 1), batchHints: dyn.map((s) => dim0.get(s) ?? 1),
    });
    let outs: SymbolicTensor[];
    try {
      outs = layer.applyAll(dyn);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      if (e instanceof GradlabError) fail(e.message);
      throw e;
    }
    const ws = layer.weights;
    weightValues.forEach((c, i) => weightsToSet.push([ws[i].tensor, c]));
    node.output.forEach((o, i) => {
      if (o && i < outs.length) {
        values.set(o, { kind: 'sym', s: outs[i] });
        dim0.set(outs[i], layer.dryRunDim0[i] ?? 1);
      }
    });
  });

  const outputs = g.output.map((o) => {
    const v = values.get(o.name)!;
    if (v.kind === 'const') throw new FormatError(`loadOnnx: ${file}: graph output '${o.name}' is a constant (it does not depend on the inputs)`);
    return v.s;
  });
  for (const [t, c] of weightsToSet) t.data.set(c.data as ArrayLike<number>);
  const model = new Model({ inputs, outputs, name: claim(g.name || 'onnx_model') });
  return { model, opset };
}

/** The op types of nodes gradlab cannot run (named all at once in the error). */
function unsupportedOps(nodes: readonly NodeProto[]): string[] {
  const ok = new Set(supportedOnnxOps());
  return [...new Set(nodes.filter((n) => !ok.has(n.opType) || (n.domain !== '' && n.domain !== 'ai.onnx')).map((n) => n.opType))];
}

/**
 * Reads an ONNX model (a path to a .onnx file, or its bytes) as a gradlab functional Model that
 * predicts, trains (fit), summarizes and saves. Inputs and outputs keep the graph's own layout
 * and order (NCHW for PyTorch exports); dim 0 of each graph input is the batch.
 */
export async function loadOnnx(pathOrBytes: string | Uint8Array, options?: LoadOnnxOptions): Promise<Model> {
  const shapes = checkLoadOptions(options);
  let bytes: Uint8Array;
  let file: string;
  if (typeof pathOrBytes === 'string') {
    if (pathOrBytes === '') throw new ValueError('loadOnnx: path must be a non-empty string');
    file = pathOrBytes;
    try {
      bytes = await fsp.readFile(pathOrBytes);
    } catch (e) {
      throw new FormatError(`loadOnnx: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else if (pathOrBytes instanceof Uint8Array) {
    bytes = pathOrBytes;
    file = '<bytes>';
  } else {
    throw new ValueError(`loadOnnx: pathOrBytes must be a path or a Uint8Array, got ${pathOrBytes === null ? 'null' : typeof pathOrBytes}`);
  }
  return convertChecked(bytes, file, shapes);
}

/** loadOnnx on bytes already in memory; `file` names them in errors. */
export function loadOnnxSync(bytes: Uint8Array, file = '<bytes>', options?: LoadOnnxOptions): Model {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`loadOnnxSync: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  return convertChecked(bytes, String(file), checkLoadOptions(options));
}

function convertChecked(bytes: Uint8Array, file: string, shapes: ReadonlyMap<string, number[]>): Model {
  try {
    return convert(bytes, file, shapes).model;
  } catch (e) {
    if (e instanceof GradlabError) {
      if (e instanceof FormatError || e instanceof ValueError && e.message.startsWith('loadOnnx: inputShapes')) throw e;
      throw new FormatError(`loadOnnx: ${file}: ${e.message}`);
    }
    // anything else (a RangeError deep inside an op on hostile sizes) is still the file's fault
    throw new FormatError(`loadOnnx: ${file}: cannot convert the model (${(e as Error).message})`);
  }
}

// One Model class (Keras' keras.Model, tfjs-layers' LayersModel): a graph of layer calls on
// symbolic inputs that is itself a layer, and that owns compile, fit, evaluate, predict,
// summary and save. Sequential (sequential.ts) extends it.
import { FormatError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { booleanOption, checkOptions, describeValue, hasOwn, nonNegativeInt, numberInRange, optionKeys, positiveInt, showJson } from '../core/validate.js';
import { Random } from '../tensor/random.js';
import { Tensor, allocate, noGrad, releaseGradients, type TensorData } from '../tensor/tensor.js';
import { collectAllocations, isFloatData, releaseStorage, reservePool } from '../tensor/dtype.js';
import { kernels } from '../backend/index.js';
import { add, concat, mul, slice } from '../ops/index.js';
import { takeRows } from '../data/transforms.js';
import { BatchDataset } from '../data/batch-dataset.js';
import { keepsNoGradients, resolveOptimizer, type Optimizer } from '../optim/index.js';
import { readModelFolder, writeModelFolder } from '../io/folder.js';
import { checkFileTensor, fileTensor, shapeMatches } from './weight-files.js';
import { readSafetensors } from '../io/safetensors.js';
import {
  CallbackList, History, ProgressBar, type Callback, type CallbackModel, type Logs, type TrainingParams,
} from '../train/callbacks.js';
import type { MetricState } from '../metrics/keras.js';
import { resolveLoss, resolveMetric, type LossFn, type LossName, type MetricFn, type ResolvedLoss, type ResolvedMetric } from '../train/losses.js';
import { InputLayer, Layer, Node, SymbolicTensor, isOwnLayer, uniqueName, type LayerOutput, type LayerWeight } from './layer.js';
import { sizeOf } from '../tensor/shape.js';
import type { OptimizerState } from '../optim/index.js';

/** Inputs of a model: one tensor, one per input in order, or an object keyed by input name. */
export type ModelInputs = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;
/** Labels or targets of one output: a tensor, or plain numbers for integer labels. */
export type Targets = Tensor | readonly number[] | Int32Array | Uint8Array;
/** Targets of a model: as inputs, per output. */
export type ModelTargets = Targets | readonly Targets[] | Readonly<Record<string, Targets>>;

/** A loss by name or as a function (yTrue, yPred) => loss tensor. */
export type LossSpec = LossName | LossFn;
/** A metric by name ('accuracy', 'precision', 'auc', ...) or as a function (yTrue, yPred) => value. */
export type MetricSpec = string | MetricFn;

/** Options of `model.compile(args)`. */
export interface CompileArgs {
  /** By name (Keras' defaults for it) or an optimizer from gl.optimizers. Default: 'rmsprop', as Keras. */
  optimizer?: 'sgd' | 'adam' | 'rmsprop' | Optimizer;
  /** Required: one loss for every output, one per output in order, or an object keyed by output name. */
  loss: LossSpec | readonly LossSpec[] | Readonly<Record<string, LossSpec>>;
  /** Metrics for every output, a list per output, or an object keyed by output name. Default: none (the loss only). */
  metrics?: readonly MetricSpec[] | readonly (readonly MetricSpec[])[] | Readonly<Record<string, MetricSpec | readonly MetricSpec[]>>;
  /** Weights of the outputs' losses in the total (default 1 each). */
  lossWeights?: readonly number[] | Readonly<Record<string, number>>;
}

/** Options of `model.fit(x, y, args)`. */
export interface FitArgs {
  /** Passes over the training data. Default: 1. */
  epochs?: number;
  /** Samples per gradient step; leave it out for a data set of batches, which has its own. Default: 32. */
  batchSize?: number;
  /** [x, y] tensors, or a data set of batches (e.g. from gl.data.imageDatasetFromDirectory), scored after each epoch. Default: none. */
  validationData?: readonly [ModelInputs, ModelTargets] | BatchDataset;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation; ignored when validationData is given. Default: 0 (none). */
  validationSplit?: number;
  /** Shuffle the training samples before each epoch. Default: true. */
  shuffle?: boolean;
  /** Seed of the shuffling (default: drawn from the global generator). */
  seed?: number;
  /** Called at the start and end of training, epochs and batches (EarlyStopping, ModelCheckpoint, ...); a progress bar is added when verbose > 0. Default: none. */
  callbacks?: readonly Callback[];
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /**
   * Stop when a step makes the loss, a weight or a moving statistic NaN or infinite, putting back
   * the last weights, moving statistics and optimizer state that gave a finite loss; recorded in
   * `history.stopReason` and warned about on console.warn at every verbosity (default true).
   */
  terminateOnNaN?: boolean;
}

/** Options of `model.evaluate(x, y, args)`. */
export interface EvaluateArgs {
  /** Samples per forward pass; leave it out for a data set of batches. Default: 32. */
  batchSize?: number;
}

/** Options of `model.predict(x, options)` and `model.predictAll`. */
export interface PredictOptions {
  /** Samples per forward pass; leave it out for a data set of batches. Default: 32. */
  batchSize?: number;
}

/** Options of `model.summary(options)`. */
export interface SummaryOptions {
  /** Print the table (default true); it is returned either way. */
  print?: boolean;
  /** Where to print (default console.log). */
  printFn?: (line: string) => void;
}

/** One layer's values in `trace()`: the pre-activation z and the output u. */
export interface LayerTrace {
  name: string;
  className: string;
  z: Tensor;
  u: Tensor;
}

/** Options of `model(args)`: a functional model from symbolic inputs to outputs. */
export interface ModelArgs {
  /** Required: the symbolic inputs (from gl.input), one or a list in the order predict takes them. */
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  /** Required: the symbolic tensors the model computes from its inputs, one or a list. */
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  /** The model's name. Default: 'model', 'model_1', ... */
  name?: string;
  /** false freezes every layer inside. Default: the layers' own flags (true unless set). */
  trainable?: boolean;
}

/** What `compileConfig()` gives and a saved model records: the compile() arguments as names. */
export interface CompileConfig {
  optimizer: { name: string; config: Record<string, number | boolean> };
  /** Per output; null where the loss was a function (not savable). */
  loss: (string | null)[];
  metrics: string[][];
  lossWeights: number[];
}

const MODEL_KEYS = optionKeys<ModelArgs>({ inputs: true, outputs: true, name: true, trainable: true });
const COMPILE_KEYS = optionKeys<CompileArgs>({ optimizer: true, loss: true, metrics: true, lossWeights: true });
const FIT_KEYS = optionKeys<FitArgs>({
  epochs: true, batchSize: true, validationData: true, validationSplit: true, shuffle: true, seed: true, callbacks: true, verbose: true, terminateOnNaN: true,
});
const EVALUATE_KEYS = optionKeys<EvaluateArgs>({ batchSize: true });
const PREDICT_KEYS = optionKeys<PredictOptions>({ batchSize: true });
const SUMMARY_KEYS = optionKeys<SummaryOptions>({ print: true, printFn: true });

/** The functional graph: inputs, the computing nodes in execution order, outputs, and the layers. */
export interface Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Calls to run, inputs before the nodes that read them (input layers excluded). */
  readonly nodes: readonly Node[];
  /** Every layer once, input layers first, then in order of first call. */
  readonly layers: readonly Layer[];
  readonly outputNodes: ReadonlySet<Node>;
}

function asList<T>(v: T | readonly T[]): readonly T[] {
  return Array.isArray(v) ? v : [v as T];
}

/** Orders the calls from `inputs` to `outputs`; every path must start at one of the inputs. */
export function buildGraph(fn: string, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): Graph {
  if (inputs.length === 0) throw new ValueError(`${fn}: needs at least one input from gl.input()`);
  if (outputs.length === 0) throw new ValueError(`${fn}: needs at least one output`);
  inputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor) || !(t.layer instanceof InputLayer)) {
      throw new ValueError(`${fn}: inputs[${i}] must be a symbolic tensor made by gl.input({ shape }), got ${t instanceof SymbolicTensor ? `the output of layer '${t.layer.name}'` : typeof t}`);
    }
  });
  if (new Set(inputs).size !== inputs.length) throw new ValueError(`${fn}: the same input appears twice in inputs`);
  outputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) throw new ValueError(`${fn}: outputs[${i}] must be a symbolic tensor (the result of layer.apply on gl.input()), got ${t === null ? 'null' : typeof t}`);
  });
  const isInput = new Set(inputs);
  const order: Node[] = [];
  const state = new Map<Node, 'open' | 'done'>();
  // iterative depth-first search: a node is placed after every node it reads
  for (const out of outputs) {
    if (isInput.has(out)) continue;
    const stack: [Node, number][] = [[out.node, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, k] = top;
      if (k === 0) {
        if (state.get(node) === 'done') { stack.pop(); continue; }
        state.set(node, 'open');
      }
      if (k < node.inputs.length) {
        top[1]++;
        const s = node.inputs[k];
        if (isInput.has(s)) continue;
        if (s.layer instanceof InputLayer) {
          throw new ValueError(`${fn}: the outputs depend on input '${s.layer.name}', which is not in inputs (inputs: ${inputs.map((t) => `'${t.layer.name}'`).join(', ')})`);
        }
        const st = state.get(s.node);
        if (st === 'open') throw new ValueError(`${fn}: the graph has a cycle through layer '${s.layer.name}'`);
        if (st !== 'done') stack.push([s.node, 0]);
      } else {
        state.set(node, 'done');
        order.push(node);
        stack.pop();
      }
    }
  }
  const layers: Layer[] = inputs.map((t) => t.layer);
  const seen = new Set<Layer>(layers);
  for (const n of order) {
    if (!seen.has(n.layer)) {
      seen.add(n.layer);
      layers.push(n.layer);
    }
  }
  const names = new Map<string, Layer>();
  for (const l of layers) {
    const other = names.get(l.name);
    if (other && other !== l) throw new ValueError(`${fn}: two different layers are named '${l.name}'; layer names must be unique in a model`);
    names.set(l.name, l);
  }
  return { inputs, outputs, nodes: order, layers, outputNodes: new Set(outputs.map((o) => o.node)) };
}

/** Weighted running means of batch values over an epoch; stateful metrics (keyed in `states`) report their running totals instead. */
class Averager {
  private sums = new Map<string, number>();
  private count = 0;
  readonly states = new Map<string, MetricState>();
  add(values: Logs, n: number): void {
    for (const [k, v] of Object.entries(values)) this.sums.set(k, this.states.has(k) ? v : (this.sums.get(k) ?? 0) + v * n);
    this.count += n;
  }
  result(): Logs {
    const out: Logs = {};
    for (const [k, s] of this.sums) out[k] = this.states.has(k) ? s : s / this.count;
    return out;
  }
}

interface CompiledOutput {
  /** Prefix of this output's log keys ('' for a single-output model, else `${name}_`). */
  prefix: string;
  loss: ResolvedLoss;
  weight: number;
  /** As given to compile(): 'accuracy' is resolved once the output's size is known. */
  metricArgs: readonly MetricSpec[];
  metrics: ResolvedMetric[] | null;
  lossSpec: string | null;
  metricSpecs: string[];
}

interface Compiled {
  optimizer: Optimizer;
  outputs: CompiledOutput[];
}

/** Targets as a float32 tensor with the sample axis first. */
function targetTensor(fn: string, what: string, y: Targets): Tensor {
  if (y instanceof Tensor) return y;
  if (!(Array.isArray(y) || y instanceof Int32Array || y instanceof Uint8Array)) {
    throw new ValueError(`${fn}: ${what} must be a Tensor or an array of numbers, got ${y === null ? 'null' : typeof y}`);
  }
  const data = allocate('float32', y.length);
  for (let i = 0; i < y.length; i++) {
    if (typeof y[i] !== 'number') throw new ValueError(`${fn}: ${what}[${i}] is ${showJson(y[i])}, not a number`);
    data[i] = y[i];
  }
  return new Tensor(data, [y.length]);
}

function rowsOf(t: Tensor, start: number, end: number): Tensor {
  const per = t.size / t.shape[0];
  return new Tensor(t.data.subarray(start * per, end * per), [end - start, ...t.shape.slice(1)]);
}

function castTo(y: Tensor, like: Tensor): Tensor {
  if (y.dtype === like.dtype) return y;
  const d = allocate(like.dtype, y.size);
  d.set(y.data);
  return new Tensor(d, y.shape);
}

function reshapeLike(y: Tensor, u: Tensor): Tensor {
  if (y.shape.length === u.shape.length && y.shape.every((d, i) => d === u.shape[i])) return castTo(y, u);
  return castTo(new Tensor(y.data, u.shape), u);
}

function metricValue(m: ResolvedMetric, y: Tensor, pred: Tensor, key: string, avg?: Averager): number {
  if (m.state && avg) {
    let st = avg.states.get(key);
    if (!st) avg.states.set(key, (st = m.state()));
    const s = st;
    noGrad(() => s.update(y, pred));
    return s.result();
  }
  const v = noGrad(() => m.fn(y, pred));
  return typeof v === 'number' ? v : v.item();
}

function bytesOf(arrays: readonly TensorData[]): number {
  let n = 0;
  for (const a of arrays) n += a.byteLength;
  return n;
}

/** Gives arrays of a finished batch back to the pool (Model.storageReleaser). */
type StorageReleaser = (allocated: readonly TensorData[]) => void;

/** f's result, with the arrays it allocated when `on` (see collectAllocations), else none. */
function collectIf<T>(on: boolean, f: () => T): { result: T; allocated: TensorData[] } {
  return on ? collectAllocations(f) : { result: f(), allocated: [] };
}

/** Whether every value is finite, by the backend's kernel (int32 and bool data always are). */
function allFinite(d: TensorData): boolean {
  return !isFloatData(d) || kernels().allFinite(d);
}

/** One saved training state: tensor values and the optimizer's slots. */
interface SavedStep {
  tensors: Tensor[];
  copies: (Float32Array | Float64Array)[];
  optimizer: OptimizerState | undefined;
}

/**
 * What fit's NaN stop puts back: the trainable weights, the training state of the layers
 * (BatchNormalization's moving statistics) and the optimizer's slots. A step is good when the
 * values it leaves are finite and they give a finite loss on the next batch, so two states are
 * kept: the one from before this batch's step and the one before the previous step. One copy
 * per batch into reused arrays; the check after a step reads the same tensors once.
 */
class StepGuard {
  private current: SavedStep | null = null;
  private previous: SavedStep | null = null;

  constructor(private readonly names: ReadonlyMap<Tensor, string>, private readonly optimizer: Optimizer) {}

  /** Saves `tensors` and the optimizer's state before a batch (into the older of the two states). */
  save(tensors: readonly Tensor[]): void {
    let into = this.previous;
    this.previous = this.current;
    if (!into || tensors.length !== into.tensors.length || tensors.some((t, i) => t !== into!.tensors[i] || t.data.length !== into!.copies[i].length)) {
      into = { tensors: [...tensors], copies: tensors.map((t) => t.data.slice() as Float32Array | Float64Array), optimizer: into?.optimizer };
    } else {
      tensors.forEach((t, i) => into!.copies[i].set(t.data));
    }
    if (this.optimizer.snapshotState) into.optimizer = this.optimizer.snapshotState(into.optimizer);
    this.current = into;
  }

  /** The first saved tensor that now holds NaN or an infinity, with that value; null when all are finite. */
  firstBad(): { name: string; value: number } | null {
    for (const t of this.current?.tensors ?? []) {
      const d = t.data;
      if (allFinite(d)) continue;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return { name: this.names.get(t) ?? 'a weight', value: d[i] };
    }
    return null;
  }

  /** Puts back the state from before this batch's step, or (`previousStep`) before the step before it when there was one. */
  restore(previousStep: boolean): void {
    const s = previousStep && this.previous ? this.previous : this.current;
    if (!s) return;
    s.tensors.forEach((t, i) => t.data.set(s.copies[i]));
    if (s.optimizer && this.optimizer.restoreState) this.optimizer.restoreState(s.optimizer);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);
}

const fmtCount = (n: number) => n.toLocaleString('en-US');

/** Internal: a model whose graph comes later (a sequential model before its input shape is known). */
export class DeferredGraph {
  constructor(readonly name: string) {}
}

/**
 * A network: a graph of layer calls from symbolic inputs to outputs (`gl.model({ inputs, outputs })`),
 * trained with compile/fit and itself usable as a layer inside another model.
 */
export class Model extends Layer implements CallbackModel {
  readonly className: string = 'Functional';
  /** Set by a callback to end fit() after the current batch (Keras' stop_training). */
  stopTraining = false;
  protected graph: Graph | null = null;
  private compiled: Compiled | null = null;

  constructor(args: ModelArgs | DeferredGraph) {
    const deferred = args instanceof DeferredGraph ? args : null;
    const a = deferred ? null : checkOptions('model', args as ModelArgs, MODEL_KEYS);
    if (a && (a.inputs === undefined || a.outputs === undefined)) throw new ValueError("model: options 'inputs' and 'outputs' are required, e.g. gl.model({ inputs: x, outputs: y })");
    super({ name: deferred ? deferred.name : a!.name ?? uniqueName('model') }, 'model');
    if (a) {
      this.setGraph(buildGraph(`model '${this.name}'`, asList(a.inputs), asList(a.outputs)));
      if (a.trainable !== undefined) this.trainable = booleanOption('model', 'trainable', a.trainable);
    }
  }

  /** Installs the graph and the per-sample shapes it implies. */
  protected setGraph(g: Graph): void {
    this.graph = g;
    this.inputShapes = g.inputs.map((t) => [...t.perSampleShape]);
    this.outputShapes = g.outputs.map((t) => [...t.perSampleShape]);
  }

  /** The layers in order: for a functional model, its input layers first. */
  get layers(): Layer[] {
    return this.graph ? [...this.graph.layers] : [];
  }

  /** The symbolic inputs (for a sequential model, once it is built). */
  get inputs(): SymbolicTensor[] {
    return this.graph ? [...this.graph.inputs] : [];
  }

  get outputs(): SymbolicTensor[] {
    return this.graph ? [...this.graph.outputs] : [];
  }

  /** The names of the inputs (their input layers'), as keys of input objects. */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.layer.name);
  }

  /** The names of the outputs (the layers that make them), as keys of loss, target and log objects. */
  get outputNames(): string[] {
    const names: string[] = [];
    for (const t of this.outputs) {
      let n = t.layer.name;
      for (let k = 1; names.includes(n); k++) n = `${t.layer.name}_${k}`;
      names.push(n);
    }
    return names;
  }

  override get inputCount(): number {
    return this.graph ? this.graph.inputs.length : 1;
  }

  /** A model's trainable flag applies to every layer inside it (Keras' rule), frozen batch norms included. */
  override set trainable(value: boolean) {
    this.setTrainableFlag(value);
    for (const l of this.layers) if (!(l instanceof InputLayer)) l.trainable = value;
  }

  override get trainable(): boolean {
    return this.trainableFlag;
  }

  /** The layer by name or by position in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const ls = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= ls.length) {
        throw new ValueError(`${this.name}.getLayer: index ${nameOrIndex} is out of range (the model has ${ls.length} layers)`);
      }
      return ls[nameOrIndex];
    }
    if (typeof nameOrIndex !== 'string') throw new ValueError(`${this.name}.getLayer: expected a layer name or index, got ${describeValue(nameOrIndex)}`);
    const l = ls.find((x) => x.name === nameOrIndex);
    if (!l) throw new ValueError(`${this.name}.getLayer: no layer named '${nameOrIndex}' (layers: ${ls.map((x) => x.name).join(', ')})`);
    return l;
  }

  override finalActivation(): string | null {
    const outs = this.graph?.outputs;
    return outs && outs.length === 1 && !(outs[0].layer instanceof InputLayer) ? outs[0].layer.finalActivation() : null;
  }

  /** Every weight of every layer once, in layer order; roles are paths such as `dense/kernel`. */
  override get weights(): readonly LayerWeight[] {
    const out: LayerWeight[] = [];
    const seen = new Set<Tensor>();
    for (const l of this.layers) {
      for (const w of l.weights) {
        if (seen.has(w.tensor)) continue;
        seen.add(w.tensor);
        out.push({ role: `${l.name}/${w.role}`, tensor: w.tensor, trainable: w.trainable });
      }
    }
    return out;
  }

  override get trainableWeights(): Tensor[] {
    if (!this.trainable) return [];
    const out: Tensor[] = [];
    const seen = new Set<Tensor>();
    for (const l of this.layers) {
      for (const t of l.trainableWeights) {
        if (!seen.has(t)) {
          seen.add(t);
          out.push(t);
        }
      }
    }
    return out;
  }

  override get nonTrainableWeights(): Tensor[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.map((w) => w.tensor).filter((t) => !trainable.has(t));
  }

  override multiplications(): number {
    return this.layers.reduce((n, l) => n + l.multiplications(), 0);
  }

  forward(x: Tensor, training: boolean, needZ = false): LayerOutput {
    const outs = this.run([x], training, needZ);
    if (outs.length !== 1) throw new ValueError(`${this.name}: the model has ${outs.length} outputs; call it with applyAll`);
    return outs[0];
  }

  protected override run(inputs: readonly Tensor[], training: boolean, needZ: boolean): LayerOutput[] {
    return this.execute(inputs, training, needZ ? 'outputs' : 'none');
  }

  /** Runs the graph on real tensors; `needZ` says which calls must also give their pre-activation. */
  private execute(inputs: readonly Tensor[], training: boolean, needZ: 'none' | 'outputs' | 'all',
    observe?: (node: Node, outs: readonly LayerOutput[]) => void): LayerOutput[] {
    const g = this.requireGraph('forward');
    const values = new Map<SymbolicTensor, LayerOutput>();
    g.inputs.forEach((s, i) => values.set(s, { z: inputs[i], u: inputs[i] }));
    for (const node of g.nodes) {
      const ins = node.inputs.map((s) => values.get(s)!.u);
      const outs = node.layer.callTensors(ins, training, needZ === 'all' || (needZ === 'outputs' && g.outputNodes.has(node)));
      observe?.(node, outs);
      node.outputs.forEach((s, k) => values.set(s, outs[k]));
    }
    return g.outputs.map((s) => values.get(s)!);
  }

  protected requireGraph(fn: string): Graph {
    if (!this.graph) throw new ValueError(`${this.name}.${fn}: the model is not built yet; give the first layer an inputShape or call build([..]) or fit/predict first`);
    return this.graph;
  }

  /** How errors name input i: `input 'input_1'` (a sequential model names its first layer). */
  protected describeInput(i: number): string {
    return `input '${this.graph!.inputs[i].layer.name}'`;
  }

  /** Builds a model whose graph waits for the first data (a sequential model without inputShape). */
  protected ensureBuilt(_fn: string, _xs: readonly Tensor[]): void {}

  // ---------- data ----------

  /** x as one tensor per input, in order, checked against the input shapes. */
  private inputList(fn: string, x: ModelInputs, what: string): Tensor[] {
    let xs: Tensor[];
    const n = this.graph ? this.graph.inputs.length : 1;
    if (x instanceof Tensor) {
      if (n !== 1) throw new ValueError(`${fn}: the model has ${n} inputs (${this.inputNames.join(', ')}); pass ${what} as an array of ${n} tensors or an object keyed by input name`);
      xs = [x];
    } else if (Array.isArray(x)) {
      if (x.length !== n) throw new ValueError(`${fn}: ${what} holds ${x.length} tensors but the model has ${n} input${n === 1 ? '' : 's'}`);
      xs = x.map((t, i) => {
        if (!(t instanceof Tensor)) throw new ValueError(`${fn}: ${what}[${i}] must be a Tensor, got ${t === null ? 'null' : typeof t}`);
        return t;
      });
    } else if (isPlainObject(x)) {
      this.requireGraph(fn);
      const names = this.inputNames;
      for (const k of Object.keys(x)) if (!names.includes(k)) throw new ValueError(`${fn}: ${what} has key '${k}' but the model's inputs are ${names.map((s) => `'${s}'`).join(', ')}`);
      xs = names.map((k) => {
        const t = hasOwn(x, k) ? x[k] : undefined;
        if (!(t instanceof Tensor)) throw new ValueError(`${fn}: ${what}.${k} must be a Tensor, got ${t === undefined ? 'nothing' : typeof t}`);
        return t;
      });
    } else {
      throw new ValueError(`${fn}: ${what} must be a Tensor${n > 1 ? ', an array of tensors or an object keyed by input name' : ''}, got ${x === null ? 'null' : typeof x}`);
    }
    this.ensureBuilt(fn, xs);
    const g = this.requireGraph(fn);
    const label = (i: number) => (n === 1 ? what : Array.isArray(x) ? `${what}[${i}]` : `${what}.${this.inputNames[i]}`);
    xs.forEach((t, i) => {
      const want = g.inputs[i].perSampleShape;
      const got = t.shape.slice(1);
      if (t.rank < 1 || got.length !== want.length || got.some((d, j) => d !== want[j])) {
        throw new ShapeError(`${fn}: ${this.describeInput(i)} expects input [batch,${want.join(',')}] but ${label(i)} has shape ${fmtShape(t.shape)}`);
      }
      if (t.dtype !== g.inputs[i].dtype) throw new ValueError(`${fn}: ${label(i)} is ${t.dtype} but ${this.describeInput(i)} is ${g.inputs[i].dtype}; convert it with tensor(x, { dtype })`);
    });
    const count = xs[0].shape[0];
    xs.forEach((t, i) => {
      if (t.shape[0] !== count) throw new ShapeError(`${fn}: inputs have different numbers of samples (${label(0)} ${fmtShape(xs[0].shape)}, ${label(i)} ${fmtShape(t.shape)})`);
    });
    return xs;
  }

  /** y as one target tensor per output, in order. */
  private targetList(fn: string, y: ModelTargets, what: string): Tensor[] {
    const n = this.graph!.outputs.length;
    const names = this.outputNames;
    if (n === 1) {
      const single = Array.isArray(y) && y.length === 1 && (y[0] instanceof Tensor || Array.isArray(y[0])) ? y[0] : isPlainObject(y) ? this.keyed(fn, y, names, what)[0] : y;
      return [targetTensor(fn, what, single as Targets)];
    }
    if (Array.isArray(y) && y.length === n && y.every((t) => t instanceof Tensor || Array.isArray(t) || ArrayBuffer.isView(t))) {
      return (y as readonly Targets[]).map((t, i) => targetTensor(fn, `${what}[${i}]`, t));
    }
    if (isPlainObject(y)) return this.keyed(fn, y, names, what).map((t, i) => targetTensor(fn, `${what}.${names[i]}`, t));
    throw new ValueError(`${fn}: the model has ${n} outputs (${names.join(', ')}); pass ${what} as an array of ${n} targets or an object keyed by output name`);
  }

  private keyed(fn: string, y: Record<string, unknown>, names: readonly string[], what: string): Targets[] {
    for (const k of Object.keys(y)) if (!names.includes(k)) throw new ValueError(`${fn}: ${what} has key '${k}' but the model's outputs are ${names.map((s) => `'${s}'`).join(', ')}`);
    return names.map((k) => {
      if (!hasOwn(y, k)) throw new ValueError(`${fn}: ${what} has no targets for output '${k}'`);
      return y[k] as Targets;
    });
  }

  /** Checks x and y against the model and the losses before any work. */
  private checkData(fn: string, xs: readonly Tensor[], ys: readonly Tensor[], c: Compiled, what: string): void {
    const g = this.graph!;
    const names = this.outputNames;
    const yName = (i: number) => (ys.length === 1 ? 'y' : `y.${names[i]}`);
    ys.forEach((y, i) => {
      if (y.rank < 1 || y.shape[0] !== xs[0].shape[0]) {
        throw new ShapeError(`${fn}: ${what} and its targets have different numbers of samples (${what} ${fmtShape(xs[0].shape)}, ${yName(i)} ${fmtShape(y.shape)})`);
      }
    });
    if (xs[0].shape[0] === 0) throw new ValueError(`${fn}: ${what} has no samples`);
    xs.forEach((x, k) => {
      const xd = x.data;
      if (allFinite(xd)) return;
      for (let i = 0; i < xd.length; i++) {
        // x - x is 0 for every finite value and NaN for NaN and +-Infinity
        if (xd[i] - xd[i] !== 0) {
          const per = x.size / x.shape[0];
          throw new ValueError(`${fn}: ${what}${xs.length > 1 ? `[${k}]` : ''} holds ${xd[i]} at sample ${Math.floor(i / per)} (flat index ${i}); clean or impute the data first`);
        }
      }
    });
    ys.forEach((y, i) => {
      const out = g.outputs[i].perSampleShape;
      const units = out[out.length - 1];
      const loss = c.outputs[i].loss;
      const producer = g.outputs[i].layer.name;
      if (loss.sparse) {
        for (let j = 0; j < y.size; j++) {
          const v = y.data[j];
          if (!Number.isInteger(v) || v < 0 || v >= units) {
            throw new ValueError(`${fn}: label ${v} at sample ${j} is out of range for the ${units} outputs of '${producer}' (labels must be integers in [0, ${units}))`);
          }
        }
      } else if (y.size / y.shape[0] !== sizeOf(out)) {
        throw new ShapeError(`${fn}: targets ${fmtShape(y.shape)} do not match the output of '${producer}' [batch,${out.join(',')}] for loss '${loss.name}'`);
      } else {
        for (let j = 0; j < y.size; j++) {
          if (y.data[j] - y.data[j] !== 0) throw new ValueError(`${fn}: ${yName(i)} holds ${y.data[j]} at flat index ${j}; targets must be finite`);
        }
      }
    });
  }

  // ---------- data sets ----------

  /** A data set of batches read one batch at a time (Keras' fit(dataset)): y must be omitted and batchSize comes from it. */
  private checkDatasetArgs(fn: string, ds: BatchDataset, y: unknown, batchSize: number | undefined): void {
    if (y !== undefined && y !== null) throw new ValueError(`${fn}: x is a data set, which holds its own targets; pass undefined for y`);
    if (batchSize !== undefined && batchSize !== ds.batchSize) throw new ValueError(`${fn}: x is a data set of batches of ${ds.batchSize}; leave batchSize out (got ${batchSize})`);
    if (ds.size === 0) throw new ValueError(`${fn}: the data set has no samples`);
  }

  /** Batch `index` of pass `epoch`, checked as fit/evaluate check tensors (shapes, labels, finite values). */
  private datasetBatch(fn: string, ds: BatchDataset, index: number, epoch: number, c: Compiled | null): [Tensor[], Tensor[]] {
    const b = ds.batch(index, epoch);
    const xs = this.inputList(fn, b.x, `batch ${index} x`);
    if (!c) return [xs, []];
    if (!b.y) throw new ValueError(`${fn}: the data set has no labels (labelMode: null); fit and evaluate need them`);
    const ys = this.targetList(fn, b.y, `batch ${index} y`);
    this.checkData(fn, xs, ys, c, `batch ${index} x`);
    return [xs, ys];
  }

  /** Loss and metrics over one pass of a data set, in inference mode (predictions kept in `keep`). */
  private evaluateDataset(fn: string, c: Compiled, ds: BatchDataset, keep?: Tensor[][]): Logs {
    const avg = new Averager();
    noGrad(() => {
      for (let i = 0; i < ds.batchCount; i++) {
        const [xb, yb] = this.datasetBatch(fn, ds, i, 0, c);
        const r = this.lossOnBatch(c, xb, yb, false, avg);
        keep?.push(r.preds);
        avg.add(r.logs, xb[0].shape[0]);
      }
    });
    return avg.result();
  }

  /** fit's batch b of an epoch: rows of the tensors in the epoch's order, or the data set's batch. */
  private trainingBatch(fn: string, c: Compiled, data: BatchDataset | null, xs: readonly Tensor[], ys: readonly Tensor[], rows: Int32Array, b: number, epoch: number): [Tensor[], Tensor[]] {
    if (data) return this.datasetBatch(fn, data, b, epoch, c);
    return [xs.map((t) => takeRows(t, rows)), ys.map((t) => takeRows(t, rows))];
  }

  // ---------- compile ----------

  /** Chooses the optimizer, the losses and the metrics (Keras' compile). */
  compile(args: CompileArgs): void {
    const fn = `${this.name}.compile`;
    const a = checkOptions(fn, args, COMPILE_KEYS);
    if (a.loss === undefined) throw new ValueError(`${fn}: a loss is required, e.g. { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' }`);
    const g = this.graph;
    const names = g ? this.outputNames : ['output'];
    const n = names.length;
    const optimizer = resolveOptimizer(fn, a.optimizer ?? 'rmsprop');
    const perOutput = <T>(spec: T | readonly T[] | Readonly<Record<string, T>>, what: string, isOne: (v: unknown) => boolean, dflt?: T): T[] => {
      if (Array.isArray(spec) && !isOne(spec)) {
        if (spec.length !== n) throw new ValueError(`${fn}: ${what} has ${spec.length} entries but the model has ${n} output${n === 1 ? '' : 's'} (${names.join(', ')})`);
        return [...spec];
      }
      if (isPlainObject(spec) && !isOne(spec)) {
        for (const k of Object.keys(spec)) if (!names.includes(k)) throw new ValueError(`${fn}: ${what} names output '${k}' but the outputs are ${names.map((s) => `'${s}'`).join(', ')}`);
        return names.map((k) => {
          if (hasOwn(spec, k)) return spec[k] as T;
          if (dflt !== undefined) return dflt;
          throw new ValueError(`${fn}: ${what} has no entry for output '${k}'; give every output one`);
        });
      }
      return names.map(() => spec as T);
    };
    const losses = perOutput<LossSpec>(a.loss, 'loss', (v) => typeof v === 'string' || typeof v === 'function');
    const weights = a.lossWeights === undefined ? names.map(() => 1) : perOutput<number>(a.lossWeights, 'lossWeights', (v) => typeof v === 'number', 1);
    weights.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new ValueError(`${fn}: lossWeights for output '${names[i]}' must be a finite number >= 0, got ${showJson(w)}`);
    });
    const isSpec = (v: unknown) => typeof v === 'string' || typeof v === 'function';
    const metricLists: (readonly MetricSpec[])[] = a.metrics === undefined ? names.map(() => [])
      : Array.isArray(a.metrics) && a.metrics.every(isSpec) ? names.map(() => a.metrics as readonly MetricSpec[])
        : perOutput<MetricSpec | readonly MetricSpec[]>(a.metrics as Readonly<Record<string, MetricSpec>>, 'metrics', isSpec, [])
          .map((m) => (Array.isArray(m) ? m : [m as MetricSpec]));
    const outputs = losses.map((spec, i): CompiledOutput => {
      const loss = resolveLoss(fn, spec);
      // an unknown metric name is an error now, even before the model is built
      for (const m of metricLists[i]) resolveMetric(fn, m, loss, 2);
      return {
        prefix: n === 1 ? '' : `${names[i]}_`, loss, weight: weights[i], metricArgs: metricLists[i], metrics: null,
        lossSpec: typeof spec === 'string' ? loss.name : null,
        metricSpecs: metricLists[i].filter((m): m is string => typeof m === 'string'),
      };
    });
    this.compiled = { optimizer, outputs };
  }

  /** The optimizer chosen by compile(), if any. */
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** The compile() arguments as names, for saving; null before compile(). */
  compileConfig(): CompileConfig | null {
    const c = this.compiled;
    if (!c) return null;
    return {
      optimizer: { name: c.optimizer.name, config: c.optimizer.getConfig() },
      loss: c.outputs.map((o) => o.lossSpec),
      metrics: c.outputs.map((o) => o.metricSpecs),
      lossWeights: c.outputs.map((o) => o.weight),
    };
  }

  /** The compile() settings, with metrics resolved for the built graph. */
  private getCompiled(fn: string): Compiled {
    const c = this.compiled;
    if (!c) throw new ValueError(`${this.name}.${fn}: call compile({ optimizer, loss, metrics }) first`);
    if (this.graph && c.outputs.length !== this.graph.outputs.length) {
      throw new ValueError(`${this.name}.${fn}: compile() saw ${c.outputs.length} output(s) but the model has ${this.graph.outputs.length}; call compile() again`);
    }
    return c;
  }

  /** Output i's metrics, by its size once the graph is built ('accuracy' is binary for one unit, categorical for several, as Keras). */
  private metricsOf(o: CompiledOutput, i: number): ResolvedMetric[] {
    const units = this.requireGraph('compile').outputs[i].perSampleShape.at(-1) ?? 1;
    return (o.metrics ??= o.metricArgs.map((m) => resolveMetric(`${this.name}.compile`, m, o.loss, units)));
  }

  // ---------- training and inference ----------

  /** The total loss of a batch (and each output's, its predictions and batch logs). */
  private lossOnBatch(c: Compiled, xb: readonly Tensor[], yb: readonly Tensor[], training: boolean, avg?: Averager): { loss: Tensor; logs: Logs; preds: Tensor[] } {
    const g = this.graph!;
    const fused = c.outputs.map((o, i) => o.loss.fromLogits !== undefined && g.outputs[i].layer.finalActivation() === o.loss.fromLogits.activation);
    const outs = this.execute(xb, training, fused.some((f) => f) ? 'outputs' : 'none');
    let total: Tensor | null = null;
    const logs: Logs = {};
    const perOutput: Logs = {};
    outs.forEach((o, i) => {
      const co = c.outputs[i];
      const target = co.loss.sparse ? yb[i] : reshapeLike(yb[i], o.u);
      const l: unknown = fused[i] ? co.loss.fromLogits!.fn(target, o.z) : co.loss.fn(target, o.u);
      if (!(l instanceof Tensor) || l.size !== 1) throw new ValueError(`${this.name}: the loss of output ${i} must give a scalar Tensor, got ${l instanceof Tensor ? `shape ${fmtShape(l.shape)}` : describeValue(l)}`);
      if (outs.length > 1) perOutput[`${co.prefix}loss`] = l.item();
      const weighted = co.weight === 1 ? l : mul(l, co.weight);
      total = total === null ? weighted : add(total, weighted);
    });
    logs.loss = total!.item();
    Object.assign(logs, perOutput);
    outs.forEach((o, i) => {
      const co = c.outputs[i];
      for (const m of this.metricsOf(co, i)) logs[`${co.prefix}${m.name}`] = metricValue(m, co.loss.sparse ? yb[i] : reshapeLike(yb[i], o.u), o.u, `${co.prefix}${m.name}`, avg);
    });
    return { loss: total!, logs, preds: outs.map((o) => o.u) };
  }

  private evaluateInternal(c: Compiled, xs: readonly Tensor[], ys: readonly Tensor[], batchSize: number, keep?: Tensor[][]): Logs {
    const avg = new Averager();
    const n = xs[0].shape[0];
    // Nothing of a batch outlives it unless its predictions are kept.
    const release = !keep && this.batchKeepsNoTensors(c) ? this.storageReleaser() : null;
    noGrad(() => {
      for (let s = 0; s < n; s += batchSize) {
        const e = Math.min(s + batchSize, n);
        const { result: r, allocated } = collectIf(release !== null, () => this.lossOnBatch(c, xs.map((x) => rowsOf(x, s, e)), ys.map((y) => rowsOf(y, s, e)), false, avg));
        release?.(allocated);
        keep?.push(r.preds);
        avg.add(r.logs, e - s);
      }
    });
    return avg.result();
  }

  /** Loss and metrics over x and y in inference mode (or over one pass of a data set, y omitted). */
  evaluate(x: ModelInputs | BatchDataset, y?: ModelTargets | null, args: EvaluateArgs = {}): Logs {
    const fn = `${this.name}.evaluate`;
    const a = checkOptions(fn, args, EVALUATE_KEYS);
    if (x instanceof BatchDataset) {
      this.checkDatasetArgs(fn, x, y, a.batchSize);
      return this.evaluateDataset(fn, this.getCompiled('evaluate'), x);
    }
    const batchSize = positiveInt(fn, 'batchSize', a.batchSize ?? 32);
    const c = this.getCompiled('evaluate');
    const xs = this.inputList(fn, x, 'x');
    const ys = this.targetList(fn, y as ModelTargets, 'y');
    this.checkData(fn, xs, ys, c, 'x');
    return this.evaluateInternal(c, xs, ys, batchSize);
  }

  /** evaluate() and predict() in one pass over x: the logs and the outputs of a single-output model. */
  evaluateAndPredict(x: ModelInputs | BatchDataset, y?: ModelTargets | null, args: EvaluateArgs = {}): { logs: Logs; predictions: Tensor } {
    const fn = `${this.name}.evaluateAndPredict`;
    const a = checkOptions(fn, args, EVALUATE_KEYS);
    if (x instanceof BatchDataset) {
      this.checkDatasetArgs(fn, x, y, a.batchSize);
      const kept: Tensor[][] = [];
      const logs = this.evaluateDataset(fn, this.getCompiled('evaluateAndPredict'), x, kept);
      if (kept[0].length !== 1) throw new ValueError(`${fn}: the model has ${kept[0].length} outputs; use evaluate() and predictAll()`);
      return { logs, predictions: noGrad(() => concat(kept.map((p) => p[0]), 0)) };
    }
    const batchSize = positiveInt(fn, 'batchSize', a.batchSize ?? 32);
    const c = this.getCompiled('evaluateAndPredict');
    const xs = this.inputList(fn, x, 'x');
    const ys = this.targetList(fn, y as ModelTargets, 'y');
    this.checkData(fn, xs, ys, c, 'x');
    if (ys.length !== 1) throw new ValueError(`${fn}: the model has ${ys.length} outputs; use evaluate() and predictAll()`);
    const parts: Tensor[][] = [];
    const logs = this.evaluateInternal(c, xs, ys, batchSize, parts);
    return { logs, predictions: noGrad(() => concat(parts.map((p) => p[0]), 0)) };
  }

  /** The outputs of a single-output model for x, in inference mode, in batches (default 32); a data set gives its rows in its own order. */
  predict(x: ModelInputs | BatchDataset, options: PredictOptions = {}): Tensor {
    const outs = this.predictOutputs(`${this.name}.predict`, x, options);
    if (outs.length !== 1) throw new ValueError(`${this.name}.predict: the model has ${outs.length} outputs (${this.outputNames.join(', ')}); use predictAll(x)`);
    return outs[0];
  }

  /** Every output for x, in the order of `outputs`. */
  predictAll(x: ModelInputs | BatchDataset, options: PredictOptions = {}): Tensor[] {
    return this.predictOutputs(`${this.name}.predictAll`, x, options);
  }

  private predictOutputs(fn: string, x: ModelInputs | BatchDataset, options: PredictOptions): Tensor[] {
    const a = checkOptions(fn, options, PREDICT_KEYS);
    if (x instanceof BatchDataset) {
      // One pass in the data set's own order (pass 0), so row i belongs to its sample i.
      this.checkDatasetArgs(fn, x, undefined, a.batchSize);
      const parts = noGrad(() => Array.from({ length: x.batchCount }, (_, i) => this.execute(this.datasetBatch(fn, x, i, 0, null)[0], false, 'none').map((o) => o.u)));
      return noGrad(() => parts[0].map((_, k) => concat(parts.map((p) => p[k]), 0)));
    }
    const bs = positiveInt(fn, 'batchSize', a.batchSize ?? 32);
    const xs = this.inputList(fn, x, 'x');
    return noGrad(() => {
      const n = xs[0].shape[0];
      const release = this.callsOnlyOwnLayers() ? this.storageReleaser() : null;
      if (n <= bs) return this.inferBatch(() => xs, release).outputs;
      const parts: Tensor[][] = [];
      const partStorage: TensorData[] = [];
      for (let s = 0; s < n; s += bs) {
        const size = Math.min(bs, n - s);
        const b = this.inferBatch(() => xs.map((t) => slice(t, [s], [size, ...t.shape.slice(1)])), release);
        parts.push(b.outputs);
        for (const d of b.outputStorage) partStorage.push(d);
      }
      const outs = parts[0].map((_, k) => concat(parts.map((p) => p[k]), 0));
      // concat copied the batches' outputs into new arrays; the caller never saw these
      release?.(partStorage);
      return outs;
    });
  }

  /**
   * One inference batch. With `release` (only gradlab's own layers run, so none keeps a tensor),
   * what it allocated goes back to the pool at once, except the arrays that hold the outputs
   * (returned as outputStorage, for a caller that copies them out).
   */
  private inferBatch(inputs: () => readonly Tensor[], release: StorageReleaser | null): { outputs: Tensor[]; outputStorage: TensorData[] } {
    const { result, allocated } = collectIf(release !== null, () => this.execute(inputs(), false, 'none').map((o) => o.u));
    const held = new Set<ArrayBufferLike>(result.map((t) => t.data.buffer));
    const dead: TensorData[] = [], outputStorage: TensorData[] = [];
    for (const d of allocated) (held.has(d.buffer) ? outputStorage : dead).push(d);
    release?.(dead);
    return { outputs: result, outputStorage };
  }

  /** Every layer call's pre-activation z and output u for x (inference mode), for inspection. */
  trace(x: ModelInputs): LayerTrace[] {
    const xs = this.inputList(`${this.name}.trace`, x, 'x');
    const out: LayerTrace[] = [];
    noGrad(() => this.execute(xs, false, 'all', (node, outs) => {
      out.push({ name: node.layer.name, className: node.layer.className, z: outs[0].z, u: outs[0].u });
    }));
    return out;
  }

  /** Records and reports a NaN stop (the state is already put back). */
  private stoppedOnNaN(fn: string, history: History, c: Compiled, epoch: number, batch: number, what: string, value: number): void {
    history.terminatedOnNaN = { epoch, batch };
    history.stopReason = { kind: 'nan', epoch, batch, what };
    const why = what === 'loss' ? `the loss is ${value}` : `the step made '${what}' hold ${value}`;
    const kept = c.optimizer.restoreState ? 'weights, moving statistics and optimizer state' : 'weights and moving statistics (the custom optimizer has no restoreState)';
    // Shown at every verbosity: a run that stopped early must not look like a finished one.
    console.warn(`${fn}: epoch ${epoch + 1}, batch ${batch + 1}: ${why}; training stopped with the last ${kept} that gave a finite loss (lower the learning rate, or check the data)`);
  }

  /**
   * Whether a batch's forward pass, loss and metrics keep no tensor past the batch, so fit and
   * evaluate may give its storage back to the pool: every layer (nested models' too) is built and
   * one of gradlab's own classes, and every loss and metric is one named by a string. A user's
   * layer, loss or metric may hold on to what it saw, so any of them turns this off.
   */
  private batchKeepsNoTensors(c: Compiled): boolean {
    return this.callsOnlyOwnLayers() && c.outputs.every((o) => o.lossSpec !== null && o.metricSpecs.length === o.metricArgs.length);
  }

  /** Whether every layer (nested models' too) is built and one of gradlab's own classes, as is the model. */
  private callsOnlyOwnLayers(): boolean {
    const ownLayers = (m: Model): boolean => m.layers.every((l) => isOwnLayer(l) && l.built && (!(l instanceof Model) || ownLayers(l)));
    return isOwnLayer(this) && ownLayers(this);
  }

  /**
   * Gives a finished batch's storage back to the pool, never an array a weight holds (the layers
   * are built, so none should be among them; the set is taken once per call of fit, evaluate or predict).
   */
  private storageReleaser(): StorageReleaser {
    const held = new Set<ArrayBufferLike>(this.weights.map((w) => w.tensor.data.buffer));
    return (allocated) => {
      for (const d of allocated) if (!held.has(d.buffer)) releaseStorage(d);
    };
  }

  /** Non-trainable weights that training changes: those of trainable layers (BatchNormalization's moving statistics). */
  private trainingStateTensors(): Tensor[] {
    const out = new Set<Tensor>();
    const visit = (m: Model): void => {
      if (!m.trainable) return;
      for (const l of m.layers) {
        if (l instanceof Model) visit(l);
        else if (l.trainable) for (const w of l.weights) if (!w.trainable) out.add(w.tensor);
      }
    };
    visit(this);
    return [...out];
  }

  /**
   * Trains for `epochs` over x and y; resolves to the History. With `terminateOnNaN` (the
   * default) every step is checked, the last one included (on its batch, in inference mode): when
   * a step leaves a trainable weight or a moving statistic NaN or infinite, or leaves weights that
   * give a non-finite loss on the next batch, training stops and the weights, moving statistics and
   * optimizer state go back to what they were before that step (the last ones that gave a finite
   * loss); `history.stopReason` says what went bad ({ kind: 'nan', epoch, batch, what }: `what` is
   * 'loss' or the weight's path) and a one-line warning goes to console.warn whatever `verbose` is.
   * A custom optimizer without snapshotState/restoreState keeps its own state.
   * x may be a data set of batches (gl.data.imageDatasetFromDirectory) with y omitted: it brings
   * its batch size and its per-epoch order (fit's shuffle and seed do not apply), and is read one batch at a time.
   */
  async fit(x: ModelInputs | BatchDataset, y?: ModelTargets | null, args: FitArgs = {}): Promise<History> {
    const fn = `${this.name}.fit`;
    const a = checkOptions(fn, args, FIT_KEYS);
    const epochs = nonNegativeInt(fn, 'epochs', a.epochs ?? 1);
    const data = x instanceof BatchDataset ? x : null;
    if (data) this.checkDatasetArgs(fn, data, y, a.batchSize);
    const batchSize = data ? data.batchSize : positiveInt(fn, 'batchSize', a.batchSize ?? 32);
    const verbose = a.verbose ?? 1;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new ValueError(`${fn}: verbose must be 0, 1 or 2, got ${showJson(a.verbose)}`);
    const shuffle = booleanOption(fn, 'shuffle', a.shuffle ?? true);
    const terminateOnNaN = booleanOption(fn, 'terminateOnNaN', a.terminateOnNaN ?? true);
    if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new ValueError(`${fn}: seed must be an integer, got ${showJson(a.seed)}`);
    if (a.callbacks !== undefined && !Array.isArray(a.callbacks)) throw new ValueError(`${fn}: callbacks must be an array, got ${typeof a.callbacks}`);
    const c = this.getCompiled('fit');
    if (data) this.datasetBatch(fn, data, 0, 0, c); // builds the model and checks the first batch before any work
    let xs = data ? [] : this.inputList(fn, x as ModelInputs, 'x');
    let ys = data ? [] : this.targetList(fn, y as ModelTargets, 'y');
    if (!data) this.checkData(fn, xs, ys, c, 'x');
    let val: [Tensor[], Tensor[]] | null = null;
    const valData = a.validationData instanceof BatchDataset ? a.validationData : null;
    if (valData) this.checkDatasetArgs(`${fn} (validationData)`, valData, undefined, undefined);
    else if (a.validationData !== undefined) {
      if (!Array.isArray(a.validationData) || a.validationData.length !== 2) throw new ValueError(`${fn}: validationData must be [x, y], got ${typeof a.validationData}`);
      const vx = this.inputList(fn, a.validationData[0], 'validationData x');
      const vy = this.targetList(fn, a.validationData[1], 'validationData y');
      this.checkData(fn, vx, vy, c, 'validationData x');
      val = [vx, vy];
    } else if (a.validationSplit !== undefined && a.validationSplit !== 0) {
      if (data) throw new ValueError(`${fn}: validationSplit needs tensors; for a data set pass validationData (e.g. imageDatasetFromDirectory's subset 'validation')`);
      const f = numberInRange(fn, 'validationSplit', a.validationSplit, 0, 1, true);
      const total = xs[0].shape[0];
      const nTrain = Math.floor(total * (1 - f));
      if (nTrain === 0 || nTrain === total) throw new ValueError(`${fn}: validationSplit ${f} leaves no training or no validation samples out of ${total}`);
      val = [xs.map((t) => rowsOf(t, nTrain, total)), ys.map((t) => rowsOf(t, nTrain, total))];
      xs = xs.map((t) => rowsOf(t, 0, nTrain));
      ys = ys.map((t) => rowsOf(t, 0, nTrain));
    }
    const n = data ? data.size : xs[0].shape[0];
    const steps = Math.ceil(n / batchSize);
    const rng = new Random(a.seed ?? Math.floor(Math.random() * 2 ** 31));
    const history = new History();
    const metricNames = ['loss', ...(c.outputs.length > 1 ? c.outputs.map((o) => `${o.prefix}loss`) : []),
      ...c.outputs.flatMap((o, i) => this.metricsOf(o, i).map((m) => `${o.prefix}${m.name}`))];
    const params: TrainingParams = { epochs, steps, samples: n, verbose, metrics: metricNames };
    history.params = params;
    const callbacks = new CallbackList([...(verbose > 0 ? [new ProgressBar()] : []), ...(a.callbacks ?? [])], this, params);
    const order = new Int32Array(n).map((_, i) => i);
    this.stopTraining = false;
    await callbacks.trainBegin();
    const guard = terminateOnNaN ? new StepGuard(new Map(this.weights.map((w) => [w.tensor, w.role])), c.optimizer) : null;
    const layerState = guard ? this.trainingStateTensors() : [];
    // The last batch trained on: the weights of the run's last step are checked on it at the end.
    let lastBatch: { epoch: number; batch: number; xb: Tensor[]; yb: Tensor[]; allocated: TensorData[] } | null = null;
    const release = this.batchKeepsNoTensors(c) ? this.storageReleaser() : null;
    const recycle = release !== null;
    // A built-in optimizer keeps no gradient, so what backward made dies with the step too.
    const ownOptimizer = keepsNoGradients(c.optimizer);
    // Raised after the first step to what a step allocates, so the pool can hold all of it.
    let unreserve: (() => void) | null = null;
    try {
      outer:
      for (let epoch = 0; epoch < epochs; epoch++) {
        await callbacks.epochBegin(epoch);
        const perm = shuffle ? rng.permutation(n) : order;
        const avg = new Averager();
        for (let b = 0; b < steps; b++) {
          const s = b * batchSize;
          const e = Math.min(s + batchSize, n);
          await callbacks.batchBegin(b, { batch: b, size: e - s });
          // a data set's batches are the user's code (it may cache them): only rows fit takes itself are collected
          const batch = collectIf(recycle && !data, () => this.trainingBatch(fn, c, data, xs, ys, perm.subarray(s, e), b, epoch));
          const [xb, yb] = batch.result;
          const trainable = this.trainableWeights;
          // Before the forward pass: a training-mode BatchNormalization updates its statistics there.
          guard?.save(layerState.length > 0 ? [...trainable, ...layerState] : trainable);
          const forward = collectIf(recycle, () => this.lossOnBatch(c, xb, yb, true, avg));
          const { loss, logs } = forward.result;
          // A non-finite loss condemns the previous step (its weights gave it); non-finite values after this step condemn this one.
          let bad: { name: string; value: number; previous: boolean } | null = guard && !Number.isFinite(logs.loss) ? { name: 'loss', value: logs.loss, previous: true } : null;
          if (bad === null) {
            for (const w of trainable) w.grad = null;
            const backward = loss.requiresGrad ? collectIf(recycle && ownOptimizer, () => loss.backward()).allocated : [];
            c.optimizer.step(trainable);
            if (ownOptimizer) releaseGradients(trainable);
            else for (const w of trainable) w.grad = null;
            const after = guard?.firstBad();
            if (after) bad = { ...after, previous: false };
            if (!bad && release) {
              unreserve ??= reservePool(1.25 * (bytesOf(forward.allocated) + bytesOf(backward) + bytesOf(batch.allocated)));
              // The step is over: its activations and gradients are dead, and so is the batch before this one (the last batch is kept for the final check).
              release(forward.allocated);
              release(backward);
              if (lastBatch) release(lastBatch.allocated);
            }
            lastBatch = { epoch, batch: b, xb, yb, allocated: batch.allocated };
          }
          if (guard && bad) {
            guard.restore(bad.previous);
            this.stoppedOnNaN(fn, history, c, epoch, b, bad.name, bad.value);
            lastBatch = null;
            break outer;
          }
          avg.add(logs, e - s);
          await callbacks.batchEnd(b, { batch: b, size: e - s, ...avg.result() });
          if (this.stopTraining) {
            history.stopReason = { kind: 'callback', epoch, batch: b };
            break;
          }
        }
        const epochLogs = avg.result();
        if (val) {
          const v = this.evaluateInternal(c, val[0], val[1], batchSize);
          for (const [k, value] of Object.entries(v)) epochLogs[`val_${k}`] = value;
        }
        if (valData) for (const [k, value] of Object.entries(this.evaluateDataset(`${fn} (validationData)`, c, valData))) epochLogs[`val_${k}`] = value;
        history.record(epoch, epochLogs);
        await callbacks.epochEnd(epoch, epochLogs);
        // Let timers and I/O breathe between epochs.
        await new Promise((r) => setTimeout(r, 0));
        if (this.stopTraining) {
          history.stopReason ??= { kind: 'callback', epoch, batch: steps - 1 };
          break;
        }
      }
      if (guard && lastBatch) {
        // No next batch checks the last step's weights: its batch does, in inference mode (as predict will run).
        const last = lastBatch;
        const after = noGrad(() => this.lossOnBatch(c, last.xb, last.yb, false)).logs.loss;
        if (!Number.isFinite(after)) {
          guard.restore(false);
          this.stoppedOnNaN(fn, history, c, last.epoch, last.batch, 'loss', after);
        }
      }
    } finally {
      unreserve?.();
    }
    await callbacks.trainEnd();
    return history;
  }

  // ---------- summary ----------

  /** Keras' table plus multiplications per sample; printed unless told otherwise, and returned. */
  summary(options: SummaryOptions = {}): string {
    const fn = `${this.name}.summary`;
    const o = checkOptions(fn, options, SUMMARY_KEYS);
    if (o.print !== undefined) booleanOption(fn, 'print', o.print);
    if (o.printFn !== undefined && typeof o.printFn !== 'function') throw new ValueError(`${fn}: printFn must be a function`);
    if (!this.graph) {
      throw new ValueError(`${fn}: the model is not built yet; give the first layer an inputShape or call build([..]) or fit/predict first`);
    }
    const connections = this.showsConnections();
    const shapeText = (shapes: readonly (readonly number[])[], asList: boolean) => {
      const one = (s: readonly number[]) => `(None${s.map((d) => `, ${d}`).join('')})`;
      return shapes.length === 1 && !asList ? one(shapes[0]) : `[${shapes.map(one).join(', ')}]`;
    };
    const rows: string[][] = [];
    for (const l of this.summaryLayers()) {
      const nodes = this.graph.nodes.filter((nd) => nd.layer === l);
      const shapes = l instanceof InputLayer ? shapeText(l.outputShapes!, true)
        : nodes.length > 1 ? 'multiple' : shapeText(l.outputShapes!, false);
      const links = nodes.flatMap((nd) => nd.inputs.map((s) => `${s.layer.name}[${this.nodeIndex(s.node)}][${s.index}]`));
      const cells = [`${l.name} (${l.className})`, shapes, fmtCount(l.countParams()), fmtCount(l.multiplications())];
      if (connections) cells.push(links.length > 0 ? links[0] : '');
      rows.push(cells);
      if (connections) for (const extra of links.slice(1)) rows.push(['', '', '', '', extra]);
    }
    const head = ['Layer (type)', 'Output Shape', 'Param #', 'Mult. / sample', ...(connections ? ['Connected to'] : [])];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 3);
    const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : i === 4 ? `   ${c}`.padEnd(widths[i]) : c.padEnd(widths[i]))).join('').trimEnd();
    const total = widths.reduce((s, w) => s + w, 0);
    const trainable = this.trainableWeights.reduce((s, w) => s + w.size, 0);
    const all = this.countParams();
    const body: string[] = [];
    rows.forEach((r, i) => {
      body.push(line(r));
      const next = rows[i + 1];
      if (next === undefined) body.push('='.repeat(total));
      else if (next[0] !== '') body.push(connections ? '' : '_'.repeat(total));
    });
    const out = [
      `Model: "${this.name}"`,
      '_'.repeat(total),
      line(head),
      '='.repeat(total),
      ...body,
      `Total params: ${fmtCount(all)}`,
      `Trainable params: ${fmtCount(trainable)}`,
      `Non-trainable params: ${fmtCount(all - trainable)}`,
      `Multiplications per sample: ${fmtCount(this.multiplications())}`,
      '_'.repeat(total),
    ].join('\n');
    if (o.print !== false) (o.printFn ?? console.log)(out);
    return out;
  }

  /** Whether summary() has Keras' "Connected to" column (functional models). */
  protected showsConnections(): boolean {
    return true;
  }

  /** The rows of summary(): every layer, input layers included for a functional model. */
  protected summaryLayers(): Layer[] {
    return this.layers;
  }

  /** A node's position among its layer's calls inside this model (0 unless the layer is shared here). */
  nodeIndex(node: Node): number {
    if (node.layer instanceof InputLayer) return 0;
    let k = 0;
    for (const nd of this.graph!.nodes) {
      if (nd === node) return k;
      if (nd.layer === node.layer) k++;
    }
    return node.index;
  }

  // ---------- saving ----------

  /** The architecture as JSON-ready data: layers and the calls connecting them (Keras' get_config). */
  override getConfig(): Record<string, unknown> {
    const g = this.requireGraph('getConfig');
    const ref = (s: SymbolicTensor) => [s.layer.name, this.nodeIndex(s.node), s.index];
    return {
      name: this.name,
      trainable: this.trainable,
      layers: g.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
      nodes: g.nodes.map((nd) => ({ layer: nd.layer.name, inputs: nd.inputs.map(ref) })),
      inputs: g.inputs.map(ref),
      outputs: g.outputs.map(ref),
    };
  }

  /**
   * Loads weights into this model's layers. A gradlab model folder or `.safetensors` file is read
   * here (every weight must be there with its shape unless `byName`); other formats (Keras `.h5`,
   * `.weights.h5`) come from the registered file formats.
   */
  async loadWeights(path: string, options: LoadWeightsOptions = {}): Promise<void> {
    const fn = `${this.name}.loadWeights`;
    if (typeof path !== 'string' || path === '') throw new ValueError(`${fn}: path must be a non-empty path, got ${showJson(path)}`);
    const o = checkOptions(fn, options, LOAD_WEIGHTS_KEYS);
    const byName = booleanOption(fn, 'byName', o.byName ?? false);
    const skipMismatch = booleanOption(fn, 'skipMismatch', o.skipMismatch ?? false);
    const allowNonFinite = booleanOption(fn, 'allowNonFinite', o.allowNonFinite ?? false);
    if (skipMismatch && !byName) throw new ValueError(`${fn}: skipMismatch needs byName: true (as Keras' skip_mismatch needs by_name)`);
    this.requireGraph('loadWeights');
    const format = fileFormatFor(fn, path, undefined, 'loadWeights');
    if (format) {
      if (o.allowNonFinite !== undefined) throw new ValueError(`${fn}: allowNonFinite applies to gradlab folders and .safetensors files, not to ${format.name} files`);
      await format.loadWeights!(this, path, { byName, skipMismatch });
      return;
    }
    const { tensors, dtypes, file } = path.toLowerCase().endsWith('.safetensors')
      ? { ...(await readSafetensors(path)), file: path }
      : await readModelFolder(path, fn).then((c) => ({ tensors: c.tensors, dtypes: c.dtypes, file: c.weightsFile }));
    const updates: [Tensor, Tensor][] = [];
    const used = new Set<string>();
    for (const w of this.weights) {
      const t = fileTensor(tensors, w.role);
      if (!t) {
        if (byName) continue;
        throw new FormatError(`${fn}: ${file} has no weight '${w.role}' (pass { byName: true } to load only the layers it names)`);
      }
      used.add(w.role);
      if (skipMismatch && !shapeMatches(t, w.tensor)) continue;
      checkFileTensor(fn, file, w.role, t, fileTensor(dtypes, w.role), w.tensor, allowNonFinite);
      updates.push([w.tensor, t]);
    }
    const extra = Object.keys(tensors).filter((k) => !used.has(k));
    if (!byName && extra.length > 0) throw new FormatError(`${fn}: ${file} holds weights no layer of ${this.name} has (${extra.slice(0, 5).map((k) => `'${k}'`).join(', ')})`);
    for (const [target, source] of updates) target.data.set(source.data);
  }

  /**
   * Writes the model. By default into the folder `path`: `model.json` (architecture, compile
   * settings, and the name and SHA-256 of its weights file) and `weights-<hash>.safetensors`,
   * replaced as one unit (see io/folder.ts): a reader or a killed save never mixes old and new.
   * Another format is chosen by `options.format` or by the path's ending (e.g. `.onnx`), among
   * those registered with `registerModelFileFormat`.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    const dir = path;
    if (typeof dir !== 'string' || dir === '') throw new ValueError(`${this.name}.save: path must be a non-empty path, got ${showJson(dir)}`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new ValueError(`${this.name}.save: options must be an object, got ${showJson(options)}`);
    const format = fileFormatFor(`${this.name}.save`, path, options.format, 'save');
    if (format) {
      this.requireGraph('save');
      const { format: _f, ...rest } = options;
      await format.save!(this, path, rest);
      return;
    }
    const unknown = Object.keys(options).filter((k) => k !== 'format');
    if (unknown.length > 0) throw new ValueError(`${this.name}.save: option '${unknown[0]}' does not apply to gradlab's folder format`);
    this.requireGraph('save');
    const tensors: Record<string, Tensor> = {};
    for (const w of this.weights) tensors[w.role] = w.tensor;
    const model = { className: this.className, config: this.getConfig() };
    await writeModelFolder(dir, { format: 'gradlab-model', version: 3, model, compile: this.compileConfig() }, tensors, this.name, `${this.name}.save`);
  }
}

/** A functional model from symbolic inputs to outputs (Keras' keras.Model(inputs, outputs)). */
export function model(args: ModelArgs): Model {
  return new Model(args);
}

/** Options of `model.save`; a format may take more (validated by its writer). */
export interface SaveOptions {
  /** 'gradlab' (a folder, the default) or a registered format such as 'onnx' or 'tfjs'; by default chosen from the path's ending. */
  format?: string;
  /** The ONNX opset to write, 13 to 17 (ONNX export only). Default: 13. */
  opset?: number;
  readonly [option: string]: unknown;
}

/** Options of `model.loadWeights(path, options)`. */
export interface LoadWeightsOptions {
  /** Match weights to layers by layer name (Keras' by_name); layers the file does not name keep their weights. Default: false (in layer order, all of them). */
  byName?: boolean;
  /** With byName: skip layers whose weights in the file have another count or shape instead of failing. Default: false. */
  skipMismatch?: boolean;
  /** Accept NaN and infinite weights (gradlab folders and .safetensors files; refused by default). */
  allowNonFinite?: boolean;
}

const LOAD_WEIGHTS_KEYS = optionKeys<LoadWeightsOptions>({ byName: true, skipMismatch: true, allowNonFinite: true });

/** A file format besides gradlab's folder that models can be saved in or load weights from. */
export interface ModelFileFormat {
  /** The name `save(path, { format })` takes, e.g. 'onnx'. */
  readonly name: string;
  /** Path endings that select the format, lower case, e.g. ['.onnx']. */
  readonly extensions: readonly string[];
  save?(model: Model, path: string, options: Readonly<Record<string, unknown>>): Promise<void>;
  loadWeights?(model: Model, path: string, options: LoadWeightsOptions): Promise<void>;
}

const fileFormats: ModelFileFormat[] = [];

/** Adds a format to `model.save` and `model.loadWeights` (gradlab's interop modules register theirs). */
export function registerModelFileFormat(format: ModelFileFormat): void {
  const fn = 'registerModelFileFormat';
  if (format === null || typeof format !== 'object') throw new ValueError(`${fn}: format must be { name, extensions, save?, loadWeights? }, got ${describeValue(format)}`);
  if (typeof format.name !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(format.name) || format.name === 'gradlab') throw new ValueError(`${fn}: name must be a lower-case name other than 'gradlab', got ${describeValue(format.name)}`);
  if (!Array.isArray(format.extensions) || !format.extensions.every((e) => typeof e === 'string' && e !== '' && e === e.toLowerCase())) {
    throw new ValueError(`${fn}: extensions of '${format.name}' must be lower-case path endings such as '.onnx' or 'model.json', got ${describeValue(format.extensions)}`);
  }
  for (const k of ['save', 'loadWeights'] as const) {
    if (format[k] !== undefined && typeof format[k] !== 'function') throw new ValueError(`${fn}: ${k} of '${format.name}' must be a function, got ${describeValue(format[k])}`);
  }
  if (format.save === undefined && format.loadWeights === undefined) throw new ValueError(`${fn}: format '${format.name}' has neither save nor loadWeights`);
  const i = fileFormats.findIndex((f) => f.name === format.name);
  if (i >= 0) fileFormats[i] = format;
  else fileFormats.push(format);
}

/** The registered format that `path` or `requested` names and that can `action`; null for gradlab's own folder. */
export function fileFormatFor(fn: string, path: string, requested: unknown, action: 'save' | 'loadWeights'): ModelFileFormat | null {
  const can = fileFormats.filter((f) => f[action] !== undefined);
  if (requested !== undefined) {
    if (requested === 'gradlab') return null;
    const f = can.find((x) => x.name === requested);
    if (!f) throw new ValueError(`${fn}: format must be one of ${['gradlab', ...can.map((x) => x.name)].map((n) => `'${n}'`).join(', ')}, got ${showJson(requested)}`);
    return f;
  }
  const lower = path.toLowerCase();
  let best: ModelFileFormat | null = null;
  let bestLength = 0;
  for (const f of can) {
    for (const ext of f.extensions) if (lower.endsWith(ext) && ext.length > bestLength) { best = f; bestLength = ext.length; }
  }
  return best;
}

// The base of every layer, and the symbolic tensors of the functional API: a layer applied to
// symbolic tensors records a node of the graph instead of computing.
import { GradlabError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, optionKeys, positiveInt, showJson } from '../core/validate.js';
import { tensor, zeros } from '../tensor/creation.js';
import { shapesEqual } from '../tensor/shape.js';
import { noGrad, Tensor, type DType, type NestedArray } from '../tensor/tensor.js';
import { buildingFromFile } from './initializers.js';

/** A per-sample shape: no batch axis. */
export type Shape = readonly number[];

/** What a layer computes for one output: the pre-activation z (when it has an activation) and the output u. */
export interface LayerOutput {
  z: Tensor;
  u: Tensor;
}

/** The options every layer takes. */
export interface LayerArgs {
  /** The layer's name, unique in its model (no '/' or spaces). Default: its kind in snake_case, numbered from the second on ('dense', 'dense_1', ...). */
  name?: string;
  /** Per-sample input shape (no batch axis), on the first layer of a sequential model. Default: none (taken from the layer before or the first input). */
  inputShape?: readonly number[];
  /** Whether fit updates the layer's weights; false also runs BatchNormalization in inference mode. Default: true. */
  trainable?: boolean;
  /** The dtype of the layer's weights (default float32). */
  dtype?: DType;
}

export const LAYER_KEYS = optionKeys<LayerArgs>({ name: true, inputShape: true, trainable: true, dtype: true });

/** A weight of a layer: its role (kernel, bias, gamma, ...), the tensor, and whether training updates it. */
export interface LayerWeight {
  readonly role: string;
  readonly tensor: Tensor;
  /** False for state such as batch norm's moving statistics. */
  readonly trainable: boolean;
}

const counters = new Map<string, number>();

/** Keras-style unique names: dense, dense_1, dense_2, ... (input_1, input_2, ... when not zero-based). */
export function uniqueName(base: string, zeroBased = true): string {
  const n = counters.get(base) ?? (zeroBased ? 0 : 1);
  counters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

export function checkDType(fn: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError(`${fn}: dtype must be 'float32' or 'float64', got ${showJson(dtype)}`);
  return dtype;
}

function checkShapeArg(fn: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ValueError(`${fn}: ${arg} must be an array of positive integers (no batch axis), got ${showJson(shape)}`);
  shape.forEach((d) => positiveInt(fn, `${arg} ${fmtShape(shape as number[])}`, d));
  return [...shape] as number[];
}

/**
 * A placeholder for the tensors a layer will see: its per-sample shape (the batch axis is left
 * open) and dtype, and the node of the graph that makes it. `gl.input()` makes the first ones.
 */
export class SymbolicTensor {
  /** [null, ...per-sample shape], as Keras prints it. */
  readonly shape: readonly (number | null)[];
  constructor(readonly node: Node, readonly index: number, readonly perSampleShape: Shape, readonly dtype: DType) {
    this.shape = Object.freeze([null, ...perSampleShape]);
  }

  /** The layer whose call makes this tensor. */
  get layer(): Layer {
    return this.node.layer;
  }

  /** Keras' name: `layer/node:index`, e.g. `dense_1/0:0`. */
  get name(): string {
    return `${this.node.layer.name}/${this.node.index}:${this.index}`;
  }

  toString(): string {
    return `SymbolicTensor(${this.name}, shape=(None${this.perSampleShape.map((d) => `, ${d}`).join('')}), dtype=${this.dtype})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** One call of a layer on symbolic tensors: an edge set of the functional graph. */
export class Node {
  readonly outputs: SymbolicTensor[] = [];
  constructor(readonly layer: Layer, readonly inputs: readonly SymbolicTensor[]) {}

  /** This node's position among its layer's calls (0 unless the layer is shared). */
  get index(): number {
    return this.layer.inboundNodes.indexOf(this);
  }
}

type AnyInput = Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[];

/** The largest per-sample tensor a model read from a file may have (2^27 values: 512 MB in float32). */
export const MAX_SAMPLE_VALUES = 2 ** 27;

function checkSampleSizes(shapes: readonly Shape[], what: string): void {
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    if (!(n <= MAX_SAMPLE_VALUES)) throw new ValueError(`per-sample ${what} ${fmtShape(s)} has ${n} values, more than the ${MAX_SAMPLE_VALUES} a loaded model may have`);
  }
}

function isShapeList(s: Shape | readonly Shape[]): s is readonly Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

/** gradlab's own layer classes, marked where they are gathered (catalog.ts, sequential.ts). */
const ownLayerClasses = new WeakSet<object>();

/** Internal: marks classes whose calls keep no tensor past the call and run no user code. */
export function markOwnLayerClasses(classes: readonly object[]): void {
  for (const c of classes) ownLayerClasses.add(c);
}

/** Whether `layer` is an instance of one of gradlab's own classes itself (a user's subclass is not). */
export function isOwnLayer(layer: Layer): boolean {
  const proto: unknown = Object.getPrototypeOf(layer);
  return typeof proto === 'object' && proto !== null && ownLayerClasses.has((proto as { constructor: object }).constructor);
}

/** Base of every layer: weights, build by input shape, forward in training or inference mode. */
export abstract class Layer {
  /** Keras' class name, e.g. 'Dense' (what model.json and summary() show). */
  abstract readonly className: string;
  /** Unique in its model; weights are saved under it. */
  name: string;
  /** The dtype of the layer's weights. */
  readonly dtype: DType;
  /** The `inputShape` option, or null. */
  readonly requestedInputShape: number[] | null;
  /** Per-sample input shapes, set when built (one per input). */
  inputShapes: number[][] | null = null;
  /** Per-sample output shapes, set when built (one per output). */
  outputShapes: number[][] | null = null;
  /** The calls of this layer on symbolic tensors, in order (a shared layer has several). */
  readonly inboundNodes: Node[] = [];
  /** The weights in order, as addWeight made them. */
  protected weightList: LayerWeight[] = [];
  /** The flag behind `trainable`. */
  protected trainableFlag: boolean;

  constructor(args: LayerArgs, defaultName: string) {
    this.name = args.name ?? uniqueName(defaultName);
    if (typeof this.name !== 'string' || this.name === '' || /[/\s]/.test(this.name)) {
      throw new ValueError(`${defaultName}: name must be a non-empty string without '/' or spaces, got ${showJson(args.name)}`);
    }
    this.trainableFlag = args.trainable ?? true;
    if (typeof this.trainableFlag !== 'boolean') throw new ValueError(`${this.name}: trainable must be true or false, got ${showJson(args.trainable)}`);
    this.dtype = checkDType(this.name, args.dtype);
    this.requestedInputShape = args.inputShape !== undefined ? checkShapeArg(this.name, 'inputShape', args.inputShape) : null;
  }

  /** Settable: a frozen layer (false) keeps its weights through fit (transfer learning). */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.setTrainableFlag(value);
  }

  /** Sets the flag behind `trainable`, checking that it is a boolean. */
  protected setTrainableFlag(value: boolean): void {
    if (typeof value !== 'boolean') throw new ValueError(`${this.name}.trainable must be true or false, got ${showJson(value)}`);
    this.trainableFlag = value;
  }

  /** Whether the layer knows its input shapes (and so has its weights). */
  get built(): boolean {
    return this.inputShapes !== null;
  }

  /** Per-sample input shape of a single-input layer, once built. */
  get inputShape(): number[] | null {
    return this.inputShapes?.length === 1 ? this.inputShapes[0] : null;
  }

  /** Per-sample output shape of a single-output layer, once built. */
  get outputShape(): number[] | null {
    return this.outputShapes?.length === 1 ? this.outputShapes[0] : null;
  }

  /** How many inputs the layer takes: a number, or 'many' for merge layers (two or more). */
  get inputCount(): number | 'many' {
    return 1;
  }

  /** The activation a layer applies last (u = activation(z)); losses use z instead of u when they can. */
  finalActivation(): string | null {
    return null;
  }

  /**
   * Creates the weights for per-sample input shapes (one shape, or a list for several inputs) and
   * infers the output shapes; shape errors surface here, before any data flows.
   */
  build(inputShape: Shape | readonly Shape[]): void {
    const shapes = (isShapeList(inputShape) ? inputShape : [inputShape]).map((s) => [...s]);
    if (this.built) {
      if (shapes.length !== this.inputShapes!.length || shapes.some((s, i) => !shapesEqual(s, this.inputShapes![i]))) {
        throw new ShapeError(`${this.name}: already built for input ${this.inputShapes!.map(fmtShape).join(', ')}, cannot take ${shapes.map(fmtShape).join(', ')}`);
      }
      return;
    }
    this.checkInputCount(shapes.length);
    try {
      const fromFile = buildingFromFile();
      if (fromFile) checkSampleSizes(shapes, 'input');
      this.buildWeights(shapes.length === 1 ? shapes[0] : shapes);
      const outs = this.computeOutputShapes(shapes);
      if (fromFile) checkSampleSizes(outs, 'output');
      this.outputShapes = outs;
      this.inputShapes = shapes;
    } catch (e) {
      this.weightList = [];
      // A file's huge sizes can still reach an allocation (a dry run): its RangeError is the file's fault.
      if (e instanceof RangeError && buildingFromFile()) throw new ValueError(`${this.name} (${this.className}): ${e.message} (sizes too large)`);
      if (e instanceof GradlabError && !e.message.startsWith(this.name + ':') && !e.message.startsWith(this.name + ' (')) {
        const Cls = e.constructor as new (m: string) => GradlabError;
        const shown = shapes.map((s) => fmtShape(['batch' as unknown as number, ...s])).join(', ');
        throw new Cls(`${this.name} (${this.className}) cannot take input of shape ${shown}: ${e.message}`);
      }
      throw e;
    }
  }

  private checkInputCount(n: number): void {
    const want = this.inputCount;
    if (want === 'many' ? n < 2 : n !== want) {
      throw new ValueError(`${this.name} (${this.className}): takes ${want === 'many' ? 'a list of 2 or more inputs' : want === 1 ? 'one input' : `${want} inputs`}, got ${n}`);
    }
  }

  /** Makes the weights; one shape for a single-input layer, a list for several inputs. */
  protected buildWeights(_inputShape: Shape | readonly Shape[]): void {}

  /** Per-sample output shapes; by default from a dry run on one zero sample per input. */
  protected computeOutputShapes(inputShapes: readonly Shape[]): number[][] {
    const outs = noGrad(() => this.run(inputShapes.map((s) => zeros([1, ...s], { dtype: this.dtype })), false, false));
    return outs.map((o) => o.u.shape.slice(1));
  }

  /**
   * The layer's computation on a batch of one input; `training` switches dropout and batch
   * statistics. With `needZ` false a layer may compute u in one fused op and give z only when it
   * is read (recomputed then); with true, z is computed alongside u.
   */
  abstract forward(x: Tensor, training: boolean, needZ?: boolean): LayerOutput;

  /** The computation on all inputs, one result per output (single-input layers use forward). */
  protected run(inputs: readonly Tensor[], training: boolean, needZ: boolean): LayerOutput[] {
    return [this.forward(inputs[0], training, needZ)];
  }

  /** Runs the layer on real tensors, building it first when needed and checking per-sample shapes. */
  callTensors(inputs: readonly Tensor[], training: boolean, needZ = false): LayerOutput[] {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ValueError(`${this.name}: input ${i} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    });
    if (!this.built) this.build(inputs.map((t) => t.shape.slice(1)));
    else {
      this.checkInputCount(inputs.length);
      inputs.forEach((t, i) => {
        const want = this.inputShapes![i];
        if (!shapesEqual(t.shape.slice(1), want)) {
          const which = inputs.length > 1 ? ` ${i}` : '';
          throw new ShapeError(`${this.name} (${this.className}): expects input${which} [batch,${want.join(',')}] but got ${fmtShape(t.shape)}`);
        }
      });
    }
    return this.run(inputs, training, needZ);
  }

  /**
   * Calls the layer. On tensors it computes (inference mode unless `training`); on symbolic
   * tensors (from `gl.input()`) it records the call in the graph and returns symbolic outputs.
   * A layer with several outputs (a model) gives them with `applyAll`.
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor;
  apply(x: Tensor | readonly Tensor[], training?: boolean): Tensor;
  apply(x: AnyInput, training = false): Tensor | SymbolicTensor {
    const outs = this.applyAny(x, training, 'apply');
    if (outs.length !== 1) throw new ValueError(`${this.name}.apply: the layer has ${outs.length} outputs; use applyAll(x) to get all of them`);
    return outs[0];
  }

  /** apply() returning every output as an array. */
  applyAll(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor[];
  applyAll(x: Tensor | readonly Tensor[], training?: boolean): Tensor[];
  applyAll(x: AnyInput, training = false): (Tensor | SymbolicTensor)[] {
    return this.applyAny(x, training, 'applyAll');
  }

  private applyAny(x: AnyInput, training: boolean, fn: string): (Tensor | SymbolicTensor)[] {
    const list: readonly (Tensor | SymbolicTensor)[] = Array.isArray(x) ? x : [x as Tensor | SymbolicTensor];
    if (list.length === 0) throw new ValueError(`${this.name}.${fn}: needs at least one input`);
    if (typeof training !== 'boolean') throw new ValueError(`${this.name}.${fn}: training must be true or false, got ${showJson(training)}`);
    if (list.every((t) => t instanceof SymbolicTensor)) return this.applySymbolic(list as SymbolicTensor[]);
    if (list.every((t) => t instanceof Tensor)) return this.callTensors(list as Tensor[], training).map((o) => o.u);
    const kinds = list.map((t) => (t instanceof Tensor ? 'Tensor' : t instanceof SymbolicTensor ? 'SymbolicTensor' : t === null ? 'null' : typeof t));
    throw new ValueError(`${this.name}.${fn}: inputs must all be Tensors (to compute) or all SymbolicTensors from gl.input() (to build a model), got [${kinds.join(', ')}]`);
  }

  private applySymbolic(inputs: readonly SymbolicTensor[]): SymbolicTensor[] {
    if (!this.built) this.build(inputs.map((t) => t.perSampleShape));
    else {
      this.checkInputCount(inputs.length);
      inputs.forEach((t, i) => {
        if (!shapesEqual(t.perSampleShape, this.inputShapes![i])) {
          throw new ShapeError(`${this.name} (${this.className}): built for input [batch,${this.inputShapes![i].join(',')}] but called on ${t.name} of shape ${fmtShape(['batch' as unknown as number, ...t.perSampleShape])}`);
        }
      });
    }
    const node = new Node(this, inputs);
    this.inboundNodes.push(node);
    this.outputShapes!.forEach((s, k) => node.outputs.push(new SymbolicTensor(node, k, s, inputs[0].dtype)));
    return node.outputs;
  }

  /** Registers a weight under its role (kernel, bias, moving_mean, ...); trainable ones get gradients. */
  protected addWeight(role: string, t: Tensor, trainable = true): Tensor {
    t.requiresGrad = trainable;
    this.weightList.push({ role, tensor: t, trainable });
    return t;
  }

  /** All weights in a fixed order (kernel, bias, then state). */
  get weights(): readonly LayerWeight[] {
    return this.weightList;
  }

  /** The tensors an optimizer updates: none when the layer is frozen. */
  get trainableWeights(): Tensor[] {
    return this.trainable ? this.weightList.filter((w) => w.trainable).map((w) => w.tensor) : [];
  }

  /** The tensors fit does not update: moving statistics, and every weight of a frozen layer. */
  get nonTrainableWeights(): Tensor[] {
    return this.weightList.filter((w) => !w.trainable || !this.trainable).map((w) => w.tensor);
  }

  /** Copies of the weights, in the order of `weights`. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.tensor.clone());
  }

  /** Sets the weights by hand (tensors or nested arrays), in the order of `getWeights()`. */
  setWeights(values: readonly (Tensor | NestedArray)[]): void {
    const targets = this.weights;
    if (!Array.isArray(values) || values.length !== targets.length) {
      throw new ValueError(`${this.name}.setWeights: expected ${targets.length} arrays (${targets.map((w) => `${w.role} ${fmtShape(w.tensor.shape)}`).join(', ') || 'none'}), got ${Array.isArray(values) ? values.length : typeof values}`);
    }
    const parsed = values.map((v, i) => {
      const target = targets[i].tensor;
      const t = v instanceof Tensor ? v : tensor(v, { dtype: target.dtype });
      if (!shapesEqual(t.shape, target.shape)) {
        throw new ShapeError(`${this.name}.setWeights: ${targets[i].role} must have shape ${fmtShape(target.shape)}, got ${fmtShape(t.shape)}`);
      }
      return t;
    });
    parsed.forEach((t, i) => targets[i].tensor.data.set(t.data));
  }

  /** The number of values in all the weights, trainable or not. */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.tensor.size, 0);
  }

  /** Multiplications per sample in the forward pass (for summary()). */
  multiplications(): number {
    return 0;
  }

  /** The constructor arguments that rebuild this layer (for saving). */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: this.trainable,
      ...(this.dtype !== 'float32' ? { dtype: this.dtype } : {}),
      ...(this.requestedInputShape ? { inputShape: this.requestedInputShape } : {}),
    };
  }

  /** The name a layer of this class gets by default: the class name in snake_case ('BatchNormalization' gives 'batch_normalization'). */
  static defaultName(className: string): string {
    return snake(className);
  }
}

/** Options of `input(args)`: a functional model's symbolic input. */
export interface InputArgs {
  /** Required: the per-sample shape; the batch axis is left open. */
  shape: readonly number[];
  /** The input's name (the key of its data in fit and predict). Default: 'input_1', 'input_2', ... */
  name?: string;
  /** The dtype of the data it takes. Default: 'float32'. */
  dtype?: DType;
}

const INPUT_KEYS = optionKeys<InputArgs>({ shape: true, name: true, dtype: true });

/** The source of a functional model's input (Keras' InputLayer): passes its input through. */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  /** The symbolic tensor this layer stands for. */
  readonly output: SymbolicTensor;

  constructor(args: InputArgs) {
    if (args === undefined) throw new ValueError("input: options { shape } are required, e.g. gl.input({ shape: [28, 28, 1] })");
    checkOptions('input', args, INPUT_KEYS);
    if (args.shape === undefined) throw new ValueError("input: option 'shape' is required, e.g. gl.input({ shape: [28, 28, 1] })");
    const shape = checkShapeArg('input', 'shape', args.shape);
    super({ name: args.name ?? uniqueName('input', false), dtype: args.dtype }, 'input');
    this.inputShapes = [shape];
    this.outputShapes = [shape];
    const node = new Node(this, []);
    this.inboundNodes.push(node);
    this.output = new SymbolicTensor(node, 0, shape, this.dtype);
    node.outputs.push(this.output);
  }

  forward(x: Tensor): LayerOutput {
    return { z: x, u: x };
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, shape: this.inputShapes![0], ...(this.dtype !== 'float32' ? { dtype: this.dtype } : {}) };
  }
}

/** A symbolic input of a functional model (Keras' `keras.Input`): `gl.input({ shape: [28, 28, 1] })`. */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}

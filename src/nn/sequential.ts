import { ValueError, fmtShape } from '../core/errors.js';
import { checkOptions, optionKeys, showJson } from '../core/validate.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { InputLayer, Layer, SymbolicTensor, markOwnLayerClasses, uniqueName, type Shape } from './layer.js';
import { DeferredGraph, Model, buildGraph } from './model.js';

/** A layer, or the symbolic tensor of `gl.input()` to fix the input shape (first only). */
export type SequentialEntry = Layer | SymbolicTensor;

/** Options of `sequential(args)`. */
export interface SequentialArgs {
  /** The layers (or models) in order, each feeding the next; more can be added with add(). Default: none. */
  layers?: readonly SequentialEntry[];
  /** The model's name. Default: 'sequential', 'sequential_1', ... */
  name?: string;
  /** false freezes every layer inside. Default: true. */
  trainable?: boolean;
}

const SEQUENTIAL_KEYS = optionKeys<SequentialArgs>({ layers: true, name: true, trainable: true });

/** A stack of layers, each feeding the next (Keras' Sequential); a model like any other once built. */
export class Sequential extends Model {
  override readonly className: string = 'Sequential';
  private readonly stack: Layer[] = [];
  private source: { shape: number[]; dtype: DType } | null = null;

  constructor(args: SequentialArgs | readonly SequentialEntry[] = {}) {
    const a: SequentialArgs = Array.isArray(args) ? { layers: args } : checkOptions('sequential', args as SequentialArgs, SEQUENTIAL_KEYS);
    if (a.layers !== undefined && !Array.isArray(a.layers)) throw new ValueError(`sequential: layers must be an array of layers, got ${typeof a.layers}`);
    const name = a.name ?? uniqueName('sequential');
    // the graph comes when the input shape is known
    super(new DeferredGraph(name));
    for (const l of a.layers ?? []) this.add(l);
    if (a.trainable === false) this.trainable = false;
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }

  /**
   * Appends a layer (or, first, `gl.input({ shape })`); with a known input shape it is built at
   * once, so shapes are inferred as you go.
   */
  add(layer: SequentialEntry): this {
    if (layer instanceof SymbolicTensor) {
      if (!(layer.layer instanceof InputLayer)) throw new ValueError(`${this.name}.add: a symbolic tensor can only be added as the input (from gl.input()), got the output of '${layer.layer.name}'`);
      if (this.stack.length > 0 || this.source) throw new ValueError(`${this.name}.add: gl.input() can only come first`);
      this.source = { shape: [...layer.perSampleShape], dtype: layer.dtype };
      return this;
    }
    if (!(layer instanceof Layer)) throw new ValueError(`${this.name}.add: expected a layer (e.g. layers.dense({ units: 10 })), got ${layer === null ? 'null' : typeof layer}`);
    if (layer instanceof InputLayer) throw new ValueError(`${this.name}.add: add gl.input({ shape }) (the symbolic tensor), not an InputLayer`);
    if (layer === this) throw new ValueError(`${this.name}.add: a model cannot contain itself`);
    if (this.stack.some((l) => l.name === layer.name)) throw new ValueError(`${this.name}.add: a layer named '${layer.name}' is already in the model`);
    if (layer.inputCount !== 1) throw new ValueError(`${this.name}.add: '${layer.name}' (${layer.className}) takes ${layer.inputCount === 'many' ? 'several inputs' : `${layer.inputCount} inputs`}; a sequential model passes one tensor from layer to layer (use gl.model for graphs)`);
    if (this.stack.length > 0 && layer.requestedInputShape) {
      throw new ValueError(`${this.name}.add: only the first layer takes inputShape ('${layer.name}' is layer ${this.stack.length + 1})`);
    }
    this.stack.push(layer);
    try {
      if (this.graph) this.extendGraph(layer);
      else if (this.stack.length === 1) {
        if (this.source === null) {
          const known = layer.requestedInputShape ?? (layer.built && layer.inputShapes!.length === 1 ? layer.inputShape : null);
          if (known) this.source = { shape: [...known], dtype: layer instanceof Model ? layer.inputs[0].dtype : layer.dtype };
        }
        if (this.source) this.makeGraph(this.source.shape);
      }
    } catch (e) {
      this.stack.pop();
      throw e;
    }
    return this;
  }

  /** Removes the last layer and returns it. */
  pop(): Layer {
    const last = this.stack.pop();
    if (!last) throw new ValueError(`${this.name}.pop: the model has no layers`);
    if (this.graph) {
      if (this.stack.length === 0) {
        this.graph = null;
        this.inputShapes = null;
        this.outputShapes = null;
      } else {
        this.makeGraph(this.inputs[0].perSampleShape);
      }
    }
    return last;
  }

  private makeGraph(shape: Shape): void {
    const input = new InputLayer({ shape, name: `${this.name}_input`, dtype: this.source?.dtype ?? this.stack[0]?.dtype });
    let t = input.output;
    for (const l of this.stack) t = l.apply(t);
    this.setGraph(buildGraph(this.name, [input.output], [t]));
  }

  private extendGraph(layer: Layer): void {
    const out = layer.apply(this.outputs[0]);
    this.setGraph(buildGraph(this.name, this.inputs, [out]));
  }

  /** Builds every layer for a per-sample input shape (done automatically by the first call). */
  override build(inputShape: Shape | readonly Shape[]): void {
    const shape = (inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape as readonly Shape[])[0] : inputShape) as Shape;
    if (this.graph) {
      super.build(inputShape);
      return;
    }
    if (this.stack.length === 0) throw new ValueError(`${this.name}.build: the model has no layers`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`${this.name}.build: inputShape must be positive integers without the batch axis, got ${showJson(inputShape)}`);
    this.makeGraph(shape);
  }

  protected override ensureBuilt(fn: string, xs: readonly Tensor[]): void {
    if (this.graph) return;
    if (this.stack.length === 0) throw new ValueError(`${fn}: the model has no layers`);
    if (xs[0].rank < 1) throw new ValueError(`${fn}: x must have a batch axis, got shape ${fmtShape(xs[0].shape)}`);
    this.source = { shape: xs[0].shape.slice(1), dtype: xs[0].dtype };
    this.makeGraph(this.source.shape);
  }

  protected override describeInput(): string {
    return `the first layer '${this.stack[0].name}'`;
  }

  protected override showsConnections(): boolean {
    return false;
  }

  override getConfig(): Record<string, unknown> {
    const g = this.requireGraph('getConfig');
    return {
      name: this.name,
      trainable: this.trainable,
      inputShape: g.inputs[0].perSampleShape,
      ...(g.inputs[0].dtype !== 'float32' ? { dtype: g.inputs[0].dtype } : {}),
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }
}

markOwnLayerClasses([Model, Sequential]);

/** A new Sequential model: `gl.sequential([layers...])` or `gl.sequential({ layers, name })` (Keras' keras.Sequential). */
export function sequential(args: SequentialArgs | readonly SequentialEntry[] = {}): Sequential {
  return new Sequential(args);
}

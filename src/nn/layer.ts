import { GradlabError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { noGrad, Tensor } from '../tensor/tensor.js';
import { tensor, zeros } from '../tensor/creation.js';
import { shapesEqual } from '../tensor/shape.js';
import type { NestedArray } from '../tensor/tensor.js';

/** What a layer computes for one input: the pre-activation z (when it has an activation) and the output u. */
export interface LayerOutput {
  z: Tensor;
  u: Tensor;
}

export interface LayerArgs {
  name?: string;
  /** Per-sample input shape (no batch axis), on the first layer of a model. */
  inputShape?: readonly number[];
  trainable?: boolean;
}

/** A weight of a layer: its role (kernel, bias, gamma, ...), the tensor, and whether training updates it. */
export interface LayerWeight {
  readonly role: string;
  readonly tensor: Tensor;
  /** False for state such as batch norm's moving statistics. */
  readonly trainable: boolean;
}

const counters = new Map<string, number>();

/** Keras-style unique names: dense, dense_1, dense_2, ... */
export function uniqueName(base: string): string {
  const n = counters.get(base) ?? 0;
  counters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Base of every layer: weights, build by input shape, forward in training or inference mode. */
export abstract class Layer {
  abstract readonly className: string;
  name: string;
  /** Settable: a frozen layer (false) keeps its weights through fit (transfer learning). */
  trainable: boolean;
  /** Per-sample input shape, set when built. */
  inputShape: number[] | null = null;
  /** Per-sample output shape, set when built. */
  outputShape: number[] | null = null;
  readonly requestedInputShape: number[] | null;
  protected weightList: LayerWeight[] = [];

  constructor(args: LayerArgs, defaultName: string) {
    this.name = args.name ?? uniqueName(defaultName);
    this.trainable = args.trainable ?? true;
    this.requestedInputShape = args.inputShape ? [...args.inputShape] : null;
    if (this.requestedInputShape && !this.requestedInputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ValueError(`${this.name}: inputShape ${fmtShape(this.requestedInputShape)} must hold positive integers (no batch axis)`);
    }
  }

  get built(): boolean {
    return this.inputShape !== null;
  }

  /** Creates the weights for a per-sample input shape and infers the output shape. */
  build(inputShape: readonly number[]): void {
    if (this.built) {
      if (!shapesEqual(this.inputShape!, inputShape)) {
        throw new ShapeError(`${this.name}: already built for input ${fmtShape(this.inputShape!)}, cannot take ${fmtShape(inputShape)}`);
      }
      return;
    }
    try {
      this.buildWeights(inputShape);
      // A dry run on one zero sample gives the output shape and surfaces any shape error now.
      const out = noGrad(() => this.forward(zeros([1, ...inputShape]), false).u);
      this.inputShape = [...inputShape];
      this.outputShape = out.shape.slice(1);
    } catch (e) {
      this.weightList = [];
      if (e instanceof GradlabError && !e.message.startsWith(this.name + ':')) {
        const Cls = e.constructor as new (m: string) => GradlabError;
        throw new Cls(`${this.name} (${this.className}) cannot take input of shape ${fmtShape([-1, ...inputShape]).replace('-1', 'batch')}: ${e.message}`);
      }
      throw e;
    }
  }

  protected buildWeights(_inputShape: readonly number[]): void {}

  /**
   * The layer's computation on a batch; `training` switches dropout and batch statistics. With
   * `needZ` false a layer may compute u in one fused op and give z only when it is read
   * (recomputed then); with true, z is computed alongside u.
   */
  abstract forward(x: Tensor, training: boolean, needZ?: boolean): LayerOutput;

  /** Runs the layer on a batch (inference mode unless told), checking the per-sample shape. */
  apply(x: Tensor, training = false): Tensor {
    return this.call(x, training).u;
  }

  call(x: Tensor, training = false, needZ = false): LayerOutput {
    if (!this.built) this.build(x.shape.slice(1));
    else if (!shapesEqual(x.shape.slice(1), this.inputShape!)) {
      throw new ShapeError(`${this.name} (${this.className}): expects input [batch,${this.inputShape!.join(',')}] but got ${fmtShape(x.shape)}`);
    }
    return this.forward(x, training, needZ);
  }

  protected addWeight(role: string, tensor: Tensor, trainable = true): Tensor {
    tensor.requiresGrad = trainable;
    this.weightList.push({ role, tensor, trainable });
    return tensor;
  }

  /** All weights in a fixed order (kernel, bias, then state). */
  get weights(): readonly LayerWeight[] {
    return this.weightList;
  }

  /** The tensors an optimizer updates: none when the layer is frozen. */
  get trainableWeights(): Tensor[] {
    return this.trainable ? this.weightList.filter((w) => w.trainable).map((w) => w.tensor) : [];
  }

  get nonTrainableWeights(): Tensor[] {
    return this.weightList.filter((w) => !w.trainable || !this.trainable).map((w) => w.tensor);
  }

  /** Copies of the weights, in the order of `weights`. */
  getWeights(): Tensor[] {
    return this.weightList.map((w) => w.tensor.clone());
  }

  /** Sets the weights by hand (tensors or nested arrays), in the order of `getWeights()`. */
  setWeights(values: readonly (Tensor | NestedArray)[]): void {
    if (values.length !== this.weightList.length) {
      throw new ValueError(`${this.name}.setWeights: expected ${this.weightList.length} arrays (${this.weightList.map((w) => `${w.role} ${fmtShape(w.tensor.shape)}`).join(', ') || 'none'}), got ${values.length}`);
    }
    const parsed = values.map((v, i) => {
      const target = this.weightList[i].tensor;
      const t = v instanceof Tensor ? v : tensor(v, { dtype: target.dtype });
      if (!shapesEqual(t.shape, target.shape)) {
        throw new ShapeError(`${this.name}.setWeights: ${this.weightList[i].role} must have shape ${fmtShape(target.shape)}, got ${fmtShape(t.shape)}`);
      }
      return t;
    });
    parsed.forEach((t, i) => this.weightList[i].tensor.data.set(t.data));
  }

  countParams(): number {
    return this.weightList.reduce((n, w) => n + w.tensor.size, 0);
  }

  /** Multiplications per sample in the forward pass (for summary()). */
  multiplications(): number {
    return 0;
  }

  /** The constructor arguments that rebuild this layer (for saving). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, ...(this.requestedInputShape ? { inputShape: this.requestedInputShape } : {}) };
  }

  static defaultName(className: string): string {
    return snake(className);
  }
}

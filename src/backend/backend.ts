/**
 * The kernel interface. Kernels see typed arrays, sizes and options only, never Tensor,
 * so a fast backend (wasm) can replace any of them and be checked against the reference.
 * Every array is contiguous and row-major; outputs are preallocated by the caller.
 */
export type FloatArray = Float32Array | Float64Array;

export type UnaryKernel =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'square' | 'sign'
  | 'sigmoid' | 'tanh' | 'relu' | 'step' | 'softplus' | 'reciprocal';

export type BinaryKernel =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq'
  /** a * (b > 0 ? 1 : 0): relu's backward in one pass (same values, signed zeros and NaNs as mul(a, gt(b, 0))). */
  | 'maskPositive';

export type ReduceKernel = 'sum' | 'max' | 'min';

/** Activations a kernel applies to its own output, whose derivatives follow from that output. */
export const FUSED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/**
 * Work a conv2d or matmul kernel does on its result before handing it back: y = activation(y + bias),
 * the bias repeated over rows of bias.length (channels, units). Saves a pass and a copy per op.
 */
export interface Epilogue {
  bias: FloatArray | null;
  activation: FusedActivation;
}

/** Geometry of a 2-D convolution in NHWC with [kh, kw, in, out] kernels. Padding is explicit. */
export interface Conv2dGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/** The gradients conv2dBackward computes: each one given is overwritten, each null is skipped. */
export interface Conv2dGrads {
  dx: FloatArray | null;
  dw: FloatArray | null;
  dbias: FloatArray | null;
}

/** A fused activation's output, from which its derivative follows. */
export interface FusedOutput {
  y: FloatArray;
  activation: FusedActivation;
}

/** Geometry of 2-D pooling in NHWC; channels are pooled independently. */
export interface Pool2dGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

export interface Backend {
  readonly name: string;

  /** out[i] = op(x[i]). `out` may alias `x`. */
  unary(op: UnaryKernel, x: FloatArray, out: FloatArray): void;

  /**
   * out = op(a, b) with NumPy broadcasting; aShape and bShape are already left-padded to
   * outShape's rank. Comparisons write 1 or 0.
   */
  binary(op: BinaryKernel, a: FloatArray, aShape: readonly number[], b: FloatArray,
    bShape: readonly number[], out: FloatArray, outShape: readonly number[]): void;

  /** Reduces x viewed as [outer, axis, inner] over the middle dimension into out [outer, inner]. */
  reduce(op: ReduceKernel, x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void;

  /** Index (0..axis-1) of the max (or min) over the middle dimension of [outer, axis, inner]. */
  argReduce(op: 'max' | 'min', x: FloatArray, outer: number, axis: number, inner: number, out: FloatArray): void;

  /**
   * Batched GEMM: for each b < batch, C_b[m,n] = op(A_b)[m,k] . op(B_b)[k,n], where op transposes
   * when the flag is set (A_b is then stored [k,m], B_b [n,k]). A stride of 0 repeats one matrix
   * over the batch. C is overwritten.
   */
  matmul(a: FloatArray, b: FloatArray, c: FloatArray, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, epilogue?: Epilogue): void;

  /** y[N,OH,OW,M] = cross-correlation of x[N,H,W,C] with w[KH,KW,C,M] (padding with zeros). */
  conv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void;

  /**
   * All of conv2d's gradients in one call (as PyTorch's convolution_backward): dz = dy, or
   * dy * activation'(y) when the conv fused an activation with output y; then dx from dz and w,
   * dw from x and dz, and dbias as dz's sums per output channel, each only when asked for.
   */
  conv2dBackward(x: FloatArray, w: FloatArray, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads,
    fused?: FusedOutput): void;

  /**
   * The backward of an epilogue, from its output y: dz = dy * activation'(y) (relu: y > 0,
   * sigmoid: y (1 - y), tanh: 1 - y^2, linear: 1) and, when dbias is given, its sums over the
   * rows of `inner` values: dbias[j] = sum_r dz[r * inner + j].
   */
  activationBackward(dy: FloatArray, y: FloatArray, activation: FusedActivation, dz: FloatArray,
    dbias: FloatArray | null, inner: number): void;
  /**
   * dx[N,H,W,C] = transpose of conv2d in x applied to dy[N,OH,OW,M]. dx is overwritten. With an
   * epilogue (a transposed convolution layer's bias, per input channel C, and activation) the
   * kernel applies it to dx before returning.
   */
  conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void;
  /** dw[KH,KW,C,M] = transpose of conv2d in w applied to dy. dw is overwritten. */
  conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void;

  /**
   * Grouped convolution (Keras Conv2D with `groups`; DepthwiseConv2D is groups = C): the C input
   * channels split into `groups` blocks of Cg = C/groups and the M outputs into blocks of
   * Mg = M/groups, output block b seeing input block b only:
   *   y[n,i,j,b*Mg+m] = sum_{kh,kw,c<Cg} x[n, i*s + kh*d - pad, j*s + kw*d - pad, b*Cg+c] w[kh,kw,c,b*Mg+m]
   * with w [KH,KW,Cg,M] (g.inC = C and g.outC = M are the totals). A depthwise kernel
   * [KH,KW,C,mult] is the same memory as [KH,KW,1,C*mult]. groups = 1 is conv2d.
   */
  groupedConv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, groups: number, epilogue?: Epilogue): void;
  /** dx[N,H,W,C] = transpose of groupedConv2d in x applied to dy. dx is overwritten. */
  groupedConv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, groups: number): void;
  /** dw[KH,KW,C/groups,M] = transpose of groupedConv2d in w applied to dy. dw is overwritten. */
  groupedConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry, groups: number): void;

  /**
   * Max pooling: out[N,OH,OW,C] and, in argmax, the flat index into x of each maximum
   * (padded cells never win). A window with no real cell is an error caught before the call.
   */
  maxPool2d(x: FloatArray, out: FloatArray, argmax: Int32Array, g: Pool2dGeometry): void;
  /** The adjoint of max pooling: dx (overwritten) is zero but for dx[argmax[i]] += dy[i]. */
  maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, g: Pool2dGeometry): void;
  /** Average pooling over the real (unpadded) cells of each window. */
  avgPool2d(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void;
  /** The adjoint of avgPool2d: spreads dy over each window's real cells. dx is overwritten. */
  avgPool2dBackward(dy: FloatArray, dx: FloatArray, g: Pool2dGeometry): void;

  /**
   * One Adam update, element by element: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2,
   * w -= alpha m' / (sqrt(v') + epsilon). alpha already holds the bias corrections. w is updated
   * in place; m' and v' go to mOut and vOut when given (m and v are then only read: the
   * optimizer keeps its last states for fit's NaN guard without copying them), else into m and v.
   */
  adamUpdate(w: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, alpha: number, beta1: number, beta2: number,
    epsilon: number, mOut?: FloatArray, vOut?: FloatArray): void;

  /** Whether every value of x is finite (no NaN, no infinity): fit's checks of data and weights. */
  allFinite(x: FloatArray): boolean;

  /**
   * Batch normalisation's statistics of x viewed as [rows, channels]: each channel's mean and
   * biased variance over the rows, summed in float64 as offsets from the channel's first value
   * (so a mean that dwarfs the spread does not swamp the variance). rows = 0 gives NaN.
   */
  channelMoments(x: FloatArray, rows: number, channels: number, mean: FloatArray, variance: FloatArray): void;
  /** y[r, c] = x[r, c] * scale[c] + shift[c] over x viewed as [rows, channels]. y may be x. */
  channelAffine(x: FloatArray, rows: number, channels: number, scale: FloatArray, shift: FloatArray, y: FloatArray): void;
  /**
   * The gradients of training-mode batch normalisation, y = (x - mean) invStd gamma + beta with
   * the batch's own mean and invStd (which depend on x too), over [rows, channels]:
   * dbeta[c] = sum_r dy, dgamma[c] = sum_r dy xhat with xhat = (x - mean) invStd, and, when dx
   * is given, dx = scale (dy - dbeta / rows - xhat dgamma / rows) with scale[c] = gamma[c] invStd[c].
   */
  batchNormBackward(dy: FloatArray, x: FloatArray, rows: number, channels: number, mean: FloatArray, invStd: FloatArray,
    scale: FloatArray, dx: FloatArray | null, dgamma: FloatArray, dbeta: FloatArray): void;
}

/** Every kernel of the Backend interface, each exactly once (the `satisfies` rejects a missing or unknown name). */
const KERNEL_SET = {
  unary: true, binary: true, reduce: true, argReduce: true, matmul: true, conv2d: true, conv2dBackward: true,
  activationBackward: true, conv2dBackpropInput: true, conv2dBackpropFilter: true, groupedConv2d: true,
  groupedConv2dBackpropInput: true, groupedConv2dBackpropFilter: true, maxPool2d: true, maxPool2dBackward: true,
  avgPool2d: true, avgPool2dBackward: true, adamUpdate: true, allFinite: true, channelMoments: true, channelAffine: true,
  batchNormBackward: true,
} as const satisfies Record<Exclude<keyof Backend, 'name'>, true>;
export type KernelName = keyof typeof KERNEL_SET;
export const KERNEL_NAMES = Object.keys(KERNEL_SET) as KernelName[];

/**
 * The required core: the kernels a backend must write itself (forwards with no composition of
 * other kernels). withDefaults (defaults.ts) builds every other kernel from them, as burn's
 * backend traits give default backward ops, so no backend can lack a gradient kernel.
 */
export const CORE_KERNELS = ['unary', 'binary', 'reduce', 'argReduce', 'matmul', 'conv2d', 'maxPool2d', 'avgPool2d'] as const satisfies readonly KernelName[];
export type CoreKernel = (typeof CORE_KERNELS)[number];
/** The kernels withDefaults supplies when a backend does not override them. */
export type DefaultKernel = Exclude<KernelName, CoreKernel>;

/** What a backend author writes: a name, the whole core, and any defaults it measures faster. */
export type BackendParts = { readonly name: string } & Pick<Backend, CoreKernel> & Partial<Pick<Backend, DefaultKernel>>;

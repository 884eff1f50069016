import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  type Backend, type Conv2dGeometry, type Conv2dGrads, type Epilogue, type FloatArray,
  type FusedActivation, type FusedOutput,
} from '../backend.js';
import { ACTIVATION_CODES } from '../codes.js';
import { jsBackend } from '../js/index.js';
import { registerBackend, requestedThreads } from '../index.js';
import { ValueError } from '../../core/errors.js';
import { nativeEltwiseKernels } from './eltwise.js';

/**
 * The native backend: C kernels (native/src/, an N-API addon built by `npm install`) working in
 * place on the tensors' typed arrays, so nothing is copied in or out. float32 only: float64 data
 * runs on the js reference, as does any kernel the addon lacks. A missing or broken addon makes
 * the backend unavailable (the reason is kept for one message), never an error at import.
 */

/** The functions native/src/*.c export (see each file's gl_register_* call). */
export interface NativeAddon {
  threads(): number;
  setThreads(n: number): number;
  /** The ISA the kernels run: 'avx512' | 'avx2' | 'c'. */
  isa(): string;
  /** The best ISA this CPU has. */
  detectedIsa(): string;
  /** Forces an ISA (at most the detected one); returns the one now in use. */
  setIsa(isa: string): string;
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, bias: Float32Array | null,
    act: number): void;
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, g: Int32Array, bias: Float32Array | null, act: number): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: Int32Array, bias: Float32Array | null,
    act: number): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, g: Int32Array): void;
  conv2dBackward(x: Float32Array, w: Float32Array, dy: Float32Array, g: Int32Array, dx: Float32Array | null,
    dw: Float32Array | null, dbias: Float32Array | null, y: Float32Array | null, act: number): void;
}

export interface NativeBackendInfo {
  isa: string;
  detectedIsa: string;
  threads: number;
}

export interface NativeBackend extends Backend {
  readonly name: 'native';
  info(): NativeBackendInfo;
  /** Threads the kernels use, the caller included (GRADLAB_THREADS, default min(2, cores)). */
  setThreads(threads: number): void;
  /** Runs the kernels of a lower ISA ('avx512' | 'avx2' | 'c'; capped at what the CPU has): for tests. */
  setIsa(isa: 'avx512' | 'avx2' | 'c'): string;
}

/** The addon, seen from dist/src/backend/native/ (and from src/backend/native/ when run unbuilt). */
const ADDON_URLS = ['../../../../build/Release/gradlab_native.node', '../../../build/Release/gradlab_native.node'];

let addon: NativeAddon | undefined;
let loadError: string | undefined;
let backend: NativeBackend | undefined;

function findAddon(): string | undefined {
  for (const u of ADDON_URLS) {
    const p = fileURLToPath(new URL(u, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Why the last build left no addon, from build/native-status.json (scripts/build-native.mjs). */
function buildReason(): string {
  for (const u of ['../../../../build/native-status.json', '../../../build/native-status.json']) {
    try {
      const s = JSON.parse(readFileSync(fileURLToPath(new URL(u, import.meta.url)), 'utf8')) as { built?: boolean; reason?: unknown };
      if (s.built === false && typeof s.reason === 'string' && s.reason !== '') return s.reason.split('\n')[0];
    } catch {
      // no status file: the build never ran
    }
  }
  return "build/Release/gradlab_native.node is missing; run 'npm run build:native'";
}

const REQUIRED: (keyof NativeAddon)[] = ['threads', 'setThreads', 'isa', 'detectedIsa', 'setIsa', 'matmul', 'conv2d',
  'conv2dBackpropInput', 'conv2dBackpropFilter', 'conv2dBackward'];

/** Loads the addon once; undefined (with the reason in nativeUnavailableReason()) when it cannot. */
export function loadNativeAddon(): NativeAddon | undefined {
  if (addon || loadError !== undefined) return addon;
  const path = findAddon();
  if (!path) {
    loadError = buildReason();
    return undefined;
  }
  try {
    const m = createRequire(import.meta.url)(path) as Partial<NativeAddon>;
    const missing = REQUIRED.filter((k) => typeof m[k] !== 'function');
    if (missing.length > 0) throw new Error(`the addon lacks ${missing.join(', ')} (rebuild with 'npm run build:native')`);
    addon = m as NativeAddon;
  } catch (e) {
    loadError = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  return addon;
}

/** Why the native backend is unavailable, or undefined when it loaded (or was not tried yet). */
export function nativeUnavailableReason(): string | undefined {
  return loadError;
}

const ACT: Record<FusedActivation, number> = ACTIVATION_CODES;

const f32 = (a: FloatArray | null | undefined): a is Float32Array => a instanceof Float32Array;


/** Builds the backend on a loaded addon (not registered). */
export function createNativeBackend(a: NativeAddon): NativeBackend {
  // one geometry block reused by every call (JS is single-threaded here)
  const geom = new Int32Array(15);
  const put = (g: Conv2dGeometry): Int32Array => {
    geom[0] = g.batch; geom[1] = g.inH; geom[2] = g.inW; geom[3] = g.inC; geom[4] = g.outH; geom[5] = g.outW;
    geom[6] = g.outC; geom[7] = g.kH; geom[8] = g.kW; geom[9] = g.strideH; geom[10] = g.strideW;
    geom[11] = g.dilationH; geom[12] = g.dilationW; geom[13] = g.padTop; geom[14] = g.padLeft;
    return geom;
  };
  const epiOk = (e?: Epilogue): boolean => !e || e.bias === null || f32(e.bias);
  // Geometries the C side refuses (no kernel taps, a zero stride: models read from damaged files)
  // run on the reference, which defines them (an empty sum), as the other backends do.
  const geomOk = (g: Conv2dGeometry): boolean => g.kH >= 1 && g.kW >= 1 && g.strideH >= 1 && g.strideW >= 1 &&
    g.dilationH >= 1 && g.dilationW >= 1 && g.padTop >= 0 && g.padLeft >= 0 && g.batch >= 0 && g.inH >= 0 && g.inW >= 0 &&
    g.inC >= 0 && g.outH >= 0 && g.outW >= 0 && g.outC >= 0 && g.batch * g.inH * g.inW * g.inC < 2 ** 31 &&
    g.batch * g.outH * g.outW * g.outC < 2 ** 31 &&
    // the im2col row of one pixel must fit the bounded scratch (fuzzed files ask for millions of taps)
    g.kH * g.kW * Math.max(g.inC, g.outC) <= 2 ** 20 && g.padTop + g.inH + g.kH * g.dilationH < 2 ** 24 &&
    g.padLeft + g.inW + g.kW * g.dilationW < 2 ** 24;

  const core: Partial<Backend> = {
    matmul(x: FloatArray, w: FloatArray, c: FloatArray, batch: number, m: number, k: number, n: number, transA: boolean,
      transB: boolean, aBatchStride: number, bBatchStride: number, epilogue?: Epilogue): void {
      if (!f32(x) || !f32(w) || !f32(c) || !epiOk(epilogue)) {
        jsBackend.matmul(x, w, c, batch, m, k, n, transA, transB, aBatchStride, bBatchStride, epilogue);
        return;
      }
      a.matmul(x, w, c, batch, m, k, n, transA, transB, aBatchStride, bBatchStride,
        (epilogue?.bias as Float32Array | null | undefined) ?? null, epilogue ? ACT[epilogue.activation] : 0);
    },
    conv2d(x: FloatArray, w: FloatArray, y: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
      if (!f32(x) || !f32(w) || !f32(y) || !epiOk(epilogue) || !geomOk(g)) {
        jsBackend.conv2d(x, w, y, g, epilogue);
        return;
      }
      a.conv2d(x, w, y, put(g), (epilogue?.bias as Float32Array | null | undefined) ?? null, epilogue ? ACT[epilogue.activation] : 0);
    },
    conv2dBackpropInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: Conv2dGeometry, epilogue?: Epilogue): void {
      if (!f32(dy) || !f32(w) || !f32(dx) || !epiOk(epilogue) || !geomOk(g)) {
        jsBackend.conv2dBackpropInput(dy, w, dx, g, epilogue);
        return;
      }
      a.conv2dBackpropInput(dy, w, dx, put(g), (epilogue?.bias as Float32Array | null | undefined) ?? null,
        epilogue ? ACT[epilogue.activation] : 0);
    },
    conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, g: Conv2dGeometry): void {
      if (!f32(x) || !f32(dy) || !f32(dw) || !geomOk(g)) {
        jsBackend.conv2dBackpropFilter(x, dy, dw, g);
        return;
      }
      a.conv2dBackpropFilter(x, dy, dw, put(g));
    },
    conv2dBackward(x: FloatArray, w: FloatArray, dy: FloatArray, g: Conv2dGeometry, grads: Conv2dGrads, fused?: FusedOutput): void {
      const act = fused ? fused.activation : 'linear';
      if (!geomOk(g) || !f32(x) || !f32(w) || !f32(dy) || (grads.dx !== null && !f32(grads.dx)) || (grads.dw !== null && !f32(grads.dw)) ||
        (grads.dbias !== null && !f32(grads.dbias)) || (act !== 'linear' && !f32(fused?.y))) {
        jsBackend.conv2dBackward(x, w, dy, g, grads, fused);
        return;
      }
      a.conv2dBackward(x, w, dy, put(g), grads.dx as Float32Array | null, grads.dw as Float32Array | null,
        grads.dbias as Float32Array | null, act !== 'linear' ? (fused?.y as Float32Array) : null, ACT[act]);
    },
  };

  return {
    ...jsBackend,
    ...nativeEltwiseKernels(a),
    ...core,
    name: 'native',
    info: () => ({ isa: a.isa(), detectedIsa: a.detectedIsa(), threads: a.threads() }),
    setThreads(threads: number): void {
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
        throw new ValueError(`setThreads: threads must be an integer from 1 to 64, got ${threads}`);
      }
      a.setThreads(threads);
    },
    setIsa(isa: 'avx512' | 'avx2' | 'c'): string {
      if (isa !== 'avx512' && isa !== 'avx2' && isa !== 'c') {
        throw new ValueError(`setIsa: expected 'avx512', 'avx2' or 'c', got ${JSON.stringify(isa)}`);
      }
      return a.setIsa(isa);
    },
  };
}

/**
 * Loads the native backend once and registers it as 'native' (it does not select it). Returns
 * undefined when the addon is missing or broken; nativeUnavailableReason() says why.
 */
export function loadNativeBackend(): NativeBackend | undefined {
  if (backend) return backend;
  const a = loadNativeAddon();
  if (!a) return undefined;
  // a bad GRADLAB_THREADS throws here, as it does for wasm
  a.setThreads(requestedThreads());
  backend = createNativeBackend(a);
  registerBackend(backend);
  return backend;
}

/** The loaded native backend, if loadNativeBackend succeeded. */
export function nativeBackend(): NativeBackend | undefined {
  return backend;
}

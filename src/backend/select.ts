import { applyRequestedBackend, getBackend, requestedBackend, setBackend } from './index.js';
import { loadNativeBackend, nativeBackend, nativeUnavailableReason } from './native/index.js';
import { loadWasmBackend, wasmBackend } from './wasm/index.js';

/**
 * Loads the fast backends and selects the fastest available: native (the C addon) if it loaded,
 * else wasm, else the js reference. GRADLAB_BACKEND=native|wasm|js picks one instead; naming one
 * that does not load is an error. Safe to call more than once: later calls select nothing, so
 * they never undo a setBackend() made in between.
 */
let selected = false;

export function loadDefaultBackend(): void {
  const want = requestedBackend();
  if (selected) return;
  const native = loadNativeBackend();
  if (want === 'native' && !native) {
    throw new Error(`GRADLAB_BACKEND=native but the native backend did not load: ${nativeUnavailableReason() ?? 'unknown reason'}`);
  }
  loadWasmBackend(); // selects wasm unless GRADLAB_BACKEND says otherwise
  if (native && want === undefined) setBackend('native');
  applyRequestedBackend(); // any named backend, or an error naming those that loaded
  selected = true;
}

export interface BackendInfo {
  /** The selected backend's name. */
  backend: string;
  /** The native backend's ISA ('avx512' | 'avx2' | 'c') and threads, when it loaded. */
  native: { isa: string; detectedIsa: string; threads: number } | null;
  /** Why the native backend is unavailable, when it is. */
  nativeUnavailable: string | null;
  /** The wasm backend's SIMD level and threads, when it loaded. */
  wasm: { simd: string; threads: number } | null;
}

/** Which backend runs the kernels and how (ISA, threads). */
export function backendInfo(): BackendInfo {
  const n = nativeBackend();
  const w = wasmBackend();
  const wi = w?.info();
  return {
    backend: getBackend(),
    native: n ? n.info() : null,
    nativeUnavailable: n ? null : (nativeUnavailableReason() ?? null),
    wasm: wi ? { simd: wi.simd, threads: wi.threads } : null,
  };
}

// The SMO solver of libsvm's C-SVC dual, re-derived from Fan, Chen & Lin (2005), "Working set
// selection using second order information", and libsvm's svm.cpp (read, not copied):
//   min_a 0.5 a'Qa - e'a   s.t. y'a = 0, 0 <= a_i <= C_i,   Q_ij = y_i y_j K(x_i, x_j).
// With a linear term p other than -e and a feasible start, the same loop solves epsilon-SVR's
// 2l-variable dual and the one-class dual (libsvm's Solver is shared the same way).

/** Supplies rows of Q (signs included) for the solver. */
export interface QRows {
  /** Q[i, :] (length l); the array stays valid until two more rows are requested. */
  row(i: number): Float32Array;
  /** Q[i, i]. */
  diag(i: number): number;
}

export interface SolverProgress {
  iterations: number;
  objective: number;
}

export interface SolverOptions {
  tol: number;
  maxIter: number;
  shrinking: boolean;
  /** Called every `progressEvery` iterations with the current (approximate when shrunk) objective. */
  onProgress?: (p: SolverProgress) => void;
  progressEvery?: number;
  /** The linear term p of 0.5 a'Qa + p'a (default -1 everywhere, the C-SVC dual); epsilon-SVR and one-class need others. */
  p?: Float64Array;
  /** A feasible starting alpha (default 0); one-class SVM starts from nu * l spread over the first samples. */
  alpha0?: Float64Array;
}

export interface SolverResult {
  alpha: Float64Array;
  rho: number;
  objective: number;
  iterations: number;
  /** True when the loop stopped at maxIter before meeting tol. */
  hitMaxIter: boolean;
}

const TAU = 1e-12;
const LOWER = 0, UPPER = 1, FREE = 2;

/** Solves the C-SVC dual for labels y (+1/-1) and per-sample bounds c; returns alpha and rho (f(x) = sum y_i a_i K - rho). */
export function solveCSVC(l: number, y: Int8Array, c: Float64Array, q: QRows, opts: SolverOptions): SolverResult {
  const alpha = opts.alpha0 ? Float64Array.from(opts.alpha0) : new Float64Array(l);
  const lin = opts.p ?? new Float64Array(l).fill(-1);
  const G = Float64Array.from(lin); // gradient Qa + p, completed below for a nonzero start
  const Gbar = new Float64Array(l); // sum over upper-bound j of C_j Q_j: lets shrunk gradients be rebuilt
  const status = new Uint8Array(l); // all at the lower bound until setStatus below
  const QD = new Float64Array(l);
  for (let i = 0; i < l; i++) QD[i] = q.diag(i);
  const active = new Int32Array(l);
  for (let i = 0; i < l; i++) active[i] = i;
  let activeSize = l;
  let unshrink = false;
  let rowI: Float32Array = new Float32Array(0);
  let rowJ: Float32Array = rowI;
  // The first half of the selection (the maximal violator) is fused into the gradient update.
  let nextMax = -Infinity, nextMaxIdx = -1, nextValid = false;
  const eps = opts.tol;
  const scratch = new Float64Array(1);

  // up: may move up in the direction y (libsvm's I_up), low: may move down (I_low); yf: y as a double.
  const up = new Uint8Array(l).fill(1);
  const low = new Uint8Array(l).fill(1);
  const yf = new Float64Array(l);
  for (let i = 0; i < l; i++) yf[i] = y[i];
  const setStatus = (i: number): void => {
    const st = alpha[i] >= c[i] ? UPPER : alpha[i] <= 0 ? LOWER : FREE;
    status[i] = st;
    const pos = y[i] === 1;
    up[i] = st === FREE || (pos ? st === LOWER : st === UPPER) ? 1 : 0;
    low[i] = st === FREE || (pos ? st === UPPER : st === LOWER) ? 1 : 0;
  };
  for (let i = 0; i < l; i++) setStatus(i);
  // A nonzero start: G = p + sum_i a_i Q_i, and Gbar over the samples at their bound (libsvm's Solve).
  for (let i = 0; i < l; i++) {
    if (status[i] === LOWER) continue;
    const row = q.row(i);
    const ai = alpha[i];
    for (let j = 0; j < l; j++) G[j] += ai * row[j];
    if (status[i] === UPPER) for (let j = 0; j < l; j++) Gbar[j] += c[i] * row[j];
  }

  const resetActive = (): void => {
    for (let i = 0; i < l; i++) active[i] = i;
    activeSize = l;
  };

  const reconstructGradient = (): void => {
    if (activeSize === l) return;
    const inAct = new Uint8Array(l);
    for (let t = 0; t < activeSize; t++) inAct[active[t]] = 1;
    for (let j = 0; j < l; j++) if (!inAct[j]) G[j] = Gbar[j] + lin[j];
    for (let t = 0; t < activeSize; t++) {
      const i = active[t];
      if (status[i] !== FREE) continue;
      const rowT = q.row(i);
      const ai = alpha[i];
      for (let j = 0; j < l; j++) if (!inAct[j]) G[j] += ai * rowT[j];
    }
  };

  // Gmax1: max violation over the "up" set, Gmax2 over the "low" set (libsvm's m(a) and -M(a)).
  const beShrunk = (i: number, gmax1: number, gmax2: number): boolean => {
    if (status[i] === UPPER) return y[i] === 1 ? -G[i] > gmax1 : -G[i] > gmax2;
    if (status[i] === LOWER) return y[i] === 1 ? G[i] > gmax2 : G[i] > gmax1;
    return false;
  };

  const doShrinking = (): void => {
    let gmax1 = -Infinity, gmax2 = -Infinity;
    for (let t = 0; t < activeSize; t++) {
      const i = active[t];
      const g = G[i];
      if (y[i] === 1) {
        if (status[i] !== UPPER && -g >= gmax1) gmax1 = -g;
        if (status[i] !== LOWER && g >= gmax2) gmax2 = g;
      } else {
        if (status[i] !== UPPER && -g >= gmax2) gmax2 = -g;
        if (status[i] !== LOWER && g >= gmax1) gmax1 = g;
      }
    }
    if (!unshrink && gmax1 + gmax2 <= eps * 10) {
      // Close to the end: bring everything back once so that nothing was shrunk by mistake.
      unshrink = true;
      reconstructGradient();
      resetActive();
    }
    let w = 0;
    for (let t = 0; t < activeSize; t++) {
      const i = active[t];
      if (!beShrunk(i, gmax1, gmax2)) active[w++] = i;
    }
    activeSize = w;
  };

  let wsI = -1, wsJ = -1;
  // Second-order working set selection (WSS3): i maximises the violation, j the guaranteed decrease.
  const selectWorkingSet = (): boolean => {
    let gmax = -Infinity, gmax2 = -Infinity;
    let gmaxIdx = -1, gminIdx = -1;
    if (nextValid) {
      gmax = nextMax; gmaxIdx = nextMaxIdx;
    } else {
      for (let t = 0; t < activeSize; t++) {
        const k = active[t];
        if (up[k]) { const v = -yf[k] * G[k]; if (v >= gmax) { gmax = v; gmaxIdx = k; } }
      }
    }
    nextValid = false;
    const i = gmaxIdx;
    if (i !== -1) rowI = q.row(i);
    const yi = i !== -1 ? yf[i] : 0;
    const qdi = i !== -1 ? QD[i] : 0;
    if (i !== -1) {
      gminIdx = selectJ(active, activeSize, low, yf, G, QD, rowI, gmax, yi, qdi, scratch);
      gmax2 = scratch[0];
    } else {
      for (let t = 0; t < activeSize; t++) { const j = active[t]; if (low[j]) gmax2 = Math.max(gmax2, yf[j] * G[j]); }
    }
    if (gmax + gmax2 < eps || gminIdx === -1) return false;
    wsI = i;
    wsJ = gminIdx;
    return true;
  };

  const objective = (): number => {
    let v = 0;
    for (let i = 0; i < l; i++) v += alpha[i] * (G[i] + lin[i]);
    return v / 2;
  };

  const maxIter = opts.maxIter;
  const every = opts.progressEvery ?? 0;
  let iter = 0;
  let counter = Math.min(l, 1000) + 1;
  let hitMaxIter = false;
  for (;;) {
    if (iter >= maxIter) { hitMaxIter = true; break; }
    if (--counter === 0) {
      counter = Math.min(l, 1000);
      if (opts.shrinking) { doShrinking(); nextValid = false; }
    }
    if (!selectWorkingSet()) {
      nextValid = false;
      reconstructGradient();
      resetActive();
      if (!selectWorkingSet()) break;
      counter = 1; // shrink again at the next iteration
    }
    iter++;
    const i = wsI, j = wsJ;
    // rowI already holds Q_i from the selection.
    rowJ = q.row(j);
    const ci = c[i], cj = c[j];
    const oldAi = alpha[i], oldAj = alpha[j];
    let ai = oldAi, aj = oldAj;
    if (y[i] !== y[j]) {
      let quad = QD[i] + QD[j] + 2 * rowI[j];
      if (quad <= 0) quad = TAU;
      const delta = (-G[i] - G[j]) / quad;
      const diff = ai - aj;
      ai += delta; aj += delta;
      if (diff > 0) { if (aj < 0) { aj = 0; ai = diff; } }
      else if (ai < 0) { ai = 0; aj = -diff; }
      if (diff > ci - cj) { if (ai > ci) { ai = ci; aj = ci - diff; } }
      else if (aj > cj) { aj = cj; ai = cj + diff; }
    } else {
      let quad = QD[i] + QD[j] - 2 * rowI[j];
      if (quad <= 0) quad = TAU;
      const delta = (G[i] - G[j]) / quad;
      const sum = ai + aj;
      ai -= delta; aj += delta;
      if (sum > ci) { if (ai > ci) { ai = ci; aj = sum - ci; } }
      else if (aj < 0) { aj = 0; ai = sum; }
      if (sum > cj) { if (aj > cj) { aj = cj; ai = sum - cj; } }
      else if (ai < 0) { ai = 0; aj = sum; }
    }
    alpha[i] = ai; alpha[j] = aj;
    const dai = ai - oldAi, daj = aj - oldAj;
    const ui = status[i] === UPPER, uj = status[j] === UPPER;
    setStatus(i); setStatus(j);
    nextMaxIdx = updateGradient(active, activeSize, G, rowI, rowJ, dai, daj, up, yf, scratch);
    nextMax = scratch[0];
    nextValid = true;
    if (ui !== (status[i] === UPPER)) {
      const s = ui ? -ci : ci;
      for (let k = 0; k < l; k++) Gbar[k] += s * rowI[k];
    }
    if (uj !== (status[j] === UPPER)) {
      const s = uj ? -cj : cj;
      for (let k = 0; k < l; k++) Gbar[k] += s * rowJ[k];
    }
    if (every > 0 && opts.onProgress && iter % every === 0) opts.onProgress({ iterations: iter, objective: objective() });
  }
  if (activeSize < l) { reconstructGradient(); resetActive(); }

  // rho: the average of y_i G_i over free alphas, else the middle of the feasible interval.
  let ub = Infinity, lb = -Infinity, nFree = 0, sumFree = 0;
  for (let i = 0; i < l; i++) {
    const yg = y[i] * G[i];
    if (status[i] === UPPER) {
      if (y[i] === -1) ub = Math.min(ub, yg); else lb = Math.max(lb, yg);
    } else if (status[i] === LOWER) {
      if (y[i] === 1) ub = Math.min(ub, yg); else lb = Math.max(lb, yg);
    } else { nFree++; sumFree += yg; }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  const obj = objective();
  if (opts.onProgress) opts.onProgress({ iterations: iter, objective: obj });
  return { alpha, rho, objective: obj, iterations: iter, hitMaxIter };
}

// The two O(active) loops of every iteration, as plain functions of typed arrays so that the
// engine keeps them monomorphic with their arrays in registers.

/** WSS3's second index: the j in I_low with the largest guaranteed decrease; out[0] = max y_j G_j over I_low. */
function selectJ(active: Int32Array, n: number, low: Uint8Array, yf: Float64Array, G: Float64Array, QD: Float64Array,
  rowI: Float32Array, gmax: number, yi: number, qdi: number, out: Float64Array): number {
  let gmax2 = -Infinity, best = -1, objMin = Infinity;
  for (let t = 0; t < n; t++) {
    const j = active[t];
    if (low[j] === 0) continue;
    const yj = yf[j];
    const v = yj * G[j];
    if (v >= gmax2) gmax2 = v;
    const diff = gmax + v;
    if (diff > 0) {
      let quad = qdi + QD[j] - 2 * yi * yj * rowI[j];
      if (quad <= 0) quad = TAU;
      const od = -(diff * diff) / quad;
      if (od <= objMin) { best = j; objMin = od; }
    }
  }
  out[0] = gmax2;
  return best;
}

/** G += dA_i Q_i + dA_j Q_j over the active set; returns the next maximal violator in I_up (its value in out[0]). */
function updateGradient(active: Int32Array, n: number, G: Float64Array, rowI: Float32Array, rowJ: Float32Array,
  dai: number, daj: number, up: Uint8Array, yf: Float64Array, out: Float64Array): number {
  let mx = -Infinity, idx = -1;
  for (let t = 0; t < n; t++) {
    const k = active[t];
    const g = G[k] + rowI[k] * dai + rowJ[k] * daj;
    G[k] = g;
    if (up[k]) { const v = -yf[k] * g; if (v >= mx) { mx = v; idx = k; } }
  }
  out[0] = mx;
  return idx;
}

// Platt scaling as libsvm does it (svm.cpp's sigmoid_train, sigmoid_predict and
// multiclass_probability; Lin, Lin and Weng 2007, "A note on Platt's probabilistic outputs";
// Wu, Lin and Weng 2004, method 2 of "Probability estimates for multi-class classification by
// pairwise coupling"). Re-derived from those papers and libsvm's code, read, not copied.

/** Fits P(y = +1 | f) = 1 / (1 + exp(A f + B)) to decision values f and labels (> 0 is +1) by Newton's method with backtracking. */
export function sigmoidTrain(dec: ArrayLike<number>, labels: ArrayLike<number>): { A: number; B: number; iterations: number } {
  const l = dec.length;
  let prior1 = 0;
  for (let i = 0; i < l; i++) if (labels[i] > 0) prior1++;
  const prior0 = l - prior1;
  const maxIter = 100, minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
  // Targets pulled off 0 and 1 by the priors (Platt's correction against overfitting).
  const hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
  const t = new Float64Array(l);
  for (let i = 0; i < l; i++) t[i] = labels[i] > 0 ? hi : lo;
  const objective = (A: number, B: number): number => {
    let f = 0;
    for (let i = 0; i < l; i++) {
      const z = dec[i] * A + B;
      f += z >= 0 ? t[i] * z + Math.log(1 + Math.exp(-z)) : (t[i] - 1) * z + Math.log(1 + Math.exp(z));
    }
    return f;
  };
  let A = 0, B = Math.log((prior0 + 1) / (prior1 + 1));
  let fval = objective(A, B);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    let h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
    for (let i = 0; i < l; i++) {
      const z = dec[i] * A + B;
      let p: number, q: number;
      // The two forms avoid overflow of exp for large |z|.
      if (z >= 0) { const e = Math.exp(-z); p = e / (1 + e); q = 1 / (1 + e); } else { const e = Math.exp(z); p = 1 / (1 + e); q = e / (1 + e); }
      const d2 = p * q;
      h11 += dec[i] * dec[i] * d2; h22 += d2; h21 += dec[i] * d2;
      const d1 = t[i] - p;
      g1 += dec[i] * d1; g2 += d1;
    }
    if (Math.abs(g1) < eps && Math.abs(g2) < eps) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= minStep) {
      const nA = A + step * dA, nB = B + step * dB;
      const nf = objective(nA, nB);
      if (nf < fval + 0.0001 * step * gd) { A = nA; B = nB; fval = nf; break; }
      step /= 2;
    }
    if (step < minStep) break; // the line search failed: keep the last point, as libsvm
  }
  return { A, B, iterations: iter };
}

/** 1 / (1 + exp(A f + B)), in the form that cannot overflow. */
export function sigmoidPredict(f: number, A: number, B: number): number {
  const z = f * A + B;
  return z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
}

/**
 * Class probabilities p (length k, written to out) from pairwise ones r[i * k + j] = P(i | i or j),
 * by Wu, Lin and Weng's method 2: min p'Qp on the simplex, solved by libsvm's fixed-point sweeps.
 */
export function multiclassProbability(k: number, r: Float64Array, out: Float64Array): void {
  const Q = new Float64Array(k * k);
  const Qp = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    out[t] = 1 / k;
    let qtt = 0;
    for (let j = 0; j < t; j++) { qtt += r[j * k + t] * r[j * k + t]; Q[t * k + j] = Q[j * k + t]; }
    for (let j = t + 1; j < k; j++) { qtt += r[j * k + t] * r[j * k + t]; Q[t * k + j] = -r[j * k + t] * r[t * k + j]; }
    Q[t * k + t] = qtt;
  }
  const maxIter = Math.max(100, k), eps = 0.005 / k;
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += Q[t * k + j] * out[j];
      Qp[t] = s;
      pQp += out[t] * s;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) maxError = Math.max(maxError, Math.abs(Qp[t] - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const qtt = Q[t * k + t];
      const diff = (-Qp[t] + pQp) / qtt;
      out[t] += diff;
      pQp = (pQp + diff * (diff * qtt + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) { Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff); out[j] /= 1 + diff; }
    }
  }
}

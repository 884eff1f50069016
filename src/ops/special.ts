// Special functions on plain numbers, for ops that have no kernel of their own.
//
// erf and erfc by W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
// approximations for the error function", Math. Comp. 23 (1969) 631-638; the SPECFUN routine
// CALERF): three intervals, |x| <= 0.46875, <= 4 and beyond, each a ratio of polynomials good to
// about 18 significant digits, so the float64 results are within a few ulps. erfc is computed
// directly (not as 1 - erf), keeping its relative accuracy far into the tail.

// erf(x) / x for |x| <= 0.46875, as a polynomial ratio in x^2.
const A = [3.16112374387056560, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
const B = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
// exp(x^2) erfc(x) for 0.46875 < x <= 4.
const C = [5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2,
  8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
const D = [1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
  3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
// x exp(x^2) erfc(x) - 1/sqrt(pi) in 1/x^2 for x > 4.
const P = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
  6.58749161529837803e-4, 1.63153871373020978e-2];
const Q = [2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

const ONE_OVER_SQRT_PI = 0.56418958354775628695;
const THRESH = 0.46875;
/** Below it x^2 may underflow and erf(x) = 2x/sqrt(pi) to working precision. */
const XSMALL = 1.11e-16;
/** erfc(x) underflows to 0 from here on. */
const XBIG = 26.543;

/** erf(y) for 0 <= y <= THRESH (any sign of x works: it is odd). */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > XSMALL ? y * y : 0;
  let num = A[4] * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]) * ysq;
    den = (den + B[i]) * ysq;
  }
  return (x * (num + A[3])) / (den + B[3]);
}

/** erfc(y) for y > THRESH. */
function erfcLarge(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]) * y;
      den = (den + D[i]) * y;
    }
    r = (num + C[7]) / (den + D[7]);
  } else {
    if (y >= XBIG) return 0;
    const z = 1 / (y * y);
    let num = P[5] * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]) * z;
      den = (den + Q[i]) * z;
    }
    r = (ONE_OVER_SQRT_PI - (z * (num + P[4])) / (den + Q[4])) / y;
  }
  // exp(-y^2) as exp(-ysq^2) exp(-(y - ysq)(y + ysq)) with ysq = y rounded down to 1/16: avoids
  // the rounding error of forming y^2 directly.
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del) * r;
}

/** The error function, 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return erfSmall(x);
  const r = 0.5 - erfcLarge(y) + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function 1 - erf(x), accurate where it is tiny (large x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfSmall(x);
  const r = erfcLarge(y);
  return x < 0 ? 2 - r : r;
}

/** The standard normal distribution function Phi(x) = erfc(-x / sqrt(2)) / 2. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/**
 * Lyapunov exponents from products of one-step Jacobians (spec 8.1), the single source of the LE
 * metric. J(k) = A diag(1 - tanh(x(k))^2). The code multiplies later Jacobians on the right
 * ("code" order, used by the paper); the chronological map is J(k_off) ... J(k_on). Both are
 * offered (spec D9). Eigenvalues of P^T P come from ml-matrix's symmetric solver in float64.
 *
 * @module
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { paramLayout, type RnnShape } from "./rnn/network.ts";

/** Product order of the Jacobians. */
export type ProductOrder = "code" | "chronological";

/** Window and conventions of an LE computation. */
export interface LyapunovOptions {
  /** First step of the window (1-based, inclusive). */
  kOn: number;
  /** Last step of the window (1-based, inclusive). */
  kOff: number;
  /** Product order (default "code"). */
  order?: ProductOrder;
  /** Divisor of ln(singular value); default k_off - k_on as in the code. */
  divisor?: number;
}

/** The Jacobian product P over the window for a trajectory `traj` (T x N row-major, states x). */
export function jacobianProduct(
  shape: RnnShape,
  w: Float64Array,
  traj: Float64Array,
  options: LyapunovOptions,
): Matrix {
  const { n } = shape;
  const L = paramLayout(shape);
  const order = options.order ?? "code";
  let P: Matrix | null = null;
  for (let k = options.kOn; k <= options.kOff; k++) {
    const J = new Matrix(n, n);
    for (let j = 0; j < n; j++) {
      const t = Math.tanh(traj[(k - 1) * n + j]);
      const d = 1 - t * t;
      for (let i = 0; i < n; i++) J.set(i, j, w[L.a + i + n * j] * d);
    }
    if (P === null) P = J;
    else P = order === "code" ? P.mmul(J) : J.mmul(P);
  }
  if (P === null) throw new RangeError("empty Lyapunov window");
  return P;
}

/** All N exponents, ascending (the order of a symmetric eigensolver), ln|eig(P^T P)| / (2 d). */
export function lyapunovSpectrum(
  shape: RnnShape,
  w: Float64Array,
  traj: Float64Array,
  options: LyapunovOptions,
): number[] {
  const P = jacobianProduct(shape, w, traj, options);
  const M = P.transpose().mmul(P);
  const eig = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const divisor = options.divisor ?? options.kOff - options.kOn;
  return eig.realEigenvalues.map((v) => Math.log(Math.abs(v)) / (2 * divisor)).sort((a, b) =>
    a - b
  );
}

/** Maximal exponent; null when it is -Infinity (singular product), as the spec leaves it missing. */
export function maxLyapunov(
  shape: RnnShape,
  w: Float64Array,
  traj: Float64Array,
  options: LyapunovOptions,
): number | null {
  const spec = lyapunovSpectrum(shape, w, traj, options);
  const m = spec[spec.length - 1];
  return Number.isFinite(m) ? m : null;
}

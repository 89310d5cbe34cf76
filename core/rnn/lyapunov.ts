/**
 * Lyapunov exponents from products of one-step Jacobians (spec 8.1), the single source of the LE
 * metric. J(k) = A diag(1 - tanh(x(k))^2). The code multiplies later Jacobians on the right
 * ("code" order, used by the paper); the chronological map is J(k_off) ... J(k_on). Both are
 * offered (spec D9). Eigenvalues of P^T P come from ml-matrix's symmetric solver in float64
 * (core/util/linalg.ts jamaSymmetricEigenvalues).
 *
 * @module
 */
import { Matrix } from "ml-matrix";
import { firstNonFinite } from "../util/finite.ts";
import { jamaSymmetricEigenvalues } from "../util/linalg.ts";
import { paramLayout, type RnnShape } from "./network.ts";

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
  if (options.kOff < options.kOn) throw new RangeError("empty Lyapunov window");
  // Plain row-major products: building an ml-matrix per Jacobian dominated the RL evaluation.
  let P = new Float64Array(n * n);
  let next = new Float64Array(n * n);
  const J = new Float64Array(n * n);
  const fill = (k: number, into: Float64Array): void => {
    for (let j = 0; j < n; j++) {
      const t = Math.tanh(traj[(k - 1) * n + j]);
      const d = 1 - t * t;
      for (let i = 0; i < n; i++) into[i * n + j] = w[L.a + i + n * j] * d;
    }
  };
  fill(options.kOn, P);
  for (let k = options.kOn + 1; k <= options.kOff; k++) {
    fill(k, J);
    // code order: P <- P J (later Jacobians on the right); chronological: P <- J P.
    const [X, Y] = order === "code" ? [P, J] : [J, P];
    next.fill(0);
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < n; m++) {
        const x = X[i * n + m];
        if (x === 0) continue;
        for (let j = 0; j < n; j++) next[i * n + j] += x * Y[m * n + j];
      }
    }
    [P, next] = [next, P];
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(P.subarray(i * n, (i + 1) * n)));
  return new Matrix(rows);
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
  const divisor = options.divisor ?? options.kOff - options.kOn;
  // Non-finite weights or states give a non-finite product: the spectrum is undefined (a failed
  // network, core/util/finite.ts), and the eigensolver must not meet it (ml-matrix can loop).
  if (firstNonFinite(M.to1DArray()) >= 0) return new Array<number>(M.rows).fill(NaN);
  return jamaSymmetricEigenvalues(M).map((v) => Math.log(Math.abs(v)) / (2 * divisor)).sort((
    a,
    b,
  ) => a - b);
}

/**
 * Maximal exponent; null when it is -Infinity (singular product), as the spec leaves it missing;
 * NaN when the network's numbers are not finite (a failed network, not a missing value).
 */
export function maxLyapunov(
  shape: RnnShape,
  w: Float64Array,
  traj: Float64Array,
  options: LyapunovOptions,
): number | null {
  const spec = lyapunovSpectrum(shape, w, traj, options);
  const m = spec[spec.length - 1];
  if (Number.isNaN(m)) return NaN;
  return Number.isFinite(m) ? m : null;
}

/**
 * The Lyapunov spectrum of Fig 4D (spec 8.1): all 30 exponents of the unprobed condition-4
 * trajectory over the first delay (k = 15..40, divisor 50), in the code's product order (the
 * paper's) and in chronological order, both from the one LE implementation of
 * `core/rnn/lyapunov.ts`. Optionally a QR (Benettin) spectrum of the same product, labelled as
 * such: it re-orthonormalises after every factor instead of forming P^T P, so its lower exponents
 * are not rounding noise (spec 8.1's precision caveat), but for a finite product started from the
 * identity it is a different finite-time estimate, not the same numbers.
 *
 * @module
 */
import { Matrix, QrDecomposition } from "ml-matrix";
import {
  jacobianProduct,
  type LyapunovOptions,
  lyapunovSpectrum,
  type ProductOrder,
} from "../../rnn/lyapunov.ts";
import { DMS_SHAPE, type RnnShape } from "../../rnn/network.ts";
import { UsageError } from "../../util/errors.ts";
import { EXAMPLE_PROTOCOL } from "./protocol.ts";
import { checkDmsWeights } from "./trials.ts";

/** The spectra of one network. */
export interface ExampleSpectrum {
  /** Window (1-based, inclusive). */
  window: { kOn: number; kOff: number };
  /** Divisor d of ln(singular value) (k_off - k_on, as in the code). */
  divisor: number;
  /** ln(sigma_i(P)) / d, code product order, ascending (the order Fig 4D plots). */
  code: number[];
  /** The same for the chronological product J(k_off) ... J(k_on), ascending. */
  chronological: number[];
  /** QR (Benettin) exponents of the same products, ascending; present when asked for. */
  qr?: { code: number[]; chronological: number[] };
}

/** Options of {@link exampleSpectrum}. */
export interface ExampleSpectrumOptions {
  /** Window (default spec 8.1's 15..40). */
  window?: { kOn: number; kOff: number };
  /** Also compute the QR (Benettin) spectra. */
  qr?: boolean;
}

/** Options of {@link qrLyapunovSpectrum}. */
export interface QrSpectrumOptions extends LyapunovOptions {
  /** Network shape. */
  shape: RnnShape;
}

/** Row-major trajectory `[k - 1][unit]` as the flat T x N array the LE functions take. */
export function flatTrajectory(trajectory: readonly (readonly number[])[]): Float64Array {
  const n = trajectory[0]?.length ?? 0;
  const out = new Float64Array(trajectory.length * n);
  trajectory.forEach((x, k) => out.set(x, k * n));
  return out;
}

/** Fig 4D spectra of a DMS network from its unprobed condition-4 trajectory. */
export function exampleSpectrum(
  w: Float64Array,
  trajectory: readonly (readonly number[])[],
  options: ExampleSpectrumOptions = {},
): ExampleSpectrum {
  checkDmsWeights(w);
  const window = options.window ?? EXAMPLE_PROTOCOL.spectrumWindow;
  if (window.kOn < 1 || window.kOff > trajectory.length || window.kOff <= window.kOn) {
    throw new UsageError(`spectrum window ${window.kOn}..${window.kOff} outside the trajectory`);
  }
  const traj = flatTrajectory(trajectory);
  const at = (order: ProductOrder): LyapunovOptions => ({ ...window, order });
  const out: ExampleSpectrum = {
    window: { kOn: window.kOn, kOff: window.kOff },
    divisor: window.kOff - window.kOn,
    code: lyapunovSpectrum(DMS_SHAPE, w, traj, at("code")),
    chronological: lyapunovSpectrum(DMS_SHAPE, w, traj, at("chronological")),
  };
  if (options.qr) {
    out.qr = {
      code: qrLyapunovSpectrum(w, traj, { shape: DMS_SHAPE, ...at("code") }),
      chronological: qrLyapunovSpectrum(w, traj, { shape: DMS_SHAPE, ...at("chronological") }),
    };
  }
  return out;
}

/**
 * QR (Benettin) exponents of the Jacobian product over the window, ascending: Q <- qr(J Q) factor
 * by factor, starting from the identity, exponent i = sum_k ln|R_ii(k)| / divisor. The factor
 * applied first is the rightmost of the product: J(k_off) for the code order, J(k_on) for the
 * chronological one. Their sum equals ln|det P| / divisor, the sum of the direct spectrum.
 */
export function qrLyapunovSpectrum(
  w: Float64Array,
  trajectory: Float64Array,
  options: QrSpectrumOptions,
): number[] {
  const { shape, kOn, kOff } = options;
  if (kOff < kOn) throw new UsageError("empty Lyapunov window");
  const n = shape.n;
  const steps: number[] = [];
  for (let k = kOn; k <= kOff; k++) steps.push(k);
  if ((options.order ?? "code") === "code") steps.reverse();
  let q = Matrix.eye(n, n);
  const sums = new Array<number>(n).fill(0);
  for (const k of steps) {
    // A one-factor window is the single Jacobian J(k): one definition of J for both spectra.
    const j = jacobianProduct(shape, w, trajectory, { kOn: k, kOff: k });
    const qr = new QrDecomposition(j.mmul(q));
    const r = qr.upperTriangularMatrix;
    for (let i = 0; i < n; i++) sums[i] += Math.log(Math.abs(r.get(i, i)));
    q = qr.orthogonalMatrix;
  }
  const divisor = options.divisor ?? kOff - kOn;
  return sums.map((s) => s / divisor).sort((a, b) => a - b);
}

/**
 * Multinomial logistic regression with scikit-learn's objective (spec 7.2.1):
 *
 *   J(W, b) = sum_n -ln softmax(W x_n + b)[y_n] + ||W||_F^2 / (2 C),  intercept not penalised,
 *
 * minimised by L-BFGS (10 pairs, backtracking Armijo line search) in float64 to a relative
 * objective change below `tolerance` (1e-6) or `maxIterations` (800). Written here rather than
 * taken from npm: the one maintained package (`ml-logistic-regression`) fits one-vs-rest binary
 * models by plain gradient descent, which is neither this objective nor fast enough.
 *
 * Rows with many exact zeros (binary digits, 19% ink) are stored sparsely, so the raw-digit
 * classifier costs about a fifth of a dense one.
 *
 * @module
 */
import { abortPoll } from "../../util/abort_poll.ts";

/** A design matrix: n rows of d features. */
export interface Features {
  /** Rows. */
  n: number;
  /** Columns. */
  d: number;
  /** Row-major values (0/1 bytes or floats). */
  values: ArrayLike<number>;
}

/** A fitted classifier. */
export interface LogRegModel {
  /** Classes. */
  k: number;
  /** Features. */
  d: number;
  /** Weights, k x d row-major. */
  w: Float64Array;
  /** Intercepts. */
  b: Float64Array;
}

/** Fit diagnostics. */
export interface LogRegFit {
  /** The model. */
  model: LogRegModel;
  /** Final objective J. */
  objective: number;
  /** L-BFGS iterations. */
  iterations: number;
  /** Whether the tolerance was met before the iteration limit. */
  converged: boolean;
}

/** Options of {@link fitLogReg}. */
export interface LogRegOptions {
  /** Inverse regularisation strength C (0.1 raw digits, 1.0 encodings). */
  c: number;
  /** Number of classes (10). */
  classes: number;
  /** Relative objective tolerance (1e-6). */
  tolerance?: number;
  /** Iteration limit (800). */
  maxIterations?: number;
  /** Checked every iteration: an aborted signal throws its reason (Ctrl-C within a fit). */
  signal?: AbortSignal;
}

/** Compressed rows: the non-zero entries of each row. */
interface Rows {
  n: number;
  d: number;
  start: Int32Array;
  index: Int32Array;
  value: Float64Array;
}

function compress(x: Features): Rows {
  if (x.values.length !== x.n * x.d) throw new Error("features: values do not fill n x d");
  let nnz = 0;
  for (let q = 0; q < x.values.length; q++) if (x.values[q] !== 0) nnz++;
  const start = new Int32Array(x.n + 1);
  const index = new Int32Array(nnz);
  const value = new Float64Array(nnz);
  let p = 0;
  for (let r = 0; r < x.n; r++) {
    start[r] = p;
    for (let j = 0; j < x.d; j++) {
      const v = x.values[r * x.d + j];
      if (v !== 0) {
        index[p] = j;
        value[p++] = v;
      }
    }
  }
  start[x.n] = p;
  return { n: x.n, d: x.d, start, index, value };
}

/** Class probabilities of every row, n x k. */
function softmaxRows(rows: Rows, k: number, w: Float64Array, b: Float64Array): Float64Array {
  const { n, d, start, index, value } = rows;
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    const o = r * k;
    let mx = -Infinity;
    for (let c = 0; c < k; c++) {
      let z = b[c];
      const wc = c * d;
      for (let p = start[r]; p < start[r + 1]; p++) z += w[wc + index[p]] * value[p];
      out[o + c] = z;
      if (z > mx) mx = z;
    }
    let s = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(out[o + c] - mx);
      out[o + c] = e;
      s += e;
    }
    for (let c = 0; c < k; c++) out[o + c] /= s;
  }
  return out;
}

/** Objective and gradient at theta = [vec(W); b]; the gradient is written into `grad`. */
function objective(
  rows: Rows,
  labels: ArrayLike<number>,
  theta: Float64Array,
  options: { k: number; c: number; grad: Float64Array },
): number {
  const { k, c, grad } = options;
  const { n, d, start, index, value } = rows;
  const w = theta.subarray(0, k * d);
  const b = theta.subarray(k * d);
  const p = softmaxRows(rows, k, w, b);
  grad.fill(0);
  let f = 0;
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    const o = r * k;
    f -= Math.log(Math.max(p[o + y], Number.MIN_VALUE));
    for (let cl = 0; cl < k; cl++) {
      const e = p[o + cl] - (cl === y ? 1 : 0);
      grad[k * d + cl] += e;
      const gc = cl * d;
      for (let q = start[r]; q < start[r + 1]; q++) grad[gc + index[q]] += e * value[q];
    }
  }
  let reg = 0;
  for (let q = 0; q < k * d; q++) {
    reg += w[q] * w[q];
    grad[q] += w[q] / c;
  }
  return f + reg / (2 * c);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let q = 0; q < a.length; q++) s += a[q] * b[q];
  return s;
}

/** The objective J and its gradient for a given model (exposed for finite-difference tests). */
export function logRegObjective(
  x: Features,
  labels: ArrayLike<number>,
  options: { model: LogRegModel; c: number },
): { value: number; gradW: Float64Array; gradB: Float64Array } {
  const { model, c } = options;
  const theta = new Float64Array(model.k * model.d + model.k);
  theta.set(model.w);
  theta.set(model.b, model.k * model.d);
  const grad = new Float64Array(theta.length);
  const value = objective(compress(x), labels, theta, { k: model.k, c, grad });
  return {
    value,
    gradW: grad.slice(0, model.k * model.d),
    gradB: grad.slice(model.k * model.d),
  };
}

/**
 * Fits a multinomial logistic regression by L-BFGS. Asynchronous only so that an abort sent while
 * it runs on the main thread is seen between iterations ({@link abortPoll}); the fit is the same.
 */
export async function fitLogReg(
  x: Features,
  labels: ArrayLike<number>,
  options: LogRegOptions,
): Promise<LogRegFit> {
  const k = options.classes;
  const tol = options.tolerance ?? 1e-6;
  const maxIt = options.maxIterations ?? 800;
  if (labels.length !== x.n) throw new Error("logreg: one label per row needed");
  for (let r = 0; r < x.n; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= k) {
      throw new Error(`logreg: label ${y} outside 0..${k - 1}`);
    }
  }
  const rows = compress(x);
  const dim = k * x.d + k;
  let theta = new Float64Array(dim);
  let g = new Float64Array(dim);
  const args = { k, c: options.c, grad: g };
  let f = objective(rows, labels, theta, args);
  const mem = 10;
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(mem);
  let it = 0;
  let converged = false;
  const trial = new Float64Array(dim);
  let gNew = new Float64Array(dim);
  const checkAbort = abortPoll(options.signal);
  while (it < maxIt) {
    await checkAbort();
    it++;
    // Two-loop recursion: dir = -H g.
    const q = Float64Array.from(g);
    for (let h = sHist.length - 1; h >= 0; h--) {
      alpha[h] = rho[h] * dot(sHist[h], q);
      const yh = yHist[h];
      for (let t = 0; t < dim; t++) q[t] -= alpha[h] * yh[t];
    }
    let gamma = 1;
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      gamma = dot(sHist[last], yHist[last]) / dot(yHist[last], yHist[last]);
    } else {
      gamma = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    }
    for (let t = 0; t < dim; t++) q[t] *= gamma;
    for (let h = 0; h < sHist.length; h++) {
      const beta = rho[h] * dot(yHist[h], q);
      const sh = sHist[h];
      for (let t = 0; t < dim; t++) q[t] += sh[t] * (alpha[h] - beta);
    }
    let slope = 0;
    for (let t = 0; t < dim; t++) slope -= g[t] * q[t];
    if (!(slope < 0)) {
      // A zero gradient is the optimum; otherwise numerical trouble: restart from steepest descent.
      if (sHist.length === 0) {
        converged = true;
        break;
      }
      sHist.length = 0;
      yHist.length = 0;
      rho.length = 0;
      continue;
    }
    let step = 1;
    let fNew = f;
    for (let ls = 0; ls < 40; ls++) {
      for (let t = 0; t < dim; t++) trial[t] = theta[t] - step * q[t];
      args.grad = gNew;
      fNew = objective(rows, labels, trial, args);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    const s = new Float64Array(dim);
    const y = new Float64Array(dim);
    for (let t = 0; t < dim; t++) {
      s[t] = trial[t] - theta[t];
      y[t] = gNew[t] - g[t];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sHist.length === mem) {
        sHist.shift();
        yHist.shift();
        rho.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rho.push(1 / sy);
    }
    const rel = Math.abs(f - fNew) / Math.max(Math.abs(f), Math.abs(fNew), 1);
    theta = Float64Array.from(trial);
    const swap = g;
    g = gNew;
    gNew = swap;
    f = fNew;
    if (rel < tol) {
      converged = true;
      break;
    }
  }
  return {
    model: { k, d: x.d, w: theta.slice(0, k * x.d), b: theta.slice(k * x.d) },
    objective: f,
    iterations: it,
    converged,
  };
}

/** Class probabilities of each row, n x k. */
export function predictProba(model: LogRegModel, x: Features): Float64Array {
  if (x.d !== model.d) throw new Error(`logreg: ${x.d} features, model has ${model.d}`);
  return softmaxRows(compress(x), model.k, model.w, model.b);
}

/** Fraction of rows whose most probable class is the label. */
export function accuracy(probs: Float64Array, labels: ArrayLike<number>): number {
  const k = probs.length / labels.length;
  let ok = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
    if (best === labels[r]) ok++;
  }
  return ok / labels.length;
}

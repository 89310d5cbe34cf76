/**
 * Dense float64 linear algebra on flat row-major arrays: the symmetric eigen-solvers of the
 * workbench, singular values and sample covariance, in one module.
 *
 * - {@link symmetricEigen}: cyclic Jacobi, eigenvalues and eigenvectors. The most accurate of the
 *   three (high relative accuracy, also for small eigenvalues) and the one to use for new small
 *   problems; O(n^3) per sweep, so not for the 993 x 993 FIM. Used by the RL and DMS-example
 *   analyses (PCA, Mahalanobis distance, singular values).
 * - {@link symmetricEigenvalues}: Householder tridiagonalisation and implicit QL, eigenvalues
 *   only, about n^3 flops: the FIM spectra of bm-fig1 (993 x 993, well under a second).
 * - {@link jamaSymmetricEigenvalues}: ml-matrix's JAMA port (tred2, tql2), for the Lyapunov
 *   exponents of fig5 and fig7.
 * - {@link leadingEigenvector}: power iteration for the leading eigenpair of a PSD matrix (the
 *   FIM criterion of family A).
 *
 * Why three solvers and not one: they agree to about 1e-15 relative (measured on 20 x 20 to
 * 200 x 200 Gram matrices: at most 5e-14 of the largest eigenvalue) but not bit for bit, and a
 * figure's default must print the same numbers with every release; each figure keeps the solver its
 * published numbers were computed with. tests/bm_fisher_test.ts checks the QL solver against
 * ml-matrix and tests/rl_dynamics_test.ts the Jacobi solver against exact cases.
 *
 * @module
 */
import { EigenvalueDecomposition, type Matrix } from "ml-matrix";

/** Eigen-decomposition of a symmetric matrix, eigenvalues sorted descending. */
export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Unit eigenvectors as columns, row-major n x n: `vectors[i * n + j]` = component i of vector j. */
  vectors: Float64Array;
}

/** Cyclic Jacobi on a row-major symmetric n x n matrix (the input is not modified). */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (matrix.length !== n * n) throw new Error(`expected a ${n} x ${n} matrix`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    // Sign convention (spec 8.2 [REC]): the largest-magnitude component is positive.
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i * n + src]) > Math.abs(big)) big = v[i * n + src];
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + dst] = sign * v[i * n + src];
  });
  return { values, vectors };
}

/** Singular values (descending) of a row-major m x n matrix, via the eigenvalues of M^T M. */
export function singularValues(matrix: ArrayLike<number>, m: number, n: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += matrix[k * n + i] * matrix[k * n + j];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return symmetricEigen(g, n).values.map((x) => Math.sqrt(Math.max(0, x)));
}

/** Sample covariance (divisor rows - 1) of a row-major rows x cols sample matrix. */
export function covariance(samples: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += samples[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = samples[r * cols + i] - mean[i];
      for (let j = i; j < cols; j++) cov[i * cols + j] += di * (samples[r * cols + j] - mean[j]);
    }
  }
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      cov[i * cols + j] /= rows - 1;
      cov[j * cols + i] = cov[i * cols + j];
    }
  }
  return cov;
}

/**
 * Eigenvalues of a symmetric matrix by ml-matrix's JAMA port (Householder tred2 and QL tql2), in
 * the order it returns them. The Lyapunov spectra of fig5 and fig7 are computed with it.
 */
export function jamaSymmetricEigenvalues(m: Matrix): number[] {
  return new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues;
}

/**
 * Eigenvalues of a symmetric n x n matrix (row-major), sorted descending. Only the upper triangle
 * is read and updated, so each Householder step reads and writes contiguous rows.
 */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  const a = matrix.slice();
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const ko = k * n;
    d[k] = a[ko + k];
    // Householder vector for row k right of the diagonal (= column k below it).
    let norm = 0;
    for (let c = k + 1; c < n; c++) norm += a[ko + c] * a[ko + c];
    norm = Math.sqrt(norm);
    if (norm === 0) {
      e[k] = 0;
      continue;
    }
    const alpha = a[ko + k + 1] > 0 ? -norm : norm;
    e[k] = alpha;
    let vn = 0;
    for (let c = k + 1; c < n; c++) {
      v[c] = a[ko + c];
      if (c === k + 1) v[c] -= alpha;
      vn += v[c] * v[c];
    }
    vn = Math.sqrt(vn);
    if (vn === 0) continue;
    for (let c = k + 1; c < n; c++) v[c] /= vn;
    // p = A v on the trailing block (symmetric, upper triangle), K = v'p, q = p - K v.
    for (let r = k + 1; r < n; r++) p[r] = 0;
    for (let r = k + 1; r < n; r++) {
      const ro = r * n;
      const vr = v[r];
      let s = a[ro + r] * vr;
      for (let c = r + 1; c < n; c++) {
        const x = a[ro + c];
        s += x * v[c];
        p[c] += x * vr;
      }
      p[r] += s;
    }
    let kk = 0;
    for (let r = k + 1; r < n; r++) kk += v[r] * p[r];
    for (let r = k + 1; r < n; r++) p[r] -= kk * v[r];
    // A <- A - 2 (v q' + q v') on the upper triangle.
    for (let r = k + 1; r < n; r++) {
      const ro = r * n;
      const vr = 2 * v[r];
      const pr = 2 * p[r];
      for (let c = r; c < n; c++) a[ro + c] -= vr * p[c] + pr * v[c];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 2) * n + n - 1];
  }
  d[n - 1] = a[(n - 1) * n + n - 1];
  tridiagonalQl(d, e);
  return d.sort().reverse();
}

/** Eigenvalues of the tridiagonal (d, e) in place into d (implicit QL with Wilkinson shifts). */
function tridiagonalQl(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  // e[i] couples d[i] and d[i+1] (the layout JAMA's tql2 shifts its input into).
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        iter++;
        if (iter > 200) throw new Error("tridiagonal QL did not converge");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
}

/** Leading eigenpair of a symmetric PSD matrix. */
export interface LeadingEigen {
  /** Largest eigenvalue. */
  value: number;
  /** Unit eigenvector, sign fixed so its entries sum to a positive value (spec 5.2). */
  vector: Float64Array;
  /** Power iterations used. */
  iterations: number;
}

/** Power iteration until the relative change of the Rayleigh quotient is below `tol`. */
export function leadingEigenvector(
  matrix: Float64Array,
  n: number,
  options: { tol?: number; maxIterations?: number } = {},
): LeadingEigen {
  const tol = options.tol ?? 1e-12;
  const maxIt = options.maxIterations ?? 5000;
  let x = new Float64Array(n);
  // Start from the diagonal: for a near rank-one PSD matrix F_kk ~ lambda_0 u_k^2.
  for (let k = 0; k < n; k++) x[k] = Math.sqrt(Math.max(matrix[k * n + k], 0)) + 1e-3;
  normalise(x);
  let y = new Float64Array(n);
  let lambda = 0;
  let it = 0;
  for (; it < maxIt; it++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      const ro = r * n;
      for (let c = 0; c < n; c++) s += matrix[ro + c] * x[c];
      y[r] = s;
    }
    let rq = 0;
    for (let k = 0; k < n; k++) rq += x[k] * y[k];
    const norm = normalise(y);
    const tmp = x;
    x = y;
    y = tmp;
    if (norm === 0) break;
    if (it > 0 && Math.abs(rq - lambda) <= tol * Math.abs(rq)) {
      lambda = rq;
      it++;
      break;
    }
    lambda = rq;
  }
  let sum = 0;
  for (let k = 0; k < n; k++) sum += x[k];
  if (sum < 0) { for (let k = 0; k < n; k++) x[k] = -x[k]; }
  return { value: lambda, vector: x, iterations: it };
}

function normalise(x: Float64Array): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k] * x[k];
  s = Math.sqrt(s);
  if (s > 0) { for (let k = 0; k < x.length; k++) x[k] /= s; }
  return s;
}

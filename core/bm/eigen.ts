/**
 * Symmetric eigen-analysis of a FIM in float64 on flat arrays: all eigenvalues by Householder
 * tridiagonalisation and implicit QL (no eigenvectors, so about n^3 flops, well under a second for
 * 993 x 993), and the leading eigenvector by power iteration (spec 5.2: the FIM is positive
 * semi-definite with lambda_0/lambda_1 around 15, so it converges in tens of steps). ml-matrix's
 * full decomposition is the test oracle; it is about 3x slower on nested arrays.
 *
 * @module
 */

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

// Float64 forward pass and exact BPTT gradient of the tanh RNN, WebAssembly SIMD (f64x2) build of
// core/rnn/kernels.ts. Same data layouts: inputs[(k*ni + c)*S + q], targets[(k*no + o)*S + q],
// parameters w = [vec(B); vec(A); vec(C)] column-major. The sequence index q is innermost, so the
// S sequences of a step are contiguous and vectorise in pairs.
// Build: tasks/build_wasm.ts (clang --target=wasm32 -msimd128 -O3 -nostdlib).
#include <wasm_simd128.h>

// tanh over a contiguous block, supplied by JavaScript (Math.tanh) so results match the JS kernel.
extern void tanh_block(double *x, int count);

#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)
#define ADD wasm_f64x2_add
#define MUL wasm_f64x2_mul
#define SPLAT wasm_f64x2_splat

static double hsum(v128_t v) {
  return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1);
}

// Forward pass. r receives tanh(x) for all steps; x (optional) the pre-activations; y (optional)
// the outputs; e (optional) 2*(y - target). Returns sse/(S*T) when e is given.
double rnn_run(int n, int ni, int no, int bias, int S, int T, const double *w,
               const double *inputs, const double *targets, const unsigned char *act,
               double *r, double *x, double *y, double *e) {
  const int offA = n * ni, offC = n * ni + n * n;
  const int nS = n * S;
  double sse = 0;
  for (int k = 0; k < T; k++) {
    double *rk = r + k * nS;
    const double *uk = inputs + k * ni * S;
    for (int i = 0; i < n; i++) {
      double *row = rk + i * S;
      for (int q = 0; q < S; q++) row[q] = 0;
      for (int c = 0; c < ni; c++) {
        const double b = w[i + n * c];
        if (b == 0 || !act[k * ni + c]) continue;
        const double *u = uk + c * S;
        int q = 0;
        v128_t bv = SPLAT(b);
        for (; q + 1 < S; q += 2) STORE(row + q, ADD(LOAD(row + q), MUL(bv, LOAD(u + q))));
        for (; q < S; q++) row[q] += b * u[q];
      }
    }
    if (k > 0) {
      const double *rp = rk - nS;
      for (int i = 0; i < n; i++) {
        double *dst = rk + i * S;
        int q = 0;
        for (; q + 7 < S; q += 8) {
          v128_t a0 = LOAD(dst + q), a1 = LOAD(dst + q + 2), a2 = LOAD(dst + q + 4),
                 a3 = LOAD(dst + q + 6);
          for (int j = 0; j < n; j++) {
            const double a = w[offA + i + n * j];
            if (a == 0) continue;
            const v128_t av = SPLAT(a);
            const double *src = rp + j * S + q;
            a0 = ADD(a0, MUL(av, LOAD(src)));
            a1 = ADD(a1, MUL(av, LOAD(src + 2)));
            a2 = ADD(a2, MUL(av, LOAD(src + 4)));
            a3 = ADD(a3, MUL(av, LOAD(src + 6)));
          }
          STORE(dst + q, a0);
          STORE(dst + q + 2, a1);
          STORE(dst + q + 4, a2);
          STORE(dst + q + 6, a3);
        }
        for (; q + 1 < S; q += 2) {
          v128_t a0 = LOAD(dst + q);
          for (int j = 0; j < n; j++) {
            const double a = w[offA + i + n * j];
            if (a == 0) continue;
            a0 = ADD(a0, MUL(SPLAT(a), LOAD(rp + j * S + q)));
          }
          STORE(dst + q, a0);
        }
        for (; q < S; q++) {
          double acc = dst[q];
          for (int j = 0; j < n; j++) acc += w[offA + i + n * j] * rp[j * S + q];
          dst[q] = acc;
        }
      }
    }
    if (x) {
      for (int m = 0; m < nS; m++) x[k * nS + m] = rk[m];
    }
    tanh_block(rk, nS);
    for (int o = 0; o < no; o++) {
      const int yo = (k * no + o) * S;
      const double b0 = bias ? w[offC + o + no * n] : 0;
      for (int q = 0; q < S; q++) {
        double acc = b0;
        for (int j = 0; j < n; j++) acc += w[offC + o + no * j] * rk[j * S + q];
        if (y) y[yo + q] = acc;
        if (e) {
          const double d = acc - targets[yo + q];
          sse += d * d;
          e[yo + q] = 2 * d;
        }
      }
    }
  }
  return sse / (S * T);
}

double rnn_loss_and_grad(int n, int ni, int no, int bias, int S, int T, const double *w,
                         const double *inputs, const double *targets, const unsigned char *act,
                         double *r, double *e, double *g, double *next, double *grad) {
  const int offA = n * ni, offC = n * ni + n * n;
  const int cCols = n + (bias ? 1 : 0);
  const int K = offC + no * cCols;
  const int nS = n * S;
  const double E = rnn_run(n, ni, no, bias, S, T, w, inputs, targets, act, r, 0, 0, e);
  for (int m = 0; m < K; m++) grad[m] = 0;
  for (int m = 0; m < nS; m++) next[m] = 0;
  for (int k = T - 1; k >= 0; k--) {
    const double *rk = r + k * nS;
    // delta(k) = (1 - r^2) (C0^T e + A^T delta(k+1)), into g
    for (int i = 0; i < n; i++) {
      double *gi = g + i * S;
      for (int q = 0; q < S; q++) gi[q] = next[i * S + q];
      for (int o = 0; o < no; o++) {
        const double c = w[offC + o + no * i];
        const double *eo = e + (k * no + o) * S;
        for (int q = 0; q < S; q++) gi[q] += c * eo[q];
      }
      for (int q = 0; q < S; q++) {
        const double rv = rk[i * S + q];
        gi[q] *= 1 - rv * rv;
      }
    }
    for (int o = 0; o < no; o++) {
      const double *eo = e + (k * no + o) * S;
      for (int j = 0; j < n; j++) {
        const double *rj = rk + j * S;
        v128_t acc = SPLAT(0);
        int q = 0;
        for (; q + 1 < S; q += 2) acc = ADD(acc, MUL(LOAD(eo + q), LOAD(rj + q)));
        double s = hsum(acc);
        for (; q < S; q++) s += eo[q] * rj[q];
        grad[offC + o + no * j] += s;
      }
      if (bias) {
        double s = 0;
        for (int q = 0; q < S; q++) s += eo[q];
        grad[offC + o + no * n] += s;
      }
    }
    const double *uk = inputs + k * ni * S;
    for (int c = 0; c < ni; c++) {
      if (!act[k * ni + c]) continue;
      const double *u = uk + c * S;
      for (int i = 0; i < n; i++) {
        const double *gi = g + i * S;
        v128_t acc = SPLAT(0);
        int q = 0;
        for (; q + 1 < S; q += 2) acc = ADD(acc, MUL(LOAD(gi + q), LOAD(u + q)));
        double s = hsum(acc);
        for (; q < S; q++) s += gi[q] * u[q];
        grad[i + n * c] += s;
      }
    }
    if (k > 0) {
      const double *rp = rk - nS;
      // dA[i][j] += sum_q g_i[q] r_j[q], 2 x 2 blocks
      int j = 0;
      for (; j + 1 < n; j += 2) {
        const double *r0 = rp + j * S, *r1 = r0 + S;
        int i = 0;
        for (; i + 1 < n; i += 2) {
          const double *g0 = g + i * S, *g1 = g0 + S;
          v128_t s00 = SPLAT(0), s01 = SPLAT(0), s10 = SPLAT(0), s11 = SPLAT(0);
          int q = 0;
          for (; q + 1 < S; q += 2) {
            const v128_t x0 = LOAD(g0 + q), x1 = LOAD(g1 + q), y0 = LOAD(r0 + q), y1 = LOAD(r1 + q);
            s00 = ADD(s00, MUL(x0, y0));
            s01 = ADD(s01, MUL(x0, y1));
            s10 = ADD(s10, MUL(x1, y0));
            s11 = ADD(s11, MUL(x1, y1));
          }
          double t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
          for (; q < S; q++) {
            t00 += g0[q] * r0[q];
            t01 += g0[q] * r1[q];
            t10 += g1[q] * r0[q];
            t11 += g1[q] * r1[q];
          }
          grad[offA + n * j + i] += t00;
          grad[offA + n * j + i + 1] += t10;
          grad[offA + n * (j + 1) + i] += t01;
          grad[offA + n * (j + 1) + i + 1] += t11;
        }
        for (; i < n; i++) {
          double s0 = 0, s1 = 0;
          for (int q = 0; q < S; q++) {
            s0 += g[i * S + q] * r0[q];
            s1 += g[i * S + q] * r1[q];
          }
          grad[offA + n * j + i] += s0;
          grad[offA + n * (j + 1) + i] += s1;
        }
      }
      for (; j < n; j++) {
        for (int i = 0; i < n; i++) {
          double s = 0;
          for (int q = 0; q < S; q++) s += g[i * S + q] * rp[j * S + q];
          grad[offA + n * j + i] += s;
        }
      }
      // next = A^T delta(k)
      for (int jj = 0; jj < n; jj++) {
        const double *colA = w + offA + n * jj;
        double *dst = next + jj * S;
        int q = 0;
        for (; q + 7 < S; q += 8) {
          v128_t a0 = SPLAT(0), a1 = SPLAT(0), a2 = SPLAT(0), a3 = SPLAT(0);
          for (int i = 0; i < n; i++) {
            const double a = colA[i];
            if (a == 0) continue;
            const v128_t av = SPLAT(a);
            const double *src = g + i * S + q;
            a0 = ADD(a0, MUL(av, LOAD(src)));
            a1 = ADD(a1, MUL(av, LOAD(src + 2)));
            a2 = ADD(a2, MUL(av, LOAD(src + 4)));
            a3 = ADD(a3, MUL(av, LOAD(src + 6)));
          }
          STORE(dst + q, a0);
          STORE(dst + q + 2, a1);
          STORE(dst + q + 4, a2);
          STORE(dst + q + 6, a3);
        }
        for (; q < S; q++) {
          double acc = 0;
          for (int i = 0; i < n; i++) acc += colA[i] * g[i * S + q];
          dst[q] = acc;
        }
      }
    } else {
      for (int m = 0; m < nS; m++) next[m] = 0;
    }
  }
  const double scale = 1.0 / (S * T);
  for (int m = 0; m < K; m++) grad[m] *= scale;
  return E;
}

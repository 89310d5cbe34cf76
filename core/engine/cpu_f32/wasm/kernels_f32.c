// Float32 "twin" of the WebGPU engine's arithmetic (core/engine/webgpu/wgsl.ts): the fused "grad"
// kernel (forward, BPTT, per-sequence loss and gradient partials), the Kahan reduction of the
// gradient partials over sequences (reduceSource) and the difference-propagation kernel
// (diffSource). Per sequence, every sum runs in the order one WGSL invocation runs it, in float32
// with no fused multiply-adds; the S sequences of a step sit in f32x4 lanes (one lane = one
// workgroup of the GPU dispatch), which changes no rounding. The host rounds weights, inputs and
// targets to float32 as the GPU upload does, and pads S to a multiple of 4 (padded lanes are
// computed and ignored).
// Layouts as kernels.c, with Sp = padded S as the row stride: inputs[(k*ni + c)*Sp + q],
// targets[(k*no + o)*Sp + q], w = [vec(B); vec(A); vec(C)] column-major.
// Build: tasks/build_wasm.ts (clang --target=wasm32 -msimd128 -O3 -nostdlib, no -ffast-math:
// the Kahan compensation and the operation order must survive).
#include <wasm_simd128.h>

typedef v128_t V;
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat

// tanh(x) in float64 (about 1e-16 relative) for two lanes: tanh|x| = m / (m + 2) with
// m = expm1(2|x|) from 2|x| = k ln2 + r, |r| <= ln2/2, expm1(r) by its Taylor series to r^11 and
// expm1(2|x|) = 2^k expm1(r) + (2^k - 1) (exact scaling, no cancellation for small |x|). Rounded
// to float32 it is the correctly rounded float32 tanh except in rare near-ties, i.e. what
// f32_model.ts computes as Math.fround(Math.tanh(x)).
static V tanh_f64x2(V x) {
  const V a = wasm_f64x2_min(wasm_f64x2_abs(x), wasm_f64x2_splat(20.0));
  const V y = wasm_f64x2_add(a, a);
  // k = round(y / ln2) via the 1.5 * 2^52 trick: k lands in the low mantissa bits (0 <= k <= 58).
  const V magic = wasm_f64x2_splat(6755399441055744.0);
  const V kb = wasm_f64x2_add(wasm_f64x2_mul(y, wasm_f64x2_splat(1.44269504088896338700e+00)), magic);
  const V kf = wasm_f64x2_sub(kb, magic);
  // ln2 split as in fdlibm: k * LN2_HI is exact for |k| < 2^20.
  V r = wasm_f64x2_sub(y, wasm_f64x2_mul(kf, wasm_f64x2_splat(6.93147180369123816490e-01)));
  r = wasm_f64x2_sub(r, wasm_f64x2_mul(kf, wasm_f64x2_splat(1.90821492927058770002e-10)));
  static const double inv[] = {1.0 / 2,       1.0 / 6,        1.0 / 24,       1.0 / 120,
                               1.0 / 720,     1.0 / 5040,     1.0 / 40320,    1.0 / 362880,
                               1.0 / 3628800, 1.0 / 39916800};
  V p = wasm_f64x2_splat(inv[9]);
  for (int i = 8; i >= 0; i--) p = wasm_f64x2_add(wasm_f64x2_splat(inv[i]), wasm_f64x2_mul(r, p));
  p = wasm_f64x2_mul(r, wasm_f64x2_add(wasm_f64x2_splat(1.0), wasm_f64x2_mul(r, p)));
  // 2^k: shifting kb's bits by 52 keeps exactly k (the trick's exponent bits fall off the top).
  const V s = wasm_i64x2_add(wasm_i64x2_shl(kb, 52), wasm_i64x2_splat(1023LL << 52));
  const V m = wasm_f64x2_add(wasm_f64x2_mul(s, p), wasm_f64x2_sub(s, wasm_f64x2_splat(1.0)));
  const V t = wasm_f64x2_div(m, wasm_f64x2_add(m, wasm_f64x2_splat(2.0)));
  return wasm_v128_or(t, wasm_v128_and(x, wasm_f64x2_splat(-0.0)));
}

// tanh of four float32 lanes, each computed in float64 and rounded once to float32.
static V tanh_f32x4(V x) {
  const V lo = tanh_f64x2(wasm_f64x2_promote_low_f32x4(x));
  const V hi = tanh_f64x2(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1)));
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0,
                            1, 4, 5);
}

// tanh over a block of floats (count a multiple of 4), in place.
void f32_tanh_block(float *x, int count) {
  for (int m = 0; m < count; m += 4) STORE(x + m, tanh_f32x4(LOAD(x + m)));
}

// x(k) = B u(k) + A r(k-1), summed over c then j (the kernel's loop order); r(k) = tanh(x(k)).
static void forward_step(int n, int ni, int Sp, int k, const float *w, const float *inputs,
                         float *r) {
  const int offA = n * ni;
  const int nS = n * Sp;
  float *rk = r + k * nS;
  const float *uk = inputs + k * ni * Sp;
  for (int i = 0; i < n; i++) {
    float *row = rk + i * Sp;
    for (int q = 0; q < Sp; q += 4) {
      V x = SPLAT(0.0f);
      for (int c = 0; c < ni; c++) x = ADD(x, MUL(SPLAT(w[i + n * c]), LOAD(uk + c * Sp + q)));
      // At k = 0 the kernel adds A * 0, which leaves x unchanged.
      if (k > 0) {
        const float *rp = rk - nS + q;
        for (int j = 0; j < n; j++) x = ADD(x, MUL(SPLAT(w[offA + i + n * j]), LOAD(rp + j * Sp)));
      }
      STORE(row + q, x);
    }
  }
  f32_tanh_block(rk, nS);
}

// Float32 loss and gradient as the WebGPU engine computes them. r: T*n*Sp, e: T*no*Sp,
// sq: wg*Sp, d0/d1: n*Sp, gpart: K*Sp scratch; grad: K floats out. Returns E in float64 (the
// per-sequence loss partials summed in float64, as the host does).
double f32_loss_and_grad(int n, int ni, int no, int bias, int S, int Sp, int T, int wg,
                         const float *w, const float *inputs, const float *targets, float *r,
                         float *e, float *sq, float *d0, float *d1, float *gpart, float *grad) {
  const int offA = n * ni, offC = n * ni + n * n;
  const int cCols = n + (bias ? 1 : 0);
  const int K = offC + no * cCols;
  const int nS = n * Sp;
  for (int k = 0; k < T; k++) forward_step(n, ni, Sp, k, w, inputs, r);
  // Outputs and errors; d^2 goes to the partial of the thread m % wg that owns entry m = k*no + o.
  for (int m = 0; m < wg * Sp; m++) sq[m] = 0;
  for (int m = 0; m < T * no; m++) {
    const int k = m / no, o = m % no;
    const float *rk = r + k * nS;
    float *sqt = sq + (m % wg) * Sp;
    for (int q = 0; q < Sp; q += 4) {
      V y = SPLAT(0.0f);
      for (int i = 0; i < n; i++) y = ADD(y, MUL(SPLAT(w[offC + o + no * i]), LOAD(rk + i * Sp + q)));
      if (bias) y = ADD(y, SPLAT(w[offC + o + no * n]));
      const V d = SUB(y, LOAD(targets + m * Sp + q));
      STORE(e + m * Sp + q, MUL(SPLAT(2.0f), d));
      STORE(sqt + q, ADD(LOAD(sqt + q), MUL(d, d)));
    }
  }
  // The workgroup's tree reduction of the thread partials.
  for (int h = wg / 2; h > 0; h /= 2) {
    for (int t = 0; t < h; t++) {
      for (int q = 0; q < Sp; q += 4) {
        STORE(sq + t * Sp + q, ADD(LOAD(sq + t * Sp + q), LOAD(sq + (t + h) * Sp + q)));
      }
    }
  }
  double sse = 0;
  for (int q = 0; q < S; q++) sse += sq[q];
  // BPTT with per-sequence gradient accumulators (thread i owns column i of A^T, row i of B...).
  for (int m = 0; m < K * Sp; m++) gpart[m] = 0;
  for (int m = 0; m < nS; m++) d0[m] = 0;
  float *D = d0, *Dn = d1;
  for (int k = T - 1; k >= 0; k--) {
    const float *rk = r + k * nS;
    const float *uk = inputs + k * ni * Sp;
    for (int i = 0; i < n; i++) {
      for (int q = 0; q < Sp; q += 4) {
        const V rv = LOAD(rk + i * Sp + q);
        V g = SPLAT(0.0f);
        for (int o = 0; o < no; o++) {
          const V ev = LOAD(e + (k * no + o) * Sp + q);
          g = ADD(g, MUL(SPLAT(w[offC + o + no * i]), ev));
          float *gc = gpart + (offC + o + no * i) * Sp + q;
          STORE(gc, ADD(LOAD(gc), MUL(ev, rv)));
        }
        for (int j = 0; j < n; j++) g = ADD(g, MUL(SPLAT(w[offA + j + n * i]), LOAD(D + j * Sp + q)));
        const V dl = MUL(SUB(SPLAT(1.0f), MUL(rv, rv)), g);
        STORE(Dn + i * Sp + q, dl);
        for (int c = 0; c < ni; c++) {
          float *gb = gpart + (i + n * c) * Sp + q;
          STORE(gb, ADD(LOAD(gb), MUL(dl, LOAD(uk + c * Sp + q))));
        }
        if (k > 0) {
          const float *rp = rk - nS + q;
          for (int j = 0; j < n; j++) {
            float *ga = gpart + (offA + i + n * j) * Sp + q;
            STORE(ga, ADD(LOAD(ga), MUL(dl, LOAD(rp + j * Sp))));
          }
        }
      }
    }
    float *t = D;
    D = Dn;
    Dn = t;
  }
  if (bias) {
    for (int o = 0; o < no; o++) {
      float *gb = gpart + (offC + o + no * n) * Sp;
      for (int q = 0; q < Sp; q += 4) {
        V s = SPLAT(0.0f);
        for (int k = 0; k < T; k++) s = ADD(s, LOAD(e + (k * no + o) * Sp + q));
        STORE(gb + q, s);
      }
    }
  }
  // reduceSource: Kahan summation over the S real sequences, then the float32 scale.
  const float scale = (float)(1.0 / ((double)S * (double)T));
  for (int m = 0; m < K; m++) {
    const float *pm = gpart + m * Sp;
    float sum = 0, comp = 0;
    for (int q = 0; q < S; q++) {
      const float y = pm[q] - comp;
      const float t = sum + y;
      comp = (t - sum) - y;
      sum = t;
    }
    grad[m] = sum * scale;
  }
  return sse * (1.0 / ((double)S * (double)T));
}

// diffSource's tanhSmall: a series with full relative precision for |x| < 0.03, else tanh
// (computed only when a lane needs it: the steps of late SCG iterations are tiny).
static V tanh_small(V x) {
  const V x2 = MUL(x, x);
  const V c1 = SPLAT((float)(1.0 / 3.0));
  const V c2 = SPLAT((float)(2.0 / 15.0));
  const V series = MUL(x, SUB(SPLAT(1.0f), MUL(x2, SUB(c1, MUL(x2, c2)))));
  const V small = wasm_f32x4_lt(wasm_f32x4_abs(x), SPLAT(0.03f));
  if (wasm_i32x4_all_true(small)) return series;
  return wasm_v128_bitselect(series, tanh_f32x4(x), small);
}

// E(w + dw) - E(w) by difference propagation (diffSource). prev/cur: 3*n*Sp each (rb, rt, dr);
// acc: no*Sp. Per-(sequence, output) partials are summed in float64 in the host's order
// (sequence-major).
double f32_loss_diff(int n, int ni, int no, int bias, int S, int Sp, int T, const float *w,
                     const float *dw, const float *inputs, const float *targets, float *prev,
                     float *cur, float *acc) {
  const int offA = n * ni, offC = n * ni + n * n;
  const int nS = n * Sp;
  for (int m = 0; m < 3 * nS; m++) prev[m] = 0;
  for (int m = 0; m < no * Sp; m++) acc[m] = 0;
  for (int k = 0; k < T; k++) {
    const float *uk = inputs + k * ni * Sp;
    const float *rbp = prev, *rtp = prev + nS, *drp = prev + 2 * nS;
    for (int i = 0; i < n; i++) {
      for (int q = 0; q < Sp; q += 4) {
        V xb = SPLAT(0.0f), d = SPLAT(0.0f);
        for (int c = 0; c < ni; c++) {
          const V u = LOAD(uk + c * Sp + q);
          xb = ADD(xb, MUL(SPLAT(w[i + n * c]), u));
          d = ADD(d, MUL(SPLAT(dw[i + n * c]), u));
        }
        if (k > 0) {
          for (int j = 0; j < n; j++) {
            const V a = SPLAT(w[offA + i + n * j]);
            xb = ADD(xb, MUL(a, LOAD(rbp + j * Sp + q)));
            d = ADD(d, ADD(MUL(SPLAT(dw[offA + i + n * j]), LOAD(rtp + j * Sp + q)),
                           MUL(a, LOAD(drp + j * Sp + q))));
          }
        }
        const V b = tanh_f32x4(xb), t = tanh_f32x4(ADD(xb, d));
        const int m = i * Sp + q;
        STORE(cur + m, b);
        STORE(cur + nS + m, t);
        STORE(cur + 2 * nS + m, MUL(tanh_small(d), SUB(SPLAT(1.0f), MUL(b, t))));
      }
    }
    const float *rb = cur, *rt = cur + nS, *dr = cur + 2 * nS;
    for (int o = 0; o < no; o++) {
      const int m = k * no + o;
      for (int q = 0; q < Sp; q += 4) {
        V yb = SPLAT(0.0f), dy = SPLAT(0.0f);
        for (int i = 0; i < n; i++) {
          const V c = SPLAT(w[offC + o + no * i]);
          yb = ADD(yb, MUL(c, LOAD(rb + i * Sp + q)));
          dy = ADD(dy, ADD(MUL(SPLAT(dw[offC + o + no * i]), LOAD(rt + i * Sp + q)),
                           MUL(c, LOAD(dr + i * Sp + q))));
        }
        if (bias) {
          yb = ADD(yb, SPLAT(w[offC + o + no * n]));
          dy = ADD(dy, SPLAT(dw[offC + o + no * n]));
        }
        const V ev = SUB(yb, LOAD(targets + m * Sp + q));
        float *a = acc + o * Sp + q;
        STORE(a, ADD(LOAD(a), MUL(dy, ADD(dy, MUL(SPLAT(2.0f), ev)))));
      }
    }
    float *t = prev;
    prev = cur;
    cur = t;
  }
  double total = 0;
  for (int q = 0; q < S; q++) {
    for (int o = 0; o < no; o++) total += acc[o * Sp + q];
  }
  return total / ((double)S * (double)T);
}

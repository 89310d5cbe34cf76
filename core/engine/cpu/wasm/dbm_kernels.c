// WebAssembly SIMD kernels of the CPU DBM engine (core/engine/cpu/dbm_kernels.ts), float32.
//
// Build (Debian clang + lld): see tasks/build_wasm.ts; the generated dbm_kernels_wasm.ts is
// committed. Matrices are row-major with a row stride ("cap") that may exceed the row length.
// Sparsity is exploited, not assumed: exact zeros of the left operand are skipped (binary states
// cost one add per active unit), and each weight row is visited only between its first and last
// non-zero column (lo[i], hi[i]), which makes the banded receptive-field layer cheap.
#include <wasm_simd128.h>

typedef float f32;

// t[a..e) += w[a..e)
static inline void add_range(f32 *restrict t, const f32 *restrict w, int a, int e) {
  int j = a;
  for (; j + 16 <= e; j += 16) {
    wasm_v128_store(t + j, wasm_f32x4_add(wasm_v128_load(t + j), wasm_v128_load(w + j)));
    wasm_v128_store(t + j + 4,
                    wasm_f32x4_add(wasm_v128_load(t + j + 4), wasm_v128_load(w + j + 4)));
    wasm_v128_store(t + j + 8,
                    wasm_f32x4_add(wasm_v128_load(t + j + 8), wasm_v128_load(w + j + 8)));
    wasm_v128_store(t + j + 12,
                    wasm_f32x4_add(wasm_v128_load(t + j + 12), wasm_v128_load(w + j + 12)));
  }
  for (; j + 4 <= e; j += 4) {
    wasm_v128_store(t + j, wasm_f32x4_add(wasm_v128_load(t + j), wasm_v128_load(w + j)));
  }
  for (; j < e; j++) t[j] += w[j];
}

// t[a..e) += x * w[a..e)
static inline void axpy_range(f32 *restrict t, const f32 *restrict w, f32 x, int a, int e) {
  v128_t xv = wasm_f32x4_splat(x);
  int j = a;
  for (; j + 16 <= e; j += 16) {
    wasm_v128_store(t + j, wasm_f32x4_add(wasm_v128_load(t + j),
                                          wasm_f32x4_mul(xv, wasm_v128_load(w + j))));
    wasm_v128_store(t + j + 4, wasm_f32x4_add(wasm_v128_load(t + j + 4),
                                              wasm_f32x4_mul(xv, wasm_v128_load(w + j + 4))));
    wasm_v128_store(t + j + 8, wasm_f32x4_add(wasm_v128_load(t + j + 8),
                                              wasm_f32x4_mul(xv, wasm_v128_load(w + j + 8))));
    wasm_v128_store(t + j + 12, wasm_f32x4_add(wasm_v128_load(t + j + 12),
                                               wasm_f32x4_mul(xv, wasm_v128_load(w + j + 12))));
  }
  for (; j + 4 <= e; j += 4) {
    wasm_v128_store(t + j, wasm_f32x4_add(wasm_v128_load(t + j),
                                          wasm_f32x4_mul(xv, wasm_v128_load(w + j))));
  }
  for (; j < e; j++) t[j] += x * w[j];
}

// out[r] = scale * (x[r] W) + bias_scale * bias (+ out[r] when acc), for r < rows.
// x: rows x n (stride xcap); W: n x m (stride wcap) with row extents lo/hi; t: m floats scratch.
static void linear_rows(f32 *out, const f32 *x, const f32 *w, const int *lo, const int *hi,
                        int rows, int n, int m, int xcap, int wcap, int ocap, f32 scale,
                        const f32 *bias, f32 bias_scale, int acc, f32 *t) {
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < m; j++) t[j] = 0.0f;
    const f32 *xr = x + (long)r * xcap;
    for (int i = 0; i < n; i++) {
      f32 xi = xr[i];
      if (xi == 0.0f) continue;
      const f32 *wr = w + (long)i * wcap;
      if (xi == 1.0f) {
        add_range(t, wr, lo[i], hi[i]);
      } else {
        axpy_range(t, wr, xi, lo[i], hi[i]);
      }
    }
    f32 *o = out + (long)r * ocap;
    for (int j = 0; j < m; j++) {
      f32 v = scale * t[j];
      if (bias) v += bias_scale * bias[j];
      o[j] = acc ? o[j] + v : v;
    }
  }
}

// The same product with W' from W itself (no transposed copy): W is stored m x n (stride wcap)
// with row extents lo/hi over its n columns. Four outputs j..j+3 are accumulated as one vector
// over the non-zero x[r][i] in increasing i, which is exactly the order and the set of non-zero
// terms of linear_rows on a transposed copy, so both give identical bits. idx: n ints scratch.
static void linear_rows_t(f32 *out, const f32 *x, const f32 *w, const int *lo, const int *hi,
                          int rows, int n, int m, int xcap, int wcap, int ocap, f32 scale,
                          const f32 *bias, f32 bias_scale, int acc, int *idx) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + (long)r * xcap;
    int na = 0;
    for (int i = 0; i < n; i++) {
      if (xr[i] != 0.0f) idx[na++] = i;
    }
    f32 *o = out + (long)r * ocap;
    for (int j0 = 0; j0 < m; j0 += 4) {
      int k = m - j0 < 4 ? m - j0 : 4;
      int a = n;
      int e = 0;
      for (int q = 0; q < k; q++) {
        if (lo[j0 + q] < a) a = lo[j0 + q];
        if (hi[j0 + q] > e) e = hi[j0 + q];
      }
      // First active input at or after a (idx is increasing).
      int s0 = 0;
      int s1 = na;
      while (s0 < s1) {
        int mid = (s0 + s1) >> 1;
        if (idx[mid] < a) s0 = mid + 1; else s1 = mid;
      }
      const f32 *w0 = w + (long)j0 * wcap;
      const f32 *w1 = k > 1 ? w0 + wcap : w0;
      const f32 *w2 = k > 2 ? w0 + 2L * wcap : w0;
      const f32 *w3 = k > 3 ? w0 + 3L * wcap : w0;
      v128_t acc4 = wasm_f32x4_splat(0.0f);
      for (int q = s0; q < na; q++) {
        int i = idx[q];
        if (i >= e) break;
        v128_t wv = wasm_f32x4_make(w0[i], w1[i], w2[i], w3[i]);
        f32 xi = xr[i];
        if (xi == 1.0f) {
          acc4 = wasm_f32x4_add(acc4, wv);
        } else {
          acc4 = wasm_f32x4_add(acc4, wasm_f32x4_mul(wasm_f32x4_splat(xi), wv));
        }
      }
      f32 tv[4];
      wasm_v128_store(tv, acc4);
      for (int q = 0; q < k; q++) {
        int j = j0 + q;
        f32 v = scale * tv[q];
        if (bias) v += bias_scale * bias[j];
        o[j] = acc ? o[j] + v : v;
      }
    }
  }
}

// out = scale * x W + bias_scale * bias (+ out), or with W' when trans (W stored m x n). t: scratch
// of max(m floats, n ints).
void dbm_linear(f32 *out, const f32 *x, const f32 *w, const int *lo, const int *hi, int rows, int n,
                int m, int xcap, int wcap, int ocap, f32 scale, const f32 *bias, f32 bias_scale,
                int acc, f32 *t, int trans) {
  if (trans) {
    linear_rows_t(out, x, w, lo, hi, rows, n, m, xcap, wcap, ocap, scale, bias, bias_scale, acc,
                  (int *)t);
  } else {
    linear_rows(out, x, w, lo, hi, rows, n, m, xcap, wcap, ocap, scale, bias, bias_scale, acc, t);
  }
}

// g = beta * g over n x m (stride gcap).
void dbm_scale(f32 *g, int n, int m, int gcap, f32 beta) {
  for (int i = 0; i < n; i++) {
    f32 *gr = g + (long)i * gcap;
    if (beta == 0.0f) {
      for (int j = 0; j < m; j++) gr[j] = 0.0f;
    } else {
      for (int j = 0; j < m; j++) gr[j] *= beta;
    }
  }
}

// g += alpha * a' b: a is rows x n, b is rows x m, g is n x m. lo/hi (may be 0): the only columns
// of row i that are needed (the mask's row extents when there is a mask). mask (may be 0, stride
// mcap): entries where it is 0 are set to +0. act: rows * m ints of scratch,
// cnt: rows ints of scratch.
void dbm_outer(f32 *g, const f32 *a, const f32 *b, const int *lo, const int *hi, int rows, int n,
               int m, int acap, int bcap, int gcap, f32 alpha, int *act, int *cnt,
               const f32 *mask, int mcap) {
  int sparse = 1;
  for (int r = 0; r < rows; r++) {
    const f32 *br = b + (long)r * bcap;
    int na = 0;
    int *ar = act + (long)r * m;
    for (int j = 0; j < m; j++) {
      if (br[j] != 0.0f) ar[na++] = j;
    }
    cnt[r] = na;
    if (na * 4 >= m) sparse = 0;
  }
  v128_t zero = wasm_f32x4_splat(0.0f);
  // Row i of g stays in cache while the batch rows are added to it.
  for (int i = 0; i < n; i++) {
    int a0 = lo ? lo[i] : 0;
    int e = hi ? hi[i] : m;
    f32 *gr = g + (long)i * gcap;
    if (mask) {
      // Outside its row extents the mask is 0.
      int e0 = a0 < e ? a0 : m;
      for (int j = 0; j < e0; j++) gr[j] = 0.0f;
      for (int j = a0 < e ? e : m; j < m; j++) gr[j] = 0.0f;
    }
    if (a0 >= e) continue;
    for (int r = 0; r < rows; r++) {
      f32 ai = a[(long)r * acap + i];
      if (ai == 0.0f) continue;
      f32 f = alpha * ai;
      const f32 *br = b + (long)r * bcap;
      if (sparse) {
        const int *ar = act + (long)r * m;
        for (int q = 0; q < cnt[r]; q++) {
          int j = ar[q];
          if (j >= a0 && j < e) gr[j] += f * br[j];
        }
      } else {
        axpy_range(gr, br, f, a0, e);
      }
    }
    if (mask) {
      const f32 *mr = mask + (long)i * mcap;
      int j = a0;
      for (; j + 4 <= e; j += 4) {
        v128_t keep = wasm_f32x4_ne(wasm_v128_load(mr + j), zero);
        wasm_v128_store(gr + j, wasm_v128_and(wasm_v128_load(gr + j), keep));
      }
      for (; j < e; j++) {
        if (mr[j] == 0.0f) gr[j] = 0.0f;
      }
    }
  }
}

// Momentum step of spec 0 / 3.5: d = lr (mu d + g m) ("code") or mu d + lr g m, t = w + d,
// optional column max-norm (max_norm > 0), w = t * scale_j * mask. norm2: m floats scratch.
// Four columns per SIMD lane group; the mask selects with a bit mask, so masked entries of w
// are +0 exactly and the arithmetic of the others is the scalar formula's.
void dbm_momentum(f32 *w, f32 *d, const f32 *g, const f32 *mask, int n, int m, int cap, int mcap,
                  f32 lr, f32 mu, int code, f32 max_norm, f32 *norm2) {
  v128_t zero = wasm_f32x4_splat(0.0f);
  v128_t lrv = wasm_f32x4_splat(lr);
  v128_t muv = wasm_f32x4_splat(mu);
  int m4 = m & ~3;
  for (int j = 0; j < m; j++) norm2[j] = 0.0f;
  for (int i = 0; i < n; i++) {
    f32 *wr = w + (long)i * cap;
    f32 *dr = d + (long)i * cap;
    const f32 *gr = g + (long)i * cap;
    const f32 *mr = mask ? mask + (long)i * mcap : 0;
    for (int j = 0; j < m4; j += 4) {
      v128_t gm = wasm_v128_load(gr + j);
      if (mr) gm = wasm_v128_and(gm, wasm_f32x4_ne(wasm_v128_load(mr + j), zero));
      v128_t dv = wasm_v128_load(dr + j);
      v128_t dn = code ? wasm_f32x4_mul(lrv, wasm_f32x4_add(wasm_f32x4_mul(muv, dv), gm))
                       : wasm_f32x4_add(wasm_f32x4_mul(muv, dv), wasm_f32x4_mul(lrv, gm));
      wasm_v128_store(dr + j, dn);
      v128_t t = wasm_f32x4_add(wasm_v128_load(wr + j), dn);
      wasm_v128_store(wr + j, t);
      wasm_v128_store(norm2 + j, wasm_f32x4_add(wasm_v128_load(norm2 + j), wasm_f32x4_mul(t, t)));
    }
    for (int j = m4; j < m; j++) {
      f32 gm = (mr && mr[j] == 0.0f) ? 0.0f : gr[j];
      f32 dn = code ? lr * (mu * dr[j] + gm) : mu * dr[j] + lr * gm;
      dr[j] = dn;
      f32 t = wr[j] + dn;
      wr[j] = t;
      norm2[j] += t * t;
    }
  }
  if (max_norm > 0.0f) {
    for (int j = 0; j < m; j++) {
      f32 nj = __builtin_sqrtf(norm2[j]);
      f32 num = nj < max_norm ? nj : max_norm;
      f32 den = nj > 1e-8f ? nj : 1e-8f;
      norm2[j] = num / den;
    }
  }
  if (!mask && !(max_norm > 0.0f)) return;
  for (int i = 0; i < n; i++) {
    f32 *wr = w + (long)i * cap;
    const f32 *mr = mask ? mask + (long)i * mcap : 0;
    for (int j = 0; j < m4; j += 4) {
      v128_t t = wasm_v128_load(wr + j);
      if (max_norm > 0.0f) t = wasm_f32x4_mul(t, wasm_v128_load(norm2 + j));
      if (mr) t = wasm_v128_and(t, wasm_f32x4_ne(wasm_v128_load(mr + j), zero));
      wasm_v128_store(wr + j, t);
    }
    for (int j = m4; j < m; j++) {
      if (mr && mr[j] == 0.0f) {
        wr[j] = 0.0f;
      } else if (max_norm > 0.0f) {
        wr[j] *= norm2[j];
      }
    }
  }
}

// exp(x) for float32 lanes: Cody-Waite reduction by ln 2 and Cephes' degree-6 polynomial (about
// 1 ulp); x is clamped to [-87, 88] so that 2^n stays a normal float.
static inline v128_t exp_f32x4(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(r, r);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), r), wasm_f32x4_splat(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, e);
}

static inline v128_t sigmoid_f32x4(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp_f32x4(wasm_f32x4_neg(x))));
}

// Scalar twin of the lane code, for row tails.
static inline f32 sigmoid_f32(f32 x) {
  v128_t v = sigmoid_f32x4(wasm_f32x4_splat(x));
  return wasm_f32x4_extract_lane(v, 0);
}

// out = sigmoid(in) over rows x cols (strides ocap, icap); out may be in.
void dbm_sigmoid(f32 *out, const f32 *in, int rows, int cols, int ocap, int icap) {
  for (int r = 0; r < rows; r++) {
    f32 *o = out + (long)r * ocap;
    const f32 *x = in + (long)r * icap;
    int j = 0;
    for (; j + 4 <= cols; j += 4) wasm_v128_store(o + j, sigmoid_f32x4(wasm_v128_load(x + j)));
    for (; j < cols; j++) o[j] = sigmoid_f32(x[j]);
  }
}

static inline v128_t lowbias32x4(v128_t h) {
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat(0x7feb352d));
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 15));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat((int)0x846ca68b));
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
  return h;
}

// out = 1 where u < p else 0, u = bernoulliUniform(r * cols + j, k1, k2) (core/engine/dbm.ts).
void dbm_bernoulli(f32 *out, const f32 *p, int rows, int cols, int ocap, int pcap, unsigned k1,
                   unsigned k2) {
  v128_t key1 = wasm_i32x4_splat((int)k1);
  v128_t key2 = wasm_i32x4_splat((int)k2);
  v128_t lane = wasm_i32x4_make(0, 1, 2, 3);
  v128_t scale = wasm_f32x4_splat(1.0f / 16777216.0f);
  v128_t one = wasm_f32x4_splat(1.0f);
  for (int r = 0; r < rows; r++) {
    f32 *o = out + (long)r * ocap;
    const f32 *pr = p + (long)r * pcap;
    int base = r * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t idx = wasm_i32x4_add(wasm_i32x4_splat(base + j), lane);
      v128_t h = lowbias32x4(wasm_v128_xor(idx, key1));
      h = lowbias32x4(wasm_v128_xor(h, key2));
      v128_t u = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_u32x4_shr(h, 8)), scale);
      v128_t lt = wasm_f32x4_lt(u, wasm_v128_load(pr + j));
      wasm_v128_store(o + j, wasm_v128_and(lt, one));
    }
    for (; j < cols; j++) {
      v128_t idx = wasm_i32x4_splat(base + j);
      v128_t h = lowbias32x4(wasm_v128_xor(idx, key1));
      h = lowbias32x4(wasm_v128_xor(h, key2));
      unsigned hv = (unsigned)wasm_i32x4_extract_lane(h, 0);
      f32 u = (f32)(hv >> 8) * (1.0f / 16777216.0f);
      o[j] = u < pr[j] ? 1.0f : 0.0f;
    }
  }
}

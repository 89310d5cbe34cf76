// Float64 forward pass and exact BPTT gradient of the tanh RNN, WebAssembly SIMD (f64x2) build of
// core/rnn/kernels.ts. Same data layouts: inputs[(k*ni + c)*S + q], targets[(k*no + o)*S + q],
// parameters w = [vec(B); vec(A); vec(C)] column-major. The sequence index q is innermost, so the
// S sequences of a step are contiguous and vectorise in pairs.
//
// Build "wasm" (arithmetic id cpu-wasm), second version: every output element is computed with the
// same operations in the same order as the first version of this file (which imported Math.tanh),
// so results are bit-identical to it; what changed is how the work is blocked:
// - tanh runs in WebAssembly (tanh2 below: glibc's algorithm, operation for operation), two lanes at a
//   time, where the first version called JavaScript's Math.tanh per element;
// - matrix products keep a tile of 4 rows x 4 sequences in registers (8 f64x2 accumulators) while
//   streaming the columns, instead of 1 row x 8 sequences, so every loaded vector and weight serves
//   4 or more multiply-adds: bounds-checked loads (Deno runs WebAssembly without V8's trap handler,
//   so every load with a computed address is compared against the memory size) dominated;
// - A's columns are packed per tile once per call, zero columns left out (pruned weights cost
//   nothing, as before);
// - the error back-propagated into a unit, delta = (1 - r^2)(C0^T e + A^T delta(k+1)), is finished in
//   registers by the tile that computes A^T delta(k+1).
// Products over the sequences (dA, dB, dC) keep the first version's reduction order: lane 0 sums the
// even sequences, lane 1 the odd ones, then lane 0 + lane 1, then the last sequence of an odd S;
// dA's row and column of the last unit of an odd n sum sequentially. Skipping or adding a zero
// product changes nothing: a sum that starts at +0 never becomes -0, and rates are finite.
//
// Build: tasks/build_wasm.ts (clang-16 --target=wasm32 -msimd128 -mrelaxed-simd -O3 -nostdlib).
// The only relaxed-SIMD operations are tanh2's multiply-adds (see there).
#include <stdint.h>
#include <wasm_simd128.h>

typedef v128_t V;
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define ADD wasm_f64x2_add
#define SUB wasm_f64x2_sub
#define MUL wasm_f64x2_mul
#define DIV wasm_f64x2_div
#define SPLAT wasm_f64x2_splat
#define LANE0(v) wasm_i64x2_shuffle(v, v, 0, 0)
#define LANE1(v) wasm_i64x2_shuffle(v, v, 1, 1)
#define INLINE static inline __attribute__((always_inline))

// ---------------------------------------------------------------------------------------------
// tanh

// glibc's expm1 on x86-64 is built twice, with and without FMA, and picked at load time by the CPU;
// the fused operations of the FMA build are relaxed multiply-adds here, which V8 fuses on exactly the
// CPUs with FMA (and rounds the product first on the others, as glibc's other build does).
#define MADD(a, b, c) __builtin_wasm_relaxed_madd_f64x2(a, b, c)    // a*b + c
#define NMADD(a, b, c) __builtin_wasm_relaxed_nmadd_f64x2(a, b, c)  // -(a*b) + c
// Lane select m ? a : b for all-ones/all-zeros lane masks, where it is exact (one blend on x64,
// where wasm's bitselect takes three instructions).
#define SEL(a, b, m) __builtin_wasm_relaxed_laneselect_i64x2(a, b, m)

// tanh2's constants, as a table in linear memory: V8 loads a constant address without a bounds check,
// where it rebuilds an immediate vector with 3-5 instructions at every use. Each constant twice (one
// per lane). Not `const`, so that clang keeps the loads.
enum {
  K_ONE, K_TWO, K_HALF, K_SIGN, K_22, K_INVLN2, K_HALFLN2, K_LN2HI, K_LN2LO, K_Q5, K_Q4, K_Q3, K_Q2,
  K_Q1, K_3, K_6, K_MHALF, K_ROUND, K_19, K_M2, K_56, K_M1, K_0, K_TINY, K_COUNT
};
double tanh2_consts[2 * K_COUNT] = {
#define C2(x) x, x
    C2(1.0), C2(2.0), C2(0.5), C2(-0.0), C2(22.0),
    C2(1.44269504088896338700e+00),  // 1/ln2
    C2(0x1.62e43p-2),                // high word 0x3FD62E43: |y| above 0.5 ln2 reduces by k != 0
    C2(6.93147180369123816490e-01),  // ln2 high part
    C2(1.90821492927058770002e-10),  // ln2 low part
    C2(-2.01099218183624371326e-07), C2(4.00821782732936239552e-06),
    C2(-7.93650757867487942473e-05), C2(1.58730158725481460165e-03),
    C2(-3.33333333333331316428e-02), C2(3.0), C2(6.0), C2(-0.5),
    C2(0x1.8p52),  // k + 1.5 2^52 holds k in its low bits
    C2(19.0), C2(-2.0), C2(56.0), C2(-1.0), C2(0.0),
    C2(0x1p-55),  // glibc returns x below
#undef C2
};
long long tanh2_bias[2] = {1023, 1023};
#define KC(i) wasm_v128_load(&tanh2_consts[2 * (i)])

// tanh of two lanes, operation for operation glibc 2.36's x86-64 tanh (fdlibm's algorithm; expm1's
// polynomial in glibc's order), which is Math.tanh in Deno on Linux: checked equal on 45 million
// points across the whole range (tests/cpu_wasm_build_test.ts runs a share of them). Rewritings used
// below are exact in IEEE arithmetic: a - b = a + (-b), -(a) - b = -(a + b), fma(a, b, -c) =
// -(-(a b) + c). tanh is only ever asked for expm1 of y in (-2, 0) (|x| < 1) and [2, 44], so only the
// branches of expm1 for k in {0, -1, -2, -3} and [3, 63] are computed, all lanes alike, and selected.
INLINE V tanh2(V x) {
  const V one = KC(K_ONE), two = KC(K_TWO), half = KC(K_HALF), sign = KC(K_SIGN);
  const V ax0 = wasm_f64x2_abs(x);
  // glibc gives 1 for |x| >= 22; so does the main path at 22, and the clamp keeps 2^k finite
  const V ax = wasm_f64x2_pmin(KC(K_22), ax0);
  const V big = wasm_f64x2_ge(ax, one);       // |x| >= 1: t = expm1(2|x|), else t = expm1(-2|x|)
  const V neg = wasm_v128_andnot(sign, big);  // sign bit of y
  const V ay = ADD(ax, ax);
  const V y = wasm_v128_xor(ay, neg);
  // expm1(y), y = k ln2 + xr + c. glibc: k = 0 below 0.5 ln2, +-1 below 1.5 ln2 (which the rounding
  // formula gives there too), else (int)(invln2 y +- 0.5) = +-trunc(invln2 |y| + 0.5)
  const V kg = wasm_v128_xor(wasm_f64x2_trunc(ADD(MUL(KC(K_INVLN2), ay), half)), neg);
  const V kf = wasm_v128_andnot(kg, wasm_f64x2_lt(ay, KC(K_HALFLN2)));
  const V hi = NMADD(kf, KC(K_LN2HI), y);
  const V lo = MUL(kf, KC(K_LN2LO));
  const V xr = SUB(hi, lo);
  const V c = SUB(SUB(hi, xr), lo);
  const V hfx = MUL(xr, half);
  const V hxs = MUL(xr, hfx);
  const V h2 = MUL(hxs, hxs);
  const V h4 = MUL(h2, h2);
  const V r1 = MADD(h4, MADD(hxs, KC(K_Q5), KC(K_Q4)),
                    MADD(h2, MADD(hxs, KC(K_Q3), KC(K_Q2)), MADD(hxs, KC(K_Q1), one)));
  const V t = NMADD(r1, hfx, KC(K_3));
  const V e = MUL(DIV(SUB(r1, t), NMADD(xr, t, KC(K_6))), hxs);
  // k = 0: xr - fma(xr, e, -hxs)
  const V res0 = ADD(xr, NMADD(xr, e, hxs));
  // k != 0: e2 = fma(e - c, xr, -c) - hxs, en = -e2, u = -(e2 - xr)
  const V en = ADD(NMADD(SUB(e, c), xr, c), hxs);
  const V u = ADD(en, xr);
  const V res_m1 = MADD(half, u, KC(K_MHALF));  // k = -1: fma(0.5, xr - e2, -0.5)
  // 2^k and 2^-k: the exponent field of (k + 1.5 2^52) + 1023 resp. 1023 - (k + 1.5 2^52)
  const V kb = ADD(kf, KC(K_ROUND));
  const V bias = wasm_v128_load(tanh2_bias);
  const V twopk = wasm_i64x2_shl(wasm_i64x2_add(kb, bias), 52);
  const V twomk = wasm_i64x2_shl(wasm_i64x2_sub(bias, kb), 52);
  const V res_far = SUB(MUL(ADD(one, u), twopk), one);             // k <= -2 or k > 56
  const V res_mid = MUL(ADD(SUB(one, twomk), u), twopk);           // 2 <= k <= 19
  const V res_hi = MUL(ADD(SUB(xr, SUB(twomk, en)), one), twopk);  // 20 <= k <= 56
  V em1 = SEL(res_mid, res_hi, wasm_f64x2_le(kf, KC(K_19)));
  em1 = SEL(res_far, em1, wasm_v128_or(wasm_f64x2_le(kf, KC(K_M2)), wasm_f64x2_gt(kf, KC(K_56))));
  em1 = SEL(res_m1, em1, wasm_f64x2_eq(kf, KC(K_M1)));
  em1 = SEL(res0, em1, wasm_f64x2_eq(kf, KC(K_0)));
  // |x| >= 1: 1 - 2/(t + 2); else -t/(t + 2), computed as 0 - t/(t + 2) (t is not 0 here)
  const V z = SUB(wasm_v128_and(big, one), DIV(SEL(two, em1, big), ADD(em1, two)));
  const V zs = wasm_v128_or(z, wasm_v128_and(x, sign));
  // glibc returns x below 2^-55 (x (1 + x) = x there), for zeros and NaN
  return SEL(zs, x, wasm_f64x2_ge(ax0, KC(K_TINY)));
}

static void tanh_rows(double *x, int count) {
  int i = 0;
  for (; i + 1 < count; i += 2) ST(x + i, tanh2(LD(x + i)));
  if (i < count) x[i] = wasm_f64x2_extract_lane(tanh2(SPLAT(x[i])), 0);
}

// Math.tanh over a block, for the tests that compare tanh2 with the runtime's Math.tanh.
void rnn_tanh(double *x, int count) { tanh_rows(x, count); }

// ---------------------------------------------------------------------------------------------
// Packed weights

// A tile of up to 4 output rows of a matrix M: for each column with a non-zero weight in the tile,
// the column's index and its 4 weights (zero-padded).
typedef struct {
  int count;     // columns kept
  int dense;     // count == all columns: the column index is the position
  int *cols;     // column indices
  double *vals;  // 4 weights per column
} Tile;

typedef struct {
  Tile *tiles;
  int count;
} Tiles;

// Rows per tile: 4, and a last tile of 2 and/or 1.
static int tile_rows(int n, int r0) {
  const int left = n - r0;
  return left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

static int tile_count(int n) {
  int c = 0;
  for (int r0 = 0; r0 < n; r0 += tile_rows(n, r0)) c++;
  return c;
}

// Packs M[row][col] = w[row*rs + col*cs], n rows, ncols columns.
static void pack(Tiles *ts, Tile *tiles, const double *w, int rs, int cs, int n, int ncols,
                 int *cols, double *vals) {
  int ti = 0;
  for (int r0 = 0; r0 < n; r0 += tile_rows(n, r0), ti++) {
    const int mr = tile_rows(n, r0);
    Tile *t = &tiles[ti];
    t->cols = cols + ti * ncols;
    t->vals = vals + 4 * ti * ncols;
    int m = 0;
    for (int c = 0; c < ncols; c++) {
      int any = 0;
      for (int r = 0; r < 4; r++) {
        const double v = r < mr ? w[(r0 + r) * rs + c * cs] : 0;
        t->vals[4 * m + r] = v;
        any |= v != 0;
      }
      if (!any) continue;
      t->cols[m] = c;
      m++;
    }
    t->count = m;
    t->dense = m == ncols;
  }
  ts->tiles = tiles;
  ts->count = ti;
}

typedef struct {
  Tiles a;   // A: rows i, columns j (x = A r)
  Tiles b;   // B: rows i, columns c (x = B u)
  Tiles at;  // A^T: rows j, columns i (A^T delta)
} Packs;

// Scratch bytes of rnn_run and rnn_loss_and_grad for n units and ni inputs.
int rnn_scratch_bytes(int n, int ni) {
  const int tc = tile_count(n);
  const int cols = 2 * n + ni;
  return 3 * tc * (int)sizeof(Tile) + 4 * tc * cols + 32 * tc * cols + 32;
}

static void pack_all(Packs *p, int n, int ni, const double *w, char *scratch) {
  const int tc = tile_count(n);
  Tile *tiles = (Tile *)scratch;
  int *cols = (int *)(tiles + 3 * tc);
  double *vals = (double *)(((uintptr_t)(cols + tc * (2 * n + ni)) + 15) & ~(uintptr_t)15);
  const double *a = w + n * ni;
  pack(&p->a, tiles, a, 1, n, n, n, cols, vals);
  pack(&p->b, tiles + tc, w, 1, n, n, ni, cols + tc * n, vals + 4 * tc * n);
  pack(&p->at, tiles + 2 * tc, a, n, 1, n, n, cols + tc * (n + ni), vals + 4 * tc * (n + ni));
}

// ---------------------------------------------------------------------------------------------
// Tiles of M . src: MR rows x NV vectors (2 NV sequences), accumulators in registers

// acc[r][v] += M[r][c] * src[c*S + 2v] for one packed column (weights w, source row s).
#define COLUMN(MR, NV, acc, s, w)                                                      \
  do {                                                                                 \
    V x_[NV];                                                                          \
    for (int v_ = 0; v_ < NV; v_++) x_[v_] = LD((s) + 2 * v_);                         \
    const V w01_ = LD(w);                                                              \
    const V w23_ = MR > 2 ? LD((w) + 2) : w01_;                                        \
    for (int r_ = 0; r_ < MR; r_++) {                                                  \
      const V wr_ = r_ == 0 ? LANE0(w01_) : r_ == 1 ? LANE1(w01_) : r_ == 2 ? LANE0(w23_) \
                                                                            : LANE1(w23_); \
      for (int v_ = 0; v_ < NV; v_++) acc[r_][v_] = ADD(acc[r_][v_], MUL(wr_, x_[v_])); \
    }                                                                                  \
  } while (0)

// acc += M . src over a tile's columns, ascending.
#define COLUMNS(MR, NV, acc, t, src, S)                                      \
  do {                                                                       \
    const double *w_ = (t)->vals;                                            \
    const int cnt_ = (t)->count;                                             \
    if ((t)->dense) {                                                        \
      const double *s_ = (src);                                              \
      int m_ = 0;                                                            \
      for (; m_ + 1 < cnt_; m_ += 2, s_ += 2 * (S), w_ += 8) {               \
        COLUMN(MR, NV, acc, s_, w_);                                         \
        COLUMN(MR, NV, acc, s_ + (S), w_ + 4);                               \
      }                                                                      \
      if (m_ < cnt_) COLUMN(MR, NV, acc, s_, w_);                            \
    } else {                                                                 \
      const int *c_ = (t)->cols;                                             \
      for (int m_ = 0; m_ < cnt_; m_++, w_ += 4) {                           \
        COLUMN(MR, NV, acc, (src) + c_[m_] * (S), w_);                       \
      }                                                                      \
    }                                                                        \
  } while (0)

// Pre-activations x = B u(k) + A r(k-1) of a tile's rows for sequences q..q+2NV-1, into out (row
// stride S). B's columns first (active channels only: others add exact zeros), then A's, each
// ascending, as the reference kernel adds them.
#define FORWARD_TILE(MR, NV)                                                               \
  static void forward_##MR##_##NV(const Tile *ta, const Tile *tb, const unsigned char *act, \
                                  const double *u, const double *rp, int S, double *out) { \
    V acc[MR][NV];                                                                         \
    for (int r = 0; r < MR; r++)                                                           \
      for (int v = 0; v < NV; v++) acc[r][v] = SPLAT(0);                                   \
    const double *wb = tb->vals;                                                           \
    for (int m = 0; m < tb->count; m++, wb += 4) {                                         \
      const int c = tb->cols[m];                                                           \
      if (act[c]) COLUMN(MR, NV, acc, u + c * S, wb);                                      \
    }                                                                                      \
    if (rp) COLUMNS(MR, NV, acc, ta, rp, S);                                               \
    for (int r = 0; r < MR; r++)                                                           \
      for (int v = 0; v < NV; v++) ST(out + r * S + 2 * v, acc[r][v]);                     \
  }
FORWARD_TILE(4, 2)
FORWARD_TILE(2, 2)
FORWARD_TILE(1, 2)
FORWARD_TILE(4, 1)
FORWARD_TILE(2, 1)
FORWARD_TILE(1, 1)

// delta(k-1) of a tile's rows j for sequences q..q+2NV-1: (A^T delta(k))_j, then + c_oj e_o(k-1)
// for o ascending, times (1 - r_j(k-1)^2), as the reference kernel computes it (there through the
// `next` buffer). cw: C0's entries of the tile's first row (stride no between rows); e, rr: e(k-1)
// and r(k-1) at sequence q.
#define BACKWARD_TILE(MR, NV)                                                               \
  static void backward_##MR##_##NV(const Tile *t, const double *g, int S, const double *cw,  \
                                   int no, const double *e, const double *rr, double *out) { \
    V acc[MR][NV];                                                                          \
    for (int r = 0; r < MR; r++)                                                            \
      for (int v = 0; v < NV; v++) acc[r][v] = SPLAT(0);                                    \
    COLUMNS(MR, NV, acc, t, g, S);                                                          \
    for (int r = 0; r < MR; r++) {                                                          \
      for (int v = 0; v < NV; v++) {                                                        \
        V d = acc[r][v];                                                                    \
        for (int o = 0; o < no; o++) d = ADD(d, MUL(SPLAT(cw[r * no + o]), LD(e + o * S + 2 * v))); \
        const V rv = LD(rr + r * S + 2 * v);                                                \
        ST(out + r * S + 2 * v, MUL(d, SUB(SPLAT(1), MUL(rv, rv))));                        \
      }                                                                                     \
    }                                                                                       \
  }
BACKWARD_TILE(4, 2)
BACKWARD_TILE(2, 2)
BACKWARD_TILE(1, 2)
BACKWARD_TILE(4, 1)
BACKWARD_TILE(2, 1)
BACKWARD_TILE(1, 1)

#define DISPATCH(name, mr, nv, ...)             \
  do {                                          \
    if (nv == 2) {                              \
      if (mr == 4) name##_4_2(__VA_ARGS__);     \
      else if (mr == 2) name##_2_2(__VA_ARGS__); \
      else name##_1_2(__VA_ARGS__);             \
    } else {                                    \
      if (mr == 4) name##_4_1(__VA_ARGS__);     \
      else if (mr == 2) name##_2_1(__VA_ARGS__); \
      else name##_1_1(__VA_ARGS__);             \
    }                                           \
  } while (0)

// Sequence q alone (the last one of an odd S): acc[r] += M[r][c] * src[c*S], columns ascending.
static void column_scalar(const Tile *t, const double *src, int S, int mr, double *acc) {
  const double *w = t->vals;
  for (int m = 0; m < t->count; m++, w += 4) {
    const double x = src[t->cols[m] * S];
    for (int r = 0; r < mr; r++) acc[r] += w[r] * x;
  }
}

// ---------------------------------------------------------------------------------------------
// Forward pass

// r receives tanh(x) for all steps; x (optional) the pre-activations; y (optional) the outputs; e
// (optional) 2*(y - target). Returns sse/(S*T) when e is given.
static double run(int n, int ni, int no, int bias, int S, int T, const double *w,
                  const double *inputs, const double *targets, const unsigned char *act, double *r,
                  double *x, double *y, double *e, const Packs *p) {
  const int offC = n * ni + n * n;
  const int nS = n * S;
  double sse = 0;
  for (int k = 0; k < T; k++) {
    double *rk = r + k * nS;
    const double *uk = inputs + k * ni * S;
    const double *rp = k > 0 ? rk - nS : 0;
    const unsigned char *ak = act + k * ni;
    int r0 = 0;
    for (int ti = 0; ti < p->a.count; ti++) {
      const Tile *ta = &p->a.tiles[ti], *tb = &p->b.tiles[ti];
      const int mr = tile_rows(n, r0);
      double *out = rk + r0 * S;
      int q = 0;
      for (; q + 1 < S;) {
        const int nv = q + 3 < S ? 2 : 1;
        DISPATCH(forward, mr, nv, ta, tb, ak, uk + q, rp ? rp + q : 0, S, out + q);
        q += 2 * nv;
      }
      if (q < S) {
        double acc[4] = {0, 0, 0, 0};
        const double *wb = tb->vals;
        for (int m = 0; m < tb->count; m++, wb += 4) {
          const int c = tb->cols[m];
          if (!ak[c]) continue;
          for (int rr = 0; rr < mr; rr++) acc[rr] += wb[rr] * uk[c * S + q];
        }
        if (rp) column_scalar(ta, rp + q, S, mr, acc);
        for (int rr = 0; rr < mr; rr++) out[rr * S + q] = acc[rr];
      }
      r0 += mr;
    }
    if (x) {
      for (int m = 0; m < nS; m++) x[k * nS + m] = rk[m];
    }
    tanh_rows(rk, nS);
    // y = C r (+ bias), e = 2 (y - target); the squared errors summed in (k, o, q) order
    for (int o = 0; o < no; o++) {
      const int yo = (k * no + o) * S;
      const double b0 = bias ? w[offC + o + no * n] : 0;
      const double *co = w + offC + o;
      int q = 0;
      for (; q + 3 < S; q += 4) {
        V a0 = SPLAT(b0), a1 = a0;
        const double *rj = rk + q;
        for (int j = 0; j < n; j++, rj += S) {
          const V cj = SPLAT(co[no * j]);
          a0 = ADD(a0, MUL(cj, LD(rj)));
          a1 = ADD(a1, MUL(cj, LD(rj + 2)));
        }
        if (y) {
          ST(y + yo + q, a0);
          ST(y + yo + q + 2, a1);
        }
        if (e) {
          const V d0 = SUB(a0, LD(targets + yo + q)), d1 = SUB(a1, LD(targets + yo + q + 2));
          const V s0 = MUL(d0, d0), s1 = MUL(d1, d1);
          sse += wasm_f64x2_extract_lane(s0, 0);
          sse += wasm_f64x2_extract_lane(s0, 1);
          sse += wasm_f64x2_extract_lane(s1, 0);
          sse += wasm_f64x2_extract_lane(s1, 1);
          ST(e + yo + q, ADD(d0, d0));
          ST(e + yo + q + 2, ADD(d1, d1));
        }
      }
      for (; q < S; q++) {
        double acc = b0;
        for (int j = 0; j < n; j++) acc += co[no * j] * rk[j * S + q];
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

double rnn_run(int n, int ni, int no, int bias, int S, int T, const double *w,
               const double *inputs, const double *targets, const unsigned char *act, double *r,
               double *x, double *y, double *e, char *scratch) {
  Packs p;
  pack_all(&p, n, ni, w, scratch);
  return run(n, ni, no, bias, S, T, w, inputs, targets, act, r, x, y, e, &p);
}

// ---------------------------------------------------------------------------------------------
// Gradient

// [s0.lane0 + s0.lane1, s1.lane0 + s1.lane1]
INLINE V hsum2(V s0, V s1) {
  return ADD(wasm_i64x2_shuffle(s0, s1, 0, 2), wasm_i64x2_shuffle(s0, s1, 1, 3));
}

INLINE double hsum(V v) {
  return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1);
}

// grad[i..i+3] of dA's columns j and j+1 (gA0, gA1) += sum over sequences of delta_i r_j(k-1):
// pair lanes, then the last sequence of an odd S.
INLINE void da_tile4(const double *g0, const double *r0, int S, int S2, double *gA0, double *gA1) {
  const double *r1 = r0 + S;
  V s00 = SPLAT(0), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
#define DA_STEP(q)                               \
  do {                                           \
    const V y0 = LD(r0 + (q)), y1 = LD(r1 + (q)); \
    V x = LD(g0 + (q));                          \
    s00 = ADD(s00, MUL(x, y0));                  \
    s01 = ADD(s01, MUL(x, y1));                  \
    x = LD(g0 + S + (q));                        \
    s10 = ADD(s10, MUL(x, y0));                  \
    s11 = ADD(s11, MUL(x, y1));                  \
    x = LD(g0 + 2 * S + (q));                    \
    s20 = ADD(s20, MUL(x, y0));                  \
    s21 = ADD(s21, MUL(x, y1));                  \
    x = LD(g0 + 3 * S + (q));                    \
    s30 = ADD(s30, MUL(x, y0));                  \
    s31 = ADD(s31, MUL(x, y1));                  \
  } while (0)
  int q = 0;
  for (; q + 3 < S2; q += 4) {
    DA_STEP(q);
    DA_STEP(q + 2);
  }
  if (q < S2) DA_STEP(q);
#undef DA_STEP
  V h0a = hsum2(s00, s10), h0b = hsum2(s20, s30);
  V h1a = hsum2(s01, s11), h1b = hsum2(s21, s31);
  if (S2 < S) {
    const V ga = wasm_f64x2_make(g0[S2], g0[S + S2]), gb = wasm_f64x2_make(g0[2 * S + S2], g0[3 * S + S2]);
    const V y0 = SPLAT(r0[S2]), y1 = SPLAT(r1[S2]);
    h0a = ADD(h0a, MUL(ga, y0));
    h0b = ADD(h0b, MUL(gb, y0));
    h1a = ADD(h1a, MUL(ga, y1));
    h1b = ADD(h1b, MUL(gb, y1));
  }
  ST(gA0, ADD(LD(gA0), h0a));
  ST(gA0 + 2, ADD(LD(gA0 + 2), h0b));
  ST(gA1, ADD(LD(gA1), h1a));
  ST(gA1 + 2, ADD(LD(gA1 + 2), h1b));
}

INLINE void da_tile2(const double *g0, const double *r0, int S, int S2, double *gA0, double *gA1) {
  const double *g1 = g0 + S, *r1 = r0 + S;
  V s00 = SPLAT(0), s01 = s00, s10 = s00, s11 = s00;
  for (int q = 0; q < S2; q += 2) {
    const V x0 = LD(g0 + q), x1 = LD(g1 + q), y0 = LD(r0 + q), y1 = LD(r1 + q);
    s00 = ADD(s00, MUL(x0, y0));
    s01 = ADD(s01, MUL(x0, y1));
    s10 = ADD(s10, MUL(x1, y0));
    s11 = ADD(s11, MUL(x1, y1));
  }
  V h0 = hsum2(s00, s10), h1 = hsum2(s01, s11);
  if (S2 < S) {
    const V ga = wasm_f64x2_make(g0[S2], g1[S2]);
    h0 = ADD(h0, MUL(ga, SPLAT(r0[S2])));
    h1 = ADD(h1, MUL(ga, SPLAT(r1[S2])));
  }
  ST(gA0, ADD(LD(gA0), h0));
  ST(gA1, ADD(LD(gA1), h1));
}

double rnn_loss_and_grad(int n, int ni, int no, int bias, int S, int T, const double *w,
                         const double *inputs, const double *targets, const unsigned char *act,
                         double *r, double *e, double *g, double *next, double *grad,
                         char *scratch) {
  const int offA = n * ni, offC = n * ni + n * n;
  const int cCols = n + (bias ? 1 : 0);
  const int K = offC + no * cCols;
  const int nS = n * S;
  const int S2 = S & ~1;  // sequences in pair lanes
  const int n2 = n & ~1;  // units in dA's pair-lane blocks
  Packs p;
  pack_all(&p, n, ni, w, scratch);
  const double E = run(n, ni, no, bias, S, T, w, inputs, targets, act, r, 0, 0, e, &p);
  for (int m = 0; m < K; m++) grad[m] = 0;
  // delta(T-1) = (1 - r^2) C0^T e(T-1), into g
  {
    const int k = T - 1;
    const double *rk = r + k * nS;
    for (int i = 0; i < n; i++) {
      for (int q = 0; q < S; q++) {
        double acc = 0;
        for (int o = 0; o < no; o++) acc += w[offC + o + no * i] * e[(k * no + o) * S + q];
        const double rv = rk[i * S + q];
        g[i * S + q] = acc * (1 - rv * rv);
      }
    }
  }
  for (int k = T - 1; k >= 0; k--) {
    const double *rk = r + k * nS;
    // dC += e r^T (+ bias column)
    for (int o = 0; o < no; o++) {
      const double *eo = e + (k * no + o) * S;
      for (int j = 0; j < n; j++) {
        const double *rj = rk + j * S;
        V acc = SPLAT(0);
        for (int q = 0; q < S2; q += 2) acc = ADD(acc, MUL(LD(eo + q), LD(rj + q)));
        double s = hsum(acc);
        if (S2 < S) s += eo[S2] * rj[S2];
        grad[offC + o + no * j] += s;
      }
      if (bias) {
        double s = 0;
        for (int q = 0; q < S; q++) s += eo[q];
        grad[offC + o + no * n] += s;
      }
    }
    // dB += delta u^T, active channels
    const double *uk = inputs + k * ni * S;
    for (int c = 0; c < ni; c++) {
      if (!act[k * ni + c]) continue;
      const double *u = uk + c * S;
      double *gB = grad + n * c;
      int i = 0;
      for (; i + 1 < n; i += 2) {
        const double *g0 = g + i * S, *g1 = g0 + S;
        V s0 = SPLAT(0), s1 = s0;
        for (int q = 0; q < S2; q += 2) {
          const V uv = LD(u + q);
          s0 = ADD(s0, MUL(LD(g0 + q), uv));
          s1 = ADD(s1, MUL(LD(g1 + q), uv));
        }
        V h = hsum2(s0, s1);
        if (S2 < S) h = ADD(h, MUL(wasm_f64x2_make(g0[S2], g1[S2]), SPLAT(u[S2])));
        ST(gB + i, ADD(LD(gB + i), h));
      }
      for (; i < n; i++) {
        const double *gi = g + i * S;
        V acc = SPLAT(0);
        for (int q = 0; q < S2; q += 2) acc = ADD(acc, MUL(LD(gi + q), LD(u + q)));
        double s = hsum(acc);
        if (S2 < S) s += gi[S2] * u[S2];
        gB[i] += s;
      }
    }
    if (k == 0) break;
    const double *rp = rk - nS;
    // dA[i][j] += sum_q delta_i r_j(k-1)
    for (int j = 0; j < n2; j += 2) {
      const double *r0 = rp + j * S;
      double *gA0 = grad + offA + n * j, *gA1 = gA0 + n;
      int i = 0;
      for (; i + 3 < n2; i += 4) da_tile4(g + i * S, r0, S, S2, gA0 + i, gA1 + i);
      for (; i < n2; i += 2) da_tile2(g + i * S, r0, S, S2, gA0 + i, gA1 + i);
      for (; i < n; i++) {  // the last unit of an odd n: sequential sums
        double s0 = 0, s1 = 0;
        for (int q = 0; q < S; q++) {
          s0 += g[i * S + q] * r0[q];
          s1 += g[i * S + q] * r0[S + q];
        }
        gA0[i] += s0;
        gA1[i] += s1;
      }
    }
    for (int j = n2; j < n; j++) {  // the last unit of an odd n: sequential sums
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int q = 0; q < S; q++) s += g[i * S + q] * rp[j * S + q];
        grad[offA + n * j + i] += s;
      }
    }
    // delta(k-1) = (1 - r(k-1)^2) (C0^T e(k-1) + A^T delta(k)), into next; then swap
    const double *ep = e + (k - 1) * no * S;
    int r0 = 0;
    for (int ti = 0; ti < p.at.count; ti++) {
      const Tile *t = &p.at.tiles[ti];
      const int mr = tile_rows(n, r0);
      const double *cw = w + offC + no * r0;
      int q = 0;
      for (; q + 1 < S;) {
        const int nv = q + 3 < S ? 2 : 1;
        DISPATCH(backward, mr, nv, t, g + q, S, cw, no, ep + q, rp + r0 * S + q,
                 next + r0 * S + q);
        q += 2 * nv;
      }
      if (q < S) {
        double acc[4] = {0, 0, 0, 0};
        column_scalar(t, g + q, S, mr, acc);
        for (int rr = 0; rr < mr; rr++) {
          double d = acc[rr];
          for (int o = 0; o < no; o++) d += cw[rr * no + o] * ep[o * S + q];
          const double rv = rp[(r0 + rr) * S + q];
          next[(r0 + rr) * S + q] = d * (1 - rv * rv);
        }
      }
      r0 += mr;
    }
    double *swap = g;
    g = next;
    next = swap;
  }
  const double scale = 1.0 / (S * T);
  for (int m = 0; m < K; m++) grad[m] *= scale;
  return E;
}

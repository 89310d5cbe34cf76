/**
 * WGSL sources of the WebGPU DBM kernels (`dbm_kernels.ts`): one compute shader per kernel, each a
 * plain one-thread-per-output loop that takes the population's slot as its third dispatch dimension
 * and reads its offsets, sizes and scalars from the `meta` storage buffer (binding 0). The layout
 * of the meta words is written next to each shader; `dbm_kernels.ts` fills them in.
 *
 * @module
 */

/** Workgroup size (x) of the DBM kernels; `dbm_kernels.ts` sizes its dispatch grids with it. */
export const WG = 64;

/** Shared WGSL: the meta words and a float view of them. */
const HEAD = `
@group(0) @binding(0) var<storage, read> mt: array<u32>;
fn mf(i: u32) -> f32 { return bitcast<f32>(mt[i]); }
`;

/** Per-slot block of meta starts after a fixed header of H words. */
const LINEAR = `${HEAD}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> Bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
// meta: 0 slots, 1 transpose, 2 acc, 3 hasBias, 4 scale, 5 biasScale,
// then per slot p at 8 + 8p: B, n, m, xOff, xCap, wOff, wCap, bOff; out at 8 + 8 slots + 2p: oOff, oCap.
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 8u * p;
  let B = mt[s]; let n = mt[s + 1u]; let m = mt[s + 2u];
  let r = g.y; let j = g.x;
  if (r >= B || j >= m) { return; }
  let xo = mt[s + 3u] + r * mt[s + 4u];
  let wo = mt[s + 5u]; let wc = mt[s + 6u];
  var acc: f32 = 0.0;
  if (mt[1] == 0u) {
    for (var i = 0u; i < n; i++) {
      let xi = X[xo + i];
      if (xi != 0.0) { acc += xi * W[wo + i * wc + j]; }
    }
  } else {
    for (var i = 0u; i < n; i++) {
      let xi = X[xo + i];
      if (xi != 0.0) { acc += xi * W[wo + j * wc + i]; }
    }
  }
  var v = mf(4u) * acc;
  if (mt[3] == 1u) { v += mf(5u) * Bias[mt[s + 7u] + j]; }
  let t = 8u + 8u * mt[0] + 2u * p;
  let oi = mt[t] + r * mt[t + 1u] + j;
  if (mt[2] == 1u) { v += O[oi]; }
  O[oi] = v;
}
`;

/** Elementwise kernels over a slot's rows x cols: header 0 slots, per slot at 4 + 6p. */
function elementwise(body: string, bindings: string): string {
  return `${HEAD}
${bindings}
// meta per slot p at 4 + 6p: rows, cols, aOff, aCap, bOff, bCap (a = output, b = input).
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 6u * p;
  let r = g.y; let j = g.x;
  if (r >= mt[s] || j >= mt[s + 1u]) { return; }
  let ai = mt[s + 2u] + r * mt[s + 3u] + j;
  let bi = mt[s + 4u] + r * mt[s + 5u] + j;
  let idx = r * mt[s + 1u] + j;
  ${body}
}
`;
}

const IO_SEPARATE = `@group(0) @binding(1) var<storage, read> IN: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;`;
const IO_SAME = `@group(0) @binding(1) var<storage, read_write> O: array<f32>;`;

const SIGMOID = (inPlace: boolean): string =>
  elementwise(
    `let x = ${inPlace ? "O" : "IN"}[bi];\n  O[ai] = 1.0 / (1.0 + exp(-x));`,
    inPlace ? IO_SAME : IO_SEPARATE,
  );

const HASH = `
fn lowbias32(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u; x *= 0x7feb352du; x ^= x >> 15u; x *= 0x846ca68bu; x ^= x >> 16u;
  return x;
}`;

// Keys of slot p at mt[2 + ...] are stored after the per-slot blocks: 4 + 6 slots + 2p.
const BERNOULLI = (inPlace: boolean): string =>
  HASH +
  elementwise(
    `let k = 4u + 6u * mt[0] + 2u * p;
  let h = lowbias32(lowbias32(idx ^ mt[k]) ^ mt[k + 1u]);
  let u = f32(h >> 8u) * (1.0 / 16777216.0);
  O[ai] = select(0.0, 1.0, u < ${inPlace ? "O" : "IN"}[bi]);`,
    inPlace ? IO_SAME : IO_SEPARATE,
  );

// Fill: mt[1] holds the value.
const FILL = elementwise(`O[ai] = mf(1u);`, IO_SAME);

// Copy: per slot at 4 + 6p: rows, cols, dstOff (row dstRow), dstCap, srcOff (row srcRow), srcCap.
const COPY = elementwise(`O[ai] = IN[bi];`, IO_SEPARATE);

const OUTER = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> G: array<f32>;
// meta: 0 slots, 1 hasMask, 2 alpha, 3 beta; per slot at 4 + 10p:
// rows, n, m, aOff, aCap, bOff, bCap, gOff, gCap, mOff (mask cap = gCap's layout: mCap at the end).
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 10u * p;
  let rows = mt[s]; let n = mt[s + 1u]; let m = mt[s + 2u];
  let i = g.y; let j = g.x;
  if (i >= n || j >= m) { return; }
  let gi = mt[s + 7u] + i * mt[s + 8u] + j;
  if (mt[1] == 1u) {
    let mc = mt[4u + 10u * mt[0] + p];
    if (M[mt[s + 9u] + i * mc + j] == 0.0) { G[gi] = 0.0; return; }
  }
  var acc: f32 = 0.0;
  for (var r = 0u; r < rows; r++) {
    let a = A[mt[s + 3u] + r * mt[s + 4u] + i];
    if (a != 0.0) { acc += a * Bm[mt[s + 5u] + r * mt[s + 6u] + j]; }
  }
  let beta = mf(3u);
  var old: f32 = 0.0;
  if (beta != 0.0) { old = beta * G[gi]; }
  G[gi] = old + mf(2u) * acc;
}
`;

const COLSUM = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
// meta: 0 slots, 1 alpha, 2 beta; per slot at 4 + 5p: rows, m, aOff, aCap, oOff.
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 4u + 5u * p;
  let j = g.x;
  if (j >= mt[s + 1u]) { return; }
  var acc: f32 = 0.0;
  for (var r = 0u; r < mt[s]; r++) { acc += A[mt[s + 2u] + r * mt[s + 3u] + j]; }
  let oi = mt[s + 4u] + j;
  O[oi] = mf(2u) * O[oi] + mf(1u) * acc;
}
`;

const MOMENTUM_BINDINGS = `${HEAD}
@group(0) @binding(1) var<storage, read_write> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<storage, read> Gr: array<f32>;
@group(0) @binding(4) var<storage, read> M: array<f32>;
// meta: 0 slots, 1 hasMask, 2 lr, 3 mu, 4 code, 5 maxNorm (0 = none);
// per slot at 8 + 5p: rows, cols, off, cap, mOff (mask uses the same cap).
`;

// Pass 1: d and t = w + d, elementwise.
const MOMENTUM_STEP = `${MOMENTUM_BINDINGS}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 5u * p;
  let r = g.y; let j = g.x;
  if (r >= mt[s] || j >= mt[s + 1u]) { return; }
  let q = mt[s + 2u] + r * mt[s + 3u] + j;
  var gm = Gr[q];
  if (mt[1] == 1u) {
    if (M[mt[s + 4u] + r * mt[s + 3u] + j] == 0.0) { gm = 0.0; }
  }
  let lr = mf(2u); let mu = mf(3u);
  var dn: f32;
  if (mt[4] == 1u) { dn = lr * (mu * D[q] + gm); } else { dn = mu * D[q] + lr * gm; }
  D[q] = dn;
  Wt[q] = Wt[q] + dn;
}
`;

// Pass 2: per column, the max-norm scale and the mask.
const MOMENTUM_NORM = `${MOMENTUM_BINDINGS}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let p = g.z;
  if (p >= mt[0]) { return; }
  let s = 8u + 5u * p;
  let j = g.x;
  let rows = mt[s];
  if (j >= mt[s + 1u]) { return; }
  let off = mt[s + 2u]; let cap = mt[s + 3u];
  // Never true: keeps D and Gr statically used, so this pass shares the step's bind group.
  if (j == 0xffffffffu) { D[0] = Gr[0]; }
  var f: f32 = 1.0;
  let maxNorm = mf(5u);
  if (maxNorm > 0.0) {
    var n2: f32 = 0.0;
    for (var r = 0u; r < rows; r++) { let t = Wt[off + r * cap + j]; n2 += t * t; }
    let nj = sqrt(n2);
    f = min(nj, maxNorm) / max(nj, 1e-8);
  }
  for (var r = 0u; r < rows; r++) {
    let q = off + r * cap + j;
    var keep = true;
    if (mt[1] == 1u) { keep = M[mt[s + 4u] + r * cap + j] != 0.0; }
    if (!keep) { Wt[q] = 0.0; } else if (maxNorm > 0.0) { Wt[q] = Wt[q] * f; }
  }
}
`;

const MAXDIFF = `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bt: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
var<workgroup> part: array<f32, 256>;
// meta: 0 slots; per slot at 4 + 6p: rows, cols, aOff, aCap, bOff, bCap. One workgroup per slot.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = wg.x;
  let s = 4u + 6u * p;
  let rows = mt[s]; let cols = mt[s + 1u];
  var m: f32 = 0.0;
  for (var q = lid; q < rows * cols; q += 256u) {
    let r = q / cols; let j = q % cols;
    let d = abs(A[mt[s + 2u] + r * mt[s + 3u] + j] - Bt[mt[s + 4u] + r * mt[s + 5u] + j]);
    m = max(m, d);
  }
  part[lid] = m;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (lid < w) { part[lid] = max(part[lid], part[lid + w]); }
    workgroupBarrier();
  }
  if (lid == 0u) { O[p] = part[0]; }
}
`;

/** The DBM kernels, one compute pipeline each. */
export type DbmKernelName =
  | "linear"
  | "sigmoid"
  | "sigmoidInPlace"
  | "bernoulli"
  | "bernoulliInPlace"
  | "fill"
  | "copy"
  | "outer"
  | "colSum"
  | "momentumStep"
  | "momentumNorm"
  | "maxDiff";

/** The WGSL source of each kernel; `dbm_kernels.ts` compiles its pipeline on first use. */
export const DBM_SOURCES: Readonly<Record<DbmKernelName, () => string>> = {
  linear: () => LINEAR,
  sigmoid: () => SIGMOID(false),
  sigmoidInPlace: () => SIGMOID(true),
  bernoulli: () => BERNOULLI(false),
  bernoulliInPlace: () => BERNOULLI(true),
  fill: () => FILL,
  copy: () => COPY,
  outer: () => OUTER,
  colSum: () => COLSUM,
  momentumStep: () => MOMENTUM_STEP,
  momentumNorm: () => MOMENTUM_NORM,
  maxDiff: () => MAXDIFF,
};

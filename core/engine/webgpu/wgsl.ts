/**
 * WGSL sources of the fused RNN kernels. One workgroup runs one (network, sequence) pair through
 * the whole recurrence: the weights, the inputs of the sequence and the full rate trajectory live
 * in workgroup memory, thread i owns unit i, and one dispatch covers every network x sequence of a
 * population. Shapes and lengths are compile-time constants, so every loop has a constant trip
 * count and the per-thread gradient rows can stay in registers.
 *
 * Three variants share the forward recurrence:
 * - `forward`: writes x(k) and y(k) in the {@link ForwardResult} layout;
 * - `grad`: loss partial and gradient partial per (network, sequence);
 * - `gradHv`: additionally the exact Hessian-vector product H v (Pearlmutter's R-operator applied
 *   to forward and BPTT), which replaces SCG's finite-difference curvature probe in float32.
 *
 * Partials are reduced over sequences by {@link reduceSource} with Kahan summation.
 *
 * @module
 */
import type { RnnShape } from "../../rnn/network.ts";
import { paramLayout } from "../../rnn/network.ts";
import { workgroupSize } from "../f32_layout.ts";

/** Slot value meaning "no network here": the kernels skip that workgroup. */
export const NO_SLOT = 0xffffffff;
const NO_SLOT_WGSL = `${NO_SLOT}u`;

/** Which fused kernel to generate. */
export type KernelMode = "forward" | "grad" | "gradHv";

/** Compile-time sizes of a fused kernel. */
export interface KernelDims {
  /** Network shape. */
  readonly shape: RnnShape;
  /** Sequences per network S. */
  readonly s: number;
  /** Steps per sequence T. */
  readonly t: number;
}

/** Bytes of workgroup memory a kernel needs (checked against the device limit). */
export function workgroupBytes(dims: KernelDims, mode: KernelMode): number {
  const wg = workgroupSize(dims.shape);
  const hv = mode === "gradHv" ? 2 : 1;
  return 4 * (hv * (2 * wg + dims.t * dims.shape.no) + wg);
}

/** Floats of trajectory scratch per (network, sequence): r(k), and R{r(k)} for H v. */
export function trajectoryFloats(dims: KernelDims, mode: KernelMode): number {
  return dims.t * dims.shape.n * (mode === "gradHv" ? 2 : 1);
}

/**
 * WGSL of the fused forward / gradient / Hessian-vector kernel.
 *
 * Weights and inputs are read straight from storage buffers (the GPU's caches hold them) and the
 * rate trajectory goes to a storage scratch buffer; only per-step vectors live in workgroup memory.
 * This is deliberate: WGSL zero-initialises workgroup memory, and llvmpipe's compile time grows
 * steeply with its size (92 s for a version holding the whole trajectory there, on this machine).
 */
export function fusedSource(dims: KernelDims, mode: KernelMode): string {
  const { n, ni, no, outputBias } = dims.shape;
  const L = paramLayout(dims.shape);
  const { s, t } = dims;
  const wg = workgroupSize(dims.shape);
  const hv = mode === "gradHv";
  const fwd = mode === "forward";
  const M = hv ? 2 : 1;
  const f = (x: number): string => `${x}u`;
  const lines: string[] = [];
  const P = (line: string): void => {
    lines.push(line);
  };
  P(`const N: u32 = ${f(n)}; const NI: u32 = ${f(ni)}; const NO: u32 = ${f(no)};`);
  P(`const CC: u32 = ${f(L.cCols)}; const T: u32 = ${f(t)}; const S: u32 = ${f(s)};`);
  P(`const K: u32 = ${f(L.size)}; const WG: u32 = ${f(wg)};`);
  P(`const OA: u32 = ${f(L.a)}; const OC: u32 = ${f(L.c)}; const TR: u32 = ${f(t * n * M)};`);
  // With H v, each network's block holds [w, v] in w and [gradient, H v] in gpart.
  P(`const KM: u32 = ${f(L.size * M)};`);
  P(`@group(0) @binding(0) var<storage, read> w: array<f32>;`);
  P(`@group(0) @binding(1) var<storage, read> inp: array<f32>;`);
  if (!fwd) P(`@group(0) @binding(2) var<storage, read> tgt: array<f32>;`);
  if (fwd) {
    P(`@group(0) @binding(3) var<storage, read_write> xout: array<f32>;`);
    P(`@group(0) @binding(4) var<storage, read_write> yout: array<f32>;`);
  } else {
    P(`@group(0) @binding(3) var<storage, read_write> gpart: array<f32>;`);
    P(`@group(0) @binding(4) var<storage, read_write> lpart: array<f32>;`);
  }
  // Network p of the dispatch reads its data from slot slots[p] of the uploaded data set, so a
  // shrinking set of active networks needs no data re-upload.
  P(`@group(0) @binding(7) var<storage, read> slots: array<u32>;`);
  P(`@group(0) @binding(8) var<storage, read_write> traj: array<f32>;`);
  P(`var<workgroup> sRp: array<f32, ${wg}>;`);
  P(`var<workgroup> sD: array<f32, ${wg}>;`);
  P(`var<workgroup> sRed: array<f32, ${wg}>;`);
  if (!fwd) P(`var<workgroup> sE: array<f32, ${t * no}>;`);
  if (hv) {
    P(`var<workgroup> sRpv: array<f32, ${wg}>;`);
    P(`var<workgroup> sDv: array<f32, ${wg}>;`);
    P(`var<workgroup> sEv: array<f32, ${t * no}>;`);
  }
  P(`@compute @workgroup_size(${wg})`);
  P(`fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {`);
  P(`  let q = wid.x; let p = wid.y; let sl = slots[p];`);
  // A network without a slot sits this dispatch out (device SCG: converged or rejected-step ones).
  P(`  if (sl == ${NO_SLOT_WGSL}) { return; }`);
  P(`  let wb = p * KM;`);
  P(`  let ib = sl * T * NI * S;`);
  P(`  let rb = (p * S + q) * TR;`);
  if (hv) P(`  let rvb = rb + T * N;`);
  P(`  sRp[tid] = 0.0;`);
  if (hv) P(`  sRpv[tid] = 0.0;`);
  P(`  workgroupBarrier();`);
  // Forward recurrence.
  P(`  for (var k = 0u; k < T; k++) {`);
  P(`    var r = 0.0;`);
  if (hv) P(`    var rr = 0.0;`);
  P(`    if (tid < N) {`);
  P(`      var x = 0.0;`);
  if (hv) P(`      var rx = 0.0;`);
  P(`      for (var c = 0u; c < NI; c++) {`);
  P(`        let u = inp[ib + (k * NI + c) * S + q];`);
  P(`        x += w[wb + tid + N * c] * u;`);
  if (hv) P(`        rx += v[wb + tid + N * c] * u;`);
  P(`      }`);
  P(`      for (var j = 0u; j < N; j++) {`);
  P(`        x += w[wb + OA + tid + N * j] * sRp[j];`);
  if (hv) {
    P(`        rx += v[wb + OA + tid + N * j] * sRp[j] + w[wb + OA + tid + N * j] * sRpv[j];`);
  }
  P(`      }`);
  P(`      r = tanh(x);`);
  P(`      traj[rb + k * N + tid] = r;`);
  if (hv) {
    P(`      rr = (1.0 - r * r) * rx;`);
    P(`      traj[rvb + k * N + tid] = rr;`);
  }
  if (fwd) P(`      xout[((p * T + k) * N + tid) * S + q] = x;`);
  P(`    }`);
  P(`    workgroupBarrier();`);
  P(`    sRp[tid] = r;`);
  if (hv) P(`    sRpv[tid] = rr;`);
  P(`    workgroupBarrier();`);
  P(`  }`);
  P(`  storageBarrier();`);
  // Outputs and output errors.
  P(`  let tb = sl * T * NO * S;`);
  P(`  let yb = p * T * NO * S;`);
  P(`  var lsum = 0.0;`);
  P(`  for (var m = tid; m < T * NO; m += WG) {`);
  P(`    let k = m / NO; let o = m % NO;`);
  P(`    var y = 0.0;`);
  if (hv) P(`    var ry = 0.0;`);
  P(`    for (var i = 0u; i < N; i++) {`);
  P(`      let ri = traj[rb + k * N + i];`);
  P(`      y += w[wb + OC + o + NO * i] * ri;`);
  if (hv) {
    P(`      ry += v[wb + OC + o + NO * i] * ri + w[wb + OC + o + NO * i] * traj[rvb + k * N + i];`);
  }
  P(`    }`);
  if (outputBias) {
    P(`    y += w[wb + OC + o + NO * N];`);
    if (hv) P(`    ry += v[wb + OC + o + NO * N];`);
  }
  if (fwd) {
    P(`    yout[yb + (k * NO + o) * S + q] = y;`);
  } else {
    P(`    let d = y - tgt[tb + (k * NO + o) * S + q];`);
    P(`    sE[m] = 2.0 * d;`);
    P(`    lsum += d * d;`);
    if (hv) P(`    sEv[m] = 2.0 * ry;`);
  }
  P(`  }`);
  if (fwd) {
    P(`}`);
    return lines.join("\n");
  }
  P(`  sRed[tid] = lsum;`);
  P(`  sD[tid] = 0.0;`);
  if (hv) P(`  sDv[tid] = 0.0;`);
  P(`  workgroupBarrier();`);
  P(`  for (var h = WG / 2u; h > 0u; h = h / 2u) {`);
  P(`    if (tid < h) { sRed[tid] += sRed[tid + h]; }`);
  P(`    workgroupBarrier();`);
  P(`  }`);
  P(`  if (tid == 0u) { lpart[p * S + q] = sRed[0]; }`);
  // BPTT (and its R-operator).
  P(`  var gA: array<f32, ${n}>; var gB: array<f32, ${ni}>; var gC: array<f32, ${no}>;`);
  if (hv) P(`  var hA: array<f32, ${n}>; var hB: array<f32, ${ni}>; var hC: array<f32, ${no}>;`);
  P(`  for (var kk = 0u; kk < T; kk++) {`);
  P(`    let k = T - 1u - kk;`);
  P(`    var dl = 0.0;`);
  if (hv) P(`    var rdl = 0.0;`);
  P(`    if (tid < N) {`);
  P(`      let r = traj[rb + k * N + tid];`);
  P(`      var g = 0.0;`);
  if (hv) P(`      var rg = 0.0; let rr = traj[rvb + k * N + tid];`);
  P(`      for (var o = 0u; o < NO; o++) {`);
  P(`        let e = sE[k * NO + o];`);
  P(`        g += w[wb + OC + o + NO * tid] * e;`);
  P(`        gC[o] += e * r;`);
  if (hv) {
    P(`        let re = sEv[k * NO + o];`);
    P(`        rg += v[wb + OC + o + NO * tid] * e + w[wb + OC + o + NO * tid] * re;`);
    P(`        hC[o] += re * r + e * rr;`);
  }
  P(`      }`);
  P(`      for (var j = 0u; j < N; j++) {`);
  P(`        g += w[wb + OA + j + N * tid] * sD[j];`);
  if (hv) P(`        rg += v[wb + OA + j + N * tid] * sD[j] + w[wb + OA + j + N * tid] * sDv[j];`);
  P(`      }`);
  P(`      dl = (1.0 - r * r) * g;`);
  if (hv) P(`      rdl = (1.0 - r * r) * rg - 2.0 * r * rr * g;`);
  P(`      for (var c = 0u; c < NI; c++) {`);
  P(`        let u = inp[ib + (k * NI + c) * S + q];`);
  P(`        gB[c] += dl * u;`);
  if (hv) P(`        hB[c] += rdl * u;`);
  P(`      }`);
  P(`      if (k > 0u) {`);
  P(`        let pb = rb + (k - 1u) * N;`);
  if (hv) P(`        let pbv = rvb + (k - 1u) * N;`);
  P(`        for (var j = 0u; j < N; j++) {`);
  P(`          let rj = traj[pb + j];`);
  P(`          gA[j] += dl * rj;`);
  if (hv) P(`          hA[j] += rdl * rj + dl * traj[pbv + j];`);
  P(`        }`);
  P(`      }`);
  P(`    }`);
  P(`    workgroupBarrier();`);
  P(`    sD[tid] = dl;`);
  if (hv) P(`    sDv[tid] = rdl;`);
  P(`    workgroupBarrier();`);
  P(`  }`);
  P(`  let ob = (p * S + q) * KM;`);
  P(`  if (tid < N) {`);
  P(`    for (var c = 0u; c < NI; c++) { gpart[ob + tid + N * c] = gB[c]; }`);
  P(`    for (var j = 0u; j < N; j++) { gpart[ob + OA + tid + N * j] = gA[j]; }`);
  P(`    for (var o = 0u; o < NO; o++) { gpart[ob + OC + o + NO * tid] = gC[o]; }`);
  if (hv) {
    P(`    for (var c = 0u; c < NI; c++) { hpart[ob + tid + N * c] = hB[c]; }`);
    P(`    for (var j = 0u; j < N; j++) { hpart[ob + OA + tid + N * j] = hA[j]; }`);
    P(`    for (var o = 0u; o < NO; o++) { hpart[ob + OC + o + NO * tid] = hC[o]; }`);
  }
  P(`  }`);
  if (outputBias) {
    // The bias column's gradient is the summed output error.
    P(`  if (tid < NO) {`);
    P(`    var sb = 0.0;`);
    if (hv) P(`    var hb = 0.0;`);
    P(`    for (var k = 0u; k < T; k++) {`);
    P(`      sb += sE[k * NO + tid];`);
    if (hv) P(`      hb += sEv[k * NO + tid];`);
    P(`    }`);
    P(`    gpart[ob + OC + tid + NO * N] = sb;`);
    if (hv) P(`    hpart[ob + OC + tid + NO * N] = hb;`);
    P(`  }`);
  }
  P(`}`);
  // v and H v live in the second half of each network's block (keeps to 8 storage bindings).
  return lines.join("\n").replaceAll("v[wb + ", "w[wb + K + ").replaceAll(
    "hpart[ob + ",
    "gpart[ob + K + ",
  );
}

/**
 * WGSL of the reduction over sequences: `out[p*K + m] = scale * sum_q part[(p*S + q)*K + m]`,
 * Kahan-compensated (kept from the compiler's algebra, see below), one thread per output entry. `scale` and the entry count come from a uniform.
 */
export function reduceSource(k: number, s: number): string {
  return `
const K: u32 = ${k}u; const S: u32 = ${s}u;
struct Params { total: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> outv: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // gid.z is 0, but only at run time: OR-ing its bits in keeps the compiler from folding the
  // compensation (t - sum) - y to 0, which Mesa's NIR does (measured on llvmpipe).
  let z = gid.z;
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= params.total) { return; }
  let p = idx / K; let m = idx % K;
  var sum = 0.0; var comp = 0.0;
  for (var q = 0u; q < S; q++) {
    let y = part[(p * S + q) * K + m] - comp;
    let t = bitcast<f32>(bitcast<u32>(sum + y) | z);
    comp = bitcast<f32>(bitcast<u32>(t - sum) | z) - y;
    sum = t;
  }
  outv[idx] = sum * params.scale;
}`;
}

/**
 * WGSL of the loss-difference kernel: for weights w and a step dw (blocks `[w, dw]` per network),
 * the per-sequence partial of S T (E(w + dw) - E(w)), computed by propagating the difference of
 * the two trajectories (dx = dB u + dA r'(k-1) + A dr(k-1), dr = tanh(dx) (1 - r r'),
 * dy = dC r' + C dr, d(e^2) = dy (dy + 2 e)), so float32 resolves the loss change of a step to
 * its own relative precision even when the step is far below the resolution of the weights. Two
 * float32 losses subtracted cannot: that is what stalls float32 SCG near convergence.
 */
export function diffSource(dims: KernelDims): string {
  const { n, ni, no, outputBias } = dims.shape;
  const L = paramLayout(dims.shape);
  const { s, t } = dims;
  const wg = workgroupSize(dims.shape);
  const K = L.size;
  return `
const N: u32 = ${n}u; const NI: u32 = ${ni}u; const NO: u32 = ${no}u; const T: u32 = ${t}u;
const S: u32 = ${s}u; const K: u32 = ${K}u; const KM: u32 = ${2 * K}u;
const OA: u32 = ${L.a}u; const OC: u32 = ${L.c}u;
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpart: array<f32>;
@group(0) @binding(7) var<storage, read> slots: array<u32>;
// tanh with full relative precision near 0: GPU tanh is often (e^2x - 1) / (e^2x + 1), whose
// relative error explodes for the tiny arguments dx of a small step (31% at 1e-7 on llvmpipe).
fn tanhSmall(x: f32) -> f32 {
  if (abs(x) < 0.03) {
    let x2 = x * x;
    return x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
  }
  return tanh(x);
}
var<workgroup> sRb: array<f32, ${wg}>;
var<workgroup> sRt: array<f32, ${wg}>;
var<workgroup> sDr: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let q = wid.x; let p = wid.y; let sl = slots[p];
  if (sl == ${NO_SLOT_WGSL}) { return; }
  let wb = p * KM; let db = wb + K;
  let ib = sl * T * NI * S; let tb = sl * T * NO * S;
  sRb[tid] = 0.0; sRt[tid] = 0.0; sDr[tid] = 0.0;
  workgroupBarrier();
  var acc = 0.0;
  for (var k = 0u; k < T; k++) {
    var rb = 0.0; var rt = 0.0; var dr = 0.0;
    if (tid < N) {
      var xb = 0.0; var dx = 0.0;
      for (var c = 0u; c < NI; c++) {
        let u = inp[ib + (k * NI + c) * S + q];
        xb += w[wb + tid + N * c] * u;
        dx += w[db + tid + N * c] * u;
      }
      for (var j = 0u; j < N; j++) {
        let a = w[wb + OA + tid + N * j];
        xb += a * sRb[j];
        dx += w[db + OA + tid + N * j] * sRt[j] + a * sDr[j];
      }
      rb = tanh(xb);
      rt = tanh(xb + dx);
      dr = tanhSmall(dx) * (1.0 - rb * rt);
    }
    workgroupBarrier();
    sRb[tid] = rb; sRt[tid] = rt; sDr[tid] = dr;
    workgroupBarrier();
    if (tid < NO) {
      var yb = 0.0; var dy = 0.0;
      for (var i = 0u; i < N; i++) {
        let c = w[wb + OC + tid + NO * i];
        yb += c * sRb[i];
        dy += w[db + OC + tid + NO * i] * sRt[i] + c * sDr[i];
      }
      ${outputBias ? "yb += w[wb + OC + tid + NO * N]; dy += w[db + OC + tid + NO * N];" : ""}
      let e = yb - tgt[tb + (k * NO + tid) * S + q];
      acc += dy * (dy + 2.0 * e);
    }
  }
  if (tid < NO) { dpart[(p * S + q) * NO + tid] = acc; }
}`;
}

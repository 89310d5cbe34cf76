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

/** Threads per workgroup for a shape: units rounded up to a power of two, at least 32. */
export function workgroupSize(shape: RnnShape): number {
  let wg = 32;
  while (wg < shape.n) wg *= 2;
  return wg;
}

/** Bytes of workgroup memory a kernel needs (checked against the device limit). */
export function workgroupBytes(dims: KernelDims, mode: KernelMode): number {
  const { n, ni, no } = dims.shape;
  const L = paramLayout(dims.shape);
  const wg = workgroupSize(dims.shape);
  const base = n * n + n * ni + no * L.cCols + dims.t * n + dims.t * ni + dims.t * no + 2 * wg;
  const extra = mode === "gradHv"
    ? n * n + n * ni + no * L.cCols + dims.t * n + dims.t * no + wg
    : 0;
  return 4 * (base + extra);
}

/** WGSL of the fused forward / gradient / Hessian-vector kernel. */
export function fusedSource(dims: KernelDims, mode: KernelMode): string {
  const { n, ni, no, outputBias } = dims.shape;
  const L = paramLayout(dims.shape);
  const { s, t } = dims;
  const wg = workgroupSize(dims.shape);
  const hv = mode === "gradHv";
  const fwd = mode === "forward";
  const f = (x: number): string => `${x}u`;
  const lines: string[] = [];
  const P = (line: string): void => {
    lines.push(line);
  };
  P(`const N: u32 = ${f(n)}; const NI: u32 = ${f(ni)}; const NO: u32 = ${f(no)};`);
  P(`const CC: u32 = ${f(L.cCols)}; const T: u32 = ${f(t)}; const S: u32 = ${f(s)};`);
  P(`const K: u32 = ${f(L.size)}; const WG: u32 = ${f(wg)};`);
  P(`const OA: u32 = ${f(L.a)}; const OC: u32 = ${f(L.c)};`);
  P(`@group(0) @binding(0) var<storage, read> w: array<f32>;`);
  P(`@group(0) @binding(1) var<storage, read> inp: array<f32>;`);
  P(`@group(0) @binding(2) var<storage, read> tgt: array<f32>;`);
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
  if (hv) {
    P(`@group(0) @binding(5) var<storage, read> v: array<f32>;`);
    P(`@group(0) @binding(6) var<storage, read_write> hpart: array<f32>;`);
  }
  P(`var<workgroup> sA: array<f32, ${n * n}>;`);
  P(`var<workgroup> sB: array<f32, ${n * ni}>;`);
  P(`var<workgroup> sC: array<f32, ${no * L.cCols}>;`);
  P(`var<workgroup> sR: array<f32, ${t * n}>;`);
  P(`var<workgroup> sU: array<f32, ${t * ni}>;`);
  P(`var<workgroup> sE: array<f32, ${t * no}>;`);
  P(`var<workgroup> sD: array<f32, ${wg}>;`);
  P(`var<workgroup> sRed: array<f32, ${wg}>;`);
  if (hv) {
    P(`var<workgroup> vA: array<f32, ${n * n}>;`);
    P(`var<workgroup> vB: array<f32, ${n * ni}>;`);
    P(`var<workgroup> vC: array<f32, ${no * L.cCols}>;`);
    P(`var<workgroup> sRv: array<f32, ${t * n}>;`);
    P(`var<workgroup> sEv: array<f32, ${t * no}>;`);
    P(`var<workgroup> sDv: array<f32, ${wg}>;`);
  }
  P(`@compute @workgroup_size(${wg})`);
  P(`fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {`);
  P(`  let q = wid.x; let p = wid.y; let sl = slots[p];`);
  P(`  let wb = p * K;`);
  P(`  for (var m = tid; m < N * N; m += WG) { sA[m] = w[wb + OA + m]; }`);
  P(`  for (var m = tid; m < N * NI; m += WG) { sB[m] = w[wb + m]; }`);
  P(`  for (var m = tid; m < NO * CC; m += WG) { sC[m] = w[wb + OC + m]; }`);
  if (hv) {
    P(`  for (var m = tid; m < N * N; m += WG) { vA[m] = v[wb + OA + m]; }`);
    P(`  for (var m = tid; m < N * NI; m += WG) { vB[m] = v[wb + m]; }`);
    P(`  for (var m = tid; m < NO * CC; m += WG) { vC[m] = v[wb + OC + m]; }`);
  }
  P(`  let ib = sl * T * NI * S;`);
  P(`  for (var m = tid; m < T * NI; m += WG) {`);
  P(`    let k = m / NI; let c = m % NI;`);
  P(`    sU[m] = inp[ib + (k * NI + c) * S + q];`);
  P(`  }`);
  P(`  workgroupBarrier();`);
  // Forward recurrence.
  P(`  for (var k = 0u; k < T; k++) {`);
  P(`    if (tid < N) {`);
  P(`      var x = 0.0;`);
  if (hv) P(`      var rx = 0.0;`);
  P(`      for (var c = 0u; c < NI; c++) {`);
  P(`        x += sB[tid + N * c] * sU[k * NI + c];`);
  if (hv) P(`        rx += vB[tid + N * c] * sU[k * NI + c];`);
  P(`      }`);
  P(`      if (k > 0u) {`);
  P(`        let pb = (k - 1u) * N;`);
  P(`        for (var j = 0u; j < N; j++) {`);
  P(`          x += sA[tid + N * j] * sR[pb + j];`);
  if (hv) P(`          rx += vA[tid + N * j] * sR[pb + j] + sA[tid + N * j] * sRv[pb + j];`);
  P(`        }`);
  P(`      }`);
  P(`      let r = tanh(x);`);
  P(`      sR[k * N + tid] = r;`);
  if (hv) P(`      sRv[k * N + tid] = (1.0 - r * r) * rx;`);
  if (fwd) P(`      xout[((p * T + k) * N + tid) * S + q] = x;`);
  P(`    }`);
  P(`    workgroupBarrier();`);
  P(`  }`);
  // Outputs and output errors.
  P(`  let tb = sl * T * NO * S;`);
  P(`  let ob_y = p * T * NO * S;`);
  P(`  var lsum = 0.0;`);
  P(`  for (var m = tid; m < T * NO; m += WG) {`);
  P(`    let k = m / NO; let o = m % NO;`);
  P(`    var y = 0.0;`);
  if (hv) P(`    var ry = 0.0;`);
  P(`    for (var i = 0u; i < N; i++) {`);
  P(`      y += sC[o + NO * i] * sR[k * N + i];`);
  if (hv) P(`      ry += vC[o + NO * i] * sR[k * N + i] + sC[o + NO * i] * sRv[k * N + i];`);
  P(`    }`);
  if (outputBias) {
    P(`    y += sC[o + NO * N];`);
    if (hv) P(`    ry += vC[o + NO * N];`);
  }
  if (fwd) {
    P(`    yout[ob_y + (k * NO + o) * S + q] = y;`);
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
  P(`      let r = sR[k * N + tid];`);
  P(`      var g = 0.0;`);
  if (hv) P(`      var rg = 0.0; let rr = sRv[k * N + tid];`);
  P(`      for (var o = 0u; o < NO; o++) {`);
  P(`        let e = sE[k * NO + o];`);
  P(`        g += sC[o + NO * tid] * e;`);
  P(`        gC[o] += e * r;`);
  if (hv) {
    P(`        let re = sEv[k * NO + o];`);
    P(`        rg += vC[o + NO * tid] * e + sC[o + NO * tid] * re;`);
    P(`        hC[o] += re * r + e * rr;`);
  }
  P(`      }`);
  P(`      for (var j = 0u; j < N; j++) {`);
  P(`        g += sA[j + N * tid] * sD[j];`);
  if (hv) P(`        rg += vA[j + N * tid] * sD[j] + sA[j + N * tid] * sDv[j];`);
  P(`      }`);
  P(`      dl = (1.0 - r * r) * g;`);
  if (hv) P(`      rdl = (1.0 - r * r) * rg - 2.0 * r * rr * g;`);
  P(`      for (var c = 0u; c < NI; c++) {`);
  P(`        gB[c] += dl * sU[k * NI + c];`);
  if (hv) P(`        hB[c] += rdl * sU[k * NI + c];`);
  P(`      }`);
  P(`      if (k > 0u) {`);
  P(`        let pb = (k - 1u) * N;`);
  P(`        for (var j = 0u; j < N; j++) {`);
  P(`          gA[j] += dl * sR[pb + j];`);
  if (hv) P(`          hA[j] += rdl * sR[pb + j] + dl * sRv[pb + j];`);
  P(`        }`);
  P(`      }`);
  P(`    }`);
  P(`    workgroupBarrier();`);
  P(`    sD[tid] = dl;`);
  if (hv) P(`    sDv[tid] = rdl;`);
  P(`    workgroupBarrier();`);
  P(`  }`);
  P(`  let ob = (p * S + q) * K;`);
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
  return lines.join("\n");
}

/**
 * WGSL of the reduction over sequences: `out[p*K + m] = scale * sum_q part[(p*S + q)*K + m]`,
 * Kahan-compensated, one thread per output entry. `scale` and the entry count come from a uniform.
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
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= params.total) { return; }
  let p = idx / K; let m = idx % K;
  var sum = 0.0; var comp = 0.0;
  for (var q = 0u; q < S; q++) {
    let y = part[(p * S + q) * K + m] - comp;
    let t = sum + y;
    comp = (t - sum) - y;
    sum = t;
  }
  outv[idx] = sum * params.scale;
}`;
}

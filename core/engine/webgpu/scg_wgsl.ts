/**
 * WGSL of SCG kept on the GPU (spec 5.3, same algorithm as `core/rnn/scg.ts`): each network's weights,
 * gradient, search direction, residual and scalars live in device buffers, and one SCG step is a
 * fixed sequence of dispatches with no read-back:
 *
 * 1. `probe`: |p|^2 and the finite-difference probe point w + sigma0/|p| p;
 * 2. fused gradient at the probe point (`wgsl.ts`);
 * 3. `trial`: curvature, lambda fix-up, step size and trial point;
 * 4. fused gradient at the trial point, and the loss change by difference propagation;
 * 5. `update`: accept or reject, lambda, conjugate direction, emergency step, stopping test.
 *
 * Float64 does not exist in WGSL, and the precision study (docs/benchmarks.md) showed which
 * quantities need more than float32: the weights (an SCG step is often below their float32
 * resolution) and the carried loss (each step changes it by ~1e-9 of 0.01). Both are kept as
 * double-float pairs (hi + lo, ~48-bit significand, error-free transforms built from float32 adds);
 * the dot products are accumulated in double-float, and the differences that cancel (g' - g of the
 * curvature probe, r_new - r_old of Polak-Ribiere) are formed element by element, where float32
 * subtraction of nearby values is exact. The remaining scalars (lambda, delta, mu, alpha) are
 * float32, whose relative error (6e-8) is far below that of the float32 gradients they come from.
 *
 * The loss is carried unscaled, as the sum of squared errors over S x T, so no double-float
 * multiplication is needed; it is scaled by 1/(S T) where it is compared or reported.
 *
 * Whether the device's shader compiler keeps the error-free transforms exact (a compiler that
 * reassociates float additions would cancel them) is checked once per device by
 * {@link df32CheckSource} before SCG runs on the GPU.
 *
 * @module
 */

import { NO_SLOT } from "./wgsl.ts";
import {
  FAIL_CODE as FAIL,
  SCG_WG,
  type ScgKernelConstants,
  ST,
  stateStride,
  VEC,
  VEC_COUNT,
} from "../f32_layout.ts";

/** The four SCG kernels. */
export type ScgKernel = "init" | "probe" | "trial" | "update";

/** Buffers the SCG kernels bind (f32 arrays except `act`, the slot lists and `doneOut`). */
export type ScgBuffer =
  | "st"
  | "vec"
  | "act"
  | "gred"
  | "lpart"
  | "dpart"
  | "slotsProbe"
  | "slotsTrial"
  | "wIn"
  | "wDiff"
  | "doneOut";

const U32_BUFFERS: readonly ScgBuffer[] = ["act", "slotsProbe", "slotsTrial", "doneOut"];

/**
 * Each kernel's bindings in binding order, with "rw" for read_write: the one place the order is
 * written; the WGSL declarations are generated from it and the driver binds by name.
 */
export const SCG_BINDINGS: Readonly<Record<ScgKernel, readonly [ScgBuffer, "r" | "rw"][]>> = {
  init: [["st", "rw"], ["vec", "rw"], ["act", "r"], ["gred", "r"], ["lpart", "r"], [
    "doneOut",
    "rw",
  ]],
  probe: [["st", "rw"], ["vec", "r"], ["act", "r"], ["slotsProbe", "rw"], ["wIn", "rw"], [
    "doneOut",
    "rw",
  ]],
  trial: [
    ["st", "rw"],
    ["vec", "r"],
    ["act", "r"],
    ["gred", "r"],
    ["slotsTrial", "rw"],
    ["wIn", "rw"],
    ["wDiff", "rw"],
    ["doneOut", "rw"],
  ],
  update: [
    ["st", "rw"],
    ["vec", "rw"],
    ["act", "r"],
    ["gred", "r"],
    ["dpart", "r"],
    ["slotsTrial", "r"],
    ["doneOut", "rw"],
  ],
};

function bindingsWgsl(kernel: ScgKernel): string {
  return SCG_BINDINGS[kernel].map(([name, access], i) =>
    `@group(0) @binding(${i}) var<storage, ${access === "rw" ? "read_write" : "read"}> ${name}: ` +
    `array<${U32_BUFFERS.includes(name) ? "u32" : "f32"}>;`
  ).join("\n");
}

// f32 literals must keep every digit that matters; WGSL parses them as written.
const lit = (x: number): string => {
  const s = Math.fround(x).toExponential(9);
  return s.includes("e") ? s.replace("e+", "e") : s;
};

/**
 * Double-float helpers (Knuth TwoSum / Dekker Fast2Sum: additions only). Shader compilers treat
 * float arithmetic as algebra (Mesa's NIR folds `(a + b) - a` to `b`, which zeroes every error
 * term: measured on llvmpipe), so each intermediate passes through `opq`, an identity the compiler
 * cannot see through: its bits are OR-ed with `OPQ`, a zero that is only known at run time (the
 * dispatch's workgroup z index, set by the entry point). That also keeps products out of fused
 * multiply-adds.
 */
const DF32 = `
var<private> OPQ: u32;
fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | OPQ); }
fn twoSum(a: f32, b0: f32) -> vec2<f32> {
  let b = opq(b0);
  let s = opq(a + b);
  let bb = opq(s - a);
  return vec2<f32>(s, (a - opq(s - bb)) + (b - bb));
}
fn fastTwoSum(a: f32, b0: f32) -> vec2<f32> {
  let b = opq(b0);
  let s = opq(a + b);
  return vec2<f32>(s, b - opq(s - a));
}
fn dfAddF(a: vec2<f32>, b: f32) -> vec2<f32> {
  let s = twoSum(a.x, b);
  return fastTwoSum(s.x, s.y + a.y);
}
fn dfAdd(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = twoSum(a.x, b.x);
  let t = twoSum(a.y, b.y);
  let u = fastTwoSum(s.x, s.y + t.x);
  return fastTwoSum(u.x, u.y + t.y);
}
fn nonFinite(x: f32) -> bool {
  // Bit test: WGSL lets compilers assume NaN and Inf never occur, so x != x may be folded away.
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}`;

/**
 * A self-check of the double-float arithmetic on the device: `out[i] = dfAdd((a, 0), (b, 0))` and
 * `dfAddF`, for inputs whose sums are not representable in float32, so that a compiler that
 * simplifies `(a + b) - a` to `b` returns a zero error term.
 */
export function df32CheckSource(): string {
  return `${DF32}
@group(0) @binding(0) var<storage, read> inp: array<f32>;
@group(0) @binding(1) var<storage, read_write> outv: array<f32>;
@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  OPQ = gid.z;
  let i = gid.x;
  let a = inp[2u * i]; let b = inp[2u * i + 1u];
  let s = dfAdd(vec2<f32>(a, 0.0), vec2<f32>(b, 0.0));
  let t = dfAddF(vec2<f32>(a, 0.0), b);
  outv[4u * i] = s.x; outv[4u * i + 1u] = s.y;
  outv[4u * i + 2u] = t.x; outv[4u * i + 3u] = t.y;
}`;
}

/** Workgroup tree reduction of double-float partials in `red` (every thread must reach it). */
function reduceDf(arr: string): string {
  return `  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (tid < h) { ${arr}[tid] = dfAdd(${arr}[tid], ${arr}[tid + h]); }
    workgroupBarrier();
  }`;
}

/** WGSL of one SCG kernel; dispatched with one workgroup per active network. */
export function scgSource(kernel: ScgKernel, c: ScgKernelConstants): string {
  const header = `${DF32}
const K: u32 = ${c.k}u; const WG: u32 = ${SCG_WG}u; const H: u32 = ${c.h}u;
const SS: u32 = ${stateStride(c.h)}u; const VS: u32 = ${VEC_COUNT * c.k}u;
const S: u32 = ${c.s}u; const SNO: u32 = ${c.sNo}u; const SCALE: f32 = ${lit(c.scale)};
const NO_SLOT: u32 = ${NO_SLOT}u;
${Object.entries(ST).map(([k, v]) => `const ST_${k.toUpperCase()}: u32 = ${v}u;`).join(" ")}
${Object.entries(VEC).map(([k, v]) => `const V_${k.toUpperCase()}: u32 = ${v * c.k}u;`).join(" ")}
var<workgroup> redA: array<vec2<f32>, ${SCG_WG}>;
var<workgroup> redB: array<vec2<f32>, ${SCG_WG}>;
var<workgroup> redC: array<vec2<f32>, ${SCG_WG}>;
var<workgroup> wFlag: u32;
var<workgroup> wBad: atomic<u32>;
var<workgroup> wOut: vec2<f32>;
`;
  const main =
    `@compute @workgroup_size(${SCG_WG})\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  OPQ = wid.z;
  let pc = wid.x; let net = act[pc];
  let vb = net * VS; let sb = net * SS;`;
  const doneGate = (onDone: string): string =>
    `  if (tid == 0u) { wFlag = u32(st[sb + ST_DONE]); }
  if (workgroupUniformLoad(&wFlag) != 0u) {
    if (tid == 0u) { ${onDone} }
    return;
  }`;
  const fail = (code: number, value: string): string =>
    `st[sb + ST_FAILCODE] = ${code}.0; st[sb + ST_FAILSTEP] = st[sb + ST_STEPS]; ` +
    `st[sb + ST_FAILVALUE] = ${value}; st[sb + ST_DONE] = 1.0; doneOut[net] = 1u;`;

  if (kernel === "init") {
    // After the fused gradient at w0 (slots = act = identity): E0, g, p = r = -g .* mask.
    return `${header}
${bindingsWgsl("init")}
${main}
  if (tid == 0u) { atomicStore(&wBad, 0u); }
  workgroupBarrier();
  var bad = false;
  for (var k = tid; k < K; k += WG) {
    let g = gred[pc * K + k];
    bad = bad || nonFinite(g);
    let p = -g * vec[vb + V_MASK + k];
    vec[vb + V_G + k] = g; vec[vb + V_P + k] = p; vec[vb + V_R + k] = p;
  }
  if (bad) { atomicOr(&wBad, 1u); }
  for (var h = tid; h < H; h += WG) { st[sb + ST_HIST + h] = 0.01; }
  workgroupBarrier();
  if (tid == 0u) {
    var e = vec2<f32>(0.0, 0.0);
    for (var q = 0u; q < S; q++) { e = dfAddF(e, lpart[pc * S + q]); }
    for (var f = 0u; f < ST_HIST; f++) { st[sb + f] = 0.0; }
    st[sb + ST_SSEHI] = e.x; st[sb + ST_SSELO] = e.y;
    st[sb + ST_PREVHI] = e.x; st[sb + ST_PREVLO] = e.y;
    st[sb + ST_SSE0HI] = e.x; st[sb + ST_SSE0LO] = e.y;
    st[sb + ST_LAMBDA] = ${lit(c.lambda0)};
    st[sb + ST_SUCCESS] = 1.0;
    st[sb + ST_GRADEVALS] = 1.0;
    doneOut[net] = 0u;
    if (nonFinite(e.x) || atomicLoad(&wBad) != 0u) { ${fail(FAIL.start, "e.x * SCALE")} }
  }
}`;
  }

  if (kernel === "probe") {
    return `${header}
${bindingsWgsl("probe")}
${main}
${doneGate("slotsProbe[pc] = NO_SLOT;")}
  var acc = vec2<f32>(0.0, 0.0);
  for (var k = tid; k < K; k += WG) { let p = vec[vb + V_P + k]; acc = dfAddF(acc, p * p); }
  redA[tid] = acc;
${reduceDf("redA")}
  let pn2 = redA[0].x + redA[0].y;
  let probe = st[sb + ST_SUCCESS] != 0.0 && pn2 > 0.0;
  let sEps = ${lit(c.sigma0)} / sqrt(pn2);
  if (probe) {
    for (var k = tid; k < K; k += WG) {
      let w = vec2<f32>(vec[vb + V_HI + k], vec[vb + V_LO + k]);
      wIn[pc * K + k] = dfAddF(w, sEps * vec[vb + V_P + k]).x;
    }
  }
  if (tid == 0u) {
    st[sb + ST_PN2] = pn2;
    slotsProbe[pc] = NO_SLOT;
    if (probe) {
      st[sb + ST_SEPS] = sEps;
      slotsProbe[pc] = net;
      st[sb + ST_GRADEVALS] += 1.0;
    } else if (st[sb + ST_SUCCESS] != 0.0) {
      // A zero search direction (all trainable gradients exactly 0): nothing left to do.
      st[sb + ST_DONE] = 1.0; doneOut[net] = 1u;
    }
  }
}`;
  }

  if (kernel === "trial") {
    return `${header}
${bindingsWgsl("trial")}
${main}
${doneGate("slotsTrial[pc] = NO_SLOT;")}
  var a = vec2<f32>(0.0, 0.0);
  var b = vec2<f32>(0.0, 0.0);
  for (var k = tid; k < K; k += WG) {
    let p = vec[vb + V_P + k];
    // g' - g is exact in float32 when the probe gradient is close to g (Sterbenz).
    a = dfAddF(a, p * (gred[pc * K + k] - vec[vb + V_G + k]));
    b = dfAddF(b, p * vec[vb + V_R + k]);
  }
  redA[tid] = a; redB[tid] = b;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (tid < h) {
      redA[tid] = dfAdd(redA[tid], redA[tid + h]);
      redB[tid] = dfAdd(redB[tid], redB[tid + h]);
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    st[sb + ST_STEPS] += 1.0;
    var delta = st[sb + ST_DELTA];
    if (st[sb + ST_SUCCESS] != 0.0) { delta = (redA[0].x + redA[0].y) / st[sb + ST_SEPS]; }
    let pn2 = st[sb + ST_PN2];
    var lambda = st[sb + ST_LAMBDA];
    delta += lambda * pn2; // added again even after a failed step, as in the code
    if (delta < 0.0) {
      lambda = 2.0 * (lambda - delta / pn2);
      delta += lambda * pn2;
    }
    let mu = redB[0].x + redB[0].y;
    let alpha = mu / delta;
    st[sb + ST_DELTA] = delta; st[sb + ST_LAMBDA] = lambda;
    st[sb + ST_MU] = mu; st[sb + ST_ALPHA] = alpha;
    if (nonFinite(alpha)) {
      ${fail(FAIL.alpha, "alpha")}
      slotsTrial[pc] = NO_SLOT;
      wOut = vec2<f32>(0.0, 0.0);
    } else {
      slotsTrial[pc] = net;
      st[sb + ST_GRADEVALS] += 1.0;
      wOut = vec2<f32>(1.0, alpha);
    }
  }
  workgroupBarrier();
  let ok = wOut.x != 0.0; let alpha = wOut.y;
  if (ok) {
    for (var k = tid; k < K; k += WG) {
      let w = vec2<f32>(vec[vb + V_HI + k], vec[vb + V_LO + k]);
      let dw = alpha * vec[vb + V_P + k];
      wIn[pc * K + k] = dfAddF(w, dw).x;
      wDiff[pc * 2u * K + k] = w.x;
      wDiff[pc * 2u * K + K + k] = dw;
    }
  }
}`;
  }

  // update
  const rule = c.stopRule;
  const sy2 = 1.05 * c.sigmaY * c.sigmaY;
  const stop = rule === "dms"
    ? `if (success) {
        let entry = -dLoss;
        let hp = u32(st[sb + ST_HPTR]);
        st[sb + ST_HIST + hp] = entry;
        st[sb + ST_HPTR] = f32((hp + 1u) % H);
        let meanDrop = (hist.x + hist.y + entry) / f32(H);
        let ePrev = (st[sb + ST_PREVHI] + st[sb + ST_PREVLO]) * SCALE;
        if (meanDrop < 1e-8 && ePrev < ${lit(sy2)}) {
          st[sb + ST_CONVERGED] = 1.0; st[sb + ST_DONE] = 1.0; doneOut[net] = 1u;
        }
      }`
    : rule === "rl"
    ? `if (success) {
        st[sb + ST_DROP] = 0.001 * (-dLoss) + 0.999 * st[sb + ST_DROP];
      } else {
        st[sb + ST_DROPINF] = 1.0;
      }
      let e = (st[sb + ST_SSEHI] + st[sb + ST_SSELO]) * SCALE;
      let flat = st[sb + ST_DROPINF] == 0.0 && st[sb + ST_DROP] < 1e-8;
      if (e < 0.01 || (e < 0.015 && flat && st[sb + ST_STEPS] > 20.0 && success)) {
        st[sb + ST_CONVERGED] = 1.0; st[sb + ST_DONE] = 1.0; doneOut[net] = 1u;
      }`
    : "";
  return `${header}
${bindingsWgsl("update")}
${main}
  if (slotsTrial[pc] == NO_SLOT) { return; }
  if (tid == 0u) { atomicStore(&wBad, 0u); }
  var d = vec2<f32>(0.0, 0.0);
  for (var m = tid; m < SNO; m += WG) { d = dfAddF(d, dpart[pc * SNO + m]); }
  // Polak-Ribiere numerator r_new . (r_new - r_old), the difference formed per element.
  var b = vec2<f32>(0.0, 0.0);
  var bad = false;
  for (var k = tid; k < K; k += WG) {
    let gt = gred[pc * K + k];
    bad = bad || nonFinite(gt);
    let rn = -gt;
    b = dfAddF(b, rn * (rn - vec[vb + V_R + k]));
  }
  // History sum without the entry about to be overwritten.
  let hp = u32(st[sb + ST_HPTR]);
  var hs = vec2<f32>(0.0, 0.0);
  for (var h = tid; h < H; h += WG) { if (h != hp) { hs = dfAddF(hs, st[sb + ST_HIST + h]); } }
  redA[tid] = d; redB[tid] = b; redC[tid] = hs;
  workgroupBarrier();
  if (bad) { atomicOr(&wBad, 1u); }
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (tid < h) {
      redA[tid] = dfAdd(redA[tid], redA[tid + h]);
      redB[tid] = dfAdd(redB[tid], redB[tid + h]);
      redC[tid] = dfAdd(redC[tid], redC[tid + h]);
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    // decision: 0 = reject, 1 = accept, 2 = emergency gradient step
    var decision = 0.0;
    var beta = 0.0;
    let sse = vec2<f32>(st[sb + ST_SSEHI], st[sb + ST_SSELO]);
    let dsse = redA[0];
    let tryE = dfAdd(sse, dsse);
    let dLoss = (dsse.x + dsse.y) * SCALE;
    let hist = redC[0];
    if (nonFinite(tryE.x) || atomicLoad(&wBad) != 0u) {
      ${fail(FAIL.loss, "tryE.x * SCALE")}
    } else {
      // A trial loss equal to the current one: the step is below float32 resolution.
      if (tryE.x == sse.x && tryE.y == sse.y) { st[sb + ST_STALL] += 1.0; } else { st[sb + ST_STALL] = 0.0; }
      if (${c.stallLimit}.0 > 0.0 && st[sb + ST_STALL] >= ${c.stallLimit}.0) {
        ${fail(FAIL.stall, "st[sb + ST_STALL]")}
      } else {
        let mu = st[sb + ST_MU]; let delta = st[sb + ST_DELTA]; let pn2 = st[sb + ST_PN2];
        var lambda = st[sb + ST_LAMBDA];
        let bigDelta = -2.0 * delta * dLoss / (mu * mu);
        var success = false;
        if (bigDelta >= 0.0) {
          decision = 1.0;
          beta = (redB[0].x + redB[0].y) / mu;
          if (bigDelta > 0.75) { lambda = lambda / 4.0; }
          st[sb + ST_PREVHI] = sse.x; st[sb + ST_PREVLO] = sse.y;
          st[sb + ST_SSEHI] = tryE.x; st[sb + ST_SSELO] = tryE.y;
          success = true;
          st[sb + ST_FAILCOUNT] = 1.0;
        } else {
          st[sb + ST_FAILCOUNT] += 1.0;
          if (st[sb + ST_FAILCOUNT] > 10.0) {
            decision = 2.0;
            st[sb + ST_FAILCOUNT] = 1.0;
            st[sb + ST_EMERGENCY] += 1.0;
          }
        }
        st[sb + ST_SUCCESS] = select(0.0, 1.0, success);
        if (bigDelta < 0.25) { lambda += delta * (1.0 - bigDelta) / pn2; }
        st[sb + ST_LAMBDA] = lambda;
        if (nonFinite(lambda)) {
          ${fail(FAIL.lambda, "lambda")}
        } else {
          ${stop}
        }
      }
    }
    wOut = vec2<f32>(decision, beta);
  }
  workgroupBarrier();
  let decision = wOut.x; let beta = wOut.y;
  if (decision == 1.0) {
    let alpha = st[sb + ST_ALPHA];
    for (var k = tid; k < K; k += WG) {
      let p = vec[vb + V_P + k];
      let w = dfAddF(vec2<f32>(vec[vb + V_HI + k], vec[vb + V_LO + k]), alpha * p);
      vec[vb + V_HI + k] = w.x; vec[vb + V_LO + k] = w.y;
      let gt = gred[pc * K + k];
      let rn = -gt;
      vec[vb + V_G + k] = gt;
      vec[vb + V_P + k] = (rn + beta * p) * vec[vb + V_MASK + k];
      vec[vb + V_R + k] = rn;
    }
  } else if (decision == 2.0) {
    // Emergency plain-gradient step, masked (spec D8); E and g are not recomputed.
    for (var k = tid; k < K; k += WG) {
      let p = vec[vb + V_R + k] * vec[vb + V_MASK + k];
      vec[vb + V_P + k] = p;
      let w = dfAddF(vec2<f32>(vec[vb + V_HI + k], vec[vb + V_LO + k]), ${lit(c.fallbackStep)} * p);
      vec[vb + V_HI + k] = w.x; vec[vb + V_LO + k] = w.y;
    }
  }
}`;
}

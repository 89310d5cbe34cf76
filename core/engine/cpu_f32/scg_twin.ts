/**
 * The CPU twin of SCG on the device: the kernels of `scg_wgsl.ts` transcribed operation by
 * operation into TypeScript over the same state layout (`ST`, `VEC` of core/engine/f32_layout.ts), with every float32 operation
 * rounded by `Math.fround` and the same double-float error-free transforms, per-thread strided
 * accumulation and workgroup tree reductions. With the float32 twin's gradient and
 * loss-difference kernels (core/engine/cpu_f32/wasm_f32_kernels.ts) it is engine "cpu-f32" with
 * `scgState: "device"`, so the arithmetic of the WebGPU engine's default SCG can be compared with
 * the float64 engine at population scale on any machine.
 *
 * What it does not reproduce, all below anything SCG can see: the loss and loss-change partials
 * are summed in float64 rather than double-float (2^-48 relative), a GPU's own tanh, a GPU's
 * float32 division and square root where they are not correctly rounded (WGSL allows 2.5 ulp), and
 * fused multiply-adds a compiler may form in the scalar code. Operations on float32 values
 * computed in float64 and rounded once equal the float32 operations (float64 has more than
 * 2 x 24 + 2 bits), so `Math.fround(a + b)` is the float32 sum.
 *
 * Keep it step for step with `scg_wgsl.ts`: tests/scg_twin_test.ts runs both on crafted state and
 * compares them bit for bit on the machine's WebGPU adapter.
 *
 * @module
 */
import {
  type ScgJob,
  type ScgOptions,
  type ScgResult,
  ScgStoppedError,
  type SequenceSet,
  stopRequested,
} from "../engine.ts";
import { scgConstants } from "../../rnn/scg.ts";
import {
  FAIL_CODES,
  readScgResult,
  SCG_WG,
  type ScgKernelConstants,
  scgKernelConstants,
  ST,
  stateStride,
  VEC,
  VEC_COUNT,
  writeScgVectors,
} from "../f32_layout.ts";
import type { ScgFailure } from "../../rnn/scg.ts";

const f = Math.fround;
const WG = SCG_WG;

/** A double-float (hi, lo) accumulator whose operations round as the WGSL helpers do. */
export class Df {
  /** Leading float32 part. */
  hi = 0;
  /** Trailing float32 part. */
  lo = 0;

  /** Sets the pair. */
  set(hi: number, lo: number): this {
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** The float32 sum hi + lo (what the kernels use as a scalar). */
  get f32(): number {
    return f(this.hi + this.lo);
  }

  /** dfAddF: adds a float32 value (TwoSum, then Fast2Sum renormalisation). */
  addF(b: number): Df {
    const s = f(this.hi + b);
    const bb = f(s - this.hi);
    const e = f(f(this.hi - f(s - bb)) + f(b - bb));
    return fastTwoSum(this, s, f(e + this.lo));
  }

  /** dfAdd: adds another pair. */
  add(o: Df): Df {
    const s = f(this.hi + o.hi);
    let bb = f(s - this.hi);
    const se = f(f(this.hi - f(s - bb)) + f(o.hi - bb));
    const t = f(this.lo + o.lo);
    bb = f(t - this.lo);
    const te = f(f(this.lo - f(t - bb)) + f(o.lo - bb));
    fastTwoSum(this, s, f(se + t));
    return fastTwoSum(this, this.hi, f(this.lo + te));
  }
}

function fastTwoSum(out: Df, a: number, b: number): Df {
  const s = f(a + b);
  return out.set(s, f(b - f(s - a)));
}

const red: Df[] = Array.from({ length: WG }, () => new Df());

/**
 * sum over k < n of term(k), as a workgroup of WG threads computes it: thread t accumulates
 * k = t, t + WG, ... (except `skip`) with dfAddF, then the tree reduction with dfAdd. `term`
 * returns float32.
 */
function dfSum(n: number, term: (k: number) => number, out: Df, skip = -1): Df {
  for (let t = 0; t < WG; t++) {
    const acc = red[t].set(0, 0);
    for (let k = t; k < n; k += WG) if (k !== skip) acc.addF(term(k));
  }
  for (let h = WG / 2; h > 0; h = Math.floor(h / 2)) {
    for (let t = 0; t < h; t++) red[t].add(red[t + h]);
  }
  return out.set(red[0].hi, red[0].lo);
}

/** A float64 value as a double-float pair (the twin's stand-in for a double-float partial sum). */
function dfOf(x: number, out: Df): Df {
  const hi = f(x);
  return out.set(hi, f(x - hi));
}

const nonFinite = (x: number): boolean => !Number.isFinite(x);

/** One network's device state: the `ST` scalars and its `VEC` block, as on the GPU. */
export interface TwinState {
  /** Scalar state, `stateStride(h)` floats. */
  readonly st: Float32Array;
  /** Vector block, `VEC_COUNT * K` floats. */
  readonly vec: Float32Array;
}

function failWith(s: Float32Array, kind: ScgFailure, value: number): void {
  s[ST.failCode] = FAIL_CODES.indexOf(kind) + 1;
  s[ST.failStep] = s[ST.steps];
  s[ST.failValue] = value;
  s[ST.done] = 1;
}

const tmpA = new Df();
const tmpB = new Df();
const tmpC = new Df();

/** The init kernel: `grad` and `sse` (summed squared errors) are the evaluation at w0. */
export function twinInit(
  c: ScgKernelConstants,
  state: TwinState,
  evaluation: { grad: Float32Array; sse: number },
): void {
  const { st, vec } = state;
  const K = c.k;
  let bad = false;
  for (let k = 0; k < K; k++) {
    const g = evaluation.grad[k];
    bad ||= nonFinite(g);
    const p = f(-g * vec[VEC.mask * K + k]);
    vec[VEC.g * K + k] = g;
    vec[VEC.p * K + k] = p;
    vec[VEC.r * K + k] = p;
  }
  st.fill(0, 0, ST.hist);
  st.fill(0.01, ST.hist, ST.hist + c.h);
  const e = dfOf(evaluation.sse, tmpA);
  st[ST.sseHi] = st[ST.prevHi] = st[ST.sse0Hi] = e.hi;
  st[ST.sseLo] = st[ST.prevLo] = st[ST.sse0Lo] = e.lo;
  st[ST.lambda] = c.lambda0;
  st[ST.success] = 1;
  st[ST.gradEvals] = 1;
  if (nonFinite(e.hi) || bad) failWith(st, "start", f(e.hi * f(c.scale)));
}

/**
 * The probe kernel: returns the finite-difference probe point (float32) to evaluate, or null when
 * the last step failed (the old curvature is reused) or the network is done.
 */
export function twinProbe(c: ScgKernelConstants, state: TwinState): Float32Array | null {
  const { st, vec } = state;
  if (st[ST.done] !== 0) return null;
  const K = c.k;
  const pOff = VEC.p * K;
  const pn2 = dfSum(K, (k) => f(vec[pOff + k] * vec[pOff + k]), tmpA).f32;
  const success = st[ST.success] !== 0;
  st[ST.pn2] = pn2;
  if (!(success && pn2 > 0)) {
    // A zero search direction (all trainable gradients exactly 0): nothing left to do.
    if (success) st[ST.done] = 1;
    return null;
  }
  const sEps = f(f(c.sigma0) / f(Math.sqrt(pn2)));
  const x = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    x[k] = tmpB.set(vec[VEC.hi * K + k], vec[VEC.lo * K + k]).addF(f(sEps * vec[pOff + k])).hi;
  }
  st[ST.sEps] = sEps;
  st[ST.gradEvals] += 1;
  return x;
}

/**
 * The trial kernel (`probeGrad`: the gradient at the probe point, read only after a successful
 * step): returns the trial point and the split of the step for the loss difference, or null when
 * the step size is not finite (the network fails) or it is done.
 */
export function twinTrial(
  c: ScgKernelConstants,
  state: TwinState,
  probe: { probeGrad: Float32Array },
): { x: Float32Array; w: Float32Array; dw: Float32Array } | null {
  const { st, vec } = state;
  const { probeGrad } = probe;
  if (st[ST.done] !== 0) return null;
  const K = c.k;
  const pOff = VEC.p * K;
  const a = dfSum(K, (k) => f(vec[pOff + k] * f(probeGrad[k] - vec[VEC.g * K + k])), tmpA);
  const b = dfSum(K, (k) => f(vec[pOff + k] * vec[VEC.r * K + k]), tmpB);
  st[ST.steps] += 1;
  let delta = st[ST.delta];
  if (st[ST.success] !== 0) delta = f(a.f32 / st[ST.sEps]);
  const pn2 = st[ST.pn2];
  let lambda = st[ST.lambda];
  delta = f(delta + f(lambda * pn2)); // added again even after a failed step, as in the code
  if (delta < 0) {
    lambda = f(2 * f(lambda - f(delta / pn2)));
    delta = f(delta + f(lambda * pn2));
  }
  const mu = b.f32;
  const alpha = f(mu / delta);
  st[ST.delta] = delta;
  st[ST.lambda] = lambda;
  st[ST.mu] = mu;
  st[ST.alpha] = alpha;
  if (nonFinite(alpha)) {
    failWith(st, "alpha", alpha);
    return null;
  }
  st[ST.gradEvals] += 1;
  const x = new Float32Array(K);
  const w = new Float32Array(K);
  const dw = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    const hi = vec[VEC.hi * K + k];
    const step = f(alpha * vec[pOff + k]);
    x[k] = tmpC.set(hi, vec[VEC.lo * K + k]).addF(step).hi;
    w[k] = hi;
    dw[k] = step;
  }
  return { x, w, dw };
}

/**
 * The update kernel, after a trial (`trialGrad`: the gradient at the trial point; `dsse`: the
 * change of the summed squared errors by difference propagation): accept or reject, lambda, the
 * conjugate direction, the emergency step and the stopping test.
 */
export function twinUpdate(
  c: ScgKernelConstants,
  state: TwinState,
  trial: { trialGrad: Float32Array; dsse: number },
): void {
  const { st, vec } = state;
  const K = c.k;
  const gt = trial.trialGrad;
  const d = dfOf(trial.dsse, tmpA);
  let bad = false;
  for (let k = 0; k < K; k++) bad ||= nonFinite(gt[k]);
  // Polak-Ribiere numerator r_new . (r_new - r_old), the difference formed per element.
  const pr = dfSum(K, (k) => f(-gt[k] * f(-gt[k] - vec[VEC.r * K + k])), tmpB);
  const hp = st[ST.hPtr];
  // History sum without the entry about to be overwritten.
  const hist = dfSum(c.h, (h) => st[ST.hist + h], tmpC, hp);
  const histHi = hist.hi;
  const histLo = hist.lo;
  const scale = f(c.scale);
  const sseHi = st[ST.sseHi];
  const sseLo = st[ST.sseLo];
  const tryE = new Df().set(sseHi, sseLo).add(d);
  const dLoss = f(d.f32 * scale);
  let decision = 0; // 0 = reject, 1 = accept, 2 = emergency gradient step
  let beta = 0;
  if (nonFinite(tryE.hi) || bad) {
    failWith(st, "loss", f(tryE.hi * scale));
  } else {
    // A trial loss equal to the current one: the step is below float32 resolution.
    st[ST.stall] = tryE.hi === sseHi && tryE.lo === sseLo ? st[ST.stall] + 1 : 0;
    if (c.stallLimit > 0 && st[ST.stall] >= c.stallLimit) {
      failWith(st, "stall", st[ST.stall]);
    } else {
      const mu = st[ST.mu];
      const delta = st[ST.delta];
      const pn2 = st[ST.pn2];
      let lambda = st[ST.lambda];
      const bigDelta = f(f(f(-2 * delta) * dLoss) / f(mu * mu));
      let success = false;
      if (bigDelta >= 0) {
        decision = 1;
        beta = f(pr.f32 / mu);
        if (bigDelta > 0.75) lambda = f(lambda / 4);
        st[ST.prevHi] = sseHi;
        st[ST.prevLo] = sseLo;
        st[ST.sseHi] = tryE.hi;
        st[ST.sseLo] = tryE.lo;
        success = true;
        st[ST.failCount] = 1;
      } else {
        st[ST.failCount] += 1;
        if (st[ST.failCount] > 10) {
          decision = 2;
          st[ST.failCount] = 1;
          st[ST.emergency] += 1;
        }
      }
      st[ST.success] = success ? 1 : 0;
      if (bigDelta < 0.25) lambda = f(lambda + f(f(delta * f(1 - bigDelta)) / pn2));
      st[ST.lambda] = lambda;
      if (nonFinite(lambda)) {
        failWith(st, "lambda", lambda);
      } else if (c.stopRule === "dms" && success) {
        const entry = -dLoss;
        st[ST.hist + hp] = entry;
        st[ST.hPtr] = (hp + 1) % c.h;
        const meanDrop = f(f(f(histHi + histLo) + entry) / c.h);
        const ePrev = f(f(st[ST.prevHi] + st[ST.prevLo]) * scale);
        if (meanDrop < f(1e-8) && ePrev < f(1.05 * c.sigmaY * c.sigmaY)) {
          st[ST.converged] = 1;
          st[ST.done] = 1;
        }
      } else if (c.stopRule === "rl") {
        if (success) st[ST.drop] = f(f(f(0.001) * -dLoss) + f(f(0.999) * st[ST.drop]));
        else st[ST.dropInf] = 1;
        const e = f(f(st[ST.sseHi] + st[ST.sseLo]) * scale);
        const flat = st[ST.dropInf] === 0 && st[ST.drop] < f(1e-8);
        if (e < f(0.01) || (e < f(0.015) && flat && st[ST.steps] > 20 && success)) {
          st[ST.converged] = 1;
          st[ST.done] = 1;
        }
      }
    }
  }
  const w = tmpC;
  if (decision === 1) {
    const alpha = st[ST.alpha];
    for (let k = 0; k < K; k++) {
      const p = vec[VEC.p * K + k];
      w.set(vec[VEC.hi * K + k], vec[VEC.lo * K + k]).addF(f(alpha * p));
      vec[VEC.hi * K + k] = w.hi;
      vec[VEC.lo * K + k] = w.lo;
      const rn = -gt[k];
      vec[VEC.g * K + k] = gt[k];
      vec[VEC.p * K + k] = f(f(rn + f(beta * p)) * vec[VEC.mask * K + k]);
      vec[VEC.r * K + k] = rn;
    }
  } else if (decision === 2) {
    // Emergency plain-gradient step, masked (spec D8); E and g are not recomputed.
    const step = f(c.fallbackStep);
    for (let k = 0; k < K; k++) {
      const p = f(vec[VEC.r * K + k] * vec[VEC.mask * K + k]);
      vec[VEC.p * K + k] = p;
      w.set(vec[VEC.hi * K + k], vec[VEC.lo * K + k]).addF(f(step * p));
      vec[VEC.hi * K + k] = w.hi;
      vec[VEC.lo * K + k] = w.lo;
    }
  }
}

/** The float32 evaluations the twin needs (core/engine/cpu_f32/wasm_f32_kernels.ts in the CPU engine). */
export interface TwinEvaluator {
  /** Writes the float32 gradient at `w` into `grad` and returns the loss E (float64 sum). */
  grad(data: SequenceSet, w: Float32Array, grad: Float32Array): number;
  /** E(w + dw) - E(w) by float32 difference propagation (float64 sum). */
  lossDiff(data: SequenceSet, w: Float32Array, dw: Float32Array): number;
}

/**
 * One SCG call for every job with the arithmetic of the WebGPU engine's device SCG, each network
 * on its own (the device's networks never interact; its dispatch compaction changes no result).
 */
export function scgTwin(
  jobs: readonly ScgJob[],
  options: ScgOptions & { stallLimit?: number },
  evaluator: TwinEvaluator,
): ScgResult[] {
  return jobs.map((job) => {
    const c = scgKernelConstants(job.data, options);
    const kMax = scgConstants(options, c.k).kMax;
    const state: TwinState = {
      st: new Float32Array(stateStride(c.h)),
      vec: new Float32Array(VEC_COUNT * c.k),
    };
    writeScgVectors(job, state.vec);
    // E is carried unscaled, as the sum of squared errors.
    const sse = (e: number): number => e * (job.data.s * job.data.t);
    const g = new Float32Array(c.k);
    const hi = state.vec.subarray(VEC.hi * c.k, (VEC.hi + 1) * c.k);
    twinInit(c, state, { grad: g, sse: sse(evaluator.grad(job.data, hi, g)) });
    const probeGrad = new Float32Array(c.k);
    const trialGrad = new Float32Array(c.k);
    for (let step = 1; step <= kMax && state.st[ST.done] === 0; step++) {
      if (stopRequested(options)) throw new ScgStoppedError();
      const x = twinProbe(c, state);
      if (x) evaluator.grad(job.data, x, probeGrad);
      const trial = twinTrial(c, state, { probeGrad });
      if (!trial) continue;
      evaluator.grad(job.data, trial.x, trialGrad);
      const dsse = sse(evaluator.lossDiff(job.data, trial.w, trial.dw));
      twinUpdate(c, state, { trialGrad, dsse });
    }
    return readScgResult(state.st, state.vec, { scale: c.scale });
  });
}

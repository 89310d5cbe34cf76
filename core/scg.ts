/**
 * Scaled conjugate gradient exactly as the original code (spec 5.3), vectorised over a population:
 * every network keeps its own lambda, success flag, history and stopping state; each step gathers
 * the gradient evaluations all still-active networks need into one batch, and a network that has
 * converged (or failed) leaves the batch and stops costing compute.
 *
 * The only deliberate deviation from the code is the spec's [REC] for D8: the emergency gradient
 * step is multiplied by the mask, so pruned weights can never regrow.
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult, SequenceSet } from "./engine/engine.ts";

/** One gradient evaluation requested by SCG: write dE/dw into `grad` and return E. */
export interface EvalRequest {
  /** Index of the job (network) in the population. */
  job: number;
  /** Training data of that job. */
  data: SequenceSet;
  /** Point to evaluate. */
  w: Float64Array;
  /** Output buffer for the gradient. */
  grad: Float64Array;
}

/** Evaluates a batch of requests, returning the losses in request order. */
export type BatchEvaluator = (requests: EvalRequest[]) => number[];

/** Resolved SCG constants. */
export interface ScgConstants {
  kMax: number;
  sigma0: number;
  lambda0: number;
  fallbackStep: number;
  sigmaY: number;
  historyLength: number;
}

/** Fills in the spec's defaults for a parameter count K. */
export function scgConstants(options: ScgOptions, k: number): ScgConstants {
  const kMax = options.kMax ?? k;
  return {
    kMax,
    sigma0: options.sigma0 ?? 5e-5,
    lambda0: options.lambda0 ?? 5e-7,
    fallbackStep: options.fallbackStep ?? 1e-3,
    sigmaY: options.sigmaY ?? 0.1,
    historyLength: Math.min(300, Math.ceil(0.8 * kMax)),
  };
}

interface NetState {
  job: number;
  data: SequenceSet;
  mask: Uint8Array | null;
  w: Float64Array;
  g: Float64Array;
  p: Float64Array;
  r: Float64Array;
  wTry: Float64Array;
  gTry: Float64Array;
  gProbe: Float64Array;
  E: number;
  Eprev: number;
  lambda: number;
  delta: number;
  success: boolean;
  failCount: number;
  history: Float64Array;
  historyPos: number;
  drop: number;
  steps: number;
  evals: number;
  emergency: number;
  startLoss: number;
  done: boolean;
  converged: boolean;
  failure?: string;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function applyMask(v: Float64Array, mask: Uint8Array | null): void {
  if (!mask) return;
  for (let i = 0; i < v.length; i++) if (mask[i] === 0) v[i] = 0;
}

/**
 * Runs one SCG call (one outer iteration) for every job. `evaluate` computes losses and gradients
 * for a batch of points; it is called once per phase of a step with every network that needs it.
 */
export function scgPopulation(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  evaluate: BatchEvaluator,
): ScgResult[] {
  if (jobs.length === 0) return [];
  const K = jobs[0].w.length;
  const c = scgConstants(options, K);
  const states: NetState[] = jobs.map((job, idx) => ({
    job: idx,
    data: job.data,
    mask: job.mask,
    w: Float64Array.from(job.w),
    g: new Float64Array(K),
    p: new Float64Array(K),
    r: new Float64Array(K),
    wTry: new Float64Array(K),
    gTry: new Float64Array(K),
    gProbe: new Float64Array(K),
    E: NaN,
    Eprev: NaN,
    lambda: c.lambda0,
    delta: 0,
    success: true,
    failCount: 0,
    history: new Float64Array(c.historyLength).fill(0.01),
    historyPos: 0,
    drop: 0,
    steps: 0,
    evals: 0,
    emergency: 0,
    startLoss: NaN,
    done: false,
    converged: false,
  }));

  // Loss and gradient at the starting point.
  const e0 = evaluate(states.map((st) => ({ job: st.job, data: st.data, w: st.w, grad: st.g })));
  for (let i = 0; i < states.length; i++) {
    const st = states[i];
    st.evals++;
    st.E = e0[i];
    st.startLoss = e0[i];
    if (!Number.isFinite(st.E) || !allFinite(st.g)) {
      fail(st, "loss or gradient is not finite at the start of an SCG call");
      continue;
    }
    for (let m = 0; m < K; m++) st.p[m] = -st.g[m];
    applyMask(st.p, st.mask);
    st.r.set(st.p);
  }

  for (let step = 1; step <= c.kMax; step++) {
    const active = states.filter((st) => !st.done);
    if (active.length === 0) break;

    // Phase 1: curvature probes for the networks whose last step succeeded.
    const probing = active.filter((st) => st.success);
    const probeEps = new Map<NetState, number>();
    if (probing.length > 0) {
      const reqs: EvalRequest[] = [];
      for (const st of probing) {
        const pn = Math.sqrt(dot(st.p, st.p));
        const sEps = c.sigma0 / pn;
        probeEps.set(st, sEps);
        for (let m = 0; m < K; m++) st.wTry[m] = st.w[m] + sEps * st.p[m];
        reqs.push({ job: st.job, data: st.data, w: st.wTry, grad: st.gProbe });
      }
      evaluate(reqs);
    }

    // Phase 2: step size, trial point.
    const trialReqs: EvalRequest[] = [];
    const trialState: { st: NetState; pn2: number; mu: number; delta: number }[] = [];
    for (const st of active) {
      st.steps = step;
      const pn2 = dot(st.p, st.p);
      if (st.success) {
        st.evals++;
        const sEps = probeEps.get(st)!;
        let d = 0;
        for (let m = 0; m < K; m++) d += st.p[m] * ((st.gProbe[m] - st.g[m]) / sEps);
        st.delta = d;
      }
      let delta = st.delta + st.lambda * pn2;
      if (delta < 0) {
        st.lambda = 2 * (st.lambda - delta / pn2);
        delta = delta + st.lambda * pn2;
      }
      st.delta = delta;
      const mu = dot(st.p, st.r);
      const alpha = mu / delta;
      if (!Number.isFinite(alpha)) {
        fail(st, `SCG step size is not finite at step ${step}`);
        continue;
      }
      for (let m = 0; m < K; m++) st.wTry[m] = st.w[m] + alpha * st.p[m];
      trialReqs.push({ job: st.job, data: st.data, w: st.wTry, grad: st.gTry });
      trialState.push({ st, pn2, mu, delta });
    }
    const eTry = trialReqs.length > 0 ? evaluate(trialReqs) : [];

    // Phase 3: accept or reject, lambda update, stopping tests.
    for (let t = 0; t < trialState.length; t++) {
      const { st, pn2, mu, delta } = trialState[t];
      st.evals++;
      const Etry = eTry[t];
      if (!Number.isFinite(Etry) || !allFinite(st.gTry)) {
        fail(st, `loss became ${Etry} at SCG step ${step}`);
        continue;
      }
      const Delta = 2 * delta * (st.E - Etry) / (mu * mu);
      if (Delta >= 0) {
        // Accept: r_new = -g_try is NOT masked (as in the code); the mask acts on p.
        st.w.set(st.wTry);
        st.g.set(st.gTry);
        let rr = 0;
        let rNewR = 0;
        for (let m = 0; m < K; m++) {
          const rn = -st.gTry[m];
          rr += rn * rn;
          rNewR += rn * st.r[m];
        }
        const beta = (rr - rNewR) / mu;
        for (let m = 0; m < K; m++) {
          const rn = -st.gTry[m];
          st.p[m] = rn + beta * st.p[m];
          st.r[m] = rn;
        }
        applyMask(st.p, st.mask);
        if (Delta > 0.75) st.lambda = st.lambda / 4;
        st.Eprev = st.E;
        st.E = Etry;
        st.success = true;
        st.failCount = 1;
      } else {
        st.success = false;
        st.failCount++;
        if (st.failCount > 10) {
          // Emergency plain gradient step, masked per spec D8; E and g are not recomputed.
          st.p.set(st.r);
          applyMask(st.p, st.mask);
          for (let m = 0; m < K; m++) st.w[m] += c.fallbackStep * st.p[m];
          st.failCount = 1;
          st.emergency++;
        }
      }
      if (Delta < 0.25) st.lambda = st.lambda + delta * (1 - Delta) / pn2;

      if (options.stopRule === "dms") {
        if (st.success) {
          st.history[st.historyPos] = st.Eprev - st.E;
          st.historyPos = (st.historyPos + 1) % st.history.length;
          let sum = 0;
          for (let h = 0; h < st.history.length; h++) sum += st.history[h];
          const meanDrop = sum / st.history.length;
          if (meanDrop < 1e-8 && st.Eprev < 1.05 * c.sigmaY * c.sigmaY) {
            st.done = true;
            st.converged = true;
          }
        }
      } else if (options.stopRule === "rl") {
        st.drop = st.success ? 0.001 * (st.Eprev - st.E) + 0.999 * st.drop : Infinity;
        if (st.E < 0.01 || (st.E < 0.015 && st.drop < 1e-8 && step > 20 && st.success)) {
          st.done = true;
          st.converged = true;
        }
      }
    }
  }

  return states.map((st) => ({
    w: st.w,
    startLoss: st.startLoss,
    endLoss: st.E,
    converged: st.converged,
    steps: st.steps,
    gradEvals: st.evals,
    emergencySteps: st.emergency,
    ...(st.failure ? { failure: st.failure } : {}),
  }));
}

function fail(st: NetState, why: string): void {
  st.done = true;
  st.failure = why;
}

function allFinite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

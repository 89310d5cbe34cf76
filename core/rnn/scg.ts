/**
 * Scaled conjugate gradient exactly as the original code (spec 5.3), vectorised over a population:
 * every network keeps its own lambda, success flag, history and stopping state; each step gathers
 * the evaluations all still-active networks need into one batch, and a network that has converged
 * (or failed) leaves the batch and stops costing compute.
 *
 * The host-side SCG: the algorithm is written once as a generator that yields batched evaluation
 * requests, one step in three phases (curvature along p, the trial point, accept or reject with
 * the stopping tests). {@link scgSync} drives it synchronously (the CPU kernels, inside workers;
 * optionally with direct loss differences for the CPU float32 twin of the WebGPU engine's host
 * driver) and {@link scgAsync} asynchronously (the WebGPU engine's host driver, whose evaluations
 * are awaited, optionally with exact Hessian-vector products, see docs/benchmarks.md
 * "Precision"). The WebGPU engine's default keeps SCG on the device instead
 * (`core/engine/webgpu/scg_wgsl.ts`, the same steps in WGSL, and its CPU twin
 * `core/engine/cpu_f32/scg_twin.ts`); these follow this module step for step.
 *
 * The only deliberate deviation from the code is the spec's [REC] for D8: the emergency gradient
 * step is multiplied by the mask, so pruned weights can never regrow.
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
  type StopRule,
} from "../engine/engine.ts";

/** One gradient evaluation requested by the synchronous driver: write dE/dw into `grad`, return E. */
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

/** Evaluates a batch of requests synchronously, returning the losses in request order. */
export type BatchEvaluator = (requests: EvalRequest[]) => number[];

/** One loss change requested by the synchronous driver: E(w + dw) - E(w) of job `job`. */
export interface LossDiffRequest {
  /** Index of the job (network) in the population. */
  job: number;
  /** Training data of that job. */
  data: SequenceSet;
  /** Current point. */
  w: Float64Array;
  /** Step. */
  dw: Float64Array;
}

/** Extras of the synchronous driver (the float32 twin of the WebGPU engine uses both). */
export interface SyncScgExtras {
  /** Computes E(w + dw) - E(w) directly, as {@link PopulationEvaluator.lossDiff}. */
  lossDiff?: (requests: LossDiffRequest[]) => number[];
  /** As {@link ScgExtraOptions.stallLimit}. */
  stallLimit?: number;
}

/** Batched asynchronous evaluations of a fixed population (index = job index of the SCG call). */
export interface PopulationEvaluator {
  /** Loss and gradient of networks `ids` at parameters `w[i]`. */
  grad(
    ids: readonly number[],
    w: readonly Float64Array[],
  ): Promise<{ loss: Float64Array; grad: Float64Array[] }>;
  /** Exact H v of networks `ids` at `w[i]` along `v[i]` (needed for curvature "exact"). */
  hv?(
    ids: readonly number[],
    w: readonly Float64Array[],
    v: readonly Float64Array[],
  ): Promise<Float64Array[]>;
  /**
   * E(w + dw) - E(w) computed directly (not as a difference of two losses). When present, the
   * comparison parameter and the loss bookkeeping use it: float32 loses a small step's loss change
   * in the rounding of the losses themselves.
   */
  lossDiff?(
    ids: readonly number[],
    w: readonly Float64Array[],
    dw: readonly Float64Array[],
  ): Promise<Float64Array>;
}

/**
 * Consecutive trial losses equal to the current loss after which a float32 engine marks a
 * network's SCG call failed: float32 can no longer resolve its steps, and spec SCG would otherwise
 * accept them with Delta = 0 while lambda grows until it overflows (seen in the precision study,
 * docs/benchmarks.md). Used by the WebGPU engine and its CPU float32 twin.
 */
export const FLOAT32_STALL_LIMIT = 50;

/** How SCG estimates curvature along p: the spec's finite difference, or exact H p. */
export type Curvature = "fd" | "exact";

/** Options beyond the spec's constants. */
export interface ScgExtraOptions {
  /** Curvature estimate (default "fd", the spec's). */
  curvature?: Curvature;
  /** Fail a network after this many trial losses equal to the current one (float32 guard). */
  stallLimit?: number;
}

/** Resolved SCG constants. */
export interface ScgConstants {
  /** Steps per call. */
  kMax: number;
  /** Finite-difference scale. */
  sigma0: number;
  /** Initial lambda. */
  lambda0: number;
  /** Emergency step size. */
  fallbackStep: number;
  /** Target-noise sd of the DMS rule. */
  sigmaY: number;
  /** Length of the DMS history of accepted decreases. */
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

type Request =
  | { kind: "grad"; ids: number[]; w: Float64Array[] }
  | { kind: "hv"; ids: number[]; w: Float64Array[]; v: Float64Array[] }
  | { kind: "lossDiff"; ids: number[]; w: Float64Array[]; dw: Float64Array[] };
type GradResponse = { loss: ArrayLike<number>; grad: Float64Array[] };
type Response = GradResponse | Float64Array[] | Float64Array;

/** One network's SCG state (the names of spec 5.3). */
interface State {
  /** Weights (the result's array, updated in place). */
  w: Float64Array;
  /** Gradient at w. */
  g: Float64Array;
  /** Search direction (masked). */
  p: Float64Array;
  /** Residual -g at the last accepted point (not masked, as in the code). */
  r: Float64Array;
  /** 1 = trainable, 0 = pruned; null = all trainable. */
  mask: Uint8Array | null;
  /** Steps of this call. */
  kMax: number;
  /** Current loss. */
  E: number;
  /** Loss before the last accepted step. */
  Eprev: number;
  /** Scale lambda. */
  lambda: number;
  /** Curvature delta along p (lambda-adjusted after phase 2). */
  delta: number;
  /** |p| of this step. */
  pn: number;
  /** Whether the last step was accepted. */
  success: boolean;
  /** Consecutive rejected steps (the emergency step fires above 10). */
  failCount: number;
  /** DMS rule: ring of the last accepted loss decreases, and its write position. */
  hist: Float64Array;
  /** Write position in {@link State.hist}. */
  hPtr: number;
  /** RL rule: running mean of loss decreases. */
  drop: number;
  /** Consecutive trial losses equal to E (float32 guard). */
  stall: number;
  /** The result being filled in. */
  res: ScgResult;
  /** Converged or failed: out of the batch. */
  done: boolean;
}

/** A trial point of phase 2, with the scalars phase 3 needs. */
interface Trial {
  /** Trial weights w + alpha p. */
  point: Float64Array;
  /** mu = p . r. */
  mu: number;
  /** |p|^2. */
  pn2: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function finiteAll(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Why an SCG call stopped early; the host and device SCG report the same words. */
export type ScgFailure = "start" | "alpha" | "loss" | "stall" | "lambda";

/**
 * The failure message of an SCG call: `step` is the step it happened at, `value` the offending
 * number (the trial loss, lambda, or the count of stalled steps).
 */
export function scgFailureMessage(
  kind: ScgFailure,
  options: { step: number; value: number },
): string {
  const { step, value } = options;
  switch (kind) {
    case "start":
      return "loss or gradient is not finite at the start of an SCG call";
    case "alpha":
      return `SCG step size is not finite at step ${step}`;
    case "loss":
      return `loss became ${value} at SCG step ${step}`;
    case "stall":
      return `float32 cannot resolve the SCG step: ${value} trial losses equal to the current ` +
        `loss (step ${step})`;
    case "lambda":
      return `SCG lambda became ${value} at step ${step}`;
  }
}

function fail(st: State, why: string): void {
  if (!st.res.failure) st.res.failure = why;
  st.done = true;
}

/** A network's state at the start of the call, from the loss and gradient at its start. */
function initialState(
  job: ScgJob,
  start: { loss: number; grad: Float64Array },
  options: ScgOptions,
): State {
  const K = job.w.length;
  const c = scgConstants(options, K);
  const g = start.grad;
  const m = job.mask;
  const p = new Float64Array(K);
  for (let k = 0; k < K; k++) p[k] = -g[k] * (m ? m[k] : 1);
  const E = start.loss;
  const res: ScgResult = {
    w: Float64Array.from(job.w),
    startLoss: E,
    endLoss: E,
    converged: false,
    steps: 0,
    gradEvals: 1,
    emergencySteps: 0,
  };
  const st: State = {
    w: res.w,
    g,
    p,
    r: Float64Array.from(p),
    mask: m,
    kMax: c.kMax,
    E,
    Eprev: E,
    lambda: c.lambda0,
    delta: 0,
    pn: 0,
    success: true,
    failCount: 0,
    hist: new Float64Array(c.historyLength).fill(0.01),
    hPtr: 0,
    drop: 0,
    stall: 0,
    res,
    done: false,
  };
  if (!Number.isFinite(E) || !finiteAll(g)) {
    fail(st, scgFailureMessage("start", { step: 0, value: E }));
  }
  return st;
}

/**
 * Phase 1: the curvature delta = p' H p of the networks whose last step succeeded, by the spec's
 * finite difference of gradients (or exact H p); a zero direction ends a network's call.
 */
function* probeCurvature(
  states: State[],
  active: number[],
  options: { curvature: Curvature; sigma0: number },
): Generator<Request, void, Response> {
  for (const i of active) states[i].pn = Math.sqrt(dot(states[i].p, states[i].p));
  const probe = active.filter((i) => states[i].success);
  for (const i of probe) {
    // A zero search direction (all trainable gradients exactly 0): nothing left to do.
    if (states[i].pn === 0) states[i].done = true;
  }
  const live = probe.filter((i) => states[i].pn > 0);
  if (live.length === 0) return;
  if (options.curvature === "exact") {
    const hv = (yield {
      kind: "hv",
      ids: live,
      w: live.map((i) => states[i].w),
      v: live.map((i) => states[i].p),
    }) as Float64Array[];
    live.forEach((i, n) => {
      states[i].delta = dot(states[i].p, hv[n]);
      states[i].res.gradEvals++;
    });
    return;
  }
  const pts = live.map((i) => {
    const st = states[i];
    const sEps = options.sigma0 / st.pn;
    const x = new Float64Array(st.w.length);
    for (let k = 0; k < x.length; k++) x[k] = st.w[k] + sEps * st.p[k];
    return x;
  });
  const ev = (yield { kind: "grad", ids: live, w: pts }) as GradResponse;
  live.forEach((i, n) => {
    const st = states[i];
    const sEps = options.sigma0 / st.pn;
    const gp = ev.grad[n];
    let d = 0;
    for (let k = 0; k < st.p.length; k++) d += st.p[k] * ((gp[k] - st.g[k]) / sEps);
    st.delta = d;
    st.res.gradEvals++;
  });
}

/** Phase 2: lambda fix-up, step size alpha and the trial point of one network, or null. */
function trialPoint(st: State, step: number): Trial | null {
  st.res.steps = step;
  const pn2 = dot(st.p, st.p);
  st.delta += st.lambda * pn2; // added again even after a failed step, as in the code
  if (st.delta < 0) {
    st.lambda = 2 * (st.lambda - st.delta / pn2);
    st.delta += st.lambda * pn2;
  }
  const mu = dot(st.p, st.r);
  const alpha = mu / st.delta;
  if (!Number.isFinite(alpha)) {
    fail(st, scgFailureMessage("alpha", { step, value: alpha }));
    return null;
  }
  const point = new Float64Array(st.w.length);
  for (let k = 0; k < point.length; k++) point[k] = st.w[k] + alpha * st.p[k];
  return { point, mu, pn2 };
}

/** Accepts a trial point: new weights, gradient, Polak-Ribiere direction (masked), lambda / 4. */
function accept(
  st: State,
  t: Trial,
  at: { Etry: number; gTry: Float64Array; Delta: number },
): void {
  const { Etry, gTry } = at;
  // r_new = -g_try is NOT masked (as in the code); the mask acts on p.
  st.w.set(t.point);
  st.g = gTry;
  const K = st.w.length;
  let rr = 0;
  let rrOld = 0;
  for (let k = 0; k < K; k++) {
    const rn = -gTry[k];
    rr += rn * rn;
    rrOld += rn * st.r[k];
  }
  const beta = (rr - rrOld) / t.mu;
  const m = st.mask;
  for (let k = 0; k < K; k++) {
    const rn = -gTry[k];
    st.p[k] = (rn + beta * st.p[k]) * (m ? m[k] : 1);
    st.r[k] = rn;
  }
  if (at.Delta > 0.75) st.lambda /= 4;
  st.Eprev = st.E;
  st.E = Etry;
  st.res.endLoss = Etry;
  st.success = true;
  st.failCount = 1;
}

/** Rejects a trial point; after more than 10 in a row, an emergency masked gradient step (D8). */
function reject(st: State, fallbackStep: number): void {
  st.success = false;
  st.failCount++;
  if (st.failCount > 10) {
    // E and g are not recomputed, as in the code.
    const m = st.mask;
    for (let k = 0; k < st.w.length; k++) {
      st.p[k] = st.r[k] * (m ? m[k] : 1);
      st.w[k] += fallbackStep * st.p[k];
    }
    st.failCount = 1;
    st.res.emergencySteps++;
  }
}

/** The stopping rule of spec 5.3 after a step: DMS (history of decreases) or RL (running drop). */
function stopped(st: State, at: { step: number; stopRule: StopRule; sigmaY: number }): boolean {
  if (at.stopRule === "dms") {
    if (!st.success) return false;
    st.hist[st.hPtr] = st.Eprev - st.E;
    st.hPtr = (st.hPtr + 1) % st.hist.length;
    let sum = 0;
    for (let h = 0; h < st.hist.length; h++) sum += st.hist[h];
    const meanDrop = sum / st.hist.length;
    return meanDrop < 1e-8 && st.Eprev < 1.05 * at.sigmaY * at.sigmaY;
  }
  if (at.stopRule === "rl") {
    st.drop = st.success ? 0.001 * (st.Eprev - st.E) + 0.999 * st.drop : Infinity;
    return st.E < 0.01 || (st.E < 0.015 && st.drop < 1e-8 && at.step > 20 && st.success);
  }
  return false;
}

/**
 * Phase 3 for one network: the comparison parameter Delta, accept or reject, the lambda update,
 * the stall guard and the stopping rule.
 */
function completeStep(
  st: State,
  t: Trial,
  at: {
    Etry: number;
    gTry: Float64Array;
    step: number;
    options: ScgOptions & ScgExtraOptions;
    c: ScgConstants;
  },
): void {
  const { Etry, step, options } = at;
  if (!Number.isFinite(Etry) || !finiteAll(at.gTry)) {
    fail(st, scgFailureMessage("loss", { step, value: Etry }));
    return;
  }
  // A trial loss bit-identical to the current one means the step is below the evaluator's
  // resolution (float32 weights); SCG would then only inflate lambda until it overflows.
  st.stall = Etry === st.E ? st.stall + 1 : 0;
  if (options.stallLimit !== undefined && st.stall >= options.stallLimit) {
    fail(st, scgFailureMessage("stall", { step, value: st.stall }));
    return;
  }
  const Delta = 2 * st.delta * (st.E - Etry) / (t.mu * t.mu);
  if (Delta >= 0) accept(st, t, { Etry, gTry: at.gTry, Delta });
  else reject(st, at.c.fallbackStep);
  if (Delta < 0.25) st.lambda += st.delta * (1 - Delta) / t.pn2;
  if (!Number.isFinite(st.lambda)) {
    fail(st, scgFailureMessage("lambda", { step, value: st.lambda }));
    return;
  }
  if (stopped(st, { step, stopRule: options.stopRule, sigmaY: at.c.sigmaY })) {
    st.res.converged = true;
    st.done = true;
  }
}

/** The algorithm, yielding batched evaluation requests and receiving their answers. */
function* scgCore(
  jobs: readonly ScgJob[],
  options: ScgOptions & ScgExtraOptions,
  features: { lossDiff: boolean },
): Generator<Request, ScgResult[], Response> {
  const ids = jobs.map((_, i) => i);
  const start = (yield { kind: "grad", ids, w: jobs.map((j) => j.w) }) as GradResponse;
  const states = jobs.map((job, i) =>
    initialState(job, { loss: start.loss[i], grad: start.grad[i] }, options)
  );
  const c0 = scgConstants(options, jobs[0]?.w.length ?? 0);
  const maxSteps = Math.max(0, ...states.map((st) => st.kMax));
  for (let step = 1; step <= maxSteps; step++) {
    const active = ids.filter((i) => !states[i].done && step <= states[i].kMax);
    if (active.length === 0) break;
    yield* probeCurvature(states, active, {
      curvature: options.curvature ?? "fd",
      sigma0: c0.sigma0,
    });
    const trial: number[] = [];
    const trials: Trial[] = [];
    for (const i of active) {
      if (states[i].done) continue;
      const t = trialPoint(states[i], step);
      if (t === null) continue;
      trial.push(i);
      trials.push(t);
    }
    if (trial.length === 0) continue;
    const ev = (yield { kind: "grad", ids: trial, w: trials.map((t) => t.point) }) as GradResponse;
    const dLoss = features.lossDiff
      ? (yield {
        kind: "lossDiff",
        ids: trial,
        w: trial.map((i) => states[i].w),
        dw: trial.map((i, n) => trials[n].point.map((x, k) => x - states[i].w[k])),
      }) as Float64Array
      : null;
    trial.forEach((i, n) => {
      const st = states[i];
      st.res.gradEvals++;
      // With a direct loss difference, E is carried as E0 + the accepted differences.
      const Etry = dLoss ? st.E + dLoss[n] : ev.loss[n];
      completeStep(st, trials[n], { Etry, gTry: ev.grad[n], step, options, c: c0 });
    });
  }
  return states.map((st) => st.res);
}

/**
 * Runs one SCG call (one outer iteration) for every job with a synchronous batch evaluator (the
 * CPU kernels). Curvature is the spec's finite difference; `extras` adds direct loss differences
 * and the stall guard (the CPU float32 twin of the WebGPU engine); without them the call is the
 * float64 CPU engine's.
 */
export function scgSync(
  jobs: readonly ScgJob[],
  options: ScgOptions,
  evaluate: BatchEvaluator | { grad: BatchEvaluator; extras: SyncScgExtras },
): ScgResult[] {
  if (jobs.length === 0) return [];
  const grad = typeof evaluate === "function" ? evaluate : evaluate.grad;
  const extras = typeof evaluate === "function" ? {} : evaluate.extras;
  const lossDiff = extras.lossDiff;
  const gen = scgCore(
    jobs,
    extras.stallLimit === undefined ? options : { ...options, stallLimit: extras.stallLimit },
    { lossDiff: Boolean(lossDiff) },
  );
  let next = gen.next();
  while (!next.done) {
    // Between two batched evaluations (a fraction of an SCG step): where Ctrl-C ends the call.
    if (stopRequested(options)) throw new ScgStoppedError();
    const req = next.value;
    if (req.kind === "lossDiff" && lossDiff) {
      const d = lossDiff(
        req.ids.map((id, n) => ({ job: id, data: jobs[id].data, w: req.w[n], dw: req.dw[n] })),
      );
      next = gen.next(Float64Array.from(d));
      continue;
    }
    if (req.kind !== "grad") {
      throw new Error(`the synchronous SCG driver cannot answer ${req.kind}`);
    }
    const grads = req.w.map((w) => new Float64Array(w.length));
    const loss = grad(
      req.ids.map((id, n) => ({ job: id, data: jobs[id].data, w: req.w[n], grad: grads[n] })),
    );
    next = gen.next({ loss, grad: grads });
  }
  return next.value;
}

/**
 * Runs one SCG call for every job with an asynchronous evaluator (the WebGPU engine), optionally
 * with exact curvature (`hv`) and direct loss differences (`lossDiff`).
 */
export async function scgAsync(
  jobs: readonly ScgJob[],
  options: ScgOptions & ScgExtraOptions,
  evaluator: PopulationEvaluator,
): Promise<ScgResult[]> {
  if (jobs.length === 0) return [];
  if ((options.curvature ?? "fd") === "exact" && !evaluator.hv) {
    throw new Error("SCG: exact curvature needs an evaluator with hv()");
  }
  const gen = scgCore(jobs, options, { lossDiff: Boolean(evaluator.lossDiff) });
  let next = gen.next();
  while (!next.done) {
    if (stopRequested(options)) throw new ScgStoppedError();
    const req = next.value;
    let answer: Response;
    if (req.kind === "grad") answer = await evaluator.grad(req.ids, req.w);
    else if (req.kind === "hv") answer = await evaluator.hv!(req.ids, req.w, req.v);
    else answer = await evaluator.lossDiff!(req.ids, req.w, req.dw);
    next = gen.next(answer);
  }
  return next.value;
}

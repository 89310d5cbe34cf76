/**
 * Spec 5.3 SCG for a population, in float64 on the host, over a batched evaluator (the GPU). Every
 * SCG step costs at most two batched evaluations for all still-active networks (curvature, then
 * trial point) and one read-back each; all per-network scalars (dot products, lambda, Delta, the
 * DMS history) are float64 here, which is what makes a float32 gradient kernel usable (see
 * docs/benchmarks.md, "Precision").
 *
 * Curvature: `"fd"` is the spec's finite difference (gradient at w + sigma0/|p| p); `"exact"` uses
 * the exact Hessian-vector product H p, the sigma0 -> 0 limit of the same formula, which float32
 * can compute accurately while the finite difference of two float32 gradients 5e-5 apart cannot.
 *
 * @module
 */
import type { ScgJob, ScgOptions, ScgResult } from "../engine.ts";

/** Batched evaluations of a fixed population (index = job index of the SCG call). */
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
}

/** How SCG estimates curvature along p. */
export type Curvature = "fd" | "exact";

interface State {
  w: Float64Array;
  g: Float64Array;
  p: Float64Array;
  r: Float64Array;
  mask: Uint8Array | null;
  E: number;
  Eprev: number;
  lambda: number;
  delta: number;
  pn: number;
  success: boolean;
  failCount: number;
  hist: Float64Array;
  hPtr: number;
  drop: number;
  res: ScgResult;
  done: boolean;
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

/** Runs one SCG call (spec 5.3) for every job. */
export async function populationScg(
  jobs: readonly ScgJob[],
  options: ScgOptions & { curvature: Curvature },
  evaluator: PopulationEvaluator,
): Promise<ScgResult[]> {
  const sigma0 = options.sigma0 ?? 5e-5;
  const lambda0 = options.lambda0 ?? 5e-7;
  const fallback = options.fallbackStep ?? 1e-3;
  const sigmaY = options.sigmaY ?? 0.1;
  if (options.curvature === "exact" && !evaluator.hv) {
    throw new Error("SCG: exact curvature needs an evaluator with hv()");
  }
  const ids = jobs.map((_, i) => i);
  const start = await evaluator.grad(ids, jobs.map((j) => j.w));
  const states: State[] = jobs.map((job, i) => {
    const K = job.w.length;
    const kMax = options.kMax ?? K;
    const L = Math.min(300, Math.ceil(0.8 * kMax));
    const g = start.grad[i];
    const p = new Float64Array(K);
    const m = job.mask;
    for (let k = 0; k < K; k++) p[k] = -g[k] * (m ? m[k] : 1);
    const E = start.loss[i];
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
      E,
      Eprev: E,
      lambda: lambda0,
      delta: 0,
      pn: 0,
      success: true,
      failCount: 0,
      hist: new Float64Array(L).fill(0.01),
      hPtr: 0,
      drop: 0,
      res,
      done: false,
    };
    if (!Number.isFinite(E) || !finiteAll(g)) {
      res.failure = "loss or gradient is NaN/Inf at the start of the SCG call";
      st.done = true;
    }
    return st;
  });
  const kMaxOf = (i: number): number => options.kMax ?? jobs[i].w.length;
  const maxSteps = Math.max(0, ...jobs.map((_, i) => kMaxOf(i)));

  for (let step = 1; step <= maxSteps; step++) {
    const active = states.map((_, i) => i).filter((i) => !states[i].done && step <= kMaxOf(i));
    if (active.length === 0) break;
    // Curvature for the networks whose last step succeeded.
    const probe = active.filter((i) => states[i].success);
    for (const i of active) {
      const st = states[i];
      st.pn = Math.sqrt(dot(st.p, st.p));
    }
    const zero = probe.filter((i) => states[i].pn === 0);
    for (const i of zero) states[i].done = true; // zero search direction: nothing left to do
    const live = probe.filter((i) => states[i].pn > 0);
    if (live.length > 0) {
      if (options.curvature === "exact") {
        const hv = await evaluator.hv!(
          live,
          live.map((i) => states[i].w),
          live.map((i) => states[i].p),
        );
        live.forEach((i, n) => {
          states[i].delta = dot(states[i].p, hv[n]);
          states[i].res.gradEvals++;
        });
      } else {
        const pts = live.map((i) => {
          const st = states[i];
          const sEps = sigma0 / st.pn;
          const x = new Float64Array(st.w.length);
          for (let k = 0; k < x.length; k++) x[k] = st.w[k] + sEps * st.p[k];
          return x;
        });
        const ev = await evaluator.grad(live, pts);
        live.forEach((i, n) => {
          const st = states[i];
          const sEps = sigma0 / st.pn;
          const gp = ev.grad[n];
          let d = 0;
          for (let k = 0; k < st.p.length; k++) d += st.p[k] * (gp[k] - st.g[k]) / sEps;
          st.delta = d;
          st.res.gradEvals++;
        });
      }
    }
    const trial = active.filter((i) => !states[i].done);
    if (trial.length === 0) continue;
    const mus = new Float64Array(states.length);
    const tries = trial.map((i) => {
      const st = states[i];
      const pn2 = st.pn * st.pn;
      st.delta += st.lambda * pn2;
      if (st.delta < 0) {
        st.lambda = 2 * (st.lambda - st.delta / pn2);
        st.delta += st.lambda * pn2;
      }
      const mu = dot(st.p, st.r);
      mus[i] = mu;
      const alpha = mu / st.delta;
      const x = new Float64Array(st.w.length);
      for (let k = 0; k < x.length; k++) x[k] = st.w[k] + alpha * st.p[k];
      return x;
    });
    const ev = await evaluator.grad(trial, tries);
    trial.forEach((i, n) => {
      const st = states[i];
      const res = st.res;
      res.steps = step;
      res.gradEvals++;
      const Etry = ev.loss[n];
      const gTry = ev.grad[n];
      if (!Number.isFinite(Etry) || !finiteAll(gTry)) {
        res.failure = `loss or gradient became NaN/Inf at SCG step ${step}`;
        st.done = true;
        return;
      }
      const mu = mus[i];
      const pn2 = st.pn * st.pn;
      const Delta = 2 * st.delta * (st.E - Etry) / (mu * mu);
      if (Delta >= 0) {
        st.w.set(tries[n]);
        st.g = gTry;
        const K = st.w.length;
        let rr = 0;
        let rrOld = 0;
        for (let k = 0; k < K; k++) {
          const rn = -gTry[k];
          rr += rn * rn;
          rrOld += rn * st.r[k];
        }
        const beta = (rr - rrOld) / mu;
        const m = st.mask;
        for (let k = 0; k < K; k++) {
          const rn = -gTry[k];
          st.p[k] = (rn + beta * st.p[k]) * (m ? m[k] : 1);
          st.r[k] = rn;
        }
        if (Delta > 0.75) st.lambda /= 4;
        st.Eprev = st.E;
        st.E = Etry;
        res.endLoss = Etry;
        st.success = true;
        st.failCount = 1;
      } else {
        st.success = false;
        st.failCount++;
        if (st.failCount > 10) {
          // Emergency plain-gradient step, masked (spec D8 recommendation).
          const m = st.mask;
          for (let k = 0; k < st.w.length; k++) {
            st.p[k] = st.r[k] * (m ? m[k] : 1);
            st.w[k] += fallback * st.p[k];
          }
          st.failCount = 1;
          res.emergencySteps++;
        }
      }
      if (Delta < 0.25) st.lambda += st.delta * (1 - Delta) / pn2;
      if (!Number.isFinite(st.lambda) && !res.failure) {
        res.failure = `SCG lambda became NaN/Inf at step ${step}`;
        st.done = true;
        return;
      }
      if (options.stopRule === "dms") {
        if (st.success) {
          st.hist[st.hPtr] = st.Eprev - st.E;
          st.hPtr = (st.hPtr + 1) % st.hist.length;
          let sum = 0;
          for (let h = 0; h < st.hist.length; h++) sum += st.hist[h];
          const meanDrop = sum / st.hist.length;
          if (meanDrop < 1e-8 && st.Eprev < 1.05 * sigmaY * sigmaY) {
            res.converged = true;
            st.done = true;
          }
        }
      } else if (options.stopRule === "rl") {
        st.drop = st.success ? 0.001 * (st.Eprev - st.E) + 0.999 * st.drop : Infinity;
        if (st.E < 0.01 || (st.E < 0.015 && st.drop < 1e-8 && step > 20 && st.success)) {
          res.converged = true;
          st.done = true;
        }
      }
    });
  }
  return states.map((st) => st.res);
}

/**
 * The outer training loop (spec 5.4): repeated SCG calls ("outer iterations") for a population,
 * each network with its own data, mask and stopping state. DMS "to criterion" stops a network at
 * its first converged call; "fixed" runs every outer iteration (convergence only ends a call); RL
 * stops on convergence in every mode and refreshes its data through `refresh`.
 *
 * @module
 */
import {
  type Engine,
  newStopFlag,
  type ScgOptions,
  type ScgResult,
  type SequenceSet,
} from "../engine/engine.ts";

/** One network to train. */
export interface TrainJob {
  /** Training data (may be replaced by `refresh`). */
  data: SequenceSet;
  /** Starting parameters (not modified). */
  w: Float64Array;
  /** Prune mask (1 = trainable) or null. */
  mask: Uint8Array | null;
  /**
   * Where an interrupted training of this job stopped (a checkpoint written from `afterOuter`):
   * training continues with outer iteration `from.outerIterations + 1` from `from.w`, bit for bit
   * as if it had not stopped (an SCG call depends only on its network's weights, data and mask).
   * Its `w` replaces the job's.
   */
  from?: TrainOutcome;
}

/** Options of {@link trainPopulation}. */
export interface TrainOptions {
  /** Maximum outer iterations (DMS: 100 to criterion, 50 fixed; RL: 1000 / 39). */
  maxOuter: number;
  /** Stop a network at its first converged SCG call. */
  untilConverged: boolean;
  /** SCG constants and stopping rule. */
  scg: ScgOptions;
  /**
   * Called before outer iteration `outer` (1-based) for each active network; returning a set
   * replaces that network's data (RL regenerates its blocks from the current network).
   */
  refresh?: (job: number, outer: number, w: Float64Array) => SequenceSet | undefined;
  /** Progress callback after every outer iteration. */
  onOuter?: (outer: number, active: number, total: number) => void;
  /**
   * Awaited after every outer iteration with every job's outcome so far (`trained`: the jobs that
   * ran this iteration): the place to checkpoint (see {@link TrainJob.from}) or report live losses.
   */
  afterOuter?: (
    state: { outer: number; outcomes: readonly TrainOutcome[]; trained: readonly number[] },
  ) => Promise<void> | void;
  /**
   * Aborts training: a running SCG call stops between two steps (its outer iteration is discarded;
   * the ones before it were reported to `afterOuter`) and the promise rejects with the reason.
   */
  signal?: AbortSignal;
}

/** What training produced for one network. */
export interface TrainOutcome {
  /** Final parameters. */
  w: Float64Array;
  /** Loss at the start of each outer iteration (spec 5.4.1 lossHistory). */
  lossHistory: number[];
  /** Last accepted loss of the last SCG call (the loss the network ends with). */
  endLoss: number;
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether the last SCG call met the stopping rule. */
  converged: boolean;
  /** Gradient evaluations spent. */
  gradEvals: number;
  /** SCG steps run. */
  scgSteps: number;
  /** Emergency steps fired (spec D8). */
  emergencySteps: number;
  /** Reason, when the network produced NaN/Inf. */
  failure?: string;
}

/** A deep copy of an outcome (checkpoints must not alias the arrays training goes on changing). */
export function copyOutcome(o: TrainOutcome): TrainOutcome {
  return { ...o, w: Float64Array.from(o.w), lossHistory: [...o.lossHistory] };
}

/** Whether a job resumed from `o` has nothing left to train. */
function finishedOutcome(o: TrainOutcome, options: TrainOptions): boolean {
  return o.failure !== undefined || (o.converged && options.untilConverged) ||
    o.outerIterations >= options.maxOuter;
}

/** Trains every job; networks that converge or fail leave the population. */
export async function trainPopulation(
  engine: Engine,
  jobs: readonly TrainJob[],
  options: TrainOptions,
): Promise<TrainOutcome[]> {
  const out: TrainOutcome[] = jobs.map((j) =>
    j.from ? copyOutcome(j.from) : {
      w: Float64Array.from(j.w),
      lossHistory: [],
      endLoss: NaN,
      outerIterations: 0,
      converged: false,
      gradEvals: 0,
      scgSteps: 0,
      emergencySteps: 0,
    }
  );
  const data = jobs.map((j) => j.data);
  let active = jobs.map((_, i) => i).filter((i) => !finishedOutcome(out[i], options));
  const stop = options.signal ? newStopFlag() : undefined;
  const onAbort = (): void => {
    if (stop) Atomics.store(stop, 0, 1);
  };
  options.signal?.addEventListener("abort", onAbort);
  try {
    for (let outer = 1; outer <= options.maxOuter && active.length > 0; outer++) {
      options.signal?.throwIfAborted();
      // Resumed jobs join at the outer iteration after their checkpoint.
      const now = active.filter((i) => out[i].outerIterations < outer);
      if (now.length === 0) continue;
      await outerIteration(engine, { outer, now, jobs, data, out }, { ...options, stop });
      const still = active.filter((i) => !finishedOutcome(out[i], options));
      active = still;
      options.onOuter?.(outer, active.length, jobs.length);
      await options.afterOuter?.({ outer, outcomes: out, trained: now });
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return out;
}

/** One outer iteration (one SCG call) of the networks `now`, recorded into `out`. */
async function outerIteration(
  engine: Engine,
  at: {
    outer: number;
    now: number[];
    jobs: readonly TrainJob[];
    data: SequenceSet[];
    out: TrainOutcome[];
  },
  options: TrainOptions & { stop?: Int32Array },
): Promise<void> {
  const { outer, now, jobs, data, out } = at;
  if (options.refresh) {
    for (const i of now) {
      const fresh = options.refresh(i, outer, out[i].w);
      if (fresh) data[i] = fresh;
    }
  }
  let results: ScgResult[];
  try {
    results = await engine.scg(
      now.map((i) => ({ data: data[i], w: out[i].w, mask: jobs[i].mask })),
      options.stop ? { ...options.scg, stop: options.stop } : options.scg,
    );
  } catch (err) {
    // A call stopped by the signal reports the signal's reason, not the engine's.
    options.signal?.throwIfAborted();
    throw err;
  }
  results.forEach((res, k) => {
    const i = now[k];
    const o = out[i];
    o.lossHistory.push(res.startLoss);
    o.outerIterations = outer;
    o.gradEvals += res.gradEvals;
    o.scgSteps += res.steps;
    o.emergencySteps += res.emergencySteps;
    o.converged = res.converged;
    o.endLoss = res.endLoss;
    if (res.failure) {
      o.failure = res.failure;
      return;
    }
    o.w = res.w;
  });
}

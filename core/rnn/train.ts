/**
 * The outer training loop (spec 5.4): repeated SCG calls ("outer iterations") for a population,
 * each network with its own data, mask and stopping state. DMS "to criterion" stops a network at
 * its first converged call; "fixed" runs every outer iteration (convergence only ends a call); RL
 * stops on convergence in every mode and refreshes its data through `refresh`.
 *
 * @module
 */
import type { Engine, ScgOptions, SequenceSet } from "../engine/engine.ts";

/** One network to train. */
export interface TrainJob {
  /** Training data (may be replaced by `refresh`). */
  data: SequenceSet;
  /** Starting parameters (not modified). */
  w: Float64Array;
  /** Prune mask (1 = trainable) or null. */
  mask: Uint8Array | null;
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
  /** Abort between outer iterations. */
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

/** Trains every job; networks that converge or fail leave the population. */
export async function trainPopulation(
  engine: Engine,
  jobs: readonly TrainJob[],
  options: TrainOptions,
): Promise<TrainOutcome[]> {
  const out: TrainOutcome[] = jobs.map((j) => ({
    w: Float64Array.from(j.w),
    lossHistory: [],
    endLoss: NaN,
    outerIterations: 0,
    converged: false,
    gradEvals: 0,
    scgSteps: 0,
    emergencySteps: 0,
  }));
  const data = jobs.map((j) => j.data);
  let active = jobs.map((_, i) => i);
  for (let outer = 1; outer <= options.maxOuter && active.length > 0; outer++) {
    options.signal?.throwIfAborted();
    if (options.refresh) {
      for (const i of active) {
        const fresh = options.refresh(i, outer, out[i].w);
        if (fresh) data[i] = fresh;
      }
    }
    const results = await engine.scg(
      active.map((i) => ({ data: data[i], w: out[i].w, mask: jobs[i].mask })),
      options.scg,
    );
    const still: number[] = [];
    results.forEach((res, k) => {
      const i = active[k];
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
      if (!(res.converged && options.untilConverged)) still.push(i);
    });
    active = still;
    options.onOuter?.(outer, active.length, jobs.length);
  }
  return out;
}

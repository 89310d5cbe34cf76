/**
 * RL training (spec 5.4.2) on top of the shared population training loop: each job's data are
 * simulated from its own network (24 blocks, epsilon 0.15 at the start) and regenerated from the
 * CURRENT network every `refreshPeriod` outer iterations with the annealed epsilon, through
 * `trainPopulation`'s `refresh` callback. SCG uses the RL stopping rule.
 *
 * @module
 */
import type { Engine, ScgOptions, SequenceSet } from "../engine/engine.ts";
import { type TrainOutcome, trainPopulation } from "../rnn/train.ts";
import type { Rng } from "../util/rng.ts";
import type { TaskVariant } from "./bandit.ts";
import { type NoiseMode, simulateBlocks, toSequenceSet } from "./block.ts";

/** Protocol of one RL retraining schedule (spec 5.4.2). */
export interface RlTrainSchedule {
  /** Outer SCG iterations (cap for "to criterion", exact count for "fixed"). */
  outer: number;
  /** Whether the run stops at the first converged SCG call even in fixed mode (code: always). */
  stopOnConvergence: boolean;
  /** Annealing horizon tau: epsilon = 0.15 (1 - it / tau) for it < tau, else 0. */
  tau: number;
  /** Data are regenerated from the current network when it % refreshPeriod == 0. */
  refreshPeriod: number;
  /** Target-noise variance of the training data. */
  noiseVariance: number;
}

/** Exploration probability at the start of every schedule (spec 4.5). */
export const EPSILON_START = 0.15;
/** epsilon at outer iteration `it` (1-based) of a schedule with horizon tau (spec 5.4.2). */
export function annealedEpsilon(it: number, tau: number): number {
  return it < tau ? EPSILON_START * (1 - it / tau) : 0;
}

/**
 * The epsilon of the data set drawn before outer iteration `it` (1-based) when the schedule
 * refreshes the data then (every multiple of the refresh period, from the CURRENT network), else
 * null. The first set, drawn before iteration 1, always uses {@link EPSILON_START}. Paper
 * retraining (refresh 20, tau 10, 39 iterations): one refresh, at 20, with epsilon 0.
 */
export function refreshEpsilon(
  schedule: Pick<RlTrainSchedule, "refreshPeriod" | "tau">,
  it: number,
): number | null {
  return it % schedule.refreshPeriod === 0 ? annealedEpsilon(it, schedule.tau) : null;
}

/** One network to train. */
export interface RlTrainJob {
  /** Starting parameters (not modified). */
  w: Float64Array;
  /** 1 = trainable, 0 = pruned (null = all trainable). */
  mask: Uint8Array | null;
  /** Random stream for this job's data (choices, rewards, target noise). */
  rng: Rng;
  /** Target-noise variance of this job's data. */
  noiseVariance: number;
}

/** Options shared by every job of one {@link trainRl} call. */
export interface RlTrainOptions {
  /** Schedule (outer iterations, tau, refresh period); its noise variance is per job. */
  schedule: RlTrainSchedule;
  /** Environment. */
  task: TaskVariant;
  /** Blocks per training set. */
  blocks: number;
  /** Target-noise mode. */
  noiseMode: NoiseMode;
  /** SCG steps per call (null = K). */
  scgSteps: number | null;
  /** Called after each outer iteration (progress). */
  onOuter?: (outer: number, active: number, total: number) => void;
  /** Stops between outer iterations. */
  signal?: AbortSignal;
}

/** Simulates one training set from a network. */
export function rlTrainingSet(
  w: Float64Array,
  job: RlTrainJob,
  options: { blocks: number; epsilon: number; task: TaskVariant; noiseMode: NoiseMode },
): SequenceSet {
  return toSequenceSet(simulateBlocks(w, {
    blocks: options.blocks,
    epsilon: options.epsilon,
    noiseVariance: job.noiseVariance,
    task: options.task,
    noiseMode: options.noiseMode,
    rng: job.rng,
  }));
}

/** The SCG options of RL training. */
export function rlScgOptions(scgSteps: number | null): ScgOptions {
  return scgSteps === null ? { stopRule: "rl" } : { stopRule: "rl", kMax: scgSteps };
}

/** Trains a population of RL networks with data regenerated from their own behaviour. */
export async function trainRl(
  engine: Engine,
  jobs: RlTrainJob[],
  options: RlTrainOptions,
): Promise<TrainOutcome[]> {
  const { schedule, task, blocks, noiseMode } = options;
  const sim = { blocks, task, noiseMode };
  const initial = jobs.map((j) => ({
    data: rlTrainingSet(j.w, j, { ...sim, epsilon: EPSILON_START }),
    w: j.w,
    mask: j.mask,
  }));
  return await trainPopulation(engine, initial, {
    maxOuter: schedule.outer,
    untilConverged: schedule.stopOnConvergence,
    scg: rlScgOptions(options.scgSteps),
    refresh: (job: number, it: number, w: Float64Array): SequenceSet | undefined => {
      const epsilon = refreshEpsilon(schedule, it);
      return epsilon === null ? undefined : rlTrainingSet(w, jobs[job], { ...sim, epsilon });
    },
    onOuter: options.onOuter,
    signal: options.signal,
  });
}

/**
 * Per-network evaluation of the RL population analyses (spec 4.5, 7.4, 8.1, 8.2, 8.6, 8.7): value
 * error, agreement with the Q-learner, optimal-choice rate, reward per block, maximal LE averaged
 * over blocks, PCA variance, recurrent weight histogram and fixation-vs-choice Mahalanobis distance
 * (per block and pooled across blocks); and the Q-learner's own performance on the same draws. One
 * source of truth for every Fig 7 metric.
 *
 * Common random numbers: every block consumes a fixed number of draws (core/rl/block.ts), so two
 * networks evaluated from the same seed meet identical value, choice and dynamics blocks (block
 * schedules, exploration steps, choice and reward numbers); only their own choices differ.
 *
 * @module
 */
import { maxLyapunov } from "../rnn/lyapunov.ts";
import { RL_HIST_CENTRES, weightHistogram } from "../util/histogram.ts";
import { countZerosA } from "../rnn/prune.ts";
import type { Rng } from "../util/rng.ts";
import { recurrentView, RL_SHAPE } from "../rnn/network.ts";
import { BLOCK_STEPS, type TaskVariant } from "./bandit.ts";
import { type Block, meanSummary, simulateBlocks } from "./block.ts";
import { meanMahalanobis, pooledMahalanobis, statePca } from "./dynamics.ts";

/**
 * RL maximal-LE window (1-based steps, spec 8.1): ln(sigma_max) / (k_off - k_on), i.e. eigenvalues
 * of P^T P divided by 2 * 58 = 116.
 */
export const RL_LE_WINDOW = Object.freeze({ kOn: 2, kOff: BLOCK_STEPS, divisor: BLOCK_STEPS - 2 });

/** Block counts and exploration of one evaluation. */
export interface RlEvalOptions {
  /** Blocks for the value error (paper 24). */
  valueBlocks: number;
  /** Blocks for agreement, reward and PCA (paper 64). */
  choiceBlocks: number;
  /** Blocks for the LE and Mahalanobis distance (paper 48; 0 = skip dynamics). */
  dynamicsBlocks: number;
  /** Exploration (paper 0.15). */
  epsilon: number;
  /** Environment (default standard). */
  task?: TaskVariant;
}

/** Every per-network metric of Fig 7. */
export interface RlNetworkMetrics {
  /** Fig 7A: value error (per step, summed over 4 outputs) vs the noise-free Q-learner. */
  qError: number;
  /** Fig 7B: fraction of steps where network and Q-learner choices agree. */
  choiceAgreement: number;
  /** Fig 7C: reward per 60-step block (spec 4.5: fixation penalties included). */
  rewardPerBlock: number;
  /** Reward of the 30 choice steps of a block only (the fixation penalties left out). */
  choiceRewardPerBlock: number;
  /** Fraction of steps where the network chose the optimal option (spec 4.5; the code prints it). */
  optimalRate: number;
  /** Fig 7D: max LE (code order) averaged over blocks. */
  maxLE: number;
  /** Max LE with the chronological product order (D9), averaged over blocks. */
  maxLEChrono: number;
  /** Fig 7G: squared Mahalanobis distance, mean over well-conditioned blocks. */
  mahalanobis: number;
  /** Blocks excluded from the Mahalanobis mean (condition number > 1e12). */
  mahalanobisFlagged: number;
  /**
   * Squared Mahalanobis distance pooled across the dynamics blocks (all fixation vs all choice
   * states, one covariance; spec 15); NaN when that covariance is ill-conditioned.
   */
  mahalanobisPooled: number;
  /** Condition number of the pooled covariance. */
  mahalanobisPooledCondition: number;
  /** Fig 7E: PCA eigenvalue fractions, descending (20 values). */
  pcaFraction: number[];
  /** Fig 7F: normalised histogram of the non-zero entries of A (31 bins). */
  histogram: number[];
  /** Exact zeros in A. */
  zerosA: number;
}

/** Mean of the per-block maximal LEs over blocks (missing when a product is singular). */
export function meanBlockMaxLE(
  w: Float64Array,
  blocks: Block[],
  order: "code" | "chronological",
): number {
  let sum = 0, used = 0;
  for (const b of blocks) {
    const le = maxLyapunov(RL_SHAPE, w, b.x, { ...RL_LE_WINDOW, order });
    if (le === null || !Number.isFinite(le)) continue;
    sum += le;
    used++;
  }
  return used > 0 ? sum / used : NaN;
}

/** Normalised histogram of the non-zero recurrent weights with the RL bins. */
export function rlWeightHistogram(w: Float64Array): number[] {
  const values = Array.from(recurrentView(RL_SHAPE, w)).filter((v) => v !== 0);
  return Array.from(weightHistogram(values, RL_HIST_CENTRES));
}

/** Evaluates one network on fresh blocks drawn from `rng`. */
export function evaluateRlNetwork(
  w: Float64Array,
  options: RlEvalOptions,
  rng: Rng,
): RlNetworkMetrics {
  const task = options.task ?? "standard";
  const sim = { epsilon: options.epsilon, noiseVariance: 0, task, rng };
  const valueBlocks = simulateBlocks(w, { ...sim, blocks: options.valueBlocks });
  const choiceBlocks = simulateBlocks(w, { ...sim, blocks: options.choiceBlocks });
  const choice = meanSummary(choiceBlocks, task);
  let maxLE = NaN, maxLEChrono = NaN, mahal = { mean: NaN, flagged: 0 };
  let pooled = { distance: NaN, condition: NaN, illConditioned: true };
  if (options.dynamicsBlocks > 0) {
    const dyn = simulateBlocks(w, { ...sim, blocks: options.dynamicsBlocks });
    maxLE = meanBlockMaxLE(w, dyn, "code");
    maxLEChrono = meanBlockMaxLE(w, dyn, "chronological");
    mahal = meanMahalanobis(dyn);
    pooled = pooledMahalanobis(dyn);
  }
  return {
    qError: meanSummary(valueBlocks, task).valueError,
    choiceAgreement: choice.agreement,
    rewardPerBlock: choice.reward,
    choiceRewardPerBlock: choice.choiceReward,
    optimalRate: choice.optimalRate,
    maxLE,
    maxLEChrono,
    mahalanobis: mahal.mean,
    mahalanobisFlagged: mahal.flagged,
    mahalanobisPooled: pooled.illConditioned ? NaN : pooled.distance,
    mahalanobisPooledCondition: pooled.condition,
    pcaFraction: Array.from(statePca(choiceBlocks).fraction),
    histogram: rlWeightHistogram(w),
    zerosA: countZerosA(RL_SHAPE, w),
  };
}

/** The Q-learner's own performance when it acts itself (the scale for the networks' rewards). */
export interface QLearnerMetrics {
  /** Reward per 60-step block (spec 4.5 definition, fixation penalties included). */
  rewardPerBlock: number;
  /** Reward of the choice steps only. */
  choiceRewardPerBlock: number;
  /** Fraction of its choices that were optimal. */
  optimalRate: number;
}

/**
 * The Q-learner acting itself (choices by softmax(beta Q), same exploration) on the blocks a
 * network's choice evaluation would meet from the same `rng`: call it with the seed of the
 * networks' evaluation, and it plays on the same draws (its value blocks are skipped the same way).
 */
export function evaluateQLearner(
  options: Pick<RlEvalOptions, "valueBlocks" | "choiceBlocks" | "epsilon" | "task">,
  rng: Rng,
): QLearnerMetrics {
  const task = options.task ?? "standard";
  const sim = { epsilon: options.epsilon, noiseVariance: 0, task, rng };
  // Consume the value blocks' draws first, so the choice blocks use the networks' numbers.
  simulateBlocks(null, { ...sim, blocks: options.valueBlocks });
  const s = meanSummary(simulateBlocks(null, { ...sim, blocks: options.choiceBlocks }), task);
  return {
    rewardPerBlock: s.reward,
    choiceRewardPerBlock: s.choiceReward,
    optimalRate: s.optimalRate,
  };
}

/**
 * Fig 6 example analyses of one pruned and one unpruned RL network (spec 8.2, 8.5, 8.6, 9):
 * weight histogram, singular values of A, outputs vs model Q-values of block 1 in the fixation and
 * choice phases, cumulative PCA variance over 128 blocks and the PC1-PC2 path of block 1 (all with
 * epsilon 0).
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { BLOCK_STEPS, OPTIONS } from "./bandit.ts";
import { meanSummary, simulateBlocks } from "./block.ts";
import {
  cumulative,
  meanMahalanobis,
  pooledMahalanobis,
  project,
  recurrentSingularValues,
  statePca,
} from "./dynamics.ts";
import { rlWeightHistogram } from "./evaluate.ts";

/** Everything Fig 6 plots for one network. */
export interface ExampleAnalysis {
  /** Fig 6A: normalised histogram of non-zero A entries (RL bins). */
  histogram: number[];
  /** Fig 6B: singular values of A, descending. */
  singularValues: number[];
  /** Fig 6B: cumsum(s) / sum(s). */
  singularCumulative: number[];
  /** Fig 6C/E: network outputs at fixation steps of block 1, `[trial][option]`. */
  fixationOutputs: number[][];
  /** Model Q-values (state 1) at fixation steps of block 1. */
  fixationQ: number[][];
  /** Fig 6D/F: network outputs at choice steps of block 1. */
  choiceOutputs: number[][];
  /** Model Q-values (state 2) at choice steps of block 1. */
  choiceQ: number[][];
  /** Fig 6G: cumulative fraction of variance, 20 dimensions. */
  pcaCumulative: number[];
  /** Fig 6H/I: PC1-PC2 of the fixation-step states of block 1. */
  fixationPath: number[][];
  /** PC1-PC2 of the choice-step states of block 1. */
  choicePath: number[][];
  /** Reward at each choice step of block 1. */
  choiceRewards: number[];
  /** Option chosen at each choice step of block 1 (0-based; 2 = the block's 0.8 option). */
  choiceOptions: number[];
  /** Mean summaries over the blocks (epsilon 0). */
  qError: number;
  /** Agreement with the Q-learner. */
  choiceAgreement: number;
  /** Reward per block. */
  rewardPerBlock: number;
  /**
   * Fig 6H/I quantified: squared Mahalanobis distance between the fixation-step and choice-step
   * states, mean over the blocks (spec 8.7; blocks with condition > 1e12 left out).
   */
  mahalanobis: number;
  /** The same pooled over all blocks (one covariance; NaN when ill-conditioned). */
  mahalanobisPooled: number;
}

/** Runs the example analyses of one network on `blocks` blocks with epsilon 0. */
export function exampleAnalysis(w: Float64Array, blocks: number, rng: Rng): ExampleAnalysis {
  const sim = simulateBlocks(w, { blocks, epsilon: 0, noiseVariance: 0, rng });
  const b1 = sim[0];
  const pca = statePca(sim);
  const path = project(b1, pca, 2);
  const sv = recurrentSingularValues(w);
  const total = sv.reduce((a, b) => a + b, 0);
  const rows = (arr: Float64Array, odd: boolean): number[][] => {
    const out: number[][] = [];
    for (let k = odd ? 1 : 0; k < BLOCK_STEPS; k += 2) {
      out.push(Array.from(arr.subarray(k * OPTIONS, (k + 1) * OPTIONS)));
    }
    return out;
  };
  const summary = meanSummary(sim);
  const pooled = pooledMahalanobis(sim);
  return {
    histogram: rlWeightHistogram(w),
    singularValues: sv,
    singularCumulative: cumulative(sv).map((v) => v / total),
    fixationOutputs: rows(b1.y, false),
    fixationQ: rows(b1.q, false),
    choiceOutputs: rows(b1.y, true),
    choiceQ: rows(b1.q, true),
    pcaCumulative: cumulative(pca.fraction),
    fixationPath: path.filter((_, k) => k % 2 === 0),
    choicePath: path.filter((_, k) => k % 2 === 1),
    choiceRewards: Array.from(b1.rewards).filter((_, k) => k % 2 === 1),
    choiceOptions: Array.from(b1.choices).filter((_, k) => k % 2 === 1),
    qError: summary.valueError,
    choiceAgreement: summary.agreement,
    rewardPerBlock: summary.reward,
    mahalanobis: meanMahalanobis(sim).mean,
    mahalanobisPooled: pooled.illConditioned ? NaN : pooled.distance,
  };
}

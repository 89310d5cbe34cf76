/**
 * Protocol settings of family B (spec 3.3-3.6, 4.2, 6.4, 7.2, 14): the paper's protocol and the
 * REDUCED default that fits about 5 minutes on 2 CPU cores (spec 15 compute note). Every number
 * of a run comes from one of these objects, so an experiment records exactly what it ran.
 *
 * @module
 */
import { logspace } from "./data.ts";
import type { InitialTrainingConfig } from "./pretrain.ts";
import type { EpochSchedule } from "./rbm_stage.ts";

/** Everything a DBM pruning run needs besides data, seeds and the engine. */
export interface DbmProtocol {
  /** True for the reduced default (label every output REDUCED). */
  reduced: boolean;
  /** Use only the first N (shuffled) training digits for the DBM; null = all. */
  trainDigits: number | null;
  /** Initial model. */
  initial: InitialTrainingConfig;
  /** Retraining after each pruning iteration (spec 3.6). */
  retrain: EpochSchedule;
  /** Sampler (spec 4.2). */
  sampler: { chains: number; sweeps: number; samples: number };
  /** Pruning (spec 6.4). */
  prune: { fraction1: number; fraction2: number; iterations: number };
  /** Also sample and evaluate right after pruning, before retraining (checkpoint 1). */
  evaluateBeforeRetraining: boolean;
  /** Classifiers (spec 7.2.1): inverse regularisation, tolerance, iteration limit. */
  classifier: { cRaw: number; cEncoding: number; tolerance: number; maxIterations: number };
  /** Generated digits kept per checkpoint for sample grids (Fig 4C; at least 200 in --out). */
  keepSamples: number;
  /** Random Bern(0.5) patterns of the quality reference (60,000 at every scale, spec 8.2). */
  referencePatterns: number;
  /**
   * Encoding classifier (Fig 3B) at every checkpoint: mean-field h2 encodings of the DBM's
   * training digits and of the test digits, with the mean-field settings given here.
   */
  encoding: { enabled: boolean; maxIterations: number; tolerance: number };
}

const MOMENTUM = [0.5, 0.5, 0.5, 0.5, 0.5, 0.9];

/** The paper's protocol (spec 14; DEFAULTs of section 12 as settled by section 15). */
export function paperProtocol(): DbmProtocol {
  const lr1 = logspace(-2, -4, { count: 20 });
  const lr2 = logspace(-1, -4, { count: 20 });
  return {
    reduced: false,
    trainDigits: null,
    initial: {
      side: 20,
      radius: 2,
      n1: 400,
      n2: 676,
      weightSd: 0.1,
      visibleBias: -1,
      hiddenBias: -2,
      rbm1: { epochs: 20, batch: 1, lr: lr1, momentum: MOMENTUM },
      rbm2: { epochs: 20, batch: 1, lr: lr2, momentum: MOMENTUM },
      joint: { epochs: 20, batch: 1, lr: lr2, momentum: MOMENTUM },
      particles: 100,
      meanField: { maxIterations: 50, tolerance: 1e-7 },
      maxNorm: 6,
    },
    retrain: { epochs: 10, batch: 10, lr: lr2, momentum: MOMENTUM },
    sampler: { chains: 1000, sweeps: 200, samples: 60000 },
    prune: { fraction1: 0.1, fraction2: 0.25, iterations: 10 },
    evaluateBeforeRetraining: true,
    classifier: { cRaw: 0.1, cEncoding: 1.0, tolerance: 1e-6, maxIterations: 800 },
    keepSamples: 200,
    referencePatterns: 60000,
    encoding: { enabled: true, maxIterations: 50, tolerance: 1e-7 },
  };
}

/**
 * The REDUCED default (spec 15 compute note): one seed, 1,000 training digits, 2 epochs per
 * stage in mini-batches of 10, at most 5 mean-field iterations, 50 chains, 3 pruning iterations
 * with one retraining epoch each, 2,000 samples per checkpoint from 500 chains after 20 sweeps
 * each, no evaluation between pruning and retraining, and no encoding classifier (bm-fig3 turns
 * it on). The learning-rate lists are the paper's
 * (read with `sched`, so a 2-epoch stage uses their entries 1 and 2).
 */
export function reducedProtocol(): DbmProtocol {
  const p = paperProtocol();
  const two = (s: EpochSchedule): EpochSchedule => ({ ...s, epochs: 2, batch: 10 });
  return {
    ...p,
    reduced: true,
    trainDigits: 1000,
    initial: {
      ...p.initial,
      rbm1: two(p.initial.rbm1),
      rbm2: two(p.initial.rbm2),
      joint: two(p.initial.joint),
      particles: 50,
      meanField: { maxIterations: 5, tolerance: 1e-7 },
    },
    retrain: { ...p.retrain, epochs: 1 },
    sampler: { chains: 500, sweeps: 20, samples: 2000 },
    prune: { ...p.prune, iterations: 3 },
    evaluateBeforeRetraining: false,
    encoding: { enabled: false, maxIterations: 5, tolerance: 1e-7 },
  };
}

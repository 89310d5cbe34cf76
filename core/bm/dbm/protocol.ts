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
import { sched } from "../cd1.ts";

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
 * The REDUCED default (docs/dbm.md, "The reduced default, and why it is this one"): what the learning curves showed a
 * trained model needs is kept (the paper's initial training: batch 1, 20 epochs per stage, 100
 * persistent chains, mean field to 1e-7), and what costs but does not change the model's kind is
 * cut, in the order spec 13 and the issue give: one seed (`--networks`), 1,000 training digits,
 * 3 pruning iterations, retraining of 2 epochs along the paper's 10-epoch learning-rate path
 * ({@link compressSchedule}), 2,000 samples per checkpoint (500 chains, 20 sweeps between
 * records), no checkpoint between pruning and retraining; the encoding classifier is on for
 * bm-fig3 only (experiments/dbm/config.ts). The spec-15 suggestion (2 epochs per stage in
 * mini-batches of 10) trains a model that hardly moves from its initialisation (docs/dbm.md).
 */
export function reducedProtocol(): DbmProtocol {
  const p = paperProtocol();
  return {
    ...p,
    reduced: true,
    trainDigits: 1000,
    retrain: compressSchedule(p.retrain, 2),
    sampler: { chains: 500, sweeps: 20, samples: 2000 },
    prune: { ...p.prune, iterations: 3 },
    evaluateBeforeRetraining: false,
    encoding: { enabled: false, maxIterations: 50, tolerance: 1e-7 },
  };
}

/**
 * A shorter schedule along the same path: the learning rate and momentum that the full schedule
 * reads (with `sched`) in its epochs 1..E are sampled at `epochs` evenly spaced epochs, rounded,
 * so the short schedule starts at the full one's first rate and ends at its last (a plain cut of
 * the epochs would stop at the high early rates). One epoch keeps the first rate.
 */
export function compressSchedule(s: EpochSchedule, epochs: number): EpochSchedule {
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`epochs must be >= 1: ${epochs}`);
  const full = s.epochs;
  const at = (e: number): number =>
    epochs === 1 ? 1 : Math.round(1 + ((e - 1) * (full - 1)) / (epochs - 1));
  const pick = (list: number[]): number[] => [
    list[0],
    ...Array.from({ length: epochs }, (_, i) => sched(list, at(i + 1))),
  ];
  return { ...s, epochs, lr: pick(s.lr), momentum: pick(s.momentum) };
}

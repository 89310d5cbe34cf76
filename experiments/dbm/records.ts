/**
 * The stored records of a family-B run (`run.ts`): the metrics of each unit kind, as the summary,
 * the panels and the claims read them back, and how they are built from the protocol's measures.
 *
 * @module
 */
import type { PruneReport } from "../../core/bm/dbm/criteria.ts";
import type { CheckpointMeasures, References } from "../../core/bm/dbm/evaluate.ts";
import type { GenerativeStats } from "../../core/bm/dbm/metrics.ts";
import { bytesToBase64, packBits } from "../../core/bm/dbm/model.ts";
import type { StreamState } from "../../core/bm/dbm/streams.ts";
import type { MnistData } from "../../core/data/mnist.ts";

/** The data a run used. */
export interface DataRecord {
  /** Where the digits came from. */
  source: string;
  /** True for the npm substitute (not the official split). */
  substitute: boolean;
  /** Training digits (the raw-digit classifier's training set). */
  train: number;
  /** Test digits. */
  test: number;
  /** Training digits the DBM is trained on. */
  trainDigitsUsed: number;
  /** Binarisation thresholds (the mean of each cropped set, spec 8.2). */
  threshold: { train: number; test: number };
}

/** Metrics of the `["references"]` unit. */
export interface ReferencesRecord {
  /** The data. */
  data: DataRecord;
  /** 1 - accuracy of the raw-digit classifier on the test digits (Fig 3B's dashed line). */
  baselineError: number;
  /** The test digits under the raw-digit classifier. */
  testDigits: GenerativeStats;
  /** i.i.d. Bern(0.5) patterns under it. */
  randomPatterns: GenerativeStats;
  /** L-BFGS iterations of the classifier's fit. */
  iterations: number;
  /**
   * The raw-digit classifier trained on only the DBM's training digits (those the encoding
   * classifier is trained on): its test error, the fair baseline of Fig 3B; null when the DBM
   * sees every training digit or the encoding classifier is off.
   */
  subsetBaseline: { digits: number; error: number } | null;
}

/** What is stored of one checkpoint (CheckpointMeasures without the digit strings). */
export type CheckpointRecord = Omit<CheckpointMeasures, "digits" | "classifierError"> & {
  /** Encoding classifier error, or null when the run does not measure it. */
  classifierError: number | null;
  /** The first 25 generated digits (Fig 4C), 400 bits each, bit-packed, base64. */
  grid: string;
};

/** Metrics of an `["initial", s]` unit. */
export interface InitialRecord {
  /** Seed index s. */
  seed: number;
  /** The seed value the model's randomness derives from. */
  seedValue: number;
  /** The stream of joint training after training (the sampler continues it). */
  stream: StreamState;
  /** Measures of the unpruned model (iteration 0). */
  checkpoint: CheckpointRecord;
}

/** Metrics of a `["round", s, criterion, k]` unit. */
export interface RoundRecord {
  /** Seed index. */
  seed: number;
  /** Criterion id. */
  criterion: string;
  /** Pruning iteration k (1-based). */
  iteration: number;
  /** Why the criterion stopped before this round (a layer ran out), else absent. */
  stopped?: string;
  /** The retrained model's measures (checkpoint 2). */
  retrained?: CheckpointRecord;
  /** The pruned model's measures before retraining (checkpoint 1), when measured. */
  pruned?: CheckpointRecord;
  /** What the pruning step did. */
  prune?: PruneReport;
  /** The slot's stream after retraining, before the checkpoint's samples (resume). */
  stream?: StreamState;
}

/** Digits shown in a sample grid (Fig 4C: 5 x 5). */
export const GRID_DIGITS = 25;

/** Packs the first {@link GRID_DIGITS} 0/1 digit strings for a panel. */
function gridOf(digits: readonly string[]): string {
  const n = Math.min(GRID_DIGITS, digits.length);
  const bits = new Uint8Array(n * 400);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < 400; i++) bits[s * 400 + i] = digits[s].charCodeAt(i) === 49 ? 1 : 0;
  }
  return bytesToBase64(packBits(bits));
}

/** The stored form of a checkpoint's measures: the digit strings become a packed grid. */
export function checkpointRecord(m: CheckpointMeasures): CheckpointRecord {
  const { digits, classifierError, ...rest } = m;
  return { ...rest, classifierError: classifierError ?? null, grid: gridOf(digits) };
}

/** The data record of a run on `mnist` that trains on its first `digits` training digits. */
export function dataRecord(mnist: MnistData, digits: number): DataRecord {
  return {
    source: mnist.source,
    substitute: mnist.substitute,
    train: mnist.train.n,
    test: mnist.test.n,
    trainDigitsUsed: digits,
    threshold: { train: mnist.train.threshold, test: mnist.test.threshold },
  };
}

/** The metrics of the `["references"]` unit: the references and the data they were made from. */
export function referencesRecord(r: References, data: DataRecord): ReferencesRecord {
  return {
    data,
    baselineError: r.baselineError,
    testDigits: r.testDigits,
    randomPatterns: r.randomPatterns,
    iterations: r.iterations,
    subsetBaseline: r.subsetBaseline ?? null,
  };
}

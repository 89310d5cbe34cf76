/**
 * The Fig 5 protocol shared by the run, the summaries and precision-check's replay: the store
 * layout, the embedded starting networks, the training set and the retraining of a lineage at a
 * level, and what is stored of a retrained lineage.
 *
 * Store layout of a run (unit keys after the run id):
 * - `["start", i]`: starting network i after the initial training rounds (blob `w`).
 * - `["level", i, li]`: both lineages of network i at level index li (blobs `prunedW`,
 *   `prunedMask`, `unprunedW`; metrics `pruned` / `unpruned` = {@link LineageMetrics}).
 * Trained starting networks are also cached per round under keys that include everything that
 * determines them, so another run with a different prune schedule skips the initial training.
 *
 * @module
 */
import type { Lineage } from "../../core/app/paired_lineages.ts";
import type { Engine, SequenceSet } from "../../core/engine/engine.ts";
import { analyseDmsNetwork, type DmsNetworkMetrics } from "../../core/dms/analysis.ts";
import { dmsScgOptions, type EmbeddedStartsFile } from "../../core/dms/starting_networks.ts";
import { dmsTrainingSet } from "../../core/dms/task.ts";
import { DMS_SHAPE } from "../../core/rnn/network.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { type TrainOptions, type TrainOutcome, trainPopulation } from "../../core/rnn/train.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { nonFiniteReason } from "../../core/util/finite.ts";
import type { ResultStore } from "../../core/store/store.ts";
import type { Fig5Config } from "./config.ts";
import startsFile from "../data/fig5_starts.json" with { type: "json" };

export { type Lineage, LINEAGES } from "../../core/app/paired_lineages.ts";

/**
 * Starting networks shipped with the workbench: the default preset's networks after the paper's
 * initial training, made by `deno task fig5-starts` (provenance inside the file).
 */
export const FIG5_EMBEDDED_STARTS: EmbeddedStartsFile = startsFile;

/**
 * The training set of one lineage's retraining at level index `levelIndex`: stream
 * (seed, network, 2, level index) for the pruned lineage and (seed, network, 3, level index) for
 * the unpruned one (independent noise, spec D4).
 */
export function levelTrainingSet(
  c: Pick<Fig5Config, "sigmaY">,
  at: { seed: number; network: number; lineage: Lineage; levelIndex: number },
): SequenceSet {
  const stream = deriveSeed(at.seed, at.network, at.lineage === "pruned" ? 2 : 3, at.levelIndex);
  return dmsTrainingSet(new Rng(stream), c.sigmaY);
}

/** Stored metrics of one lineage at one level. */
export interface LineageMetrics extends Partial<DmsNetworkMetrics> {
  /** Loss at the start of the last outer iteration (Fig 1H). */
  finalLoss?: number;
  /** Loss at the end of the last SCG call (after retraining). */
  endLoss?: number;
  /** Outer SCG iterations run (Fig 1I). */
  iterations?: number;
  /** Whether the last SCG call met the stopping rule. */
  converged?: boolean;
  /** Loss before each outer iteration. */
  lossHistory?: number[];
  /** Gradient evaluations spent. */
  gradEvals?: number;
  /** Emergency SCG steps fired. */
  emergencySteps?: number;
  /** Set when this lineage failed (NaN/Inf), with the reason; other fields are then absent. */
  failed?: string;
}

/** The stored metrics of a retrained lineage: its training record and analyses. */
export function lineageMetrics(outcome: TrainOutcome, w: Float64Array): LineageMetrics {
  if (outcome.failure) return { failed: outcome.failure, iterations: outcome.outerIterations };
  // Non-finite weights or metrics fail the lineage (core/util/finite.ts), never the run.
  const badWeights = nonFiniteReason({ weights: w });
  if (badWeights) return { failed: badWeights, iterations: outcome.outerIterations };
  const analysis = analyseDmsNetwork(w);
  const badMetric = nonFiniteReason({
    maxLE: analysis.maxLE,
    probeAccuracy: analysis.probeAccuracy,
    finalLoss: outcome.lossHistory[outcome.lossHistory.length - 1],
  });
  if (badMetric) return { failed: badMetric, iterations: outcome.outerIterations };
  return {
    ...analysis,
    finalLoss: outcome.lossHistory[outcome.lossHistory.length - 1],
    endLoss: outcome.endLoss,
    iterations: outcome.outerIterations,
    converged: outcome.converged,
    lossHistory: outcome.lossHistory,
    gradEvals: outcome.gradEvals,
    emergencySteps: outcome.emergencySteps,
  };
}

/** Index of the level nearest to `level`. */
export function levelIndexOf(levels: readonly number[], level: number): number {
  let best = 0;
  for (let i = 1; i < levels.length; i++) {
    if (Math.abs(levels[i] - level) < Math.abs(levels[best] - level)) best = i;
  }
  return best;
}

/** One lineage's retraining at a level: its starting weights and prune mask. */
export interface LevelJob {
  /** Network index. */
  network: number;
  /** Lineage. */
  lineage: Lineage;
  /** Starting weights (pruned for the pruned lineage). */
  w: Float64Array;
  /** Prune mask (pruned lineage), or null. */
  mask: Uint8Array | null;
}

/**
 * The retraining job of a lineage whose weights after the previous level are `before`: the
 * pruned lineage is pruned by magnitude to `level` (cumulative), the unpruned one starts as is.
 */
export function levelJob(
  at: { network: number; lineage: Lineage; level: number },
  before: Float64Array,
): LevelJob {
  if (at.lineage === "unpruned") {
    return { network: at.network, lineage: at.lineage, w: before, mask: null };
  }
  const pr = magnitudePrune(DMS_SHAPE, before, at.level);
  return { network: at.network, lineage: at.lineage, w: pr.w, mask: pr.mask };
}

/** Options of {@link retrainLevel}. */
export interface RetrainOptions {
  /** The run's config. */
  config: Fig5Config;
  /** The run's master seed. */
  seed: number;
  /** Level index (training-set streams). */
  levelIndex: number;
  /** Abort between outer iterations. */
  signal?: AbortSignal;
  /** Called after each outer iteration. */
  onOuter?: (outer: number, active: number, total: number) => void;
  /** Passed on to `trainPopulation` (live loss curves). */
  afterOuter?: TrainOptions["afterOuter"];
}

/** Retrains the jobs of one level as one population, to criterion within the retraining cap. */
export async function retrainLevel(
  engine: Engine,
  jobs: readonly LevelJob[],
  options: RetrainOptions,
): Promise<TrainOutcome[]> {
  const { config: c, seed, levelIndex } = options;
  return await trainPopulation(
    engine,
    jobs.map((j) => ({
      data: levelTrainingSet(c, { seed, network: j.network, lineage: j.lineage, levelIndex }),
      w: j.w,
      mask: j.mask,
    })),
    {
      maxOuter: c.maxOuterRetrain,
      untilConverged: true,
      scg: dmsScgOptions(c),
      signal: options.signal,
      onOuter: options.onOuter,
      afterOuter: options.afterOuter,
    },
  );
}

/** Loads a float64 blob or throws a clear error (a resumed run whose store lost data). */
export async function requireBlob(
  store: ResultStore,
  runId: string,
  key: (string | number)[],
  name: string,
): Promise<Float64Array> {
  const b = await store.getBlob(runId, key, name);
  if (!(b instanceof Float64Array)) {
    throw new Error(`store is missing ${name} of unit ${key.join("/")}`);
  }
  return b;
}

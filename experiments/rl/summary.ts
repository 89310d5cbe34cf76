/**
 * Aggregation of the stored RL units into the Fig 7 summary (`--out` JSON, the terminal table and
 * the panels read it). Reads unit metrics only; the pruned-vs-unpruned numbers (means, SEM =
 * sd / sqrt(n), paired t-tests per level, spec 8.8) come from core/app/paired_lineages.ts.
 *
 * @module
 */
import { type ExperimentRun, type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import {
  columnMeanSem,
  compareCurves,
  comparePaired,
  finite,
  type Lineage,
  type MeanSem,
} from "../../core/app/paired_lineages.ts";
import { RL_HIST_CENTRES } from "../../core/util/histogram.ts";
import { mean, pearson } from "../../core/util/stats.ts";
import { cumulative } from "../../core/rl/dynamics.ts";
import { MAIN_LEVEL, type RlConfig } from "./config.ts";
import type { LevelUnitMetrics, RlNetResult } from "./lineages.ts";
import type { NewOptionMetrics } from "./new_option.ts";

/** The `--out` keys fig6 and fig7 start with. */
export interface RlSummaryHeader<F extends string> {
  /** Experiment id. */
  figure: F;
  /** Experiment title. */
  title: string;
  /** Run id. */
  runId: string;
  /** Preset name. */
  preset: string;
  /** True unless the paper's protocol. */
  reduced: boolean;
  /** The resolved config. */
  config: RlConfig;
  /** Master seed. */
  seed: number;
}

/** The `--out` header of an RL run. */
export function rlSummaryHeader<F extends string>(
  run: ExperimentRun<RlConfig>,
  experiment: { id: F; title: string },
): RlSummaryHeader<F> {
  return {
    figure: experiment.id,
    title: experiment.title,
    runId: run.id,
    preset: run.preset,
    reduced: run.reduced,
    config: run.config,
    seed: run.seed,
  };
}

/** Per-network metrics compared across levels (Fig 7 A-D, G and extras). */
export const LEVEL_METRICS = [
  "qError",
  "choiceAgreement",
  "rewardPerBlock",
  "maxLE",
  "mahalanobis",
  "maxLEChrono",
  "optimalRate",
  "finalLoss",
] as const;

/** A metric name of {@link LEVEL_METRICS}. */
export type LevelMetric = typeof LEVEL_METRICS[number];

/** What Fig 7 E, F and H/I plot at level 0.7 (present when the config has that level). */
export interface AtMainLevel {
  /** Cumulative PCA variance of the first 10 dimensions. */
  pcaCumulative: Record<Lineage, MeanSem>;
  /** Mean recurrent-weight histogram. */
  histogram: {
    centres: readonly number[];
    pruned: (number | null)[];
    unpruned: (number | null)[];
  };
  /** Agreement against max LE per network, and the pooled Pearson correlation. */
  scatter: Record<Lineage, { agreement: number; maxLE: number | null }[]> & {
    pearson: number | null;
  };
  /** Blocks excluded from the Mahalanobis distance (condition number > 1e12). */
  mahalanobisFlaggedBlocks: Record<Lineage, number>;
}

/** The comparison at one target-noise level. */
export interface NoiseSummary {
  /** Lineage pairs with data per level. */
  n: number[];
  /** Mean and SEM per level, lineage and metric. */
  lineages: Record<Lineage, Record<LevelMetric, MeanSem>>;
  /** Paired t-test p per metric and level. */
  pValues: Record<LevelMetric, (number | null)[]>;
  /** Level-0.7 analyses (empty without that level). */
  atMainLevel: AtMainLevel | Record<never, never>;
}

/** The new-option experiment's learning curves. */
export interface NewOptionSummary {
  /** Networks. */
  n: number;
  /** Outer iterations 1, 2, ... */
  iterations: number[];
  /** Loss per outer iteration, mean and SEM. */
  lossHistory: Record<Lineage, MeanSem>;
  /** Median loss per outer iteration. */
  median: Record<Lineage, (number | null)[]>;
  /** Final loss and the paired t-test. */
  finalLoss: { pruned: number | null; unpruned: number | null; p: number | null };
  /** Reward per block on the new task. */
  rewardPerBlock: Record<Lineage, number | null>;
}

/** One trained starting network. */
export interface InitialSummary {
  /** Index. */
  index: number;
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether training converged. */
  converged: boolean;
  /** Loss at the start of the last outer iteration. */
  finalLoss: number | null;
  /** Q-value error. */
  qError: number;
  /** Agreement with the Q-learner. */
  choiceAgreement: number;
  /** Reward per block. */
  rewardPerBlock: number;
}

/** What {@link summarizeRl} returns. */
export interface RlSummary {
  /** Per noise variance (as a string key). */
  byNoise: Record<string, NoiseSummary>;
  /** The new-option experiment, or null when it did not run. */
  newOption: NewOptionSummary | null;
  /** The starting networks. */
  initial: InitialSummary[];
}

function value(r: RlNetResult, m: LevelMetric): number {
  if (m === "finalLoss") return r.lossHistory.at(-1) ?? NaN;
  return r[m];
}

/** Collects `[lineage][level]` values of a metric for one noise level and lineage kind. */
function grid(
  units: LevelUnitMetrics[],
  c: RlConfig,
  at: { noise: number; kind: Lineage; metric: LevelMetric },
): (number | null)[][] {
  const rows: (number | null)[][] = Array.from(
    { length: c.networks },
    () => new Array(c.levels.length).fill(null),
  );
  for (const u of units) {
    if (u.noise !== at.noise) continue;
    const li = c.levels.findIndex((l) => Math.abs(l - u.level) < 1e-9);
    if (li >= 0 && u.lineage < c.networks) {
      rows[u.lineage][li] = finite(value(u[at.kind], at.metric));
    }
  }
  return rows;
}

/** Fig 7 E, F and H/I at level 0.7 for one noise level. */
function atMainLevel(at07: LevelUnitMetrics[]): AtMainLevel {
  const both = <T>(f: (r: RlNetResult) => T): T[] => [
    ...at07.map((u) => f(u.pruned)),
    ...at07.map((u) => f(u.unpruned)),
  ];
  return {
    pcaCumulative: {
      pruned: columnMeanSem(at07.map((u) => cumulative(u.pruned.pcaFraction).slice(0, 10))),
      unpruned: columnMeanSem(at07.map((u) => cumulative(u.unpruned.pcaFraction).slice(0, 10))),
    },
    histogram: {
      centres: RL_HIST_CENTRES,
      pruned: columnMeanSem(at07.map((u) => u.pruned.histogram)).mean,
      unpruned: columnMeanSem(at07.map((u) => u.unpruned.histogram)).mean,
    },
    scatter: {
      pruned: at07.map((u) => ({
        agreement: u.pruned.choiceAgreement,
        maxLE: finite(u.pruned.maxLE),
      })),
      unpruned: at07.map((u) => ({
        agreement: u.unpruned.choiceAgreement,
        maxLE: finite(u.unpruned.maxLE),
      })),
      pearson: finite(pearson(both((r) => r.choiceAgreement), both((r) => r.maxLE))),
    },
    mahalanobisFlaggedBlocks: {
      pruned: at07.reduce((s, u) => s + u.pruned.mahalanobisFlagged, 0),
      unpruned: at07.reduce((s, u) => s + u.unpruned.mahalanobisFlagged, 0),
    },
  };
}

/** The comparison at one noise level. */
function noiseSummary(main: LevelUnitMetrics[], c: RlConfig, noise: number): NoiseSummary {
  const lineages = { pruned: {}, unpruned: {} } as NoiseSummary["lineages"];
  const pValues = {} as NoiseSummary["pValues"];
  let n: number[] = [];
  for (const metric of LEVEL_METRICS) {
    const compared = comparePaired({
      pruned: grid(main, c, { noise, kind: "pruned", metric }),
      unpruned: grid(main, c, { noise, kind: "unpruned", metric }),
    }, c.levels.length);
    lineages.pruned[metric] = compared.lineages.pruned;
    lineages.unpruned[metric] = compared.lineages.unpruned;
    pValues[metric] = compared.p;
    if (metric === "qError") n = compared.n.pruned;
  }
  const hasMain = c.levels.some((l) => Math.abs(l - MAIN_LEVEL) < 1e-9);
  const at07 = main.filter((u) => u.noise === noise && Math.abs(u.level - MAIN_LEVEL) < 1e-9);
  return { n, lineages, pValues, atMainLevel: hasMain ? atMainLevel(at07) : {} };
}

function medians(rows: number[][]): (number | null)[] {
  const len = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: len }, (_, i) => {
    const v = rows.map((r) => r[i]).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return null;
    const h = Math.floor(v.length / 2);
    return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
  });
}

/** The new-option experiment's learning curves, or null when no unit is stored. */
function newOptionSummary(no: NewOptionMetrics[]): NewOptionSummary | null {
  if (no.length === 0) return null;
  const curves = (kind: Lineage): number[][] => no.map((u) => u[kind].lossHistory);
  const cc = compareCurves({ pruned: curves("pruned"), unpruned: curves("unpruned") });
  return {
    n: cc.n,
    iterations: cc.iterations,
    lossHistory: cc.curves,
    median: { pruned: medians(curves("pruned")), unpruned: medians(curves("unpruned")) },
    finalLoss: cc.final,
    rewardPerBlock: {
      pruned: finite(mean(no.map((u) => u.pruned.rewardPerBlock))),
      unpruned: finite(mean(no.map((u) => u.unpruned.rewardPerBlock))),
    },
  };
}

/** The stored metrics of an `["initial", i]` unit. */
interface InitialUnitMetrics {
  lossHistory?: number[];
  outerIterations: number;
  converged: boolean;
  qError: number;
  choiceAgreement: number;
  rewardPerBlock: number;
}

/** Builds the Fig 7 summary from the units of a run. */
export function summarizeRl(c: RlConfig, entries: UnitEntry[]): RlSummary {
  const main = entries.filter((e) => e.key[0] === "main").map((e) =>
    unitMetrics<LevelUnitMetrics>(e)
  );
  const byNoise: Record<string, NoiseSummary> = {};
  for (const noise of c.noiseLevels) byNoise[String(noise)] = noiseSummary(main, c, noise);
  const newOption = newOptionSummary(
    entries.filter((e) => e.key[0] === "newOption").map((e) => unitMetrics<NewOptionMetrics>(e)),
  );
  const initial = entries.filter((e) => e.key[0] === "initial").map((e): InitialSummary => {
    const m = unitMetrics<InitialUnitMetrics>(e);
    return {
      index: e.key[1] as number,
      outerIterations: m.outerIterations,
      converged: m.converged,
      finalLoss: (m.lossHistory ?? []).at(-1) ?? null,
      qError: m.qError,
      choiceAgreement: m.choiceAgreement,
      rewardPerBlock: m.rewardPerBlock,
    };
  });
  return { byNoise, newOption, initial };
}

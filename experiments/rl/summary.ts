/**
 * Aggregation of the stored RL units into the Fig 7 summary (`--out` JSON; the terminal table, the
 * panels and the claims read it). Reads unit metrics only. The pruned-vs-unpruned numbers (mean and
 * SEM = sd / sqrt(n) per lineage, per level the paired mean difference with its 99% t interval, the
 * paired t-test p of the papers, Holm over the levels, the exact Wilcoxon p for small n and the sd
 * of the differences) come from core/app/paired_lineages.ts. Failed networks (NaN/Inf) are listed
 * under `failures` and their pairs dropped from every statistic.
 *
 * @module
 */
import { type ExperimentRun, type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import {
  columnMeanSem,
  compareCurves,
  finite,
  type Lineage,
  LINEAGES,
  type MeanSem,
  pairedColumns,
  type PairedStat,
  type Rows,
} from "../../core/app/paired_lineages.ts";
import { RL_HIST_CENTRES } from "../../core/util/histogram.ts";
import { pearson } from "../../core/util/stats.ts";
import { cumulative } from "../../core/rl/dynamics.ts";
import { MAIN_LEVEL, type ProtocolCuts, protocolCuts, type RlConfig } from "./config.ts";
import { isFailed, type LevelUnitMetrics, type NetOutcome, type RlNetResult } from "./lineages.ts";
import type { NewOptionMetrics, NewOptionNet } from "./new_option.ts";

/** Confidence level of the intervals of the summary: the paper's alpha 0.01. */
export const CI_LEVEL = 0.99;

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
  /** What the run cuts from the paper's protocol, and whether training is the paper's length. */
  protocol: ProtocolCuts;
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
    protocol: protocolCuts(run.config),
  };
}

/** Per-network metrics compared across levels (Fig 7 A-D, G and extras). */
export const LEVEL_METRICS = [
  "qError",
  "choiceAgreement",
  "optimalRate",
  "rewardPerBlock",
  "choiceRewardPerBlock",
  "maxLE",
  "maxLEChrono",
  "mahalanobis",
  "mahalanobisPooled",
  "finalLoss",
  "endLoss",
] as const;

/** A metric name of {@link LEVEL_METRICS}. */
export type LevelMetric = typeof LEVEL_METRICS[number];

/** One metric compared between the lineages at every level. */
export interface MetricComparison {
  /** Mean and SEM per level of each lineage (over networks that did not fail). */
  pruned: MeanSem;
  /** Unpruned lineage. */
  unpruned: MeanSem;
  /** Per level: pruned - unpruned over complete pairs, 99% interval, p, Holm over levels, ... */
  paired: PairedStat[];
  /** Per-lineage values, `[lineage][level]` (null: failed or missing), for the claims. */
  values: Record<Lineage, (number | null)[][]>;
}

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
  /** Blocks excluded from the per-block Mahalanobis mean (condition number > 1e12). */
  mahalanobisFlaggedBlocks: Record<Lineage, number>;
  /** Networks whose pooled covariance was ill-conditioned (> 1e12). */
  mahalanobisPooledFlagged: Record<Lineage, number>;
}

/** The Q-learner acting itself on the networks' evaluation draws, per level. */
export interface QLearnerSummary {
  /** Reward per block (spec definition: fixation penalties included). */
  rewardPerBlock: MeanSem;
  /** Reward of the choice steps only. */
  choiceRewardPerBlock: MeanSem;
  /** Its optimal-choice rate. */
  optimalRate: MeanSem;
}

/** The comparison at one target-noise level. */
export interface NoiseSummary {
  /** Complete lineage pairs per level (both networks finished without failure). */
  n: number[];
  /** Every metric of {@link LEVEL_METRICS}. */
  metrics: Record<LevelMetric, MetricComparison>;
  /** The Q-learner's own performance on the same blocks. */
  qLearner: QLearnerSummary;
  /** Level-0.7 analyses (empty without that level). */
  atMainLevel: AtMainLevel | Record<never, never>;
}

/** A quantity measured before and after new-option training, compared by its change. */
export interface ChangeComparison {
  /** Mean (SEM) before training, per lineage. */
  start: Record<Lineage, MeanSem>;
  /** Mean (SEM) after training. */
  end: Record<Lineage, MeanSem>;
  /** Mean (SEM) of each network's change (end - start, or ln(end / start) for `logLoss`). */
  change: Record<Lineage, MeanSem>;
  /** Pruned change - unpruned change over complete pairs, 99% interval, p, Wilcoxon, sd. */
  paired: PairedStat;
  /** Per-lineage changes (null: failed), for the claims. */
  values: Record<Lineage, (number | null)[]>;
}

/** The new-option experiment's learning curves and changes from each network's own start. */
export interface NewOptionSummary {
  /** Networks. */
  n: number;
  /** Outer iterations 1, 2, ... */
  iterations: number[];
  /** Loss per outer iteration, mean and SEM. */
  lossHistory: Record<Lineage, MeanSem>;
  /** Median loss per outer iteration (the code plots the median). */
  median: Record<Lineage, (number | null)[]>;
  /**
   * Changes from each network's own start on the new task: training loss (end - start and
   * ln(end / start)), and value error, agreement and reward on fresh new-task blocks.
   */
  changes: Record<
    "loss" | "logLoss" | "qError" | "choiceAgreement" | "rewardPerBlock",
    ChangeComparison
  >;
}

/** One trained starting network. */
export interface InitialSummary {
  /** Index. */
  index: number;
  /** Outer iterations run. */
  outerIterations: number;
  /** Whether training met the RL stopping rule. */
  converged: boolean;
  /** Loss at the start of the last outer iteration. */
  finalLoss: number | null;
  /** Where it came from ("cache", "embedded") when not trained by this run. */
  reused: string | null;
  /** Q-value error (null when it failed). */
  qError: number | null;
  /** Agreement with the Q-learner (null when it failed). */
  choiceAgreement: number | null;
  /** Reward per block (null when it failed). */
  rewardPerBlock: number | null;
  /** Why it failed (its lineages are then left out), or null. */
  failed: string | null;
}

/** A network that failed (NaN/Inf), excluded from the statistics. */
export interface RlFailure {
  /** Where: a starting network, a noise and prune level, or the new-option experiment. */
  part: "initial" | "main" | "newOption";
  /** Target-noise variance (main). */
  noise: number | null;
  /** Prune level (main). */
  level: number | null;
  /** Lineage index. */
  lineage: number;
  /** Which network (null for a starting network: both lineages of it). */
  kind: Lineage | null;
  /** The reason. */
  reason: string;
}

/** What {@link summarizeRl} returns. */
export interface RlSummary {
  /** Per noise variance (as a string key). */
  byNoise: Record<string, NoiseSummary>;
  /** The new-option experiment, or null when it did not run. */
  newOption: NewOptionSummary | null;
  /** The starting networks. */
  initial: InitialSummary[];
  /** Failed networks, excluded from every statistic. */
  failures: RlFailure[];
}

function value(r: NetOutcome, m: LevelMetric): number | null {
  if (isFailed(r)) return null;
  if (m === "finalLoss") return finite(r.lossHistory.at(-1) ?? NaN);
  return finite(r[m]);
}

/** `[lineage][level]` values of one metric at one noise level (null where failed or missing). */
function grid(
  units: LevelUnitMetrics[],
  c: RlConfig,
  at: { noise: number; kind: Lineage; read: (u: LevelUnitMetrics) => number | null },
): (number | null)[][] {
  const rows: (number | null)[][] = Array.from(
    { length: c.networks },
    () => new Array(c.levels.length).fill(null),
  );
  for (const u of units) {
    if (u.noise !== at.noise) continue;
    const li = c.levels.findIndex((l) => Math.abs(l - u.level) < 1e-9);
    if (li >= 0 && u.lineage < c.networks) rows[u.lineage][li] = at.read(u);
  }
  return rows;
}

/** Compares `[lineage][level]` rows of both lineages. */
function compare(rows: Record<Lineage, (number | null)[][]>, columns: number): MetricComparison {
  // Means over complete pairs only, so that a failed partner never biases one lineage's mean.
  const paired = (a: Rows, b: Rows): Rows =>
    a.map((row, i) => row.map((v, c) => (v === null || b[i][c] === null ? null : v)));
  return {
    pruned: columnMeanSem(paired(rows.pruned, rows.unpruned)),
    unpruned: columnMeanSem(paired(rows.unpruned, rows.pruned)),
    paired: pairedColumns(rows.pruned, rows.unpruned, { columns, level: CI_LEVEL }),
    values: rows,
  };
}

/** Fig 7 E, F and H/I at level 0.7 for one noise level. */
function atMainLevel(at07: LevelUnitMetrics[]): AtMainLevel {
  const ok = (kind: Lineage): RlNetResult[] =>
    at07.filter((u) => !isFailed(u.pruned) && !isFailed(u.unpruned)).map((u) =>
      u[kind] as RlNetResult
    );
  const pr = ok("pruned"), un = ok("unpruned");
  const count = (rs: RlNetResult[], f: (r: RlNetResult) => number): number =>
    rs.reduce((s, r) => s + f(r), 0);
  return {
    pcaCumulative: {
      pruned: columnMeanSem(pr.map((r) => cumulative(r.pcaFraction).slice(0, 10))),
      unpruned: columnMeanSem(un.map((r) => cumulative(r.pcaFraction).slice(0, 10))),
    },
    histogram: {
      centres: RL_HIST_CENTRES,
      pruned: columnMeanSem(pr.map((r) => r.histogram)).mean,
      unpruned: columnMeanSem(un.map((r) => r.histogram)).mean,
    },
    scatter: {
      pruned: pr.map((r) => ({ agreement: r.choiceAgreement, maxLE: finite(r.maxLE) })),
      unpruned: un.map((r) => ({ agreement: r.choiceAgreement, maxLE: finite(r.maxLE) })),
      pearson: finite(
        pearson(
          [...pr, ...un].map((r) => r.choiceAgreement),
          [...pr, ...un].map((r) => r.maxLE),
        ),
      ),
    },
    mahalanobisFlaggedBlocks: {
      pruned: count(pr, (r) => r.mahalanobisFlagged),
      unpruned: count(un, (r) => r.mahalanobisFlagged),
    },
    mahalanobisPooledFlagged: {
      pruned: count(pr, (r) => (Number.isFinite(r.mahalanobisPooled) ? 0 : 1)),
      unpruned: count(un, (r) => (Number.isFinite(r.mahalanobisPooled) ? 0 : 1)),
    },
  };
}

/** The comparison at one noise level. */
function noiseSummary(main: LevelUnitMetrics[], c: RlConfig, noise: number): NoiseSummary {
  const L = c.levels.length;
  const metrics = {} as Record<LevelMetric, MetricComparison>;
  for (const metric of LEVEL_METRICS) {
    metrics[metric] = compare({
      pruned: grid(main, c, { noise, kind: "pruned", read: (u) => value(u.pruned, metric) }),
      unpruned: grid(main, c, { noise, kind: "unpruned", read: (u) => value(u.unpruned, metric) }),
    }, L);
  }
  const q = (f: (u: LevelUnitMetrics) => number): MeanSem =>
    columnMeanSem(grid(main, c, { noise, kind: "pruned", read: (u) => finite(f(u)) }));
  const hasMain = c.levels.some((l) => Math.abs(l - MAIN_LEVEL) < 1e-9);
  const at07 = main.filter((u) => u.noise === noise && Math.abs(u.level - MAIN_LEVEL) < 1e-9);
  return {
    n: metrics.qError.paired.map((s) => s.n),
    metrics,
    qLearner: {
      rewardPerBlock: q((u) => u.qLearner.rewardPerBlock),
      choiceRewardPerBlock: q((u) => u.qLearner.choiceRewardPerBlock),
      optimalRate: q((u) => u.qLearner.optimalRate),
    },
    atMainLevel: hasMain ? atMainLevel(at07) : {},
  };
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

/** Compares a before/after quantity of the new-option networks by each network's change. */
function changeComparison(
  no: NewOptionMetrics[],
  read: (n: NewOptionNet) => { start: number; end: number },
  log = false,
): ChangeComparison {
  const side = (kind: Lineage, f: (s: { start: number; end: number }) => number) =>
    no.map((u) => {
      const p = u.pruned, q = u.unpruned;
      if (isFailed(p) || isFailed(q)) return null;
      return finite(f(read(u[kind] as NewOptionNet)));
    });
  const delta = (s: { start: number; end: number }): number =>
    log ? Math.log(s.end / s.start) : s.end - s.start;
  const col = (v: (number | null)[]): MeanSem => columnMeanSem(v.map((x) => [x]));
  const values = {
    pruned: side("pruned", delta),
    unpruned: side("unpruned", delta),
  };
  return {
    start: {
      pruned: col(side("pruned", (s) => s.start)),
      unpruned: col(side("unpruned", (s) => s.start)),
    },
    end: {
      pruned: col(side("pruned", (s) => s.end)),
      unpruned: col(side("unpruned", (s) => s.end)),
    },
    change: { pruned: col(values.pruned), unpruned: col(values.unpruned) },
    paired: pairedColumns(values.pruned.map((v) => [v]), values.unpruned.map((v) => [v]), {
      columns: 1,
      level: CI_LEVEL,
    })[0],
    values,
  };
}

/** The new-option experiment's learning curves, or null when no unit is stored. */
function newOptionSummary(no: NewOptionMetrics[]): NewOptionSummary | null {
  if (no.length === 0) return null;
  const ok = no.filter((u) => !isFailed(u.pruned) && !isFailed(u.unpruned));
  const curves = (kind: Lineage): number[][] =>
    ok.map((u) => (u[kind] as NewOptionNet).lossHistory);
  const cc = compareCurves({ pruned: curves("pruned"), unpruned: curves("unpruned") });
  const loss = (n: NewOptionNet) => ({ start: n.lossHistory[0], end: n.endLoss });
  return {
    n: ok.length,
    iterations: cc.iterations,
    lossHistory: cc.curves,
    median: { pruned: medians(curves("pruned")), unpruned: medians(curves("unpruned")) },
    changes: {
      loss: changeComparison(no, loss),
      logLoss: changeComparison(no, loss, true),
      qError: changeComparison(no, (n) => ({ start: n.before.qError, end: n.qError })),
      choiceAgreement: changeComparison(
        no,
        (n) => ({ start: n.before.choiceAgreement, end: n.choiceAgreement }),
      ),
      rewardPerBlock: changeComparison(
        no,
        (n) => ({ start: n.before.rewardPerBlock, end: n.rewardPerBlock }),
      ),
    },
  };
}

/** The stored metrics of an `["initial", i]` unit. */
interface InitialUnitMetrics {
  outerIterations: number;
  converged: boolean;
  finalLoss: number | null;
  reused?: { from: string };
  failed?: string;
  /** Absent when it failed. */
  qError?: number;
  choiceAgreement?: number;
  rewardPerBlock?: number;
}

/** The failures of the stored units. */
function failuresOf(main: LevelUnitMetrics[], no: NewOptionMetrics[]): RlFailure[] {
  const out: RlFailure[] = [];
  for (const u of main) {
    for (const kind of LINEAGES) {
      const r = u[kind];
      if (isFailed(r)) {
        out.push({
          part: "main",
          noise: u.noise,
          level: u.level,
          lineage: u.lineage,
          kind,
          reason: r.failed,
        });
      }
    }
  }
  for (const u of no) {
    for (const kind of LINEAGES) {
      const r = u[kind];
      if (isFailed(r)) {
        out.push({
          part: "newOption",
          noise: null,
          level: null,
          lineage: u.lineage,
          kind,
          reason: r.failed,
        });
      }
    }
  }
  return out;
}

/** Builds the Fig 7 summary from the units of a run. */
export function summarizeRl(c: RlConfig, entries: UnitEntry[]): RlSummary {
  const main = entries.filter((e) => e.key[0] === "main").map((e) =>
    unitMetrics<LevelUnitMetrics>(e)
  );
  const no = entries.filter((e) => e.key[0] === "newOption").map((e) =>
    unitMetrics<NewOptionMetrics>(e)
  );
  const byNoise: Record<string, NoiseSummary> = {};
  for (const noise of c.noiseLevels) byNoise[String(noise)] = noiseSummary(main, c, noise);
  const initial = entries.filter((e) => e.key[0] === "initial").map((e): InitialSummary => {
    const m = unitMetrics<InitialUnitMetrics>(e);
    return {
      index: e.key[1] as number,
      outerIterations: m.outerIterations,
      converged: m.converged,
      finalLoss: m.finalLoss,
      reused: m.reused?.from ?? null,
      qError: m.qError ?? null,
      choiceAgreement: m.choiceAgreement ?? null,
      rewardPerBlock: m.rewardPerBlock ?? null,
      failed: m.failed ?? null,
    };
  });
  const failures: RlFailure[] = [
    ...initial.filter((i) => i.failed).map((i): RlFailure => ({
      part: "initial",
      noise: null,
      level: null,
      lineage: i.index,
      kind: null,
      reason: i.failed ?? "",
    })),
    ...failuresOf(main, no),
  ];
  return { byNoise, newOption: newOptionSummary(no), initial, failures };
}

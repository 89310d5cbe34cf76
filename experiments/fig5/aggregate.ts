/**
 * Aggregation of a Fig 5 run's unit metrics (never blobs): per level and lineage the mean and SEM
 * over networks of every metric with paired t-tests, effects with 99% intervals, Holm and (small
 * n) Wilcoxon p (core/app/paired_lineages.ts), the fraction of retrainings that met the stopping
 * rule, the failures, and the breakdowns at one level that Fig 5B, 5C, 5E (in both groupings) and
 * 5F plot.
 *
 * @module
 */
import type { UnitEntry } from "../../core/app/experiment.ts";
import {
  columnMeanSem,
  comparePaired,
  type Lineage,
  LINEAGES,
  type MeanSem,
  pairedColumns,
  pairedP,
  type PairedStat,
} from "../../core/app/paired_lineages.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import { mean, sem } from "../../core/util/stats.ts";
import type { Fig5Config } from "./config.ts";
import type { LineageMetrics } from "./protocol.ts";

/** Per metric and lineage, rows[network][level] (null where a network has no value). */
export type MetricTables = Record<string, Record<Lineage, (number | null)[][]>>;

/** Per-network tables rows[network][level] of every metric and lineage, in one pass over units. */
export function metricTables(units: UnitEntry[], c: Fig5Config): MetricTables {
  const blank = (): (number | null)[][] =>
    Array.from({ length: c.networks }, () => new Array(c.levels.length).fill(null));
  const out: MetricTables = {};
  for (const name of Object.keys(METRICS)) out[name] = { pruned: blank(), unpruned: blank() };
  for (const u of units) {
    if (u.key[0] !== "level") continue;
    const i = u.key[1] as number;
    const li = u.key[2] as number;
    if (i >= c.networks || li >= c.levels.length) continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (!m || m.failed) continue;
      for (const [name, pick] of Object.entries(METRICS)) {
        const v = pick(m);
        out[name][l][i][li] = typeof v === "number" && Number.isFinite(v) ? v : null;
      }
    }
  }
  return out;
}

/** Aggregated Fig 5 results: what `--out`, the table and the panels are built from. */
export interface Fig5Aggregate {
  /** Prune levels. */
  levels: number[];
  /** Mean and SEM per level for each lineage and metric. */
  lineages: Record<Lineage, Record<string, MeanSem>>;
  /** Paired t-test p-values per level and metric (pruned vs unpruned). */
  pValues: Record<string, (number | null)[]>;
  /** Networks with data per level and lineage. */
  n: Record<Lineage, number[]>;
  /** Failed lineages (reason per network), if any. */
  failures: { network: number; level: number; lineage: Lineage; reason: string }[];
  /**
   * Per metric and level, pruned minus unpruned over complete pairs: mean difference with its 99%
   * t interval, paired t p, Holm p over the levels, exact Wilcoxon p below 30 pairs.
   */
  effects: Record<string, PairedStat[]>;
  /** How many trainings met the stopping rule (the rest hit their outer-iteration cap). */
  converged: ConvergedCounts;
}

/** Retrainings (and starting networks) that met the stopping rule before their cap. */
export interface ConvergedCounts {
  /** Per lineage and level: converged retrainings, retrainings with data and their fraction. */
  levels: Record<Lineage, { converged: number[]; n: number[]; fraction: (number | null)[] }>;
  /** Starting networks whose every initial round met the rule, of those stored. */
  start: { converged: number; n: number; fraction: number | null };
}

const METRICS: Record<string, (m: LineageMetrics) => number | null | undefined> = {
  probeAccuracy: (m) => m.probeAccuracy,
  cleanAccuracy: (m) => m.cleanAccuracy,
  maxLE: (m) => m.maxLE,
  maxLEChronological: (m) => m.maxLEChronological,
  finalLoss: (m) => m.finalLoss,
  endLoss: (m) => m.endLoss,
  iterations: (m) => m.iterations,
};

/** Aggregates unit metrics into means, SEMs and paired t-tests per level. */
export function aggregateFig5(c: Fig5Config, units: UnitEntry[]): Fig5Aggregate {
  const lineages: Fig5Aggregate["lineages"] = { pruned: {}, unpruned: {} };
  const pValues: Fig5Aggregate["pValues"] = {};
  let n: Fig5Aggregate["n"] = { pruned: [], unpruned: [] };
  const tables = metricTables(units, c);
  for (const name of Object.keys(METRICS)) {
    const compared = comparePaired(tables[name], c.levels.length);
    for (const l of LINEAGES) lineages[l][name] = compared.lineages[l];
    pValues[name] = compared.p;
    if (name === "probeAccuracy") n = compared.n;
  }
  const effects: Fig5Aggregate["effects"] = {};
  for (const name of Object.keys(METRICS)) {
    effects[name] = pairedColumns(tables[name].pruned, tables[name].unpruned, {
      columns: c.levels.length,
      level: 0.99,
    });
  }
  const failures: Fig5Aggregate["failures"] = [];
  for (const u of units) {
    if (u.key[0] !== "level") continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (m?.failed) {
        failures.push({
          network: u.key[1] as number,
          level: c.levels[u.key[2] as number],
          lineage: l,
          reason: m.failed,
        });
      }
    }
  }
  return {
    levels: c.levels,
    lineages,
    pValues,
    n,
    failures,
    effects,
    converged: convergedCounts(c, units),
  };
}

/** Counts the retrainings and starting networks that met the stopping rule. */
export function convergedCounts(c: Fig5Config, units: UnitEntry[]): ConvergedCounts {
  const L = c.levels.length;
  const levels = {} as ConvergedCounts["levels"];
  for (const l of LINEAGES) {
    levels[l] = { converged: new Array(L).fill(0), n: new Array(L).fill(0), fraction: [] };
  }
  const start = { converged: 0, n: 0, fraction: null as number | null };
  for (const u of units) {
    if (u.key[0] === "start" && (u.key[1] as number) < c.networks) {
      const rounds = (u.record.metrics.rounds as { converged?: boolean }[] | undefined) ?? [];
      start.n++;
      if (rounds.length > 0 && rounds.every((r) => r.converged === true)) start.converged++;
      continue;
    }
    if (u.key[0] !== "level") continue;
    const li = u.key[2] as number;
    if ((u.key[1] as number) >= c.networks || li >= L) continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (!m || m.failed || typeof m.converged !== "boolean") continue;
      levels[l].n[li]++;
      if (m.converged) levels[l].converged[li]++;
    }
  }
  for (const l of LINEAGES) {
    levels[l].fraction = levels[l].n.map((n, li) => (n > 0 ? levels[l].converged[li] / n : null));
  }
  start.fraction = start.n > 0 ? start.converged / start.n : null;
  return { levels, start };
}

/**
 * The Fig 5E group of a network, 1-4 (x = 0.25, 0.5, 0.75, 1) or 0 (not shown), in the two
 * groupings (spec D14): the code's counts the conditions answered correctly on one probe (onset 20,
 * strength 0.2, `exampleCorrect`); the legend's ("correct across all probe trials, across
 * conditions, the number of times indicated on the x axis") takes the fraction of all probe
 * trials (6 onsets x 5 non-zero strengths x 4 conditions) answered correctly, i.e. the probe
 * accuracy, to the nearest quarter.
 */
export const FIG5E_GROUPINGS = {
  code: {
    label: "conditions correct on the code's probe (onset 20, strength 0.2)",
    group: (m: LineageMetrics): number | null =>
      typeof m.exampleCorrect === "number" ? m.exampleCorrect : null,
  },
  legend: {
    label: "fraction of all probe trials correct, to the nearest quarter (the legend's grouping)",
    group: (m: LineageMetrics): number | null =>
      typeof m.probeAccuracy === "number" ? Math.round(m.probeAccuracy * 4) : null,
  },
} as const;

/** Mean maximal LE per Fig 5E group (1-4) of one lineage, with SEM and count. */
export interface LeByGroup {
  /** Mean max LE per group (null: empty). */
  mean: (number | null)[];
  /** SEM per group (null: fewer than two). */
  sem: (number | null)[];
  /** Networks per group. */
  n: number[];
}

function leByGroup(
  nets: readonly (LineageMetrics | null)[],
  group: (m: LineageMetrics) => number | null,
): LeByGroup {
  const groups: number[][] = [[], [], [], []];
  for (const m of nets) {
    const g = m ? group(m) : null;
    if (m && g !== null && g > 0 && typeof m.maxLE === "number") groups[g - 1].push(m.maxLE);
  }
  return {
    mean: groups.map((g) => (g.length ? mean(g) : null)),
    sem: groups.map((g) => (g.length > 1 ? sem(g) : null)),
    n: groups.map((g) => g.length),
  };
}

/** Each network's metrics of both lineages at level index li (null: missing or failed). */
export function networksAtLevel(
  c: Fig5Config,
  units: UnitEntry[],
  li: number,
): Record<Lineage, (LineageMetrics | null)[]> {
  const perNet: Record<Lineage, (LineageMetrics | null)[]> = {
    pruned: new Array(c.networks).fill(null),
    unpruned: new Array(c.networks).fill(null),
  };
  for (const u of units) {
    if (u.key[0] !== "level" || u.key[2] !== li) continue;
    for (const l of LINEAGES) {
      const m = u.record.metrics[l] as LineageMetrics | undefined;
      if (m && !m.failed && (u.key[1] as number) < c.networks) perNet[l][u.key[1] as number] = m;
    }
  }
  return perNet;
}

/**
 * Per network, accuracy by probe onset (mean over the non-zero strengths, Fig 5B) and by strength
 * (mean over the onsets, Fig 5C): rows[network][onset or strength] of each lineage.
 */
export function probeRows(
  perNet: Record<Lineage, (LineageMetrics | null)[]>,
): {
  byOnset: Record<Lineage, (number | null)[][]>;
  byStrength: Record<Lineage, (number | null)[][]>;
} {
  const nonZero = PROBE_STRENGTHS.map((s, si) => [s, si] as const).filter(([s]) => s !== 0);
  const byOnsetRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? m.probeTable.map((row) => mean(nonZero.map(([, si]) => row[si]))) : []
    );
  const byStrengthRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? PROBE_STRENGTHS.map((_, si) => mean(m.probeTable!.map((row) => row[si]))) : []
    );
  return {
    byOnset: { pruned: byOnsetRows("pruned"), unpruned: byOnsetRows("unpruned") },
    byStrength: { pruned: byStrengthRows("pruned"), unpruned: byStrengthRows("unpruned") },
  };
}

/** Level-specific breakdowns (Fig 5B, 5C, 5E, 5F) at level index li. */
export function fig5AtLevel(c: Fig5Config, units: UnitEntry[], li: number): {
  byOnset: Record<Lineage, MeanSem>;
  byStrength: Record<Lineage, MeanSem>;
  byOnsetP: (number | null)[];
  byStrengthP: (number | null)[];
  leByCorrect: Record<Lineage, LeByGroup>;
  leByCorrectAllTrials: Record<Lineage, LeByGroup>;
  histogram: Record<Lineage, number[]>;
} {
  const perNet = networksAtLevel(c, units, li);
  const pcols = (a: (number | null)[][], b: (number | null)[][], len: number): (number | null)[] =>
    Array.from(
      { length: len },
      (_, k) => pairedP(a.map((r) => r[k] ?? null), b.map((r) => r[k] ?? null)),
    );
  const leByCorrect = {} as Record<Lineage, LeByGroup>;
  const leByCorrectAllTrials = {} as Record<Lineage, LeByGroup>;
  const histogram = {} as Record<Lineage, number[]>;
  for (const l of LINEAGES) {
    leByCorrect[l] = leByGroup(perNet[l], FIG5E_GROUPINGS.code.group);
    leByCorrectAllTrials[l] = leByGroup(perNet[l], FIG5E_GROUPINGS.legend.group);
    const hists = perNet[l].filter((m): m is LineageMetrics => Boolean(m?.histogram)).map((m) =>
      m.histogram!
    );
    histogram[l] = DMS_HIST_CENTRES.map((
      _,
      b,
    ) => (hists.length ? mean(hists.map((h) => h[b])) : 0));
  }
  const { byOnset: bo, byStrength: bs } = probeRows(perNet);
  return {
    byOnset: { pruned: columnMeanSem(bo.pruned), unpruned: columnMeanSem(bo.unpruned) },
    byStrength: { pruned: columnMeanSem(bs.pruned), unpruned: columnMeanSem(bs.unpruned) },
    byOnsetP: pcols(bo.pruned, bo.unpruned, PROBE_ONSETS.length),
    byStrengthP: pcols(bs.pruned, bs.unpruned, PROBE_STRENGTHS.length),
    leByCorrect,
    leByCorrectAllTrials,
    histogram,
  };
}

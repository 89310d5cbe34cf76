/**
 * Aggregation of a Fig 5 run's unit metrics (never blobs): per level and lineage the mean and SEM
 * over networks of every metric with paired t-tests (core/app/paired_lineages.ts), the failures,
 * and the breakdowns at one level that Fig 5B, 5C, 5E and 5F plot.
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
  pairedP,
} from "../../core/app/paired_lineages.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import { mean, sem } from "../../core/util/stats.ts";
import type { Fig5Config } from "./config.ts";
import type { LineageMetrics } from "./protocol.ts";

type MetricTables = Record<string, Record<Lineage, (number | null)[][]>>;

/** Per-network tables rows[network][level] of every metric and lineage, in one pass over units. */
function metricTables(units: UnitEntry[], c: Fig5Config): MetricTables {
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
  return { levels: c.levels, lineages, pValues, n, failures };
}

/** Level-specific breakdowns (Fig 5B, 5C, 5E, 5F) at level index li. */
export function fig5AtLevel(c: Fig5Config, units: UnitEntry[], li: number): {
  byOnset: Record<Lineage, MeanSem>;
  byStrength: Record<Lineage, MeanSem>;
  byOnsetP: (number | null)[];
  byStrengthP: (number | null)[];
  leByCorrect: Record<Lineage, { mean: (number | null)[]; sem: (number | null)[]; n: number[] }>;
  histogram: Record<Lineage, number[]>;
} {
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
  const nonZero = PROBE_STRENGTHS.map((s, si) => [s, si] as const).filter(([s]) => s !== 0);
  const byOnsetRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? m.probeTable.map((row) => mean(nonZero.map(([, si]) => row[si]))) : []
    );
  const byStrengthRows = (l: Lineage): (number | null)[][] =>
    perNet[l].map((m) =>
      m?.probeTable ? PROBE_STRENGTHS.map((_, si) => mean(m.probeTable!.map((row) => row[si]))) : []
    );
  const pcols = (a: (number | null)[][], b: (number | null)[][], len: number): (number | null)[] =>
    Array.from(
      { length: len },
      (_, k) => pairedP(a.map((r) => r[k] ?? null), b.map((r) => r[k] ?? null)),
    );
  const leByCorrect = {} as Record<
    Lineage,
    { mean: (number | null)[]; sem: (number | null)[]; n: number[] }
  >;
  const histogram = {} as Record<Lineage, number[]>;
  for (const l of LINEAGES) {
    const groups: number[][] = [[], [], [], []];
    for (const m of perNet[l]) {
      if (m && m.exampleCorrect && m.exampleCorrect > 0 && typeof m.maxLE === "number") {
        groups[m.exampleCorrect - 1].push(m.maxLE);
      }
    }
    leByCorrect[l] = {
      mean: groups.map((g) => (g.length ? mean(g) : null)),
      sem: groups.map((g) => (g.length > 1 ? sem(g) : null)),
      n: groups.map((g) => g.length),
    };
    const hists = perNet[l].filter((m): m is LineageMetrics => Boolean(m?.histogram)).map((m) =>
      m.histogram!
    );
    histogram[l] = DMS_HIST_CENTRES.map((
      _,
      b,
    ) => (hists.length ? mean(hists.map((h) => h[b])) : 0));
  }
  const bo = { pruned: byOnsetRows("pruned"), unpruned: byOnsetRows("unpruned") };
  const bs = { pruned: byStrengthRows("pruned"), unpruned: byStrengthRows("unpruned") };
  return {
    byOnset: { pruned: columnMeanSem(bo.pruned), unpruned: columnMeanSem(bo.unpruned) },
    byStrength: { pruned: columnMeanSem(bs.pruned), unpruned: columnMeanSem(bs.unpruned) },
    byOnsetP: pcols(bo.pruned, bo.unpruned, PROBE_ONSETS.length),
    byStrengthP: pcols(bs.pruned, bs.unpruned, PROBE_STRENGTHS.length),
    leByCorrect,
    histogram,
  };
}

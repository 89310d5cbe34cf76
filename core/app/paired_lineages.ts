/**
 * Pruned versus matched unpruned lineages, the comparison every Averbeck figure makes (fig5, fig7,
 * dms-new-problem, the example figures), in one module so that the `--out` JSON, the terminal
 * tables and the dashboard panels of every figure compute and state their statistics alike:
 *
 * - per metric, the mean and SEM over networks of each lineage at every x (a prune level, an
 *   outer iteration) and the two-sided paired t-test across networks at each x
 *   ({@link comparePaired}, {@link compareCurves});
 * - per x, the paired effect (mean difference with its t interval), the Holm-adjusted p over the
 *   x values and, for small n, the exact Wilcoxon signed-rank p ({@link pairedColumns});
 * - dashboard series of those numbers with n, p, Holm p, effect and the declared test
 *   ({@link pairedComparison}), or from aggregated means only ({@link meanSemSeries}).
 *
 * The papers mark p < 0.01 of the uncorrected paired t-test (spec 8.8); a figure that reproduces a
 * paper keeps that rule for its marks and reports Holm as an extra column.
 *
 * @module
 */
import {
  holmAdjust,
  mean,
  meanSem,
  pairedDiffs,
  pairedEffect,
  pairedTTest,
  sd,
  sem,
  wilcoxonSignedRank,
} from "../util/stats.ts";
import type { ErrorKind, PanelSeries, PanelTest, PointEffect } from "./panels.ts";

/** The two lineages. */
export type Lineage = "pruned" | "unpruned";

/** The lineages in the order of tables, JSON and legends. */
export const LINEAGES: readonly Lineage[] = ["pruned", "unpruned"];

/** The papers' significance level of the paired t-tests (spec 8.8). */
export const SIGNIFICANCE = 0.01;

/** A value of one network at one x; null or undefined where it has none. */
export type Cell = number | null | undefined;

/** Per-network rows of one metric: rows[network][x]. */
export type Rows = readonly (readonly Cell[])[];

/** Mean and SEM per x (null where there is no finite value). */
export interface MeanSem {
  /** Means over networks. */
  mean: (number | null)[];
  /** Standard errors of the means (sd / sqrt(n)). */
  sem: (number | null)[];
}

/** One metric compared between the lineages. */
export interface PairedMetric {
  /** Mean and SEM per x of each lineage. */
  lineages: Record<Lineage, MeanSem>;
  /** Paired t-test p per x, over networks with values in both lineages (null: fewer than 2). */
  p: (number | null)[];
  /** Networks with a value per x and lineage. */
  n: Record<Lineage, number[]>;
}

/** A finite number, or null. */
export function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Mean and SEM of each column over the rows (ragged rows count where they have the column). */
export function columnMeanSem(rows: Rows): MeanSem {
  const ms = meanSem(rows);
  return { mean: ms.mean.map(finite), sem: ms.sem.map(finite) };
}

/** The paired t-test p of two columns, null where it is not finite. */
export function pairedP(a: readonly Cell[], b: readonly Cell[]): number | null {
  return finite(pairedTTest(a, b).p);
}

/** Compares one metric at `columns` x values: rows[network][x] of each lineage. */
export function comparePaired(rows: Record<Lineage, Rows>, columns: number): PairedMetric {
  const column = (r: Rows, c: number): Cell[] => r.map((row) => row[c]);
  const count = (r: Rows, c: number): number =>
    column(r, c).filter((v) => v !== null && v !== undefined).length;
  return {
    lineages: { pruned: columnMeanSem(rows.pruned), unpruned: columnMeanSem(rows.unpruned) },
    p: Array.from(
      { length: columns },
      (_, c) => pairedP(column(rows.pruned, c), column(rows.unpruned, c)),
    ),
    n: {
      pruned: Array.from({ length: columns }, (_, c) => count(rows.pruned, c)),
      unpruned: Array.from({ length: columns }, (_, c) => count(rows.unpruned, c)),
    },
  };
}

/** Options of {@link meanSemSeries}. */
export interface SeriesOptions {
  /** Colour hint (default the label, for the shared "pruned" / "unpruned" colours). */
  color?: string;
  /** p per x: marks where p < {@link SIGNIFICANCE}. */
  p?: readonly (number | null)[];
}

/** A dashboard line of means with SEM error bars, marked where a paired test is significant. */
export function meanSemSeries(
  label: string,
  x: readonly (number | string)[],
  ms: MeanSem,
  options: SeriesOptions = {},
): PanelSeries {
  return {
    label,
    color: options.color ?? label,
    x: [...x],
    y: ms.mean,
    err: ms.sem,
    ...(options.p ? { significant: options.p.map((v) => v !== null && v < SIGNIFICANCE) } : {}),
  };
}

/** Per-network curves (e.g. loss per outer iteration) of both lineages compared. */
export interface CurveComparison {
  /** Networks. */
  n: number;
  /** x of the curves: 1, 2, ... up to the longest pruned curve. */
  iterations: number[];
  /** Mean and SEM per entry of each lineage's curves. */
  curves: Record<Lineage, MeanSem>;
  /** The curves' last values: mean per lineage and the paired t-test p. */
  final: { pruned: number | null; unpruned: number | null; p: number | null };
}

/** Compares per-network curves, rows[network][entry], of the two lineages (paired by network). */
export function compareCurves(rows: Record<Lineage, Rows>): CurveComparison {
  const last = (r: Rows): number[] => r.map((row) => row.at(-1) ?? NaN);
  const finalP = last(rows.pruned);
  const finalU = last(rows.unpruned);
  const len = Math.max(...rows.pruned.map((r) => r.length));
  return {
    n: rows.pruned.length,
    iterations: Array.from({ length: len }, (_, i) => i + 1),
    curves: { pruned: columnMeanSem(rows.pruned), unpruned: columnMeanSem(rows.unpruned) },
    final: {
      pruned: finite(mean(finalP)),
      unpruned: finite(mean(finalU)),
      p: pairedP(finalP, finalU),
    },
  };
}

/** Below this many complete pairs {@link pairedColumns} adds the exact Wilcoxon signed-rank p. */
export const SMALL_N = 30;

/** The paired statistics of one x. */
export interface PairedStat {
  /** Complete pairs. */
  n: number;
  /** Mean difference a - b (null with no pair). */
  meanDiff: number | null;
  /** t interval of the mean difference at the requested level (null for n < 2). */
  ci: [number, number] | null;
  /** Two-sided paired t-test p (null for n < 2 or no spread). */
  p: number | null;
  /** Holm-adjusted p over the x values of the comparison (the family). */
  pHolm: number | null;
  /** Exact Wilcoxon signed-rank p when n < {@link SMALL_N} (null otherwise or undefined). */
  wilcoxonP: number | null;
  /** Standard deviation of the differences (for power). */
  sdDiff: number | null;
}

/** Options of {@link pairedColumns}. */
export interface PairedColumnsOptions {
  /** Number of x values (columns). */
  columns: number;
  /** Confidence level of the intervals (default 0.95). */
  level?: number;
}

/** A column of rows[network][x]. */
function column(rows: Rows, c: number): Cell[] {
  return rows.map((row) => row[c]);
}

/**
 * Per x, the paired comparison of a and b over complete pairs: mean difference a - b with its t
 * interval, the paired t-test p, Holm over the x values, the sd of the differences and, for small
 * n, the exact Wilcoxon signed-rank p.
 */
export function pairedColumns(a: Rows, b: Rows, options: PairedColumnsOptions): PairedStat[] {
  const out: PairedStat[] = [];
  for (let c = 0; c < options.columns; c++) {
    const ca = column(a, c);
    const cb = column(b, c);
    const e = pairedEffect(ca, cb, { level: options.level ?? 0.95 });
    const diffs = pairedDiffs(ca, cb);
    out.push({
      n: e.n,
      meanDiff: e.n > 0 ? finite(e.meanDiff) : null,
      ci: e.n >= 2 && Number.isFinite(e.meanDiffCi[0]) ? e.meanDiffCi : null,
      p: finite(pairedTTest(ca, cb).p),
      pHolm: null,
      wilcoxonP: e.n >= 1 && e.n < SMALL_N ? finite(wilcoxonSignedRank(ca, cb).p) : null,
      sdDiff: finite(sd(diffs)),
    });
  }
  const holm = holmAdjust(out.map((s) => s.p));
  out.forEach((s, i) => (s.pHolm = holm[i]));
  return out;
}

/** Options of {@link pairedComparison}. */
export interface PairedComparisonOptions {
  /** x values (one per column of the rows). */
  x: (number | string)[];
  /** Series labels, default ["pruned", "unpruned"]. */
  labels?: [string, string];
  /** Colour hints, default the labels (the shared "pruned" / "unpruned" colours). */
  colors?: [string, string];
  /** Test behind the marks: "t" (paired t-test, the papers') or "wilcoxon" (exact signed-rank). */
  test?: "t" | "wilcoxon";
  /** Significance level (default 0.01, the papers'). */
  alpha?: number;
  /**
   * Correction of the marks over the x values (default "holm"); with "none" (the papers' rule)
   * the series still carry the Holm-adjusted p as an extra column.
   */
  correction?: "holm" | "none";
  /** Error bars: "sem" (default), "sd" or "ci95" (t interval of the mean). */
  errorKind?: ErrorKind;
  /** Confidence level of the effect intervals (default 0.95). */
  effectLevel?: number;
}

/** Result of {@link pairedComparison}. */
export interface PairedComparison {
  /** The two series (a, then b); both carry the comparison's n, p and effect. */
  series: [PanelSeries, PanelSeries];
  /** What the marks mean. */
  test: PanelTest;
  /** Exact Wilcoxon signed-rank p per x below {@link SMALL_N} pairs (null otherwise). */
  wilcoxon: (number | null)[];
}

function errorOf(values: Cell[], kind: ErrorKind): number | null {
  if (kind === "sd") return finite(sd(values));
  const s = sem(values);
  if (kind === "sem") return finite(s);
  const n = values.filter((v) => typeof v === "number" && Number.isFinite(v)).length;
  // The half-width of the mean's 95% t interval is sem times the t quantile; pairedEffect of the
  // values against zero computes exactly that interval.
  const e = pairedEffect(values, values.map(() => 0));
  return n >= 2 ? finite(e.meanDiffCi[1] - e.meanDiff) : null;
}

/**
 * Compares two lineages column by column over complete pairs, rows[network][x] of a and b, as two
 * dashboard series. Marks are `p < alpha` of the chosen test after the chosen correction; every
 * series carries n, the test's p, the Holm-adjusted p and the effect (mean difference a - b with
 * its t interval).
 */
export function pairedComparison(
  a: Rows,
  b: Rows,
  options: PairedComparisonOptions,
): PairedComparison {
  const labels = options.labels ?? ["pruned", "unpruned"];
  const colors = options.colors ?? labels;
  const alpha = options.alpha ?? 0.01;
  const kind = options.errorKind ?? "sem";
  const correction = options.correction ?? "holm";
  const useWilcoxon = options.test === "wilcoxon";
  const level = options.effectLevel ?? 0.95;
  const cols = options.x.length;
  const stats = pairedColumns(a, b, { columns: cols, level });
  const p = useWilcoxon
    ? Array.from(
      { length: cols },
      (_, c) => finite(wilcoxonSignedRank(column(a, c), column(b, c)).p),
    )
    : stats.map((s) => s.p);
  const holm = useWilcoxon ? holmAdjust(p) : stats.map((s) => s.pHolm);
  const marked = correction === "holm" ? holm : p;
  const family = holm.filter((v) => v !== null).length;
  const effect: (PointEffect | null)[] = stats.map((s) =>
    s.ci && s.meanDiff !== null ? { value: s.meanDiff, low: s.ci[0], high: s.ci[1] } : null
  );
  const make = (rows: Rows, i: 0 | 1): PanelSeries => ({
    label: labels[i],
    color: colors[i],
    x: options.x.slice(),
    y: Array.from({ length: cols }, (_, c) => finite(mean(column(rows, c)))),
    err: Array.from({ length: cols }, (_, c) => errorOf(column(rows, c), kind)),
    n: stats.map((s) => s.n),
    p: p.slice(),
    pAdjusted: holm.slice(),
    effect: effect.slice(),
    significant: marked.map((v) => v !== null && v < alpha),
  });
  const test: PanelTest = {
    test: useWilcoxon ? "Wilcoxon signed-rank test (exact)" : "paired t-test",
    alpha,
    correction,
    ...(correction === "none" ? {} : { family }),
    effect: `mean difference ${labels[0]} - ${labels[1]}, ${Math.round(level * 100)}% t interval`,
  };
  return { series: [make(a, 0), make(b, 1)], test, wilcoxon: stats.map((s) => s.wilcoxonP) };
}

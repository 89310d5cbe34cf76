/**
 * Pruned versus matched unpruned lineages, the comparison every Averbeck figure makes (fig5, fig7,
 * dms-new-problem): per metric, the mean and SEM over networks of each lineage at every x (a prune
 * level, an outer iteration) and the paired t-test across networks at each x; and the dashboard
 * series of those numbers with the papers' significance marks (p < 0.01). One module, so the
 * `--out` JSON, the terminal tables and the panels of every figure compute them alike.
 *
 * @module
 */
import { mean, meanSem, pairedTTest } from "../util/stats.ts";
import type { PanelSeries } from "./panels.ts";

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

/**
 * Paired comparisons as dashboard series: one call turns per-network values of two lineages
 * (pruned and unpruned, rows[network][x]) into two {@link PanelSeries} that carry mean, error,
 * n, p, Holm-adjusted p, the effect size with its confidence interval and the significance marks,
 * plus the {@link PanelTest} that says which test and correction the marks use. Experiments call
 * it instead of assembling these fields by hand, so every figure states its statistics the same
 * way (issue 18 item 4).
 *
 * @module
 */
import {
  holmAdjust,
  mean,
  pairedEffect,
  pairedTTest,
  sd,
  sem,
  wilcoxonSignedRank,
} from "../util/stats.ts";
import type { ErrorKind, PanelSeries, PanelTest, PointEffect } from "./panels.ts";

type Cell = number | null | undefined;

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
  /** Multiple-comparison correction over the x values (default "holm"). */
  correction?: "holm" | "none";
  /** Error bars: "sem" (default), "sd" or "ci95" (t interval of the mean). */
  errorKind?: ErrorKind;
}

/** Result of {@link pairedComparison}. */
export interface PairedComparison {
  /** The two series (a, then b); both carry the comparison's n, p and effect. */
  series: [PanelSeries, PanelSeries];
  /** What the marks mean. */
  test: PanelTest;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
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
 * Compares two lineages column by column over complete pairs: rows[network][x] of a and b.
 * Marks are `adjusted p < alpha`; the effect is the mean difference a - b with its 95% t interval.
 */
export function pairedComparison(
  a: readonly (readonly Cell[])[],
  b: readonly (readonly Cell[])[],
  options: PairedComparisonOptions,
): PairedComparison {
  const labels = options.labels ?? ["pruned", "unpruned"];
  const colors = options.colors ?? labels;
  const alpha = options.alpha ?? 0.01;
  const kind = options.errorKind ?? "sem";
  const correction = options.correction ?? "holm";
  const useWilcoxon = options.test === "wilcoxon";
  const cols = options.x.length;
  const col = (rows: readonly (readonly Cell[])[], c: number): Cell[] => rows.map((r) => r[c]);
  const p: (number | null)[] = [];
  const n: (number | null)[] = [];
  const effect: (PointEffect | null)[] = [];
  for (let c = 0; c < cols; c++) {
    const ca = col(a, c);
    const cb = col(b, c);
    const e = pairedEffect(ca, cb);
    n.push(e.n);
    const pv = useWilcoxon ? wilcoxonSignedRank(ca, cb).p : pairedTTest(ca, cb).p;
    p.push(finite(pv));
    effect.push(
      Number.isFinite(e.meanDiffCi[0])
        ? { value: e.meanDiff, low: e.meanDiffCi[0], high: e.meanDiffCi[1] }
        : null,
    );
  }
  const adjusted = correction === "holm" ? holmAdjust(p) : p.slice();
  const family = adjusted.filter((v) => v !== null).length;
  const significant = adjusted.map((v) => v !== null && v < alpha);
  const make = (rows: readonly (readonly Cell[])[], i: 0 | 1): PanelSeries => ({
    label: labels[i],
    color: colors[i],
    x: options.x.slice(),
    y: Array.from({ length: cols }, (_, c) => finite(mean(col(rows, c)))),
    err: Array.from({ length: cols }, (_, c) => errorOf(col(rows, c), kind)),
    n: n.slice(),
    p: p.slice(),
    pAdjusted: adjusted.slice(),
    effect: effect.slice(),
    significant: significant.slice(),
  });
  const test: PanelTest = {
    test: useWilcoxon ? "Wilcoxon signed-rank test (exact)" : "paired t-test",
    alpha,
    correction,
    ...(correction === "none" ? {} : { family }),
    effect: `mean difference ${labels[0]} - ${labels[1]}, 95% t interval`,
  };
  return { series: [make(a, 0), make(b, 1)], test };
}

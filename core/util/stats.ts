/**
 * Statistics of the population figures (spec 8.8): mean, SEM = sd / sqrt(n), and the two-sided
 * paired t-test (one-sample t-test of the per-network differences) with p-values from jstat's
 * Student-t distribution. Missing values (null, NaN) are dropped, pairwise for the t-test.
 *
 * @module
 */
import jStat from "jstat";

type Maybe = number | null | undefined;

function clean(values: readonly Maybe[]): number[] {
  return values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}

/** Mean of the finite values (NaN when none). */
export function mean(values: readonly Maybe[]): number {
  const v = clean(values);
  if (v.length === 0) return NaN;
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Sample standard deviation (divisor n - 1; NaN for n < 2). */
export function sd(values: readonly Maybe[]): number {
  const v = clean(values);
  if (v.length < 2) return NaN;
  const m = mean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / (v.length - 1));
}

/** Standard error of the mean, sd / sqrt(n). */
export function sem(values: readonly Maybe[]): number {
  const n = clean(values).length;
  return n < 2 ? NaN : sd(values) / Math.sqrt(n);
}

/** Mean and SEM per column: `rows[network][x]` -> {mean[x], sem[x]}. */
export function meanSem(rows: readonly (readonly Maybe[])[]): { mean: number[]; sem: number[] } {
  const cols = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const means: number[] = [];
  const sems: number[] = [];
  for (let c = 0; c < cols; c++) {
    const col = rows.map((r) => r[c]);
    means.push(mean(col));
    sems.push(sem(col));
  }
  return { mean: means, sem: sems };
}

/** Result of a paired t-test. */
export interface TTestResult {
  /** t statistic. */
  t: number;
  /** Degrees of freedom. */
  df: number;
  /** Two-sided p-value (NaN when undefined). */
  p: number;
  /** Number of complete pairs. */
  n: number;
}

/** Two-sided paired t-test of a - b over complete pairs. */
export function pairedTTest(a: readonly Maybe[], b: readonly Maybe[]): TTestResult {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (
      typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)
    ) {
      diffs.push(x - y);
    }
  }
  const n = diffs.length;
  if (n < 2) return { t: NaN, df: n - 1, p: NaN, n };
  const m = mean(diffs);
  const s = sd(diffs);
  if (s === 0) {
    return { t: m === 0 ? NaN : Math.sign(m) * Infinity, df: n - 1, p: m === 0 ? NaN : 0, n };
  }
  const t = m / (s / Math.sqrt(n));
  const p = 2 * (1 - jStat.studentt.cdf(Math.abs(t), n - 1));
  return { t, df: n - 1, p, n };
}

/** Pearson correlation of complete pairs (NaN for fewer than 3). */
export function pearson(a: readonly Maybe[], b: readonly Maybe[]): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (
      typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)
    ) {
      xs.push(x);
      ys.push(y);
    }
  }
  if (xs.length < 3) return NaN;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

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

/** Complete pairs of a and b (both finite), as differences a - b. */
export function pairedDiffs(a: readonly Maybe[], b: readonly Maybe[]): number[] {
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
  return diffs;
}

/** Result of a Wilcoxon signed-rank test. */
export interface WilcoxonResult {
  /** W+ = sum of the ranks of the positive differences (R's V). */
  statistic: number;
  /** Two-sided p-value (NaN when no non-zero difference). */
  p: number;
  /** Non-zero differences used (zero differences are dropped, Wilcoxon's convention). */
  n: number;
  /** Zero differences dropped. */
  zeros: number;
  /** True when p comes from the exact permutation distribution, false for the normal approximation. */
  exact: boolean;
  /** Matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-), in [-1, 1]. */
  rankBiserial: number;
  /** Smallest two-sided p-value this n can reach (exact test), so "cannot be significant" is visible. */
  minP: number;
}

/** Options of {@link wilcoxonSignedRank}. */
export interface WilcoxonOptions {
  /** Largest n for the exact distribution (default 50); above it the normal approximation. */
  exactMaxN?: number;
}

/**
 * Two-sided Wilcoxon signed-rank test of the paired differences a - b over complete pairs.
 *
 * Zero differences are dropped; tied absolute differences get mid-ranks. For n <= `exactMaxN` the
 * p-value is exact even with ties: the permutation distribution of W+ over all 2^n sign patterns
 * of the actual (mid-)ranks, counted by dynamic programming over doubled ranks (integers), which
 * is what enumerating the patterns gives (checked by enumeration in tests/stats_paired_test.ts).
 * Above it: normal approximation with the tie-corrected variance and a continuity correction
 * (R's `wilcox.test(..., exact = FALSE, correct = TRUE)`).
 */
export function wilcoxonSignedRank(
  a: readonly Maybe[],
  b: readonly Maybe[],
  options: WilcoxonOptions = {},
): WilcoxonResult {
  const all = pairedDiffs(a, b);
  const diffs = all.filter((d) => d !== 0);
  const n = diffs.length;
  const zeros = all.length - n;
  if (n === 0) {
    return { statistic: 0, p: NaN, n, zeros, exact: true, rankBiserial: NaN, minP: NaN };
  }
  const order = diffs.map((d, i) => ({ abs: Math.abs(d), i })).sort((x, y) => x.abs - y.abs);
  // Doubled mid-ranks: a tied group spanning ranks r..s gets (r + s), an integer.
  const rank2 = new Array<number>(n);
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1].abs === order[i].abs) j++;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) rank2[order[k].i] = i + 1 + j + 1;
    i = j + 1;
  }
  let w2 = 0;
  for (let i = 0; i < n; i++) if (diffs[i] > 0) w2 += rank2[i];
  const total2 = n * (n + 1);
  const statistic = w2 / 2;
  const rankBiserial = (2 * w2 - total2) / total2;
  const exact = n <= (options.exactMaxN ?? 50);
  // The smallest possible p: all signs equal, probability 2 / 2^n (exact, two-sided).
  const minP = Math.min(1, 2 / 2 ** n);
  if (exact) {
    // dist[s] = P(2 W+ = s) under random signs.
    let dist = new Float64Array(total2 + 1);
    dist[0] = 1;
    let reach = 0;
    for (const r of rank2) {
      const next = new Float64Array(total2 + 1);
      for (let s = 0; s <= reach; s++) {
        if (dist[s] === 0) continue;
        next[s] += dist[s] / 2;
        next[s + r] += dist[s] / 2;
      }
      reach += r;
      dist = next;
    }
    let lower = 0, upper = 0;
    // Values are integers, so compare with a tolerance-free integer statistic.
    for (let s = 0; s <= total2; s++) {
      if (s <= w2) lower += dist[s];
      if (s >= w2) upper += dist[s];
    }
    const p = Math.min(1, 2 * Math.min(lower, upper));
    return { statistic, p, n, zeros, exact, rankBiserial, minP };
  }
  const mu = n * (n + 1) / 4;
  const sigma = Math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tieTerm / 48);
  const dev = statistic - mu;
  const z = sigma > 0 ? (dev - Math.sign(dev) * 0.5) / sigma : 0;
  const p = Math.min(1, 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1)));
  return { statistic, p, n, zeros, exact, rankBiserial, minP };
}

/**
 * Holm's step-down adjustment of a family of p-values (controls the family-wise error rate).
 * Missing values (null, NaN) stay null and are not counted in the family; the result is in the
 * input order, monotone in the sorted order and capped at 1 (R's `p.adjust(p, "holm")`).
 */
export function holmAdjust(pValues: readonly Maybe[]): (number | null)[] {
  const idx: number[] = [];
  pValues.forEach((p, i) => {
    if (typeof p === "number" && Number.isFinite(p)) idx.push(i);
  });
  idx.sort((x, y) => (pValues[x] as number) - (pValues[y] as number));
  const out: (number | null)[] = pValues.map(() => null);
  const m = idx.length;
  let running = 0;
  idx.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * (pValues[i] as number)));
    out[i] = running;
  });
  return out;
}

/** Effect size of paired data a - b with confidence intervals. */
export interface PairedEffect {
  /** Complete pairs. */
  n: number;
  /** Mean difference a - b. */
  meanDiff: number;
  /** Confidence interval of the mean difference (Student t). */
  meanDiffCi: [number, number];
  /** Cohen's d_z = mean difference / sd of the differences. */
  dz: number;
  /** Exact confidence interval of d_z (noncentral t inversion, Steiger and Fouladi). */
  dzCi: [number, number];
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/** Options of {@link pairedEffect}. */
export interface PairedEffectOptions {
  /** Confidence level (default 0.95). */
  level?: number;
}

/** The noncentrality ncp with noncentral-t cdf(t; df, ncp) = target (cdf decreases in ncp). */
function solveNcp(t: number, df: number, target: number): number {
  const cdf = (ncp: number): number => jStat.noncentralt.cdf(t, df, ncp);
  // Widen the bracket geometrically: a fixed step never moves a bound of magnitude 1e16 (a t
  // from differences that are equal up to rounding), which used to loop forever.
  let lo = t - 10, hi = t + 10;
  for (let k = 0; k < 200 && cdf(lo) < target; k++) lo -= 10 * 2 ** k;
  for (let k = 0; k < 200 && cdf(hi) > target; k++) hi += 10 * 2 ** k;
  for (let k = 0; k < 200 && hi - lo > 1e-10 * Math.max(1, Math.abs(lo)); k++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Effect size of paired data over complete pairs: the mean difference a - b with its t interval,
 * and the standardised d_z with its exact interval from the noncentral t distribution (jstat).
 * NaN fields when n < 2; d_z and its interval are NaN when the differences have no spread.
 */
export function pairedEffect(
  a: readonly Maybe[],
  b: readonly Maybe[],
  options: PairedEffectOptions = {},
): PairedEffect {
  const level = options.level ?? 0.95;
  const d = pairedDiffs(a, b);
  const n = d.length;
  const nan: [number, number] = [NaN, NaN];
  if (n < 2) {
    return { n, meanDiff: n ? d[0] : NaN, meanDiffCi: nan, dz: NaN, dzCi: nan, level };
  }
  const m = mean(d);
  const s = sd(d);
  const q = jStat.studentt.inv(1 - (1 - level) / 2, n - 1);
  const half = q * s / Math.sqrt(n);
  const meanDiffCi: [number, number] = [m - half, m + half];
  // Differences equal up to rounding have no spread worth standardising by.
  if (!(s > 1e-12 * Math.abs(m))) return { n, meanDiff: m, meanDiffCi, dz: NaN, dzCi: nan, level };
  const t = m / (s / Math.sqrt(n));
  const alpha = 1 - level;
  const lowNcp = solveNcp(t, n - 1, 1 - alpha / 2);
  const highNcp = solveNcp(t, n - 1, alpha / 2);
  return {
    n,
    meanDiff: m,
    meanDiffCi,
    dz: m / s,
    dzCi: [lowNcp / Math.sqrt(n), highNcp / Math.sqrt(n)],
    level,
  };
}

/** Options of {@link nForPairedPower}. */
export interface PowerOptions {
  /** Two-sided significance level (default 0.01, the papers'). */
  alpha?: number;
  /** Wanted power (default 0.8). */
  power?: number;
  /** Largest n searched; beyond it the answer is null (default 1,000,000). */
  maxN?: number;
}

/**
 * Power of a two-sided one-sample (paired) t-test with `n` observations when the true mean
 * difference is `effect` and the sd of the differences is `sd`: the noncentral t distribution with
 * df = n - 1 and noncentrality effect / sd * sqrt(n) beyond the critical values.
 */
export function pairedPower(
  effect: number,
  sd: number,
  options: PowerOptions & { n: number },
): number {
  const alpha = options.alpha ?? 0.01;
  const n = options.n;
  if (!(n >= 2) || !(sd > 0)) return NaN;
  const df = n - 1;
  const crit = jStat.studentt.inv(1 - alpha / 2, df);
  const ncp = (effect / sd) * Math.sqrt(n);
  return 1 - jStat.noncentralt.cdf(crit, df, ncp) + jStat.noncentralt.cdf(-crit, df, ncp);
}

/**
 * The smallest n (pairs) for which a two-sided paired t-test at `alpha` reaches `power` when the
 * true effect and sd are the observed ones: the planning number of a scorecard row. Null when the
 * effect is not positive (no n detects an effect in the paper's direction then), when the sd is not
 * finite, or when more than `maxN` would be needed.
 */
export function nForPairedPower(
  effect: number,
  sd: number,
  options: PowerOptions = {},
): number | null {
  const target = options.power ?? 0.8;
  const maxN = options.maxN ?? 1_000_000;
  if (!(effect > 0) || !Number.isFinite(sd) || sd < 0) return null;
  if (sd === 0) return 2;
  const powerAt = (n: number): number => pairedPower(effect, sd, { ...options, n });
  let hi = 2;
  while (powerAt(hi) < target) {
    if (hi >= maxN) return null;
    hi = Math.min(maxN, hi * 2);
  }
  let lo = Math.max(2, Math.floor(hi / 2));
  if (powerAt(lo) >= target) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (powerAt(mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

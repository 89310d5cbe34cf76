/**
 * Family-A evaluation (spec 7.1): KL(data || model) from generated samples (intersection of the
 * codes present in both, renormalised, with the data mass lost outside it), the exact-model KL,
 * and log-probability matching errors e(c) = (ln pD(c) - ln pS(c))^2, binned by ln pD for panels.
 *
 * @module
 */

/** Sample-based KL of spec 7.1 (DEFAULT) with its diagnostics. */
export interface SampleKl {
  /** KL over the renormalised intersection. */
  kl: number;
  /** Data probability mass on codes absent from the samples. */
  lostMass: number;
  /** Number of codes in the intersection. */
  common: number;
}

/** KL(pD || pS) over codes present in both, each renormalised over the intersection. */
export function sampleKl(dataCounts: ArrayLike<number>, sampleCounts: ArrayLike<number>): SampleKl {
  let dTot = 0;
  let dIn = 0;
  let sIn = 0;
  let common = 0;
  for (let c = 0; c < dataCounts.length; c++) {
    dTot += dataCounts[c];
    if (dataCounts[c] > 0 && sampleCounts[c] > 0) {
      dIn += dataCounts[c];
      sIn += sampleCounts[c];
      common++;
    }
  }
  let kl = 0;
  for (let c = 0; c < dataCounts.length; c++) {
    if (dataCounts[c] > 0 && sampleCounts[c] > 0) {
      const p = dataCounts[c] / dIn;
      const q = sampleCounts[c] / sIn;
      kl += p * Math.log(p / q);
    }
  }
  return { kl, lostMass: dTot > 0 ? 1 - dIn / dTot : 0, common };
}

/** Exact KL(pD || p_model) with exact model log-probabilities over all codes. */
export function exactKl(dataCounts: ArrayLike<number>, logProbs: Float64Array): number {
  let n = 0;
  for (let c = 0; c < dataCounts.length; c++) n += dataCounts[c];
  let kl = 0;
  for (let c = 0; c < dataCounts.length; c++) {
    if (dataCounts[c] > 0) {
      const p = dataCounts[c] / n;
      kl += p * (Math.log(p) - logProbs[c]);
    }
  }
  return kl;
}

/** Lower edges of the ln pD bins used for the log-probability matching panels. */
export const LOGP_BINS: number[] = Array.from({ length: 12 }, (_, k) => -12 + k);

/** Squared log-probability error per code present in both data and samples (NaN elsewhere). */
export function logProbErrors(
  dataCounts: ArrayLike<number>,
  sampleCounts: ArrayLike<number>,
): Float64Array {
  let nd = 0;
  let ns = 0;
  for (let c = 0; c < dataCounts.length; c++) {
    nd += dataCounts[c];
    ns += sampleCounts[c];
  }
  const out = new Float64Array(dataCounts.length).fill(NaN);
  for (let c = 0; c < dataCounts.length; c++) {
    if (dataCounts[c] > 0 && sampleCounts[c] > 0) {
      const d = Math.log(dataCounts[c] / nd) - Math.log(sampleCounts[c] / ns);
      out[c] = d * d;
    }
  }
  return out;
}

/** Mean squared log-probability error per 1-nat bin of ln pD (null where a bin is empty). */
export function binnedLogProbError(
  dataCounts: ArrayLike<number>,
  sampleCounts: ArrayLike<number>,
): (number | null)[] {
  let nd = 0;
  for (let c = 0; c < dataCounts.length; c++) nd += dataCounts[c];
  const e = logProbErrors(dataCounts, sampleCounts);
  const sum = new Float64Array(LOGP_BINS.length);
  const cnt = new Float64Array(LOGP_BINS.length);
  for (let c = 0; c < dataCounts.length; c++) {
    if (Number.isNaN(e[c])) continue;
    const x = Math.log(dataCounts[c] / nd);
    const b = Math.min(LOGP_BINS.length - 1, Math.max(0, Math.floor(x - LOGP_BINS[0])));
    sum[b] += e[c];
    cnt[b]++;
  }
  return Array.from(sum, (s, b) => (cnt[b] > 0 ? s / cnt[b] : null));
}

/**
 * One number per sample set for Fig 2A/B: the mean of (ln pD(c) - ln pS(c))^2 over the data
 * patterns c the samples also produced, weighted by pD(c), so frequent patterns count most (the
 * paper's point is that RW and ANTI mismatch "even some frequent patterns"). Null when the
 * samples share no pattern with the data.
 */
export function weightedLogProbMse(
  dataCounts: ArrayLike<number>,
  sampleCounts: ArrayLike<number>,
): number | null {
  const errs = logProbErrors(dataCounts, sampleCounts);
  let num = 0;
  let den = 0;
  for (let c = 0; c < dataCounts.length; c++) {
    if (dataCounts[c] === 0 || Number.isNaN(errs[c])) continue;
    num += dataCounts[c] * errs[c];
    den += dataCounts[c];
  }
  return den > 0 ? num / den : null;
}

/** Fig 2A's "the error grows for rarer patterns" as two numbers: see {@link logProbErrorByFrequency}. */
export interface LogProbErrorByFrequency {
  /** Mean e(c) over the rarer half's patterns that the samples produced; null if none. */
  rare: number | null;
  /** Mean e(c) over the more frequent half's patterns that the samples produced; null if none. */
  frequent: number | null;
  /** Data patterns in the rarer half (floor of half the distinct data patterns). */
  rarePatterns: number;
  /** Data patterns in the more frequent half. */
  frequentPatterns: number;
  /** Share of the rarer half's patterns the samples produced (e(c) exists only for those). */
  rareGenerated: number;
  /** Share of the more frequent half's patterns the samples produced. */
  frequentGenerated: number;
  /** Largest data count in the rarer half. */
  splitCount: number;
  /**
   * The same two means if the samples were counts drawn from pD itself (Poisson with the data
   * count as mean, N_S = N_D), over the same patterns: what counting noise alone gives.
   */
  noiseFloor: { rare: number | null; frequent: number | null };
}

/**
 * Expected (ln d - ln k)^2 for k ~ Poisson(d) given k > 0: the log-probability error of a pattern
 * seen d times in the data when the samples are as many draws from the data distribution.
 */
export function countingNoiseError(d: number): number {
  let sum = 0;
  let mass = 0;
  // ln P(k) by the recurrence ln P(k) = ln P(k-1) + ln d - ln k (exp(-d) underflows past d ~ 745).
  let lp = -d;
  const kMax = Math.ceil(d + 12 * Math.sqrt(d) + 30);
  for (let k = 1; k <= kMax; k++) {
    lp += Math.log(d) - Math.log(k);
    const pk = Math.exp(lp);
    const e = Math.log(d) - Math.log(k);
    sum += pk * e * e;
    mass += pk;
  }
  return mass > 0 ? sum / mass : NaN;
}

/**
 * Splits the data patterns into a rarer and a more frequent half by data count (ascending, ties
 * by code; the rarer half is the first floor(n/2)) and averages e(c) = (ln pD - ln pS)^2 within
 * each half over the patterns the samples produced (spec 7.1: e(c) is defined only there), each
 * pattern counting once as a point of Fig 2A does.
 */
export function logProbErrorByFrequency(
  dataCounts: ArrayLike<number>,
  sampleCounts: ArrayLike<number>,
): LogProbErrorByFrequency {
  const errs = logProbErrors(dataCounts, sampleCounts);
  let nd = 0;
  let ns = 0;
  const codes: number[] = [];
  for (let c = 0; c < dataCounts.length; c++) {
    nd += dataCounts[c];
    ns += sampleCounts[c];
    if (dataCounts[c] > 0) codes.push(c);
  }
  codes.sort((a, b) => dataCounts[a] - dataCounts[b] || a - b);
  const half = Math.floor(codes.length / 2);
  // Counting noise at the samples' own size: k ~ Poisson(d * N_S / N_D), rescaled to N_D.
  const scale = nd > 0 ? ns / nd : 1;
  const part = (list: number[]) => {
    let sum = 0;
    let noise = 0;
    let n = 0;
    for (const c of list) {
      if (Number.isNaN(errs[c])) continue;
      sum += errs[c];
      noise += countingNoiseError(dataCounts[c] * scale);
      n++;
    }
    return {
      mean: n > 0 ? sum / n : null,
      noise: n > 0 ? noise / n : null,
      generated: list.length > 0 ? n / list.length : 0,
    };
  };
  const rare = part(codes.slice(0, half));
  const frequent = part(codes.slice(half));
  return {
    rare: rare.mean,
    frequent: frequent.mean,
    rarePatterns: half,
    frequentPatterns: codes.length - half,
    rareGenerated: rare.generated,
    frequentGenerated: frequent.generated,
    splitCount: half > 0 ? dataCounts[codes[half - 1]] : 0,
    noiseFloor: { rare: rare.noise, frequent: frequent.noise },
  };
}

/**
 * Weight histograms of A (spec 8.6): non-zero entries only, bins given by their centres, edges
 * midway, first and last bins open-ended, counts normalised to sum 1.
 *
 * @module
 */

/** Evenly spaced bin centres from `lo` to `hi` in steps of `step`. */
export function binCentres(lo: number, hi: number, step: number): number[] {
  const count = Math.round((hi - lo) / step) + 1;
  return Array.from({ length: count }, (_, i) => Number((lo + i * step).toFixed(10)));
}

/** DMS bin centres -1.5:0.05:1.5 (61 bins). */
export const DMS_HIST_CENTRES: readonly number[] = Object.freeze(binCentres(-1.5, 1.5, 0.05));
/** RL bin centres -1.5:0.1:1.5 (31 bins). */
export const RL_HIST_CENTRES: readonly number[] = Object.freeze(binCentres(-1.5, 1.5, 0.1));

/** Normalised histogram of the non-zero values over the given centres (all zeros if none). */
export function weightHistogram(values: ArrayLike<number>, centres: readonly number[]): number[] {
  const counts = new Array<number>(centres.length).fill(0);
  let total = 0;
  for (let m = 0; m < values.length; m++) {
    const v = values[m];
    if (v === 0 || !Number.isFinite(v)) continue;
    let bin = 0;
    // Edges are midway between centres; binary search over edges.
    let lo = 0;
    let hi = centres.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v < (centres[mid] + centres[mid + 1]) / 2) hi = mid;
      else lo = mid + 1;
    }
    bin = lo;
    counts[bin]++;
    total++;
  }
  return total > 0 ? counts.map((c) => c / total) : counts;
}

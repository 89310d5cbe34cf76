/**
 * The one rule every figure applies to numbers that went wrong (fig5's documented rule, issue 14):
 * a network, lineage or seed whose weights or metrics hold NaN or ±Infinity is marked failed with
 * the reason this module words, listed under `failures` in `--out`, and left out of every
 * statistic, instead of crashing an analysis or silently entering a mean. `null` is not a failure:
 * it is how a metric says "undefined here" (e.g. the maximal Lyapunov exponent of a singular
 * product).
 *
 * @module
 */

/** Index of the first NaN or ±Infinity in `values`, or -1 when all are finite. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** A value of {@link nonFiniteReason}: a number, an array of them, or null / undefined (missing). */
export type Checked = number | ArrayLike<number> | null | undefined;

/**
 * Why named values cannot enter statistics: the first non-finite one, e.g. "maxLE is NaN" or
 * "weights[17] is Infinity"; null when every value is finite (or missing).
 */
export function nonFiniteReason(named: Readonly<Record<string, Checked>>): string | null {
  for (const [name, v] of Object.entries(named)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return `${name} is ${v}`;
      continue;
    }
    const i = firstNonFinite(v);
    if (i >= 0) return `${name}[${i}] is ${v[i]}`;
  }
  return null;
}

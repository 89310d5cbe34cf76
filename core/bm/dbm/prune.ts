/**
 * DBM pruning (spec 6.1, 6.4, 6.5 and the addendum 15): the per-layer keep rules (percentile rule
 * with the FI zero rule, ANTI with its random top-up, random weights, random units), dead-end unit
 * removal in one pass, and the rebuild of the smaller model.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import { thresholdKeep, topUpKeep } from "../prune.ts";
import { countOnes, type Dbm, restrictDbm } from "./model.ts";

/**
 * Prune-lowest rule of spec 6.1 over existing weights, with the DBM zero rule for VAR and HEU
 * (settled as D18 in spec 15): when more than `fraction * n_existing` existing scores are exactly
 * 0, exactly the zero-score weights go; otherwise the weights with S <= Pct(s, 100 fraction) go.
 */
export function keepLowest(
  scores: ArrayLike<number>,
  mask: Uint8Array,
  options: { fraction: number; zeroRule: boolean },
): { keep: Uint8Array; zeroRuleApplied: boolean } {
  const { fraction } = options;
  if (options.zeroRule) {
    let nEx = 0;
    let n0 = 0;
    for (let k = 0; k < mask.length; k++) {
      if (!mask[k]) continue;
      nEx++;
      if (scores[k] === 0) n0++;
    }
    if (n0 > fraction * nEx) {
      const keep = new Uint8Array(mask.length);
      for (let k = 0; k < mask.length; k++) keep[k] = mask[k] && scores[k] > 0 ? 1 : 0;
      return { keep, zeroRuleApplied: true };
    }
  }
  return {
    keep: thresholdKeep(scores, mask, { fraction, prune: "lowest" }),
    zeroRuleApplied: false,
  };
}

/**
 * ANTI (spec 6.1 and 15): prunes the weights with S > Pct(s, 100 (1 - fraction)); when ties make
 * that fewer than `target` (the layer's `scheduledRemovals`), tops up with existing weights
 * chosen uniformly at random among the rest, up to `target` removals in total (never more weights
 * than exist): the RBM's threshold rule and top-up (core/bm/prune.ts), one layer at a time.
 */
export function keepHighestWithTopUp(
  scores: ArrayLike<number>,
  mask: Uint8Array,
  options: { fraction: number; target: number; rng: Rng },
): { keep: Uint8Array; toppedUp: number } {
  const keep = thresholdKeep(scores, mask, { fraction: options.fraction, prune: "highest" });
  return topUpKeep(keep, mask, { target: options.target, rng: options.rng });
}

/** Column sums of a rows x cols 0/1 matrix. */
function columnCounts(mask: Uint8Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += mask[r * cols + c];
  return out;
}

/**
 * Random-unit removal (spec 6.5 with the addendum's rule, D16): per layer, upper-layer units are
 * drawn uniformly at random without replacement and removed while the removed weights stay within
 * floor(fraction * n_existing); the first unit that would exceed it stops the draw. W2 weights lost
 * with removed h1 units do not count toward layer 2's budget, and a drawn h2 unit counts its whole
 * current column.
 */
export function randomUnitsKeep(
  m: Dbm,
  options: { fraction1: number; fraction2: number; rng: Rng },
): { keep1: Uint8Array; keep2: Uint8Array; removed1: number[]; removed2: number[] } {
  const pick = (mask: Uint8Array, rows: number, cols: number, fraction: number): number[] => {
    const budget = Math.floor(fraction * countOnes(mask));
    const perUnit = columnCounts(mask, rows, cols);
    const order = options.rng.shuffle(Array.from({ length: cols }, (_, j) => j));
    const removed: number[] = [];
    let total = 0;
    for (const j of order) {
      if (total + perUnit[j] > budget) break;
      total += perUnit[j];
      removed.push(j);
    }
    return removed;
  };
  const removed1 = pick(m.m1, m.nv, m.n1, options.fraction1);
  const removed2 = pick(m.m2, m.n1, m.n2, options.fraction2);
  const keep1 = m.m1.slice();
  for (const j of removed1) for (let i = 0; i < m.nv; i++) keep1[i * m.n1 + j] = 0;
  const keep2 = m.m2.slice();
  for (const k of removed2) for (let j = 0; j < m.n1; j++) keep2[j * m.n2 + k] = 0;
  return { keep1, keep2, removed1, removed2 };
}

/**
 * Surviving units after pruning (spec 6.4 step 3.4), one pass as in the code (D19): an h2 unit
 * survives iff it keeps an h1-side weight; an h1 unit survives iff it keeps a v-side AND an
 * h2-side weight.
 */
export function survivingUnits(
  m: Dbm,
  keep: { keep1: Uint8Array; keep2: Uint8Array },
): { h1: number[]; h2: number[] } {
  const in1 = columnCounts(keep.keep1, m.nv, m.n1);
  const in2 = columnCounts(keep.keep2, m.n1, m.n2);
  const h1: number[] = [];
  for (let j = 0; j < m.n1; j++) {
    let out = false;
    for (let k = 0; k < m.n2 && !out; k++) out = keep.keep2[j * m.n2 + k] === 1;
    if (out && in1[j] > 0) h1.push(j);
  }
  const h2: number[] = [];
  for (let k = 0; k < m.n2; k++) if (in2[k] > 0) h2.push(k);
  return { h1, h2 };
}

/** Applies keep masks: dead-end removal and rebuild (spec 6.4 steps 3.4-3.5). */
export function applyKeep(m: Dbm, keep: { keep1: Uint8Array; keep2: Uint8Array }): Dbm {
  return restrictDbm(m, keep, survivingUnits(m, keep));
}

/**
 * Magnitude pruning of the recurrent matrix A (spec 6.1): the single source of truth for the
 * pruning criterion of the RNN experiments. The level is a cumulative fraction of all N^2 entries;
 * already-pruned entries are exact zeros and sort first, so each level removes only the increment.
 *
 * @module
 */
import { paramLayout, type RnnShape } from "./network.ts";

/** Number of entries zeroed at level p: floor(p * total) computed with exact integer arithmetic. */
export function pruneCount(level: number, total: number): number {
  // round(1e6 p) makes 0.7 * 900 = 630 exactly instead of 629.9999999.
  const ppm = Math.round(level * 1_000_000);
  return Math.floor((ppm * total) / 1_000_000);
}

/** Result of {@link magnitudePrune}. */
export interface PruneResult {
  /** New parameters (a copy) with the smallest-magnitude entries of A set to exactly 0. */
  w: Float64Array;
  /** Mask over all K parameters: 1 = trainable (all of B and C), 0 = pruned entry of A. */
  mask: Uint8Array;
  /** Number of zeroed entries of A. */
  pruned: number;
  /** Largest |A| among pruned entries (before zeroing). */
  largestPruned: number;
  /** Smallest |A| among kept entries. */
  smallestKept: number;
}

/** Zeros the floor(p N^2) smallest |A_ij| (diagonal included) and builds the mask from scratch. */
export function magnitudePrune(shape: RnnShape, w: Float64Array, level: number): PruneResult {
  if (!(level >= 0 && level < 1)) throw new RangeError(`prune level must be in [0, 1): ${level}`);
  const L = paramLayout(shape);
  const nA = shape.n * shape.n;
  const count = pruneCount(level, nA);
  const order = Array.from({ length: nA }, (_, i) => i);
  // Stable sort by magnitude: ties (exact zeros) keep index order, which is irrelevant for the
  // result because all zeros are pruned anyway.
  order.sort((x, y) => Math.abs(w[L.a + x]) - Math.abs(w[L.a + y]) || x - y);
  const out = Float64Array.from(w);
  const mask = new Uint8Array(L.size).fill(1);
  let largestPruned = 0;
  for (let m = 0; m < count; m++) {
    const idx = L.a + order[m];
    largestPruned = Math.max(largestPruned, Math.abs(w[idx]));
    out[idx] = 0;
    mask[idx] = 0;
  }
  const smallestKept = count < nA ? Math.abs(w[L.a + order[count]]) : NaN;
  return { w: out, mask, pruned: count, largestPruned, smallestKept };
}

/** Counts exact zeros of A. */
export function countZerosA(shape: RnnShape, w: Float64Array): number {
  const L = paramLayout(shape);
  let z = 0;
  for (let m = L.a; m < L.c; m++) if (w[m] === 0) z++;
  return z;
}

/**
 * Mask that keeps the existing zeros of A frozen (1 everywhere else, B and C included): retraining
 * a pruned network on a new problem with it leaves the pruned entries pruned (spec 7.5).
 */
export function zerosOfAMask(shape: RnnShape, w: Float64Array): Uint8Array {
  const L = paramLayout(shape);
  const mask = new Uint8Array(L.size).fill(1);
  for (let m = L.a; m < L.c; m++) if (w[m] === 0) mask[m] = 0;
  return mask;
}

/**
 * Circular binary patches of natural images (spec 8.1): grey sums binarised at one global median
 * (ties go to 1), circles of radius r cut at the centres ceil(r), ceil(r)+ceil(2r), .. of each
 * 32x32 tile, pixels ordered row-major within the circle, a fixed-seed random training subset,
 * and the statistics the spec asks to report for a substitute dataset.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { type GreyTiles, TILE } from "./images.ts";

/** Pixel offsets (dr, dc) with sqrt(dr^2 + dc^2) <= r, row-major. */
export function circleOffsets(radius: number): [number, number][] {
  const c = Math.ceil(radius);
  const out: [number, number][] = [];
  for (let dr = -c; dr <= c; dr++) {
    for (let dc = -c; dc <= c; dc++) {
      if (Math.sqrt(dr * dr + dc * dc) <= radius) out.push([dr, dc]);
    }
  }
  return out;
}

/** Patch centre coordinates along one axis of a 32-pixel tile. */
export function patchCentres(radius: number, size = TILE): number[] {
  const c = Math.ceil(radius);
  const step = Math.ceil(2 * radius);
  const out: number[] = [];
  for (let x = c; x < size - c; x += step) out.push(x);
  return out;
}

/** NumPy median of grey sums (values 0..765), via a histogram. */
export function greyMedian(grey: Uint16Array): number {
  const hist = new Float64Array(766);
  for (let k = 0; k < grey.length; k++) hist[grey[k]]++;
  const n = grey.length;
  const kth = (k: number): number => {
    let acc = 0;
    for (let v = 0; v < hist.length; v++) {
      acc += hist[v];
      if (acc > k) return v;
    }
    return hist.length - 1;
  };
  return n % 2 === 1 ? kth((n - 1) / 2) : (kth(n / 2 - 1) + kth(n / 2)) / 2;
}

/** A set of binary patterns. */
export interface PatchSet {
  /** Number of patterns. */
  n: number;
  /** Pixels per pattern (visible units). */
  nv: number;
  /** n x nv bits. */
  bits: Uint8Array;
}

/** All circular patches of all tiles, binarised at the global median. */
export function extractPatches(tiles: GreyTiles, radius: number): PatchSet & { median: number } {
  const median = greyMedian(tiles.grey);
  const offs = circleOffsets(radius);
  const centres = patchCentres(radius);
  const nv = offs.length;
  const per = centres.length * centres.length;
  const n = tiles.count * per;
  const bits = new Uint8Array(n * nv);
  let s = 0;
  for (let t = 0; t < tiles.count; t++) {
    const o = t * TILE * TILE;
    for (const r0 of centres) {
      for (const c0 of centres) {
        for (let i = 0; i < nv; i++) {
          const [dr, dc] = offs[i];
          bits[s * nv + i] = tiles.grey[o + (r0 + dr) * TILE + c0 + dc] >= median ? 1 : 0;
        }
        s++;
      }
    }
  }
  return { n, nv, bits, median };
}

/** Training subset: `count` patches drawn without replacement by a fixed-seed permutation. */
export function trainingSubset(pool: PatchSet, count: number, seed = 42): PatchSet {
  const n = Math.min(count, pool.n);
  const idx = new Rng(seed).shuffle(Array.from({ length: pool.n }, (_, k) => k)).slice(0, n);
  const bits = new Uint8Array(n * pool.nv);
  for (let s = 0; s < n; s++) {
    bits.set(pool.bits.subarray(idx[s] * pool.nv, (idx[s] + 1) * pool.nv), s * pool.nv);
  }
  return { n, nv: pool.nv, bits };
}

/** Pattern code c = sum_i v_i 2^i of every pattern. */
export function patternCodes(set: PatchSet): Int32Array {
  const out = new Int32Array(set.n);
  for (let s = 0; s < set.n; s++) {
    let c = 0;
    for (let i = 0; i < set.nv; i++) if (set.bits[s * set.nv + i]) c |= 1 << i;
    out[s] = c;
  }
  return out;
}

/** Counts of each of the 2^nv codes. */
export function codeCounts(codes: Int32Array, nv: number): Int32Array {
  const counts = new Int32Array(1 << nv);
  for (let s = 0; s < codes.length; s++) counts[codes[s]]++;
  return counts;
}

/** Fraction of patterns with each pixel on. */
export function pixelRates(set: PatchSet): Float64Array {
  const r = new Float64Array(set.nv);
  for (let s = 0; s < set.n; s++) for (let i = 0; i < set.nv; i++) r[i] += set.bits[s * set.nv + i];
  for (let i = 0; i < set.nv; i++) r[i] /= set.n;
  return r;
}

/** Statistics the spec asks to report for a substitute dataset (8.1). */
export interface PatchStatistics {
  /** Patterns in the set. */
  patterns: number;
  /** Distinct codes present. */
  distinct: number;
  /** Most frequent codes with their frequency and number of active pixels. */
  top: { code: number; frequency: number; active: number }[];
  /** Mean pixel on-rate. */
  meanRate: number;
  /** Per-pixel on-rates. */
  rates: number[];
  /** Mean Pearson correlation of horizontally/vertically adjacent pixel pairs in the circle. */
  neighbourCorrelation: number;
  /** Frequencies of the two uniform patterns (all pixels on, all off). */
  uniform: { allOn: number; allOff: number };
}

/**
 * CIFAR-10's uniform-pattern frequencies for 13-pixel patches, as the spec's addendum (section 15)
 * records them: "about 0.25 each". Approximate; shown beside a substitute's own frequencies.
 */
export const CIFAR_UNIFORM_REFERENCE: { allOn: number; allOff: number; source: string } = {
  allOn: 0.25,
  allOff: 0.25,
  source: "CIFAR-10, about 0.25 each (spec section 15 addendum; approximate)",
};

/** Computes {@link PatchStatistics} for a patch set cut with radius `radius`. */
export function patchStatistics(set: PatchSet, radius: number, topK = 5): PatchStatistics {
  const codes = patternCodes(set);
  const counts = codeCounts(codes, set.nv);
  let distinct = 0;
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0) distinct++;
  const order = Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a]).slice(0, topK);
  const rates = pixelRates(set);
  const offs = circleOffsets(radius);
  const pairs: [number, number][] = [];
  for (let a = 0; a < offs.length; a++) {
    for (let b = a + 1; b < offs.length; b++) {
      const d = Math.abs(offs[a][0] - offs[b][0]) + Math.abs(offs[a][1] - offs[b][1]);
      if (d === 1) pairs.push([a, b]);
    }
  }
  let corr = 0;
  for (const [a, b] of pairs) {
    let both = 0;
    for (let s = 0; s < set.n; s++) both += set.bits[s * set.nv + a] & set.bits[s * set.nv + b];
    const pab = both / set.n;
    const den = Math.sqrt(rates[a] * (1 - rates[a]) * rates[b] * (1 - rates[b]));
    corr += den > 0 ? (pab - rates[a] * rates[b]) / den : 0;
  }
  const popcount = (c: number): number => {
    let k = 0;
    for (; c; c &= c - 1) k++;
    return k;
  };
  return {
    patterns: set.n,
    distinct,
    top: order.map((c) => ({ code: c, frequency: counts[c] / set.n, active: popcount(c) })),
    meanRate: rates.reduce((a, b) => a + b, 0) / set.nv,
    rates: Array.from(rates),
    neighbourCorrelation: pairs.length ? corr / pairs.length : 0,
    uniform: { allOn: counts[(1 << set.nv) - 1] / set.n, allOff: counts[0] / set.n },
  };
}

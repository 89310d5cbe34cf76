/**
 * Bernoulli restricted Boltzmann machine (spec 2.1): parameters, conditionals, free energy and, for
 * small layers, the exact partition function and log-probabilities by enumerating the smaller
 * layer. Weights are row-major `(nv x nh)`: `w[i * nh + j]` joins visible i and hidden j.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** A (possibly pruned) RBM. Masked weights are exactly 0. */
export interface Rbm {
  /** Number of visible units. */
  nv: number;
  /** Number of hidden units. */
  nh: number;
  /** Weights, nv x nh row-major. */
  w: Float64Array;
  /** Visible biases. */
  bv: Float64Array;
  /** Hidden biases. */
  bh: Float64Array;
  /** 1 where a weight exists, nv x nh row-major. */
  mask: Uint8Array;
}

/** Largest layer we enumerate exactly (2^20 states). */
export const MAX_ENUMERATION_UNITS = 20;

/** Logistic sigmoid; carries +-Infinity to 1 and 0. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ln(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** ln(p / (1 - p)); gives -Infinity at 0 and +Infinity at 1 (spec 5.4 edge cases). */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Options of {@link initRbm} (spec 3.2). */
export interface InitOptions {
  /** Fraction of training patterns with each pixel on; sets bv = logit(clip(p)). */
  pixelRates: ArrayLike<number>;
  /** Standard deviation of the initial weights (0.1). */
  weightSd?: number;
  /** Initial hidden bias (-2). */
  hiddenBias?: number;
}

/** Initial RBM of spec 3.2: W ~ N(0, sd^2), bv = logit of clipped pixel rates, bh = -2. */
export function initRbm(nh: number, rng: Rng, options: InitOptions): Rbm {
  const nv = options.pixelRates.length;
  const sd = options.weightSd ?? 0.1;
  const w = new Float64Array(nv * nh);
  for (let k = 0; k < w.length; k++) w[k] = sd * rng.normal();
  const bv = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    const p = Math.min(Math.max(options.pixelRates[i], 1e-7), 1 - 1e-7);
    bv[i] = logit(p);
  }
  const bh = new Float64Array(nh).fill(options.hiddenBias ?? -2);
  return { nv, nh, w, bv, bh, mask: new Uint8Array(nv * nh).fill(1) };
}

/** Deep copy of a model. */
export function cloneRbm(m: Rbm): Rbm {
  return {
    nv: m.nv,
    nh: m.nh,
    w: m.w.slice(),
    bv: m.bv.slice(),
    bh: m.bh.slice(),
    mask: m.mask.slice(),
  };
}

/** Number of existing weights. */
export function weightCount(m: Rbm): number {
  let n = 0;
  for (let k = 0; k < m.mask.length; k++) n += m.mask[k];
  return n;
}

/** Bit i of pattern code c (spec 7.1: c = sum_i v_i 2^i). */
export function bit(code: number, i: number): number {
  return (code >>> i) & 1;
}

/** Free energy F(v) = -bv.v - sum_j softplus(bh_j + (vW)_j) of one visible vector. */
export function freeEnergy(m: Rbm, v: ArrayLike<number>): number {
  let f = 0;
  for (let i = 0; i < m.nv; i++) f -= m.bv[i] * v[i];
  for (let j = 0; j < m.nh; j++) {
    let x = m.bh[j];
    for (let i = 0; i < m.nv; i++) if (v[i]) x += m.w[i * m.nh + j];
    f -= softplus(x);
  }
  return f;
}

/**
 * Hidden inputs `bh + vW` for every visible pattern code, (2^nv x nh) row-major. Built
 * incrementally: a code's row is the row of the code without its top bit plus that bit's weights.
 */
export function hiddenInputTable(m: Rbm): Float64Array {
  if (m.nv > MAX_ENUMERATION_UNITS) throw new Error(`cannot enumerate ${m.nv} visible units`);
  const nc = 1 << m.nv;
  const nh = m.nh;
  const t = new Float64Array(nc * nh);
  t.set(m.bh, 0);
  for (let c = 1; c < nc; c++) {
    const top = 31 - Math.clz32(c);
    const base = (c ^ (1 << top)) * nh;
    const row = top * nh;
    const o = c * nh;
    for (let j = 0; j < nh; j++) t[o + j] = t[base + j] + m.w[row + j];
  }
  return t;
}

function logSumExp(xs: Float64Array): number {
  let mx = -Infinity;
  for (let k = 0; k < xs.length; k++) if (xs[k] > mx) mx = xs[k];
  if (!Number.isFinite(mx)) return mx;
  let s = 0;
  for (let k = 0; k < xs.length; k++) s += Math.exp(xs[k] - mx);
  return mx + Math.log(s);
}

/** -F(v) for every visible code, from a hidden-input table. */
function negFreeEnergies(m: Rbm, table: Float64Array): Float64Array {
  const nc = 1 << m.nv;
  const out = new Float64Array(nc);
  for (let c = 0; c < nc; c++) {
    let s = 0;
    for (let i = 0; i < m.nv; i++) if ((c >>> i) & 1) s += m.bv[i];
    const o = c * m.nh;
    for (let j = 0; j < m.nh; j++) s += softplus(table[o + j]);
    out[c] = s;
  }
  return out;
}

/** Exact ln Z, enumerating whichever layer is smaller (spec 2.1). */
export function logPartition(m: Rbm): number {
  if (m.nv <= m.nh) return logSumExp(negFreeEnergies(m, hiddenInputTable(m)));
  if (m.nh > MAX_ENUMERATION_UNITS) throw new Error(`cannot enumerate ${m.nh} hidden units`);
  const transposed: Rbm = {
    nv: m.nh,
    nh: m.nv,
    w: transpose(m.w, m.nv, m.nh),
    bv: m.bh,
    bh: m.bv,
    mask: m.mask,
  };
  return logSumExp(negFreeEnergies(transposed, hiddenInputTable(transposed)));
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** Exact ln p(v) for all 2^nv visible codes (they sum to 1 in probability). */
export function exactLogProbs(m: Rbm): Float64Array {
  const nf = negFreeEnergies(m, hiddenInputTable(m));
  const lz = m.nv <= m.nh ? logSumExp(nf) : logPartition(m);
  for (let c = 0; c < nf.length; c++) nf[c] -= lz;
  return nf;
}

/**
 * Removes hidden units: keeps the columns listed in `keepUnits` of `w * keep`, `keep` and `bh`;
 * `bv` is unchanged (spec 6.3 step 3.4).
 */
export function restrictHidden(m: Rbm, keep: Uint8Array, keepUnits: number[]): Rbm {
  const nh = keepUnits.length;
  const w = new Float64Array(m.nv * nh);
  const mask = new Uint8Array(m.nv * nh);
  for (let i = 0; i < m.nv; i++) {
    for (let jj = 0; jj < nh; jj++) {
      const k = i * m.nh + keepUnits[jj];
      mask[i * nh + jj] = keep[k] & m.mask[k];
      w[i * nh + jj] = mask[i * nh + jj] ? m.w[k] : 0;
    }
  }
  const bh = new Float64Array(nh);
  for (let jj = 0; jj < nh; jj++) bh[jj] = m.bh[keepUnits[jj]];
  return { nv: m.nv, nh, w, bv: m.bv.slice(), bh, mask };
}

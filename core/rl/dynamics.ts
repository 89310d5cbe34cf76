/**
 * Analyses of RL latent dynamics that need no engine: PCA variance spectra (spec 8.2), the
 * fixation-vs-choice Mahalanobis distance (spec 8.7) and the singular values of A (spec 8.5).
 *
 * @module
 */
import { RL_SHAPE, toMatrices } from "../rnn/network.ts";
import { BLOCK_STEPS, isFixationStep } from "./bandit.ts";
import type { Block } from "./block.ts";
import { covariance, singularValues, symmetricEigen } from "../util/linalg.ts";

/** Condition number above which a block's pooled covariance is flagged (spec 8.7). */
export const ILL_CONDITIONED = 1e12;

/** PCA of the states of several blocks. */
export interface Pca {
  /** Eigenvalues of the state covariance divided by their sum, descending. */
  fraction: Float64Array;
  /** Leading unit eigenvectors (columns), row-major N x N. */
  vectors: Float64Array;
}

/** PCA of all states x(k) of the given blocks stacked (spec 8.2, RL). */
export function statePca(blocks: Block[]): Pca {
  const n = RL_SHAPE.n;
  const rows = blocks.length * BLOCK_STEPS;
  const samples = new Float64Array(rows * n);
  blocks.forEach((b, i) => samples.set(b.x, i * BLOCK_STEPS * n));
  const eig = symmetricEigen(covariance(samples, rows, n), n);
  let total = 0;
  for (const v of eig.values) total += Math.max(0, v);
  const fraction = eig.values.map((v) => Math.max(0, v) / total);
  return { fraction, vectors: eig.vectors };
}

/** Cumulative sums of a spectrum. */
export function cumulative(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < values.length; i++) out.push(s += values[i]);
  return out;
}

/** Raw projections v_j . x(k) of one block onto the first `dims` PCs, `[k][j]`. */
export function project(block: Block, pca: Pca, dims = 2): number[][] {
  const n = RL_SHAPE.n;
  const out: number[][] = [];
  for (let k = 0; k < BLOCK_STEPS; k++) {
    const row: number[] = [];
    for (let j = 0; j < dims; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += pca.vectors[i * n + j] * block.x[k * n + i];
      row.push(s);
    }
    out.push(row);
  }
  return out;
}

/** Mahalanobis result of one block. */
export interface BlockMahalanobis {
  /** Squared distance (m_F - m_Ch)^T S^-1 (m_F - m_Ch); NaN when S is singular. */
  distance: number;
  /** Condition number of the pooled covariance (Infinity when singular). */
  condition: number;
  /** condition > {@link ILL_CONDITIONED}. */
  illConditioned: boolean;
}

/** The fixation-step and choice-step states of some blocks, stacked row-major (rows x N). */
function phaseStates(
  blocks: readonly Block[],
): { f: Float64Array; ch: Float64Array; rows: number } {
  const n = RL_SHAPE.n;
  const rows = blocks.length * (BLOCK_STEPS / 2);
  const f = new Float64Array(rows * n), ch = new Float64Array(rows * n);
  let fi = 0, ci = 0;
  for (const block of blocks) {
    for (let k0 = 0; k0 < BLOCK_STEPS; k0++) {
      const row = block.x.subarray(k0 * n, (k0 + 1) * n);
      if (isFixationStep(k0)) f.set(row, n * fi++);
      else ch.set(row, n * ci++);
    }
  }
  return { f, ch, rows };
}

/**
 * Squared Mahalanobis distance between two equally sized samples (rows x N each) with the pooled
 * covariance S = (cov F + cov Ch) / 2 (divisor rows - 1), solved through the symmetric
 * eigen-decomposition of S, which also gives its condition number.
 */
function mahalanobisBetween(f: Float64Array, ch: Float64Array, rows: number): BlockMahalanobis {
  const n = RL_SHAPE.n;
  const diff = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) diff[i] += (f[r * n + i] - ch[r * n + i]) / rows;
  }
  const cf = covariance(f, rows, n), cc = covariance(ch, rows, n);
  const s = cf.map((v, i) => (v + cc[i]) / 2);
  const eig = symmetricEigen(s, n);
  const max = eig.values[0], min = eig.values[n - 1];
  const condition = min > 0 ? max / min : Infinity;
  let distance = NaN;
  if (min > 0) {
    distance = 0;
    for (let j = 0; j < n; j++) {
      let p = 0;
      for (let i = 0; i < n; i++) p += eig.vectors[i * n + j] * diff[i];
      distance += p * p / eig.values[j];
    }
  }
  return { distance, condition, illConditioned: !(condition <= ILL_CONDITIONED) };
}

/**
 * Squared Mahalanobis distance between the fixation-step and choice-step states of one block
 * (spec 8.7: 30 + 30 samples in 20 dimensions, so it is biased upwards, by about 58/37 from the
 * inverse of the pooled covariance, and heavy-tailed; see {@link pooledMahalanobis}).
 */
export function blockMahalanobis(block: Block): BlockMahalanobis {
  const { f, ch, rows } = phaseStates([block]);
  return mahalanobisBetween(f, ch, rows);
}

/**
 * The same distance pooled across blocks (spec 15): all fixation-step states of the blocks against
 * all their choice-step states (48 blocks: 1,440 + 1,440 samples), one covariance for all. Its
 * scale is the squared distance in units of the within-phase covariance (1 = the phase means lie
 * one within-phase standard deviation apart along the separating direction).
 */
export function pooledMahalanobis(blocks: readonly Block[]): BlockMahalanobis {
  if (blocks.length === 0) throw new Error("pooledMahalanobis needs at least one block");
  const { f, ch, rows } = phaseStates(blocks);
  return mahalanobisBetween(f, ch, rows);
}

/**
 * Mean per-block Mahalanobis distance over blocks, excluding ill-conditioned blocks (their distance
 * is dominated by rounding); NaN when every block is flagged.
 */
export function meanMahalanobis(blocks: Block[]): { mean: number; flagged: number } {
  let sum = 0, used = 0;
  for (const b of blocks) {
    const m = blockMahalanobis(b);
    if (m.illConditioned || !Number.isFinite(m.distance)) continue;
    sum += m.distance;
    used++;
  }
  return { mean: used > 0 ? sum / used : NaN, flagged: blocks.length - used };
}

/** Singular values of the recurrent matrix A, descending (spec 8.5). */
export function recurrentSingularValues(w: Float64Array): number[] {
  const { A } = toMatrices(RL_SHAPE, w);
  return Array.from(singularValues(A.flat(), RL_SHAPE.n, RL_SHAPE.n));
}

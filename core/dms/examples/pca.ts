/**
 * PCA of the latent dynamics of a DMS network (spec 8.2): the states x(k) of the four unprobed
 * conditions at k = 11..58 (192 samples of 30 dimensions), sample covariance with divisor n - 1,
 * eigenvalues descending. Eigenvector signs are arbitrary in any solver, so every vector is put
 * in a canonical sign (largest-magnitude component positive, as spec 8.2 recommends): the
 * projections of Figs 3 and 4 are then the same whatever solver or platform computed them.
 *
 * @module
 */
import { covariance, symmetricEigen } from "../../util/linalg.ts";
import { UsageError } from "../../util/errors.ts";
import { EXAMPLE_PROTOCOL, type StepRange } from "./protocol.ts";

/** Result of {@link latentPca}. */
export interface LatentPca {
  /** Steps sampled from each trajectory (1-based, inclusive). */
  steps: StepRange;
  /** Number of samples (trajectories x steps). */
  samples: number;
  /** Eigenvalues of the state covariance, descending (all N). */
  eigenvalues: number[];
  /** Eigenvalues divided by their sum (negative rounding noise clamped to 0). */
  fraction: number[];
  /** Unit eigenvectors in canonical sign: `vectors[j]` belongs to `eigenvalues[j]`. */
  vectors: number[][];
}

/** Options of {@link latentPca}. */
export interface LatentPcaOptions {
  /** Steps to sample (default spec 8.2's 11..58). */
  steps?: StepRange;
}

/**
 * Canonical sign of an eigenvector: flipped so that its largest-magnitude component is positive
 * (the first such component when several share the largest magnitude).
 */
export function canonicalSign(vector: readonly number[]): number[] {
  let big = 0;
  for (const v of vector) if (Math.abs(v) > Math.abs(big)) big = v;
  return big < 0 ? vector.map((v) => -v) : vector.slice();
}

/** PCA of the states of the given trajectories (each `[k - 1][unit]`), spec 8.2. */
export function latentPca(
  trajectories: readonly (readonly (readonly number[])[])[],
  options: LatentPcaOptions = {},
): LatentPca {
  const steps = options.steps ?? EXAMPLE_PROTOCOL.pcaSteps;
  if (trajectories.length === 0) throw new UsageError("PCA needs at least one trajectory");
  const n = trajectories[0][0]?.length ?? 0;
  const perTrial = steps[1] - steps[0] + 1;
  const rows = trajectories.length * perTrial;
  if (n === 0 || perTrial < 1 || rows < 2) throw new UsageError("PCA needs at least two samples");
  const samples = new Float64Array(rows * n);
  let r = 0;
  for (const traj of trajectories) {
    if (traj.length < steps[1]) {
      throw new UsageError(
        `trajectory of ${traj.length} steps; PCA samples up to step ${steps[1]}`,
      );
    }
    for (let k = steps[0]; k <= steps[1]; k++) samples.set(traj[k - 1], n * r++);
  }
  const eig = symmetricEigen(covariance(samples, rows, n), n);
  const eigenvalues = Array.from(eig.values);
  let total = 0;
  for (const v of eigenvalues) total += Math.max(0, v);
  const vectors: number[][] = [];
  for (let j = 0; j < n; j++) {
    const v: number[] = [];
    for (let i = 0; i < n; i++) v.push(eig.vectors[i * n + j]);
    vectors.push(canonicalSign(v));
  }
  return {
    steps,
    samples: rows,
    eigenvalues,
    fraction: eigenvalues.map((v) => Math.max(0, v) / total),
    vectors,
  };
}

/** Raw projections v . x(k) of every state of a trajectory (no mean subtraction, spec 8.2). */
export function project(
  trajectory: readonly (readonly number[])[],
  direction: readonly number[],
): number[] {
  return trajectory.map((x) => dot(x, direction));
}

/** Dot product of two vectors of equal length. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

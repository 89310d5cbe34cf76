/**
 * The contraction metric of Fig 4C (spec 8.3): how much one network update shrinks (< 1) or
 * stretches (> 1) a small grid of perturbations around a trajectory. The plotted value is the
 * original code's variance-weighted root-sum-square spread of the grid's endpoints over that of
 * its start points, with weights d_j / sum(d) from the PCA (j = 1, 2, 3; the third weight belongs
 * to PC3 although the third coordinate is the output direction C, as in the code). The legend's
 * reading (mean Euclidean distance in the PC1-PC2 plane, spec D16) is returned beside it.
 *
 * @module
 */
import { UsageError } from "../../util/errors.ts";
import type { OneStepGrid } from "./one_step.ts";
import type { LatentPca } from "./pca.ts";

/** Contraction over a window. */
export interface ContractionCurve {
  /** Steps k. */
  steps: number[];
  /** Code's metric spreadEnd(k) / spreadStart(k) (spec 8.3); the Fig 4C curve. */
  values: number[];
  /**
   * Legend's reading (spec D16): mean over the off-centre points of the PC1-PC2 distance of the
   * endpoint from the centre's endpoint, over the same mean at the start.
   */
  meanDistanceRatio: number[];
  /** Weights (w1, w2, w3) of the three coordinates. */
  weights: [number, number, number];
}

/** Weights d_j / sum(d), j = 1..3, of the contraction metric (spec 8.3). */
export function contractionWeights(pca: LatentPca): [number, number, number] {
  const total = pca.eigenvalues.reduce((s, v) => s + v, 0);
  const d = pca.eigenvalues;
  if (d.length < 3 || !(total > 0)) throw new UsageError("contraction needs >= 3 PCA eigenvalues");
  return [d[0] / total, d[1] / total, d[2] / total];
}

/** Contraction(k) of a one-step grid with the given coordinate weights. */
export function contraction(
  grid: OneStepGrid,
  weights: readonly [number, number, number],
): ContractionCurve {
  const values: number[] = [];
  const meanDistanceRatio: number[] = [];
  for (const row of grid.points) {
    const c = row[grid.centre];
    let endSq = 0;
    let startSq = 0;
    let endDist = 0;
    let startDist = 0;
    for (let p = 0; p < row.length; p++) {
      for (let j = 0; j < 3; j++) {
        endSq += weights[j] * (row[p].end[j] - c.end[j]) ** 2;
        startSq += weights[j] * (row[p].start[j] - c.start[j]) ** 2;
      }
      if (p === grid.centre) continue;
      endDist += Math.hypot(row[p].end[0] - c.end[0], row[p].end[1] - c.end[1]);
      startDist += Math.hypot(row[p].start[0] - c.start[0], row[p].start[1] - c.start[1]);
    }
    values.push(Math.sqrt(endSq) / Math.sqrt(startSq));
    meanDistanceRatio.push(endDist / startDist);
  }
  return { steps: [...grid.steps], values, meanDistanceRatio, weights: [...weights] };
}

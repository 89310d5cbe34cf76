/**
 * Fig 2A-B of one network: the histogram of the non-zero recurrent weights (spec 8.6, DMS bins)
 * and the normalised cumulative singular values of A (spec 8.5). Singular values come from
 * ml-matrix's SVD of A itself, not from the eigenvalues of A^T A, so the small singular values of
 * a pruned A keep their precision.
 *
 * @module
 */
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { DMS_SHAPE, recurrentView, toMatrices } from "../../rnn/network.ts";
import { DMS_HIST_CENTRES, weightHistogram } from "../../util/histogram.ts";
import { checkDmsWeights } from "./trials.ts";

/** Weights summary of one network. */
export interface WeightSummary {
  /** Bin centres of the histogram (-1.5:0.05:1.5). */
  histogramCentres: number[];
  /** Fig 2A: normalised histogram of the non-zero entries of A. */
  histogram: number[];
  /** Exact zeros in A (pruned entries). */
  zeros: number;
  /** Singular values of A, descending (zeros of a pruned A included in A). */
  singularValues: number[];
  /** Fig 2B: cumsum(s) / sum(s). */
  singularCumulative: number[];
}

/** Singular values (descending) of a row-major square matrix, by ml-matrix's SVD. */
export function singularValuesOf(rows: readonly (readonly number[])[]): number[] {
  const svd = new SingularValueDecomposition(new Matrix(rows.map((r) => [...r])), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return [...svd.diagonal].sort((a, b) => b - a);
}

/** Fig 2A-B quantities of a DMS network `w = [vec(B); vec(A); vec(C)]`. */
export function weightSummary(w: Float64Array): WeightSummary {
  checkDmsWeights(w);
  const a = recurrentView(DMS_SHAPE, w);
  let zeros = 0;
  for (let m = 0; m < a.length; m++) if (a[m] === 0) zeros++;
  const singularValues = singularValuesOf(toMatrices(DMS_SHAPE, w).A);
  const total = singularValues.reduce((s, v) => s + v, 0);
  let run = 0;
  return {
    histogramCentres: [...DMS_HIST_CENTRES],
    histogram: weightHistogram(a, DMS_HIST_CENTRES),
    zeros,
    singularValues,
    singularCumulative: singularValues.map((v) => (run += v) / total),
  };
}

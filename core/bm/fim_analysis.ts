/**
 * Fig 1 analysis of a trained RBM (spec 5.1-5.3, 9 Fig 1): the sample FIM and the exact FIM, their
 * eigenvalues, the leading eigenvector and the diagonal, jointly min-max normalised maps in the
 * 13 x 70 weight layout, per-hidden-unit importance, a coarse heat map for the dashboard, and
 * timings.
 *
 * @module
 */
import { leadingEigenvector, symmetricEigenvalues } from "../util/linalg.ts";
import {
  exactFim,
  type Fim,
  fimDiagonal,
  heuristicFi,
  sampleFim,
  sampleMoments,
  varianceFi,
} from "./fisher.ts";
import type { Rbm } from "./rbm.ts";
import type { RbmSamples } from "./sampler.ts";

/** Result of {@link analyseFim}. */
export interface FimAnalysis {
  /** Sample FIM (spec 5.1 DEFAULT). */
  sample: Fim;
  /** All sample-FIM eigenvalues, descending. */
  eigenvalues: Float64Array;
  /** All exact-FIM eigenvalues, descending. */
  exactEigenvalues: Float64Array;
  /** Leading eigenvector of the sample FIM (sign fixed). */
  u0: Float64Array;
  /** Diagonal of the sample FIM. */
  diagonal: Float64Array;
  /** ||F_sample - F_exact||_F / ||F_exact||_F. */
  relativeDifference: number;
  /** |<u0_sample, u0_exact>|. */
  eigenvectorOverlap: number;
  /** Exactly-zero VAR and HEU scores among existing weights. */
  zeroScores: { var: number; heu: number };
  /** Wall-clock milliseconds of each step. */
  timingsMs: {
    sampleFim: number;
    exactFim: number;
    exactEigenvalues: number;
    exactLeadingEigenvector: number;
    sampleEigenvalues: number;
  };
}

/** Runs every Fig 1 computation on a model and its samples. */
export function analyseFim(m: Rbm, samples: RbmSamples): FimAnalysis {
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const d = now - t;
    t = now;
    return d;
  };
  const sample = sampleFim(samples);
  const tSample = lap();
  const exact = exactFim(m);
  const tExact = lap();
  const exactEigenvalues = symmetricEigenvalues(exact.values, exact.dim);
  const tExactEig = lap();
  const exactU0 = leadingEigenvector(exact.values, exact.dim).vector;
  const tExactU0 = lap();
  const eigenvalues = symmetricEigenvalues(sample.values, sample.dim);
  const tSampleEig = lap();
  const u0 = leadingEigenvector(sample.values, sample.dim).vector;
  let num = 0;
  let den = 0;
  for (let k = 0; k < exact.values.length; k++) {
    const d = sample.values[k] - exact.values[k];
    num += d * d;
    den += exact.values[k] * exact.values[k];
  }
  let dot = 0;
  for (let k = 0; k < u0.length; k++) dot += u0[k] * exactU0[k];
  const mom = sampleMoments(samples);
  const variance = varianceFi(mom).w;
  const heu = heuristicFi(mom, m.w);
  let zv = 0;
  let zh = 0;
  for (let k = 0; k < m.mask.length; k++) {
    if (!m.mask[k]) continue;
    if (variance[k] === 0) zv++;
    if (heu[k] === 0) zh++;
  }
  return {
    sample,
    eigenvalues,
    exactEigenvalues,
    u0,
    diagonal: fimDiagonal(sample),
    relativeDifference: Math.sqrt(num / den),
    eigenvectorOverlap: Math.abs(dot),
    zeroScores: { var: zv, heu: zh },
    timingsMs: {
      sampleFim: tSample,
      exactFim: tExact,
      exactEigenvalues: tExactEig,
      exactLeadingEigenvector: tExactU0,
      sampleEigenvalues: tSampleEig,
    },
  };
}

/** Jointly min-max normalises a parameter vector to [0, 1] (spec 9, Fig 1C/D). */
export function minMaxNormalise(x: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  return x.map((v) => (span > 0 ? (v - lo) / span : 0));
}

/** Block-max downsampling of a dim x dim matrix to ceil(dim/block) squares (dashboard heat map). */
export function blockMax(
  values: Float64Array,
  dim: number,
  block: number,
): { size: number; values: number[] } {
  const size = Math.ceil(dim / block);
  const out = new Array<number>(size * size).fill(0);
  for (let r = 0; r < dim; r++) {
    const br = Math.floor(r / block) * size;
    for (let c = 0; c < dim; c++) {
      const k = br + Math.floor(c / block);
      const v = values[r * dim + c];
      if (v > out[k]) out[k] = v;
    }
  }
  return { size, values: out };
}

/** Sum of a normalised parameter map over each hidden unit's weights (per-unit importance). */
export function perUnitImportance(map: Float64Array, nv: number, nh: number): number[] {
  const out = new Array<number>(nh).fill(0);
  for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) out[j] += map[nv + nh + i * nh + j];
  return out;
}

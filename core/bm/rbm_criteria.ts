/**
 * The seven pruning criteria of family A (spec 6.1, 6.5) as one table. Its order is the order of
 * the CLI, the store, tables and panels, and each criterion's random streams are derived from its
 * index, so a new criterion goes at the end: one entry, nothing else to touch.
 *
 * @module
 */
import type { CriterionEntry } from "./criteria.ts";
import { leadingEigenvector } from "../util/linalg.ts";
import { heuristicFi, sampleFim, type SampleMoments, varianceFi } from "./fisher.ts";
import type { Rbm } from "./rbm.ts";
import type { RbmSamples } from "./sampler.ts";

/** What an RBM criterion scores from: the current model and samples drawn from it. */
export interface RbmScoreInput {
  /** The model being pruned. */
  model: Rbm;
  /** Samples of the model. */
  samples: RbmSamples;
  /** Moments of the samples (shared by the FI scores). */
  moments: SampleMoments;
}

/** |u_0| entries of the weights: the leading eigenvector of the sample FIM (spec 5.2). */
function eigenvectorScores(input: RbmScoreInput): Float64Array {
  const { model: m } = input;
  const f = sampleFim(input.samples);
  const u = leadingEigenvector(f.values, f.dim).vector;
  const eig = new Float64Array(m.nv * m.nh);
  for (let k = 0; k < eig.length; k++) eig[k] = Math.abs(u[m.nv + m.nh + k]);
  return eig;
}

const varianceScores = (input: RbmScoreInput): Float64Array => varianceFi(input.moments).w;

/** The family-A criteria, in their fixed order. */
export const RBM_CRITERIA = [
  { id: "fi-eigenvector", label: "EIG", score: eigenvectorScores, direction: "lowest" },
  { id: "fi-variance", label: "VAR", score: varianceScores, direction: "lowest" },
  {
    id: "fi-heuristic",
    label: "HEU",
    score: (input: RbmScoreInput): Float64Array => heuristicFi(input.moments, input.model.w),
    direction: "lowest",
  },
  // The authors' ANTI tops ties up to the scheduled count with random weights (spec 15).
  {
    id: "anti-fi",
    label: "ANTI",
    score: varianceScores,
    direction: "highest",
    topUp: "scheduled",
  },
  {
    id: "magnitude",
    label: "MAG",
    score: (input: RbmScoreInput): Float64Array => input.model.w.map(Math.abs),
    direction: "lowest",
  },
  { id: "random-weights", label: "RW", score: null, direction: "random-weights" },
  { id: "random-units", label: "RU", score: null, direction: "random-units" },
] as const satisfies readonly CriterionEntry<string, RbmScoreInput>[];

/** A family-A criterion id. */
export type Criterion = typeof RBM_CRITERIA[number]["id"];

/** A family-A criterion entry. */
export type RbmCriterion = CriterionEntry<Criterion, RbmScoreInput>;

/** The criterion ids in table order. */
export const CRITERIA: readonly Criterion[] = RBM_CRITERIA.map((e) => e.id);

/** The entry of a family-A criterion. */
export function rbmCriterion(id: Criterion): RbmCriterion {
  return RBM_CRITERIA.find((e) => e.id === id)!;
}

/** The short label of a family-A criterion (tables, panels). */
export function criterionLabel(id: Criterion): string {
  return rbmCriterion(id).label;
}

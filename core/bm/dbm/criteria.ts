/**
 * The six DBM pruning criteria of spec 1.4 / 6.1 as one table of the shared criterion entries
 * (core/bm/criteria.ts): adding a criterion is one entry. An entry names its per-weight `score` (or
 * none for the random controls) and the `direction` in which weights go; {@link pruneStep} turns
 * an entry into a pruned model.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import type { DbmScores } from "./fisher.ts";
import { countOnes, type Dbm } from "./model.ts";
import { applyKeep, keepHighestWithTopUp, keepLowest, randomUnitsKeep } from "./prune.ts";
import { randomWeightsKeep, scheduledRemovals } from "../prune.ts";
import type { CriterionEntry } from "../criteria.ts";

/** Ids of the DBM criteria (family A's ids where the criterion is the same). */
export type DbmCriterionId =
  | "fi-variance"
  | "fi-heuristic"
  | "anti-fi"
  | "magnitude"
  | "random-weights"
  | "random-units";

/** What a score function sees: the model, its layer-wise FI scores and the layer (1 or 2). */
export interface ScoreInput {
  /** Current model. */
  model: Dbm;
  /** Layer-wise FI scores of the current model's samples. */
  fi: DbmScores;
  /** Weight layer: 1 = v-h1, 2 = h1-h2. */
  layer: 1 | 2;
}

/**
 * One DBM pruning criterion: the shared entry of core/bm/criteria.ts (scored criteria prune the
 * lowest or highest scores, random ones draw weights or units), plus whether the DBM zero rule
 * of spec 6.1 applies (VAR and HEU only).
 */
export type DbmCriterionEntry = CriterionEntry<DbmCriterionId, ScoreInput> & {
  /** Apply the DBM zero rule of spec 6.1. */
  readonly zeroRule?: boolean;
};

const magnitude = (input: ScoreInput): Float64Array =>
  Float64Array.from(input.layer === 1 ? input.model.w1 : input.model.w2, Math.abs);

/** The criteria of family B (spec 1.4), in the order used by tables and panels. */
export const DBM_CRITERIA: readonly DbmCriterionEntry[] = [
  {
    id: "fi-variance",
    label: "VAR",
    score: (x) => x.layer === 1 ? x.fi.var1 : x.fi.var2,
    direction: "lowest",
    zeroRule: true,
  },
  {
    id: "fi-heuristic",
    label: "HEU",
    score: (x) => x.layer === 1 ? x.fi.heu1 : x.fi.heu2,
    direction: "lowest",
    zeroRule: true,
  },
  {
    id: "anti-fi",
    label: "ANTI",
    score: (x) => x.layer === 1 ? x.fi.var1 : x.fi.var2,
    direction: "highest",
  },
  { id: "magnitude", label: "MAG", score: magnitude, direction: "lowest" },
  { id: "random-weights", label: "RW", score: null, direction: "random-weights" },
  { id: "random-units", label: "RU", score: null, direction: "random-units" },
];

/** The entry with this id; throws naming the known ids otherwise. */
export function dbmCriterion(id: string): DbmCriterionEntry {
  const c = DBM_CRITERIA.find((e) => e.id === id || e.label.toLowerCase() === id.toLowerCase());
  if (!c) {
    throw new Error(
      `unknown criterion "${id}" (known: ${DBM_CRITERIA.map((e) => e.id).join(", ")})`,
    );
  }
  return c;
}

/** Per-layer fractions and, for ANTI, the initial layer sizes its schedule starts from. */
export interface PruneSettings {
  /** Fraction of existing layer-1 weights per iteration (0.10). */
  fraction1: number;
  /** Fraction of existing layer-2 weights per iteration (0.25; the master code used 0.10, D3). */
  fraction2: number;
  /** Existing weights of each layer in the initial model (ANTI's top-up schedule). */
  initialWeights: { nw1: number; nw2: number };
  /** Pruning iteration, 1-based (ANTI's schedule). */
  iteration: number;
}

/** What one pruning step did, for logs and tests. */
export interface PruneReport {
  /** Existing weights before, per layer. */
  before: { nw1: number; nw2: number; n1: number; n2: number };
  /** After (dead-end removal included). */
  after: { nw1: number; nw2: number; n1: number; n2: number };
  /** Exactly-zero scores among existing weights, per layer (score criteria only). */
  zeros: { layer1: number; layer2: number } | null;
  /** Whether the zero rule decided a layer. */
  zeroRule: { layer1: boolean; layer2: boolean };
  /** Random weights ANTI added to reach its scheduled count, per layer. */
  toppedUp: { layer1: number; layer2: number };
}

function counts(m: Dbm): { nw1: number; nw2: number; n1: number; n2: number } {
  return { nw1: countOnes(m.m1), nw2: countOnes(m.m2), n1: m.n1, n2: m.n2 };
}

function zerosOf(scores: Float64Array, mask: Uint8Array): number {
  let n = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] && scores[k] === 0) n++;
  return n;
}

/**
 * One pruning iteration of spec 6.4 step 3 for one criterion: both layers decided from the same
 * scores, then dead-end removal and the rebuild.
 */
export function pruneStep(
  m: Dbm,
  c: DbmCriterionEntry,
  options: PruneSettings & { fi: DbmScores; rng: Rng },
): { model: Dbm; report: PruneReport } {
  const { fi, rng } = options;
  const report: PruneReport = {
    before: counts(m),
    after: counts(m),
    zeros: null,
    zeroRule: { layer1: false, layer2: false },
    toppedUp: { layer1: 0, layer2: 0 },
  };
  let keep1: Uint8Array;
  let keep2: Uint8Array;
  if (c.score === null) {
    if (c.direction === "random-units") {
      ({ keep1, keep2 } = randomUnitsKeep(m, { ...options, rng }));
    } else {
      keep1 = randomWeightsKeep(m.m1, options.fraction1, rng);
      keep2 = randomWeightsKeep(m.m2, options.fraction2, rng);
    }
  } else {
    const s1 = c.score({ model: m, fi, layer: 1 });
    const s2 = c.score({ model: m, fi, layer: 2 });
    report.zeros = { layer1: zerosOf(s1, m.m1), layer2: zerosOf(s2, m.m2) };
    if (c.direction === "lowest") {
      const zeroRule = c.zeroRule ?? false;
      const a = keepLowest(s1, m.m1, { fraction: options.fraction1, zeroRule });
      const b = keepLowest(s2, m.m2, { fraction: options.fraction2, zeroRule });
      keep1 = a.keep;
      keep2 = b.keep;
      report.zeroRule = { layer1: a.zeroRuleApplied, layer2: b.zeroRuleApplied };
    } else {
      const { initialWeights: init, iteration } = options;
      const a = keepHighestWithTopUp(s1, m.m1, {
        fraction: options.fraction1,
        target: scheduledRemovals(init.nw1, { fraction: options.fraction1, iteration: iteration }),
        rng,
      });
      const b = keepHighestWithTopUp(s2, m.m2, {
        fraction: options.fraction2,
        target: scheduledRemovals(init.nw2, { fraction: options.fraction2, iteration: iteration }),
        rng,
      });
      keep1 = a.keep;
      keep2 = b.keep;
      report.toppedUp = { layer1: a.toppedUp, layer2: b.toppedUp };
    }
  }
  const model = applyKeep(m, { keep1, keep2 });
  report.after = counts(model);
  return { model, report };
}

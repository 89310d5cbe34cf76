/**
 * Pruning criteria as data. A criterion is one {@link CriterionEntry}: its id (CLI, store keys),
 * its short label (tables, panels), how it scores the existing weights, and which end of the
 * scores it prunes. A model family keeps its criteria in one table (the RBM's in
 * `core/bm/rbm_criteria.ts`); configs, protocols, summaries and panels read ids, labels and order
 * from that table, so adding a criterion is adding one entry.
 *
 * The entry is generic over what a score is computed from (`In`): for the RBM the model and the
 * moments of its samples, for a DBM layer that layer's statistics. A family may extend the entry
 * with its own fields (e.g. whether the DBM zero rule applies) by intersection.
 *
 * @module
 */
import { UsageError } from "../util/errors.ts";

/** Which end of the scores a scored criterion prunes. */
export type ScoreDirection = "lowest" | "highest";

/** How an unscored criterion draws what it prunes. */
export type RandomDirection = "random-weights" | "random-units";

/** How a criterion chooses what to prune. */
export type PruneDirection = ScoreDirection | RandomDirection;

/** Fields every criterion has. */
interface CriterionBase<Id extends string> {
  /** Id used on the command line, in configs and in store keys, e.g. "fi-variance". */
  readonly id: Id;
  /** Short label used in tables and panels, e.g. "VAR". */
  readonly label: string;
}

/** A criterion that scores every existing weight and prunes the lowest or highest scores. */
export interface ScoredCriterion<Id extends string, In> extends CriterionBase<Id> {
  /** Importance of every weight (same layout as the weights), computed from `In`. */
  readonly score: (input: In) => Float64Array;
  /** "lowest": prune the least important weights; "highest": the most important (anti-FI). */
  readonly direction: ScoreDirection;
  /**
   * The authors' random top-up (spec 15, ANTI): where ties at the threshold leave fewer removals
   * than scheduled, remove uniformly drawn existing weights up to the count scheduled from the
   * initial layer size (`scheduledRemovals` in `core/bm/prune.ts`). Absent: the plain rule.
   */
  readonly topUp?: "scheduled";
}

/** A control criterion that draws weights or whole units at random instead of scoring. */
export interface RandomCriterion<Id extends string> extends CriterionBase<Id> {
  /** Random criteria have no score. */
  readonly score: null;
  /** "random-weights": a uniform draw of weights; "random-units": of units, with their weights. */
  readonly direction: RandomDirection;
}

/** One pruning criterion: `{id, label, score, direction}`. */
export type CriterionEntry<Id extends string = string, In = never> =
  | ScoredCriterion<Id, In>
  | RandomCriterion<Id>;

/** The ids of a criteria table, in table order. */
export function criterionIds<Id extends string>(
  table: readonly CriterionEntry<Id, never>[],
): Id[] {
  return table.map((e) => e.id);
}

/** The entry of `id`; throws when the table has none (a programming error, not bad input). */
export function criterionEntry<E extends CriterionEntry<string, never>>(
  table: readonly E[],
  id: string,
): E {
  const entry = table.find((e) => e.id === id);
  if (!entry) throw new Error(`unknown criterion '${id}'`);
  return entry;
}

/** Whether `id` names an entry of the table. */
export function isCriterionId<Id extends string>(
  table: readonly CriterionEntry<Id, never>[],
  id: string,
): id is Id {
  return table.some((e) => e.id === id);
}

/**
 * Parses a comma-separated list of criterion ids (a `--criteria` flag) into ids in table order.
 * Throws {@link UsageError} naming the flag for an empty list or an unknown id.
 */
export function parseCriteria<Id extends string>(
  table: readonly CriterionEntry<Id, never>[],
  value: string,
  options: { flag?: string } = {},
): Id[] {
  const flag = options.flag ?? "criteria";
  const list = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (list.length === 0) throw new UsageError(`--${flag} needs at least one criterion`);
  const ids = criterionIds(table);
  for (const name of list) {
    if (!isCriterionId(table, name)) {
      throw new UsageError(`--${flag}: unknown criterion '${name}' (${ids.join(", ")})`);
    }
  }
  return ids.filter((id) => list.includes(id));
}

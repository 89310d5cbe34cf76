/**
 * Choosing the example networks of Figs 2-4 (spec 9). The paper's code picked pruned lineage 7
 * and unpruned lineage 70 by hand; its commented-out rules, which spec 9 recommends, ask for an
 * unpruned network with max LE >= 0.1 and probe-trial score <= 0.3 and a pruned one with
 * max LE <= 0.1 and score >= 0.7 (max LE over the Fig 4D window, code order). The code's loop
 * tested both lineages of one network index together, so a matched pair that meets both rules is
 * preferred; then each lineage on its own; then, when no network meets a rule, the one that misses
 * it by the least. Every choice comes with a sentence saying which rule picked it.
 *
 * @module
 */
import { UsageError } from "../../util/errors.ts";
import { type SelectionRule, SPEC_SELECTION_RULE } from "./protocol.ts";

/** The two lineages of a pair. */
export type LineageKind = "pruned" | "unpruned";

/** What the rules look at for one network. */
export interface CandidateScores {
  /** Max LE over the spectrum window, code order; null = -Infinity (singular product). */
  maxLE: number | null;
  /** Probe-trial score of the probed condition-4 trial (spec 3.6). */
  probeScore: number;
}

/** Both lineages of one network index; null when that lineage has no usable network. */
export interface PairCandidates {
  /** Network (lineage pair) index. */
  network: number;
  /** Pruned lineage. */
  pruned: CandidateScores | null;
  /** Unpruned lineage. */
  unpruned: CandidateScores | null;
}

/** How an example was chosen. */
export type SelectionMethod = "hand" | "rule-pair" | "rule" | "nearest";

/** One chosen example. */
export interface ChosenExample {
  /** Lineage. */
  lineage: LineageKind;
  /** Network index. */
  network: number;
  /** How it was chosen. */
  method: SelectionMethod;
  /** Whether it meets its rule. */
  meetsRule: boolean;
  /** Its scores. */
  scores: CandidateScores;
  /** One sentence: which network, by which rule, with its numbers. */
  reason: string;
}

/** The two examples. */
export interface ExampleSelection {
  /** Pruned example. */
  pruned: ChosenExample;
  /** Unpruned example. */
  unpruned: ChosenExample;
}

/** Options of {@link selectExamples}. */
export interface SelectExamplesOptions {
  /** Thresholds (default spec 9's). */
  rule?: SelectionRule;
  /** Network index of the pruned example, picked by hand. */
  pruned?: number;
  /** Network index of the unpruned example, picked by hand. */
  unpruned?: number;
}

const le = (s: CandidateScores): number => s.maxLE ?? -Infinity;

/** How far a network misses its lineage's rule (0 = meets it); LE and score shortfalls add. */
export function ruleShortfall(
  lineage: LineageKind,
  scores: CandidateScores,
  options: { rule?: SelectionRule } = {},
): number {
  const rule = options.rule ?? SPEC_SELECTION_RULE;
  const x = le(scores);
  const s = scores.probeScore;
  if (!Number.isFinite(s) || Number.isNaN(x)) return Infinity;
  return lineage === "unpruned"
    ? Math.max(0, rule.unprunedMinLE - x) + Math.max(0, s - rule.unprunedMaxScore)
    : Math.max(0, x - rule.prunedMaxLE) + Math.max(0, rule.prunedMinScore - s);
}

function describeRule(lineage: LineageKind, rule: SelectionRule): string {
  return lineage === "unpruned"
    ? `max LE >= ${rule.unprunedMinLE} and probe-trial score <= ${rule.unprunedMaxScore}`
    : `max LE <= ${rule.prunedMaxLE} and probe-trial score >= ${rule.prunedMinScore}`;
}

function describeScores(s: CandidateScores): string {
  const x = s.maxLE === null ? "-inf (singular product)" : s.maxLE.toFixed(3);
  return `max LE ${x}, probe-trial score ${s.probeScore.toFixed(3)}`;
}

/** Picks the pruned and unpruned example networks by spec 9's rules or by hand. */
export function selectExamples(
  candidates: readonly PairCandidates[],
  options: SelectExamplesOptions = {},
): ExampleSelection {
  const rule = options.rule ?? SPEC_SELECTION_RULE;
  const usable = (lineage: LineageKind): PairCandidates[] =>
    candidates.filter((c) => c[lineage] !== null);
  for (const lineage of ["pruned", "unpruned"] as const) {
    if (usable(lineage).length === 0) {
      throw new UsageError(`no ${lineage} network to choose an example from`);
    }
  }
  const meets = (lineage: LineageKind, c: PairCandidates): boolean => {
    const s = c[lineage];
    return s !== null && ruleShortfall(lineage, s, { rule }) === 0;
  };
  const chosen = (
    lineage: LineageKind,
    c: PairCandidates,
    method: SelectionMethod,
    why: string,
  ): ChosenExample => {
    const scores = c[lineage]!;
    return {
      lineage,
      network: c.network,
      method,
      meetsRule: meets(lineage, c),
      scores,
      reason: `${lineage} network ${c.network} (${describeScores(scores)}): ${why}.`,
    };
  };
  const byHand = (lineage: LineageKind, network: number): ChosenExample => {
    const c = candidates.find((x) => x.network === network);
    if (!c || c[lineage] === null) {
      const have = usable(lineage).map((x) => x.network).join(", ");
      throw new UsageError(
        `${lineage} network ${network} has no data; networks with data: ${have}`,
      );
    }
    return chosen(lineage, c, "hand", "picked by hand");
  };
  const byRule = (lineage: LineageKind): ChosenExample => {
    const pool = usable(lineage);
    const ok = pool.filter((c) => meets(lineage, c));
    const rule1 = describeRule(lineage, rule);
    if (ok.length > 0) {
      return chosen(
        lineage,
        ok[0],
        "rule",
        `first in network order to meet spec 9's rule (${rule1}); ${ok.length} of ${pool.length} ` +
          `${lineage} networks meet it`,
      );
    }
    let best = pool[0];
    for (const c of pool) {
      if (
        ruleShortfall(lineage, c[lineage]!, { rule }) <
          ruleShortfall(lineage, best[lineage]!, { rule })
      ) {
        best = c;
      }
    }
    return chosen(
      lineage,
      best,
      "nearest",
      `none of the ${pool.length} ${lineage} networks meets spec 9's rule (${rule1}); this one ` +
        `misses it by the least (summed shortfall ${
          ruleShortfall(lineage, best[lineage]!, { rule }).toFixed(3)
        })`,
    );
  };
  const handPruned = options.pruned !== undefined ? byHand("pruned", options.pruned) : null;
  const handUnpruned = options.unpruned !== undefined ? byHand("unpruned", options.unpruned) : null;
  if (!handPruned && !handUnpruned) {
    const pairs = candidates.filter((c) => meets("pruned", c) && meets("unpruned", c));
    if (pairs.length > 0) {
      const why = `first lineage pair in network order whose pruned network meets ` +
        `${describeRule("pruned", rule)} and whose unpruned network meets ` +
        `${describeRule("unpruned", rule)} (spec 9's rules, tested per pair as in the code); ` +
        `${pairs.length} of ${candidates.length} pairs do`;
      return {
        pruned: chosen("pruned", pairs[0], "rule-pair", why),
        unpruned: chosen("unpruned", pairs[0], "rule-pair", why),
      };
    }
  }
  return {
    pruned: handPruned ?? byRule("pruned"),
    unpruned: handUnpruned ?? byRule("unpruned"),
  };
}

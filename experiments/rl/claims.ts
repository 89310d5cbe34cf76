/**
 * How fig6 and fig7 runs test the RL findings of the catalogue (experiments/claims_catalogue.ts):
 * each `evaluate` computes the evidence from the run's own `--out` summary with the effect signed
 * in the paper's direction. Population claims average each lineage's value over the run's levels
 * (fig5's convention for 5A) and test the per-lineage differences with the paired t-test of the
 * papers (99% interval, sd of the differences for the power planning, exact Wilcoxon p in the
 * note); the note also gives every level's own difference and p. The directions of 7C, 7D, 7E
 * and 7H-I are not stated by the paper, so they are not claims (the catalogue's UNSTATED_PANELS).
 *
 * @module
 */
import {
  type ClaimEvidence,
  formatP,
  pairedEvidence,
  singleEvidence,
} from "../../core/app/claims.ts";
import type { Claim } from "../../core/app/claims.ts";
import { claim } from "../claims_catalogue.ts";
import { MAIN_NOISE } from "./config.ts";
import type { Fig6Summary } from "./fig6.ts";
import type { Fig7Summary } from "./fig7.ts";
import type { LevelMetric, MetricComparison } from "./summary.ts";

/** Per lineage, the mean over the given levels where both networks have a value (else null). */
function levelMeans(
  mc: MetricComparison,
  levels: readonly number[],
): { pruned: (number | null)[]; unpruned: (number | null)[] } {
  const pick = (own: (number | null)[][], other: (number | null)[][]): (number | null)[] =>
    own.map((row, j) => {
      const v = levels.map((li) => (row[li] !== null && other[j][li] !== null ? row[li] : null))
        .filter((x): x is number => x !== null);
      return v.length === levels.length && v.length > 0
        ? v.reduce((a, b) => a + b, 0) / v.length
        : null;
    });
  return {
    pruned: pick(mc.values.pruned, mc.values.unpruned),
    unpruned: pick(mc.values.unpruned, mc.values.pruned),
  };
}

/** Options of {@link levelClaim}. */
interface LevelClaimOptions {
  /** The metric of the summary. */
  metric: LevelMetric;
  /** What is compared, in words. */
  label: string;
  /** +1: pruned - unpruned is the paper's direction; -1: unpruned - pruned. */
  sign: 1 | -1;
  /** Only levels up to this one (Fig 7G: the code omits 0.9). */
  maxLevel?: number;
  /** Extra note. */
  note?: (s: Fig7Summary, levels: number[]) => string | undefined;
}

/** A claim about a per-level metric at noise 0.1: per-lineage means over the run's levels. */
function levelClaim(s: Fig7Summary, o: LevelClaimOptions): ClaimEvidence | null {
  const ns = s.byNoise[String(MAIN_NOISE)];
  if (!ns) return null;
  const levels = s.levels.map((l, i) => (l <= (o.maxLevel ?? 1) + 1e-9 ? i : -1))
    .filter((i) => i >= 0);
  if (levels.length === 0) return null;
  const mc = ns.metrics[o.metric];
  const m = levelMeans(mc, levels);
  const [a, b] = o.sign > 0 ? [m.pruned, m.unpruned] : [m.unpruned, m.pruned];
  const perLevel = levels.map((li) => {
    const st = mc.paired[li];
    const d = st.meanDiff === null ? "-" : (o.sign * st.meanDiff).toPrecision(3);
    return `${s.levels[li]}: ${d} (p ${formatP(st.p)}, n ${st.n})`;
  }).join(", ");
  const range = levels.map((li) => s.levels[li]).join(", ");
  return pairedEvidence(a, b, {
    metric: `noise ${MAIN_NOISE}, ${o.label}, per lineage averaged over levels ${range}`,
    note: [
      `per level: ${perLevel}`,
      s.protocol.faithfulTraining ? undefined : "SHORTENED TRAINING: not the paper's length",
      o.note?.(s, levels),
    ].filter(Boolean).join("; "),
  });
}

/** The fig7 claims: 7A, 7B, the abstract's optimal choices, 7G and the new option. */
export const FIG7_CLAIMS: Claim<Fig7Summary>[] = [
  claim<Fig7Summary>("averbeck2022/7A/value-error", (s) =>
    levelClaim(s, {
      metric: "qError",
      label: "unpruned - pruned value error vs the noise-free Q-values",
      sign: -1,
    })),
  claim<Fig7Summary>("averbeck2022/7B/agreement", (s) =>
    levelClaim(s, {
      metric: "choiceAgreement",
      label: "pruned - unpruned agreement with the Q-learner's choices",
      sign: 1,
    })),
  claim<Fig7Summary>("averbeck2022/abstract/optimal-choices", (s) =>
    levelClaim(s, {
      metric: "optimalRate",
      label: "pruned - unpruned rate of optimal choices",
      sign: 1,
    })),
  claim<Fig7Summary>("averbeck2022/7G/mahalanobis", (s) =>
    levelClaim(s, {
      metric: "mahalanobis",
      label: "pruned - unpruned per-block Mahalanobis distance (the code's; squared, in units " +
        "of the within-phase covariance)",
      sign: 1,
      maxLevel: 0.7,
      note: (x, levels) => {
        const e = levelClaim(x, {
          metric: "mahalanobisPooled",
          label: "pooled",
          sign: 1,
          maxLevel: 0.7,
        });
        return e
          ? `pooled over the 48 blocks: ${e.effect.toPrecision(3)} (p ${formatP(e.p)}, n ${e.n}, ` +
            `levels ${levels.length})`
          : undefined;
      },
    })),
  claim<Fig7Summary>("averbeck2022/flex/rl-new-option", (s) => {
    const no = s.newOption;
    if (!no) return null;
    const c = no.changes.logLoss;
    const abs = no.changes.loss.paired;
    return pairedEvidence(c.values.pruned, c.values.unpruned, {
      metric: "new option at 0.7, noise 0.1: pruned - unpruned ln(final training loss / the " +
        "network's own loss before new-option training)",
      note: `absolute change pruned - unpruned ${abs.meanDiff?.toPrecision(3) ?? "-"} (p ${
        formatP(abs.p)
      }); loss before training ${c.start.pruned.mean[0]?.toPrecision(3) ?? "-"} (pruned) vs ${
        c.start.unpruned.mean[0]?.toPrecision(3) ?? "-"
      } (unpruned)`,
    });
  }),
];

/** The fig6 claim: the example networks' fixation/choice separation (6H-I). */
export const FIG6_CLAIMS: Claim<Fig6Summary>[] = [
  claim<Fig6Summary>("averbeck2022/6H/example-separation", (s) => {
    const ex = s.examples;
    if (!ex) return null;
    const p = ex.pruned.mahalanobisPooled, u = ex.unpruned.mahalanobisPooled;
    if (!Number.isFinite(p) || !Number.isFinite(u)) return null;
    const num = (v: number): string => (Number.isFinite(v) ? v.toPrecision(3) : "-");
    return singleEvidence(p - u, {
      metric: `pruned - unpruned example's Mahalanobis distance between fixation-step and ` +
        `choice-step states, pooled over ${s.config.exampleBlocks} blocks (epsilon 0; squared, ` +
        `in units of the within-phase covariance)`,
      note: `pruned ${num(p)}, unpruned ${num(u)}; per-block means ` +
        `${num(ex.pruned.mahalanobis)} vs ${num(ex.unpruned.mahalanobis)}`,
    });
  }),
];

/**
 * The claims a fig5 run tests (catalogue: experiments/claims_catalogue.ts), judged from its
 * `--out` summary: per lineage pair, what the paper compares, with the tests of
 * core/app/claims.ts. Everything pairs the two lineages of one starting network; a pair counts
 * when both lineages have the values (failed lineages drop out, as in the panels).
 *
 * @module
 */
import {
  type Claim,
  correlationEvidence,
  everyEvidence,
  formatP,
  pairedEvidence,
} from "../../core/app/claims.ts";
import type { Lineage } from "../../core/app/paired_lineages.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_HIST_CENTRES, weightHistogram } from "../../core/util/histogram.ts";
import { mean } from "../../core/util/stats.ts";
import { claim } from "../claims_catalogue.ts";
import type { Fig5Summary, NetworkLineage } from "./summary.ts";

/** The level of the paper's Fig 5B, 5C, 5E, 5F (the arrow in 5A). */
export const FIG5_ARROW_LEVEL = 0.7;

type Present = Exclude<NetworkLineage, { failed: string }>;

function present(e: NetworkLineage | undefined): Present | null {
  return e && !("failed" in e) ? e : null;
}

/** Each network's entry of both lineages at `level` (null where missing or failed). */
function atLevel(s: Fig5Summary, level: number): Record<Lineage, (Present | null)[]> {
  const out: Record<Lineage, (Present | null)[]> = { pruned: [], unpruned: [] };
  for (const net of s.networks) {
    const entry = net.levels.find((l) => Math.abs(l.level - level) < 1e-9);
    out.pruned.push(present(entry?.pruned));
    out.unpruned.push(present(entry?.unpruned));
  }
  return out;
}

function hasLevel(s: Fig5Summary, level: number): boolean {
  return s.levels.some((l) => Math.abs(l - level) < 1e-9);
}

/**
 * Per network, the mean over the run's levels of a value of each lineage, for networks with both
 * lineages at every level (so each pair averages the same levels).
 */
function overLevels(
  s: Fig5Summary,
  pick: (e: Present) => number | null | undefined,
): Record<Lineage, (number | null)[]> {
  const out: Record<Lineage, (number | null)[]> = { pruned: [], unpruned: [] };
  for (const net of s.networks) {
    const vals: Record<Lineage, number[]> = { pruned: [], unpruned: [] };
    let complete = net.levels.length === s.levels.length;
    for (const entry of net.levels) {
      const p = present(entry.pruned);
      const u = present(entry.unpruned);
      const vp = p ? pick(p) : null;
      const vu = u ? pick(u) : null;
      if (typeof vp !== "number" || typeof vu !== "number") {
        complete = false;
        break;
      }
      vals.pruned.push(vp);
      vals.unpruned.push(vu);
    }
    out.pruned.push(complete ? mean(vals.pruned) : null);
    out.unpruned.push(complete ? mean(vals.unpruned) : null);
  }
  return out;
}

/** The per-level effects of a metric as a note: "0.5: +0.096 (p 0.0055, Holm 0.011), ...". */
function perLevelNote(s: Fig5Summary, metric: string, sign: 1 | -1): string {
  const effects = s.effects?.[metric] ?? [];
  return "per level: " + s.levels.map((lv, k) => {
    const e = effects[k];
    const d = e?.meanDiff;
    return `${lv}: ${typeof d === "number" ? (sign * d).toFixed(3) : "-"} (p ${
      formatP(e?.p ?? null)
    }, Holm ${formatP(e?.pHolm ?? null)}, n ${e?.n ?? 0})`;
  }).join(", ");
}

function levelsText(s: Fig5Summary): string {
  return s.levels.length === 1 ? `level ${s.levels[0]}` : `levels ${s.levels.join(", ")}`;
}

/** Fraction of a network's non-zero recurrent weights in the bins centred at ±0.05 (Fig 5F). */
export function nearZeroShare(A: readonly (readonly number[])[]): number {
  const h = weightHistogram(A.flat(), DMS_HIST_CENTRES);
  let share = 0;
  DMS_HIST_CENTRES.forEach((c, b) => {
    if (Math.abs(Math.abs(c) - 0.05) < 1e-9) share += h[b];
  });
  return share;
}

/** Fig 5B / 5C: accuracy per probe onset or strength at 0.7, every x must hold. */
function everyProbe(s: Fig5Summary, by: "onset" | "strength"): ReturnType<typeof everyEvidence> {
  if (!hasLevel(s, FIG5_ARROW_LEVEL)) return null;
  const nets = atLevel(s, FIG5_ARROW_LEVEL);
  const nonZero = PROBE_STRENGTHS.map((v, si) => [v, si] as const).filter(([v]) => v !== 0);
  const cell = (e: Present | null, k: number): number | null => {
    const t = e?.probeTable;
    if (!t) return null;
    return by === "onset" ? mean(nonZero.map(([, si]) => t[k][si])) : mean(t.map((row) => row[k]));
  };
  const xs = by === "onset"
    ? PROBE_ONSETS.map((o, k) => ({ label: `onset ${o}`, k }))
    : nonZero.map(([v, si]) => ({ label: `strength ${v}`, k: si }));
  const parts = xs.map(({ label, k }) => ({
    label,
    evidence: pairedEvidence(
      nets.pruned.map((e) => cell(e, k)),
      nets.unpruned.map((e) => cell(e, k)),
      { metric: label },
    ),
  }));
  return everyEvidence(parts, {
    metric: `probe accuracy at ${FIG5_ARROW_LEVEL} per ${by}, pruned - unpruned`,
  });
}

/** Fig 5E: Pearson r of a grouping value and maximal LE over both lineages' networks at 0.7. */
function leByCorrect(
  s: Fig5Summary,
  pick: (e: Present) => number | undefined,
  what: string,
): ReturnType<typeof correlationEvidence> {
  if (!hasLevel(s, FIG5_ARROW_LEVEL)) return null;
  const nets = atLevel(s, FIG5_ARROW_LEVEL);
  const all = [...nets.pruned, ...nets.unpruned];
  return correlationEvidence(
    all.map((e) => (e ? pick(e) ?? null : null)),
    all.map((e) => (typeof e?.maxLE === "number" ? e.maxLE : null)),
    {
      metric: `Pearson r of ${what} and maximal LE at ${FIG5_ARROW_LEVEL}, both lineages, ` +
        `effect = -r`,
      sign: -1,
      alpha: 0.01,
      note: "networks of a pair are not independent; the r pools both lineages as the code does",
    },
  );
}

/** The claims a fig5 run tests. */
export const FIG5_CLAIMS: Claim<Fig5Summary>[] = [
  claim<Fig5Summary>("averbeck2022/5A/probe-accuracy", (s) => {
    const v = overLevels(s, (e) => e.probeAccuracy);
    return pairedEvidence(v.pruned, v.unpruned, {
      metric: `probe accuracy, pruned - unpruned, mean over ${levelsText(s)}`,
      note: perLevelNote(s, "probeAccuracy", 1),
    });
  }),
  claim<Fig5Summary>("averbeck2022/5B/probe-onset", (s) => everyProbe(s, "onset")),
  claim<Fig5Summary>("averbeck2022/5C/probe-strength", (s) => everyProbe(s, "strength")),
  claim<Fig5Summary>("averbeck2022/5D/max-le", (s) => {
    const v = overLevels(s, (e) => e.maxLE);
    return pairedEvidence(v.unpruned, v.pruned, {
      metric: `maximal LE (code order), unpruned - pruned, mean over ${levelsText(s)}`,
      note: perLevelNote(s, "maxLE", -1),
    });
  }),
  claim<Fig5Summary>(
    "averbeck2022/5E/le-by-correct-code",
    (s) => leByCorrect(s, (e) => e.exampleCorrect, "conditions correct (onset 20, strength 0.2)"),
  ),
  claim<Fig5Summary>(
    "averbeck2022/5E/le-by-correct-legend",
    (s) => leByCorrect(s, (e) => e.probeAccuracy, "fraction of all probe trials correct"),
  ),
  claim<Fig5Summary>("averbeck2022/5F/weight-gap", (s) => {
    if (!hasLevel(s, FIG5_ARROW_LEVEL)) return null;
    const nets = atLevel(s, FIG5_ARROW_LEVEL);
    const share = (e: Present | null): number | null => (e?.A ? nearZeroShare(e.A) : null);
    return pairedEvidence(nets.unpruned.map(share), nets.pruned.map(share), {
      metric: `share of non-zero weights in the bins at ±0.05, unpruned - pruned, level ` +
        `${FIG5_ARROW_LEVEL}`,
    });
  }),
];

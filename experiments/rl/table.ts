/**
 * The terminal table of the RL population: per noise level and prune level, pruned / unpruned
 * means with paired p-values, then the starting networks and the new-option experiment.
 *
 * @module
 */
import { RANDOM_CHOOSER_REWARD as RANDOM_REWARD } from "../../core/rl/bandit.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { RlConfig } from "./config.ts";
import type { LevelMetric, NoiseSummary, RlSummary } from "./summary.ts";

/** Compact number formatting for tables. */
export function fmt(v: unknown, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** Terminal table of the RL population summary. */
export function rlTable(c: RlConfig, summary: RlSummary): string {
  const lines: string[] = [];
  const cols: [LevelMetric, string, number][] = [
    ["qError", "Q err", 3],
    ["choiceAgreement", "agree", 3],
    ["rewardPerBlock", "reward", 2],
    ["maxLE", "max LE", 3],
    ["mahalanobis", "Mahal", 1],
  ];
  for (const noise of c.noiseLevels) {
    const s: NoiseSummary | undefined = summary.byNoise[String(noise)];
    if (!s) continue;
    lines.push(`noise variance ${noise} (pruned / unpruned, p of paired t-test):`);
    const rows = c.levels.map((level, li) => [
      String(level),
      String(s.n[li]),
      ...cols.map(([m, , d]) => {
        const p = s.lineages.pruned[m].mean[li], u = s.lineages.unpruned[m].mean[li];
        const pv = s.pValues[m][li];
        return `${fmt(p, d)}/${fmt(u, d)} p${
          pv === null ? "-" : pv < 0.001 ? "<.001" : fmt(pv, 3)
        }`;
      }),
    ]);
    lines.push(
      formatTable(["level", "n", ...cols.map((x) => x[1])], rows, {
        align: ["left", "right", ...cols.map(() => "right" as const)],
      }),
    );
  }
  lines.push(`random chooser reward per block: ${RANDOM_REWARD}`);
  for (const i of summary.initial) {
    lines.push(
      `initial network ${i.index}: ${i.outerIterations} outer iterations, converged ${i.converged}, ` +
        `loss ${fmt(i.finalLoss, 4)}, reward/block ${fmt(i.rewardPerBlock, 2)}, agreement ${
          fmt(i.choiceAgreement)
        }`,
    );
  }
  const no = summary.newOption;
  if (no) {
    lines.push(
      `new option (n = ${no.n}): final loss pruned ${fmt(no.finalLoss.pruned, 4)} / unpruned ` +
        `${fmt(no.finalLoss.unpruned, 4)} (p ${
          fmt(no.finalLoss.p)
        }); reward/block on the new task ` +
        `${fmt(no.rewardPerBlock.pruned, 2)} / ${fmt(no.rewardPerBlock.unpruned, 2)}`,
    );
  }
  return lines.join("\n");
}

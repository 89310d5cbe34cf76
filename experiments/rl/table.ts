/**
 * The terminal table of the RL population: what the run cuts from the paper, then per noise level
 * one row per metric and prune level (pruned and unpruned mean ± SEM, the paired difference with
 * its 99% interval, the paired t-test p of the papers, the exact Wilcoxon p for small n, the Holm p
 * over every test of the table and a significance mark), the new-option changes in the same
 * columns, the Q-learner's own reward, the starting networks and the failures.
 *
 * @module
 */
import { RANDOM_CHOOSER_REWARD as RANDOM_REWARD } from "../../core/rl/bandit.ts";
import { formatTable } from "../../core/app/text_table.ts";
import { type MeanSem, type PairedStat, SMALL_N } from "../../core/app/paired_lineages.ts";
import { holmAdjust } from "../../core/util/stats.ts";
import type { RlConfig } from "./config.ts";
import type { ChangeComparison, LevelMetric, RlSummary, RlSummaryHeader } from "./summary.ts";

/** Compact number formatting for tables. */
export function fmt(v: unknown, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** A p-value as a table cell: three decimals, "<.001" below. */
export function fmtP(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return "-";
  return p < 0.001 ? "<.001" : p.toFixed(3);
}

/** The metrics of the table: key, label, decimals. */
export const TABLE_METRICS: readonly [LevelMetric, string, number][] = [
  ["qError", "Q error (7A)", 4],
  ["choiceAgreement", "agreement (7B)", 3],
  ["optimalRate", "optimal choices", 3],
  ["rewardPerBlock", "reward/block (7C)", 2],
  ["choiceRewardPerBlock", "reward, choice steps", 2],
  ["maxLE", "max LE (7D)", 4],
  ["mahalanobis", "Mahal. per block (7G)", 1],
  ["mahalanobisPooled", "Mahal. pooled", 2],
];

/** The test behind a row's mark: exact Wilcoxon below {@link SMALL_N} pairs, else paired t. */
export function markTestP(s: PairedStat): number | null {
  return s.n < SMALL_N ? s.wilcoxonP : s.p;
}

/** Significance mark of a Holm-adjusted p: "**" below 0.01 (the paper's alpha), "*" below 0.05. */
export function mark(pHolm: number | null): string {
  if (pHolm === null) return "";
  return pHolm < 0.01 ? "**" : pHolm < 0.05 ? "*" : "";
}

function meanSem(ms: MeanSem, i: number, digits: number): string {
  return `${fmt(ms.mean[i], digits)} ± ${fmt(ms.sem[i], digits)}`;
}

function diff(s: PairedStat, digits: number): string {
  const ci = s.ci ? `[${fmt(s.ci[0], digits)}, ${fmt(s.ci[1], digits)}]` : "[-]";
  return `${fmt(s.meanDiff, digits)} ${ci}`;
}

/** A row before the table-wide Holm adjustment. */
interface Row {
  cells: string[];
  stat: PairedStat;
}

const HEAD = ["metric", "level", "n", "pruned", "unpruned", "pruned - unpruned [99% CI]"];
const CHANGE_HEAD = [
  "new option at 0.7",
  "n",
  "pruned: start -> end (change ± SEM)",
  "unpruned: start -> end (change ± SEM)",
  "change pruned - unpruned [99% CI]",
];

/** A titled group of rows with its own header. */
interface Section {
  title: string;
  head: string[];
  rows: Row[];
}

/** Renders the sections with the Holm p over all their rows (one family) and the marks. */
function render(sections: Section[]): string[] {
  const all = sections.flatMap((s) => s.rows);
  const holm = holmAdjust(all.map((r) => markTestP(r.stat)));
  let k = 0;
  return sections.map((sec) => {
    const lines = sec.rows.map((r) => {
      const h = holm[k++];
      return [...r.cells, fmtP(r.stat.p), fmtP(r.stat.wilcoxonP), fmtP(h), mark(h)];
    });
    const head = [...sec.head, "p (t)", "p (W)", "p Holm", ""];
    return `${sec.title}:\n` + formatTable(head, lines, {
      align: head.map((_, i) => (i === 0 || i === head.length - 1 ? "left" : "right")),
      rule: true,
    });
  });
}

/** The lines that say what the run cuts from the paper's protocol. */
export function protocolLines(h: Pick<RlSummaryHeader<string>, "protocol" | "reduced">): string[] {
  const p = h.protocol;
  const out: string[] = [];
  if (p.cuts.length > 0) out.push(`REDUCED PROTOCOL: ${p.cuts.join("; ")}`);
  out.push(
    p.faithfulTraining
      ? `training as the paper's: each noisy data set fitted for ${
        p.stepsPerDataSet.join(" + ")
      } SCG steps (39 outer iterations of K = 684, refresh at 20, tau 10)`
      : `SHORTENED TRAINING: each noisy data set fitted for ${
        p.stepsPerDataSet.join(" + ")
      } SCG steps (paper 12996 + 13680): NOT a test of the paper's findings`,
  );
  return out;
}

function changeRow(label: string, c: ChangeComparison, digits: number): Row {
  const side = (k: "pruned" | "unpruned"): string =>
    `${fmt(c.start[k].mean[0], digits)} -> ${fmt(c.end[k].mean[0], digits)} (${
      fmt(c.change[k].mean[0], digits)
    } ± ${fmt(c.change[k].sem[0], digits)})`;
  return {
    cells: [
      label,
      String(c.paired.n),
      side("pruned"),
      side("unpruned"),
      diff(c.paired, digits),
    ],
    stat: c.paired,
  };
}

/** Terminal table of the RL population summary. */
export function rlTable(
  c: RlConfig,
  summary: RlSummary & Pick<RlSummaryHeader<string>, "protocol" | "reduced">,
): string {
  const lines = protocolLines(summary);
  const sections: Section[] = [];
  for (const noise of c.noiseLevels) {
    const s = summary.byNoise[String(noise)];
    if (!s) continue;
    const rows: Row[] = [];
    for (const [m, label, d] of TABLE_METRICS) {
      const mc = s.metrics[m];
      c.levels.forEach((level, li) => {
        rows.push({
          cells: [
            label,
            String(level),
            String(mc.paired[li].n),
            meanSem(mc.pruned, li, d),
            meanSem(mc.unpruned, li, d),
            diff(mc.paired[li], d),
          ],
          stat: mc.paired[li],
        });
      });
    }
    sections.push({
      title: `noise variance ${noise}: pruned vs unpruned, mean ± SEM`,
      head: HEAD,
      rows,
    });
  }
  const no = summary.newOption;
  if (no) {
    sections.push({
      title: "new option (spec 7.5): each network's change from its own start on the new task",
      head: CHANGE_HEAD,
      rows: [
        changeRow("training loss", no.changes.loss, 4),
        changeRow("training loss, ln(end/start)", no.changes.logLoss, 3),
        changeRow("Q error, new blocks", no.changes.qError, 4),
        changeRow("reward/block, new blocks", no.changes.rewardPerBlock, 2),
      ],
    });
  }
  lines.push(...render(sections));
  const rows = sections.flatMap((s) => s.rows);
  const family = rows.filter((r) => markTestP(r.stat) !== null).length;
  const minN = Math.min(...rows.map((r) => r.stat.n).filter((n) => n > 0));
  lines.push(
    `mean ± SEM over complete lineage pairs; 99% t interval of the paired difference. p (t): ` +
      `two-sided paired t-test (the paper's test, used by the scorecard); p (W): exact Wilcoxon ` +
      `signed-rank (below ${SMALL_N} pairs). Marks: ** / * = Holm-adjusted p < 0.01 / 0.05 over ` +
      `all ${family} tests of this table, of the Wilcoxon p below ${SMALL_N} pairs and of the ` +
      `t-test p above` +
      (minN < SMALL_N && Number.isFinite(minN)
        ? `; with n = ${minN} the Wilcoxon p cannot go below ${fmtP(Math.min(1, 2 / 2 ** minN))}.`
        : "."),
  );
  lines.push(
    "Mahalanobis: squared distance between the fixation-step and choice-step states in units of " +
      "the within-phase covariance (dimensionless; 1 = the means one within-phase SD apart); per " +
      "block = mean over the 48 evaluation blocks of 30 + 30 samples in 20 dimensions (biased " +
      "upwards, ~58/37, heavy-tailed; blocks with condition > 1e12 left out); pooled = all " +
      "1,440 + 1,440 samples of the 48 blocks.",
  );
  for (const noise of c.noiseLevels) {
    const q = summary.byNoise[String(noise)]?.qLearner;
    if (!q) continue;
    const at = (ms: MeanSem, d: number): string =>
      c.levels.map((_, i) => fmt(ms.mean[i], d)).join(" / ");
    lines.push(
      `reward = sum over the 60 steps of a block, fixation penalties included (spec 4.5). The ` +
        `Q-learner acting itself on the same blocks (noise ${noise}, levels ${
          c.levels.join(" / ")
        }): reward/block ${at(q.rewardPerBlock, 2)}, choice steps ${
          at(q.choiceRewardPerBlock, 2)
        }, optimal choices ${at(q.optimalRate, 3)}; a random chooser earns ${RANDOM_REWARD} ` +
        `per block; the paper's Fig 7C axis spans 8 to 10.5 (spec 15).`,
    );
  }
  for (const i of summary.initial) {
    lines.push(
      `starting network ${i.index}${i.reused ? ` (${i.reused})` : ""}: ${i.outerIterations} ` +
        `outer iterations, converged ${i.converged}, loss ${fmt(i.finalLoss, 4)}, Q error ` +
        `${fmt(i.qError, 4)}, agreement ${fmt(i.choiceAgreement)}, reward/block ` +
        `${fmt(i.rewardPerBlock, 2)}`,
    );
  }
  if (summary.failures.length > 0) {
    lines.push(
      `${summary.failures.length} network(s) failed (NaN/Inf) and are left out of every ` +
        `statistic; see "failures" in the JSON:`,
    );
    for (const f of summary.failures) {
      if (f.part === "initial") {
        lines.push(`  starting network ${f.lineage}: ${f.reason}`);
        continue;
      }
      const where = f.part === "main" ? `noise ${f.noise} level ${f.level}` : "new option";
      lines.push(`  ${where}, lineage ${f.lineage}, ${f.kind}: ${f.reason}`);
    }
  }
  return lines.join("\n");
}

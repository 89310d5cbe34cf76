/**
 * The dashboard panels of Fig 7 (7A-7I, the optimal-choice rate, the pooled Mahalanobis distance,
 * the new-option curves and changes, failures) for one noise level, from the summary of the units.
 * Pruned-vs-unpruned series come from core/app/paired_lineages.ts (`pairedComparison`): marks are
 * the exact Wilcoxon signed-rank test below 30 pairs (the paired t-test above), Holm-corrected over
 * the panel's levels; every point carries n, p, Holm p and the mean difference with its interval.
 *
 * @module
 */
import {
  type MeanSem,
  meanSemSeries,
  pairedComparison,
  SMALL_N,
} from "../../core/app/paired_lineages.ts";
import type { Panel, PanelSeries } from "../../core/app/panels.ts";
import { RANDOM_CHOOSER_REWARD as RANDOM_REWARD } from "../../core/rl/bandit.ts";
import { MAIN_LEVEL, MAIN_NOISE, type RlConfig } from "./config.ts";
import type { LevelMetric, NoiseSummary, RlSummary } from "./summary.ts";

const MAHALANOBIS_SCALE = "squared distance in units of the within-phase covariance";

/** The per-level panels: metric, title, y label, caption extra. */
const TITLES: readonly [LevelMetric, string, string, string][] = [
  [
    "qError",
    "Fig 7A: Q-value error vs prune level",
    "value error per step (sum over 4 outputs)",
    "",
  ],
  ["choiceAgreement", "Fig 7B: agreement with the Q-learner's choices", "fraction of steps", ""],
  [
    "optimalRate",
    "Optimal-choice rate (printed by the code, not plotted)",
    "fraction of steps with the optimal option",
    "",
  ],
  [
    "rewardPerBlock",
    "Fig 7C: reward per 60-step block",
    "reward per block (fixation penalties included)",
    "; dashed: the Q-learner acting itself on the same blocks, and a random chooser (-15)",
  ],
  ["maxLE", "Fig 7D: maximal Lyapunov exponent (code order)", "max LE (per step)", ""],
  [
    "mahalanobis",
    "Fig 7G: fixation vs choice Mahalanobis distance, per block",
    MAHALANOBIS_SCALE,
    "; mean over 48 blocks of 30 + 30 samples in 20 dimensions (biased upwards, ~58/37); " +
    "blocks with condition number > 1e12 left out",
  ],
  [
    "mahalanobisPooled",
    "Fig 7G (pooled): fixation vs choice Mahalanobis distance over all 48 blocks",
    MAHALANOBIS_SCALE,
    "; 1,440 + 1,440 samples, one covariance",
  ],
  ["maxLEChrono", "Max LE, chronological product order (D9)", "max LE (per step)", ""],
  [
    "choiceRewardPerBlock",
    "Reward of the choice steps per block",
    "reward per block, choice steps only",
    "; dashed: the Q-learner acting itself on the same blocks",
  ],
];

/** The test of a comparison with `n` pairs: exact Wilcoxon below {@link SMALL_N}, else t. */
function testFor(n: number): "t" | "wilcoxon" {
  return n < SMALL_N ? "wilcoxon" : "t";
}

/** The per-level panels of one noise level. */
function levelPanels(c: RlConfig, s: NoiseSummary, noise: number): Panel[] {
  const n = Math.max(0, ...s.n);
  return TITLES.map(([m, title, yLabel, extra]) => {
    const mc = s.metrics[m];
    const cmp = pairedComparison(mc.values.pruned, mc.values.unpruned, {
      x: c.levels,
      test: testFor(n),
      correction: "holm",
      effectLevel: 0.99,
    });
    const series: PanelSeries[] = [...cmp.series];
    const q = m === "rewardPerBlock"
      ? s.qLearner.rewardPerBlock
      : m === "choiceRewardPerBlock"
      ? s.qLearner.choiceRewardPerBlock
      : null;
    if (q) series.push({ ...meanSemSeries("Q-learner itself", c.levels, q), reference: true });
    if (m === "rewardPerBlock") {
      series.push({
        label: "random chooser",
        x: c.levels,
        y: c.levels.map(() => RANDOM_REWARD),
        reference: true,
      });
    }
    return {
      id: `fig7-${m}`,
      title: `${title} (noise ${noise})`,
      kind: "line",
      xLabel: "prune fraction (unpruned: matched retraining round)",
      yLabel,
      series,
      test: cmp.test,
      caption: `mean ± SEM over n = ${n} lineage pairs (complete pairs; failed networks left ` +
        `out); evaluation epsilon ${c.evalEpsilon}, pruned and unpruned on the same blocks` +
        extra,
    };
  });
}

/** Fig 7 E, F, H/I at level 0.7. */
function mainLevelPanels(s: NoiseSummary, noise: number): Panel[] {
  const main = "pcaCumulative" in s.atMainLevel ? s.atMainLevel : null;
  if (!main) return [];
  const pca = main.pcaCumulative;
  const dims = Array.from({ length: pca.pruned.mean.length }, (_, i) => i + 1);
  const h = main.histogram;
  const sc = main.scatter;
  return [
    {
      id: "fig7-pca",
      title: `Fig 7E: cumulative PCA variance, level ${MAIN_LEVEL} (noise ${noise})`,
      kind: "line",
      xLabel: "dimension",
      yLabel: "cumulative fraction of variance",
      series: [
        meanSemSeries("pruned", dims, pca.pruned),
        meanSemSeries("unpruned", dims, pca.unpruned),
      ],
    },
    {
      id: "fig7-histogram",
      title: `Fig 7F: recurrent weight histogram, level ${MAIN_LEVEL} (noise ${noise})`,
      kind: "line",
      xLabel: "weight",
      yLabel: "fraction of non-zero weights",
      series: [
        { label: "pruned", color: "pruned", x: [...h.centres], y: h.pruned },
        { label: "unpruned", color: "unpruned", x: [...h.centres], y: h.unpruned },
      ],
    },
    {
      id: "fig7-scatter",
      title: `Fig 7H/I: agreement vs max LE, level ${MAIN_LEVEL} (noise ${noise})`,
      kind: "scatter",
      xLabel: "agreement with the Q-learner",
      yLabel: "max LE",
      series: (["pruned", "unpruned"] as const).map((k) => ({
        label: k,
        color: k,
        x: sc[k].map((p) => p.agreement),
        y: sc[k].map((p) => p.maxLE),
      })),
      caption: `one point per network; Pearson r over both lineages = ${
        sc.pearson === null ? "-" : sc.pearson.toFixed(2)
      }`,
    },
  ];
}

/** The new-option panels: learning curves and the change from each network's own start. */
function newOptionPanels(summary: RlSummary): Panel[] {
  const no = summary.newOption;
  if (!no) return [];
  // lossHistory[1] is the loss before any training on the new task; plot from iteration 2.
  const it = no.iterations.slice(1);
  const cut = (ms: MeanSem): MeanSem => ({ mean: ms.mean.slice(1), sem: ms.sem.slice(1) });
  const ch = no.changes.logLoss;
  const cmp = pairedComparison(
    ch.values.pruned.map((v) => [v]),
    ch.values.unpruned.map((v) => [v]),
    {
      x: ["ln(final loss / own start)"],
      test: testFor(no.n),
      correction: "none",
      effectLevel: 0.99,
    },
  );
  return [
    {
      id: "rl-new-option",
      title: `New-option experiment: training loss on the changed task (level ${MAIN_LEVEL}, ` +
        `noise ${MAIN_NOISE})`,
      kind: "line",
      xLabel: "outer SCG iteration",
      yLabel: "training loss",
      logY: true,
      series: [
        { ...meanSemSeries("pruned", it, cut(no.lossHistory.pruned)), band: true },
        { ...meanSemSeries("unpruned", it, cut(no.lossHistory.unpruned)), band: true },
      ],
      caption: `mean ± SEM over n = ${no.n} networks; noise-free targets, one data set per ` +
        `network; the curves start from different losses, so compare the change panel`,
    },
    {
      id: "rl-new-option-change",
      title: "New option: change of training loss from each network's own start",
      kind: "bar",
      xLabel: "",
      yLabel: "ln(final loss / loss before new-option training)",
      series: cmp.series,
      test: cmp.test,
      caption: `mean ± SEM over n = ${no.n} networks; more negative = learned more; the paper: ` +
        `pruned networks learn some new problems more slowly`,
    },
  ];
}

/** A table of failed networks (only when there are some). */
function failurePanels(summary: RlSummary): Panel[] {
  if (summary.failures.length === 0) return [];
  return [{
    id: "rl-failures",
    title: "Failed networks (NaN/Inf), left out of every statistic",
    kind: "table",
    xLabel: "",
    yLabel: "",
    series: [],
    table: {
      columns: [
        { label: "part", role: "label" },
        { label: "noise", role: "value" },
        { label: "level", role: "value" },
        { label: "lineage", role: "value" },
        { label: "network", role: "label" },
        { label: "reason", role: "note" },
      ],
      rows: summary.failures.map((f) => [
        { value: f.part },
        { value: f.noise },
        { value: f.level },
        { value: f.lineage },
        { value: f.kind ?? "starting network" },
        { value: f.reason },
      ]),
    },
  }];
}

/** Dashboard panels of the RL population from a summary, for one noise level. */
export function rlPanels(c: RlConfig, summary: RlSummary, noise: number): Panel[] {
  const s: NoiseSummary | undefined = summary.byNoise[String(noise)];
  return [
    ...(s ? [...levelPanels(c, s, noise), ...mainLevelPanels(s, noise)] : []),
    ...newOptionPanels(summary),
    ...failurePanels(summary),
  ];
}

/**
 * The dashboard panels of Fig 7 (7A-7I and the new-option curves) for one noise level, from the
 * summary of the units.
 *
 * @module
 */
import { type MeanSem, meanSemSeries } from "../../core/app/paired_lineages.ts";
import type { Panel } from "../../core/app/panels.ts";
import { RANDOM_CHOOSER_REWARD as RANDOM_REWARD } from "../../core/rl/bandit.ts";
import { MAIN_LEVEL, MAIN_NOISE, type RlConfig } from "./config.ts";
import type { LevelMetric, NoiseSummary, RlSummary } from "./summary.ts";

/** The per-level panels: metric, title and y label. */
const TITLES: readonly [LevelMetric, string, string][] = [
  ["qError", "Fig 7A: Q-value error vs prune level", "value error per step (sum over 4 outputs)"],
  ["choiceAgreement", "Fig 7B: agreement with the Q-learner's choices", "fraction of steps"],
  ["rewardPerBlock", "Fig 7C: reward per 60-step block", "reward per block"],
  ["maxLE", "Fig 7D: maximal Lyapunov exponent (code order)", "max LE (per step)"],
  ["mahalanobis", "Fig 7G: fixation vs choice Mahalanobis distance", "squared distance"],
  ["maxLEChrono", "Max LE, chronological product order (D9)", "max LE (per step)"],
];

/** Dashboard panels of the RL population from a summary, for one noise level. */
export function rlPanels(c: RlConfig, summary: RlSummary, noise: number): Panel[] {
  const s: NoiseSummary | undefined = summary.byNoise[String(noise)];
  const panels: Panel[] = [];
  if (s) {
    const n = Math.max(0, ...s.n);
    for (const [m, title, yLabel] of TITLES) {
      const serie = [
        meanSemSeries("pruned", c.levels, s.lineages.pruned[m], { p: s.pValues[m] }),
        meanSemSeries("unpruned", c.levels, s.lineages.unpruned[m]),
      ];
      if (m === "rewardPerBlock") {
        serie.push({
          label: "random chooser",
          x: c.levels,
          y: c.levels.map(() => RANDOM_REWARD),
          color: "#888888",
        });
      }
      panels.push({
        id: `fig7-${m}`,
        title: `${title} (noise ${noise})`,
        kind: "line",
        xLabel: "prune fraction (unpruned: matched retraining round)",
        yLabel,
        series: serie,
        caption: `mean +/- SEM over n = ${n} lineage pairs; marks: paired t-test p < 0.01; ` +
          `evaluation epsilon ${c.evalEpsilon}` +
          (m === "mahalanobis" ? "; blocks with condition number > 1e12 excluded" : ""),
      });
    }
    const main = "pcaCumulative" in s.atMainLevel ? s.atMainLevel : null;
    const pca = main?.pcaCumulative;
    if (pca) {
      const dims = Array.from({ length: pca.pruned.mean.length }, (_, i) => i + 1);
      panels.push({
        id: "fig7-pca",
        title: `Fig 7E: cumulative PCA variance, level ${MAIN_LEVEL} (noise ${noise})`,
        kind: "line",
        xLabel: "dimension",
        yLabel: "cumulative fraction of variance",
        series: [
          meanSemSeries("pruned", dims, pca.pruned),
          meanSemSeries("unpruned", dims, pca.unpruned),
        ],
      });
    }
    const h = main?.histogram;
    if (h) {
      panels.push({
        id: "fig7-histogram",
        title: `Fig 7F: recurrent weight histogram, level ${MAIN_LEVEL} (noise ${noise})`,
        kind: "line",
        xLabel: "weight",
        yLabel: "fraction of non-zero weights",
        series: [
          { label: "pruned", color: "pruned", x: [...h.centres], y: h.pruned },
          { label: "unpruned", color: "unpruned", x: [...h.centres], y: h.unpruned },
        ],
      });
    }
    const sc = main?.scatter;
    if (sc) {
      panels.push({
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
      });
    }
  }
  const no = summary.newOption;
  if (no) {
    // lossHistory[1] is the loss before any training on the new task; plot from iteration 2.
    const it = no.iterations.slice(1);
    const cut = (ms: MeanSem): MeanSem => ({ mean: ms.mean.slice(1), sem: ms.sem.slice(1) });
    panels.push({
      id: "rl-new-option",
      title:
        `New-option experiment: training loss on the changed task (level ${MAIN_LEVEL}, noise ${MAIN_NOISE})`,
      kind: "line",
      xLabel: "outer SCG iteration",
      yLabel: "training loss",
      logY: true,
      series: [
        meanSemSeries("pruned", it, cut(no.lossHistory.pruned)),
        meanSemSeries("unpruned", it, cut(no.lossHistory.unpruned)),
      ],
      caption: `mean +/- SEM over n = ${no.n} networks; noise-free targets, one data set`,
    });
  }
  return panels;
}

/**
 * The dashboard panels of Fig 5 (5A-5F, 1H, 1I) from unit metrics only, and the level selector of
 * the level-specific panels.
 *
 * @module
 */
import type { ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import { LINEAGES, type MeanSem, meanSemSeries } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelParameter, PanelSeries } from "../../core/app/panels.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import { aggregateFig5, fig5AtLevel } from "./aggregate.ts";
import type { Fig5Config } from "./config.ts";
import { levelIndexOf } from "./protocol.ts";

/** A mean ± SEM line with its significance marks. */
function lineSeries(
  label: string,
  color: string,
  x: readonly number[],
  ms: MeanSem,
  p?: (number | null)[],
): PanelSeries {
  return meanSemSeries(label, x, ms, { color, p });
}

/** The level selector of Fig 5B, 5C, 5E and 5F. */
export function fig5Parameters(run: ExperimentRun<Fig5Config>): PanelParameter[] {
  const c = run.config;
  const def = c.levels[levelIndexOf(c.levels, c.analysisLevel ?? 0.7)];
  return [{
    name: "level",
    label: "Prune level for 5B, 5C, 5E, 5F",
    options: c.levels,
    default: def,
  }];
}

/** The dashboard panels of a Fig 5 run from its unit metrics. */
export function fig5Panels(
  run: ExperimentRun<Fig5Config>,
  units: UnitEntry[],
  params: Record<string, number>,
): Panel[] {
  const c = run.config;
  const agg = aggregateFig5(c, units);
  const li = levelIndexOf(c.levels, params.level ?? c.analysisLevel ?? 0.7);
  const lv = c.levels[li];
  const at = fig5AtLevel(c, units, li);
  const x = c.levels;
  const P = "pruned";
  const U = "unpruned";
  const n = Math.max(0, ...agg.n.pruned);
  const note = `n = ${n} lineage pairs; mean ± SEM; filled markers: p < 0.01 (paired t-test)` +
    (c.reduced ? "; REDUCED PROTOCOL" : "");
  const pair = (metric: string): PanelSeries[] => [
    lineSeries("pruned", P, x, agg.lineages.pruned[metric], agg.pValues[metric]),
    lineSeries("unpruned", U, x, agg.lineages.unpruned[metric], agg.pValues[metric]),
  ];
  return [
    {
      id: "fig5a",
      title: "Fig 5A: probe-trial accuracy vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "fraction correct (probe trials)",
      series: pair("probeAccuracy"),
      caption: `${note}. Mean over 6 onsets x 5 non-zero strengths; exact ±1 reference (D17).`,
    },
    {
      id: "fig5b",
      title: `Fig 5B: accuracy vs probe onset at level ${lv}`,
      kind: "line",
      xLabel: "probe onset (step)",
      yLabel: "fraction correct",
      series: [
        lineSeries("pruned", P, [...PROBE_ONSETS], at.byOnset.pruned, at.byOnsetP),
        lineSeries("unpruned", U, [...PROBE_ONSETS], at.byOnset.unpruned, at.byOnsetP),
      ],
      caption: "Mean over the 5 non-zero strengths.",
    },
    {
      id: "fig5c",
      title: `Fig 5C: accuracy vs probe strength at level ${lv}`,
      kind: "line",
      xLabel: "probe strength",
      yLabel: "fraction correct",
      series: [
        lineSeries("pruned", P, [...PROBE_STRENGTHS], at.byStrength.pruned, at.byStrengthP),
        lineSeries("unpruned", U, [...PROBE_STRENGTHS], at.byStrength.unpruned, at.byStrengthP),
      ],
      caption: "Mean over the 6 onsets; strength 0 = unprobed.",
    },
    {
      id: "fig5d",
      title: "Fig 5D: maximal Lyapunov exponent vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "max LE (1/step)",
      series: [
        lineSeries("pruned (code order)", P, x, agg.lineages.pruned.maxLE, agg.pValues.maxLE),
        lineSeries("unpruned (code order)", U, x, agg.lineages.unpruned.maxLE, agg.pValues.maxLE),
        lineSeries(
          "pruned (chronological)",
          "#f4a261",
          x,
          agg.lineages.pruned.maxLEChronological,
          agg.pValues.maxLEChronological,
        ),
        lineSeries(
          "unpruned (chronological)",
          "#8ab6d6",
          x,
          agg.lineages.unpruned.maxLEChronological,
          agg.pValues.maxLEChronological,
        ),
      ],
      caption:
        "Condition 4 unprobed, window 16..36, divisor 2 x 20. Code order = the paper's (D9).",
    },
    {
      id: "fig5e",
      title: `Fig 5E: max LE by conditions correct at level ${lv}`,
      kind: "bar",
      xLabel: "fraction of conditions correct (probe onset 20, strength 0.2)",
      yLabel: "max LE (code order)",
      series: LINEAGES.map((l) => ({
        label: `${l} (n = ${at.leByCorrect[l].n.join("/")})`,
        color: l,
        x: ["0.25", "0.5", "0.75", "1"],
        y: at.leByCorrect[l].mean,
        err: at.leByCorrect[l].sem,
      })),
      caption:
        "Networks grouped as in the code (one probe: onset 20, strength 0.2); 0 correct not shown.",
    },
    {
      id: "fig5f",
      title: `Fig 5F: recurrent weight histogram at level ${lv}`,
      kind: "bar",
      xLabel: "weight",
      yLabel: "fraction of non-zero weights",
      series: LINEAGES.map((l) => ({
        label: l,
        color: l,
        x: [...DMS_HIST_CENTRES],
        y: at.histogram[l],
      })),
      caption: "Non-zero entries of A, bins of width 0.05, averaged over networks.",
    },
    {
      id: "fig1h",
      title: "Fig 1H: final training loss vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "loss at the start of the last outer iteration",
      series: [
        ...pair("finalLoss"),
        lineSeries("pruned, after the last SCG call", "#f4a261", x, agg.lineages.pruned.endLoss),
        lineSeries(
          "unpruned, after the last SCG call",
          "#8ab6d6",
          x,
          agg.lineages.unpruned.endLoss,
        ),
      ],
      caption: `${note}. Final loss = loss at the start of the last outer iteration (the code's ` +
        `definition; with a cap of 1 outer iteration it is the loss right after pruning).`,
    },
    {
      id: "fig1i",
      title: "Fig 1I: outer SCG iterations vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "outer iterations",
      series: pair("iterations"),
      caption: `${note}. Capped at ${c.maxOuterRetrain}.`,
    },
  ];
}

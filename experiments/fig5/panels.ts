/**
 * The dashboard panels of Fig 5 (5A-5F, 1H, 1I, 5E in both groupings, converged retrainings) from
 * unit metrics only, and the level selector of the level-specific panels. Pruned-vs-unpruned
 * panels come from `pairedComparison` (core/app/paired_lineages.ts), so each point carries n, the
 * paired t p, the Holm p over the panel's x values and the effect with its 99% interval (the CSV
 * export has them); the marks keep the paper's rule, p < 0.01 of the uncorrected paired t-test.
 *
 * @module
 */
import type { ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import {
  LINEAGES,
  type MeanSem,
  meanSemSeries,
  type PairedComparison,
  pairedComparison,
  type Rows,
} from "../../core/app/paired_lineages.ts";
import type { Panel, PanelParameter, PanelSeries } from "../../core/app/panels.ts";
import { PROBE_ONSETS, PROBE_STRENGTHS } from "../../core/dms/task.ts";
import { DMS_HIST_CENTRES } from "../../core/util/histogram.ts";
import {
  aggregateFig5,
  convergedCounts,
  fig5AtLevel,
  FIG5E_GROUPINGS,
  type LeByGroup,
  metricTables,
  networksAtLevel,
  probeRows,
} from "./aggregate.ts";
import type { Fig5Config } from "./config.ts";
import { levelIndexOf } from "./protocol.ts";

/** A mean ± SEM line without a test (e.g. the loss after the last SCG call). */
function lineSeries(label: string, color: string, x: readonly number[], ms: MeanSem): PanelSeries {
  return meanSemSeries(label, x, ms, { color });
}

/** Pruned vs unpruned over complete pairs, marked as the paper marks (uncorrected p < 0.01). */
function compare(
  rows: Record<"pruned" | "unpruned", Rows>,
  x: readonly (number | string)[],
  options: { labels?: [string, string]; colors?: [string, string] } = {},
): PairedComparison {
  return pairedComparison(rows.pruned, rows.unpruned, {
    x: [...x],
    correction: "none",
    effectLevel: 0.99,
    ...options,
  });
}

/** Exact Wilcoxon p per x for captions when n is small (the marks stay the paired t-test's). */
function wilcoxonNote(cmp: PairedComparison, x: readonly (number | string)[]): string {
  const n = Math.max(0, ...(cmp.series[0].n ?? []).map((v) => v ?? 0));
  if (n >= 30 || n < 2) return "";
  return ` n < 30, so the exact Wilcoxon signed-rank test is shown too: ${
    x.map((v, i) => `${v}: p ${wilcoxonAt(cmp, i)}`).join(", ")
  }.`;
}

function wilcoxonAt(cmp: PairedComparison, i: number): string {
  const w = cmp.wilcoxon?.[i] ?? null;
  return w === null ? "-" : w < 0.001 ? "<.001" : w.toFixed(3);
}

function fig5eSeries(groups: Record<"pruned" | "unpruned", LeByGroup>): PanelSeries[] {
  return LINEAGES.map((l) => ({
    label: `${l} (n = ${groups[l].n.join("/")})`,
    color: l,
    x: ["0.25", "0.5", "0.75", "1"],
    y: groups[l].mean,
    err: groups[l].sem,
    n: groups[l].n,
  }));
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
  const tables = metricTables(units, c);
  const li = levelIndexOf(c.levels, params.level ?? c.analysisLevel ?? 0.7);
  const lv = c.levels[li];
  const at = fig5AtLevel(c, units, li);
  const probe = probeRows(networksAtLevel(c, units, li));
  const x = c.levels;
  const n = Math.max(0, ...agg.n.pruned);
  const note = `n = ${n} lineage pairs; mean ± SEM; filled markers: p < 0.01 (paired t-test, ` +
    `uncorrected, the paper's rule; Holm p and the effect with its 99% interval per point in the ` +
    `CSV)` + (c.reduced ? "; REDUCED PROTOCOL" : "");
  const byLevel = (metric: string, options?: Parameters<typeof compare>[2]): PairedComparison =>
    compare(tables[metric], x, options);
  const acc = byLevel("probeAccuracy");
  const onset = compare(probe.byOnset, PROBE_ONSETS);
  const strength = compare(probe.byStrength, PROBE_STRENGTHS);
  const le = byLevel("maxLE", {
    labels: ["pruned (code order)", "unpruned (code order)"],
    colors: ["pruned", "unpruned"],
  });
  const leChrono = byLevel("maxLEChronological", {
    labels: ["pruned (chronological)", "unpruned (chronological)"],
    colors: ["#f4a261", "#8ab6d6"],
  });
  const loss = byLevel("finalLoss");
  const iters = byLevel("iterations");
  const conv = convergedCounts(c, units);
  return [
    {
      id: "fig5a",
      title: "Fig 5A: probe-trial accuracy vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "fraction correct (probe trials)",
      series: acc.series,
      test: acc.test,
      caption: `${note}. Mean over 6 onsets x 5 non-zero strengths; exact ±1 reference (D17).` +
        wilcoxonNote(acc, x),
    },
    {
      id: "fig5b",
      title: `Fig 5B: accuracy vs probe onset at level ${lv}`,
      kind: "line",
      xLabel: "probe onset (step)",
      yLabel: "fraction correct",
      series: onset.series,
      test: onset.test,
      caption: "Mean over the 5 non-zero strengths." + wilcoxonNote(onset, PROBE_ONSETS),
    },
    {
      id: "fig5c",
      title: `Fig 5C: accuracy vs probe strength at level ${lv}`,
      kind: "line",
      xLabel: "probe strength",
      yLabel: "fraction correct",
      series: strength.series,
      test: strength.test,
      caption: "Mean over the 6 onsets; strength 0 = unprobed." +
        wilcoxonNote(strength, PROBE_STRENGTHS),
    },
    {
      id: "fig5d",
      title: "Fig 5D: maximal Lyapunov exponent vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "max LE (1/step)",
      series: [...le.series, ...leChrono.series],
      test: le.test,
      caption:
        "Condition 4 unprobed, window 16..36, divisor 2 x 20. Code order = the paper's (D9)." +
        wilcoxonNote(le, x),
    },
    {
      id: "fig5e",
      title: `Fig 5E: max LE by conditions correct at level ${lv} (the code's grouping)`,
      kind: "bar",
      xLabel: "fraction of conditions correct (probe onset 20, strength 0.2)",
      yLabel: "max LE (code order)",
      series: fig5eSeries(at.leByCorrect),
      caption: `Networks grouped as in the code: ${FIG5E_GROUPINGS.code.label}; 0 correct not ` +
        `shown; SEM per group (D14: not swapped).`,
    },
    {
      id: "fig5e-legend",
      title: `Fig 5E: max LE by fraction of all probe trials correct at level ${lv} ` +
        `(the legend's grouping)`,
      kind: "bar",
      xLabel: "fraction of all probe trials correct (nearest quarter)",
      yLabel: "max LE (code order)",
      series: fig5eSeries(at.leByCorrectAllTrials),
      caption: `Networks grouped as the legend says (all probe trials): ` +
        `${FIG5E_GROUPINGS.legend.label}; below 0.125 not shown.`,
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
        ...loss.series,
        lineSeries("pruned, after the last SCG call", "#f4a261", x, agg.lineages.pruned.endLoss),
        lineSeries(
          "unpruned, after the last SCG call",
          "#8ab6d6",
          x,
          agg.lineages.unpruned.endLoss,
        ),
      ],
      test: loss.test,
      caption: `${note}. Final loss = loss at the start of the last outer iteration (the code's ` +
        `definition; with a cap of 1 outer iteration it is the loss right after pruning).`,
    },
    {
      id: "fig1i",
      title: "Fig 1I: outer SCG iterations vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "outer iterations",
      series: iters.series,
      test: iters.test,
      caption: `${note}. Capped at ${c.maxOuterRetrain}.`,
    },
    {
      id: "fig5-converged",
      title: "Retrainings that met the stopping rule vs prune fraction",
      kind: "line",
      xLabel: "prune fraction",
      yLabel: "fraction converged",
      series: LINEAGES.map((l) => ({
        label: l,
        color: l,
        x: [...x],
        y: conv.levels[l].fraction,
        n: conv.levels[l].n,
      })),
      caption: `Fraction of each lineage's retrainings per level that met the stopping rule ` +
        `within the cap of ${c.maxOuterRetrain} outer iterations (the others are kept, as in the ` +
        `paper's pipeline). Starting networks with every initial round converged: ` +
        `${conv.start.converged}/${conv.start.n}.`,
    },
  ];
}

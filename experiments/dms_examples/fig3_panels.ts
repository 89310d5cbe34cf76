/**
 * Fig 3 (`fig3`): the example networks' trajectories around the probe and the divergence of
 * probed from unprobed trials, for the examples and the population.
 *
 * @module
 */
import type { Lineage } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelSeries } from "../../core/app/panels.ts";
import type { ExampleUnit, ProjectionPlot, TrialPlot } from "./records.ts";
import {
  at,
  BY_LINEAGE,
  conditionName,
  f3,
  lineages,
  MARKER,
  name,
  outcome,
  outputSeries,
  P,
  type PanelData,
  populationPanel,
  range,
  TRIAL,
  waiting,
} from "./panel_parts.ts";

const FIG3_STEPS = range(P.fig3Steps[0], P.fig3Steps[1]);

function trialSeries(
  ks: readonly number[],
  pick: (p: ProjectionPlot) => number[],
  e: ExampleUnit,
): PanelSeries[] {
  const pr = e.projections;
  const s = (label: string, color: string, p: ProjectionPlot): PanelSeries => ({
    label,
    color,
    x: [...ks],
    y: at(pick(p), ks),
    line: true,
  });
  return [
    s(`condition ${P.lureCondition} (${conditionName(P.lureCondition)})`, TRIAL.lure, pr.lure),
    s(
      `condition ${P.probedCondition} (${conditionName(P.probedCondition)})`,
      TRIAL.unprobed,
      pr.unprobed,
    ),
    s(`condition ${P.probedCondition} + probe at k = ${P.markers.P}`, TRIAL.probed, pr.probed),
  ];
}

/** Single-point marker series drawn below the curves, one per event (the paper's symbols). */
function eventMarkers(
  series: readonly PanelSeries[],
  events: Readonly<Record<string, number>>,
  describe: Readonly<Record<string, string>>,
): PanelSeries[] {
  const ys = series.flatMap((s) => s.y.filter((v): v is number => v !== null));
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const y = lo - 0.08 * (hi - lo || 1);
  return Object.entries(events).map(([key, k]) => ({
    label: `${key}: ${describe[key]} (k = ${k})`,
    color: MARKER,
    x: [k],
    y: [y],
  }));
}

const FIG3_EVENTS = { C1: "cue 1", P: "probe", C2: "cue 2", R: "response" };

export function fig3Panels(d: PanelData): Panel[] {
  const out: Panel[] = [];
  const letters: Record<Lineage, [string, string, string]> = {
    unpruned: ["A", "B", "C"],
    pruned: ["D", "E", "F"],
  };
  for (const l of BY_LINEAGE) {
    const [a, b, c] = letters[l];
    const e = d.examples[l];
    if (!e) {
      for (const x of [a, b, c]) {
        out.push(waiting(`fig3${x.toLowerCase()}`, `Fig 3${x}: ${l} example`, "scatter"));
      }
      continue;
    }
    for (const [letter, pc] of [[a, "pc1"], [b, "pc2"]] as const) {
      const curves = trialSeries(FIG3_STEPS, (p) => p[pc], e);
      out.push({
        id: `fig3${letter.toLowerCase()}`,
        title: `Fig 3${letter}: ${name(e)}, projection on PC${pc === "pc1" ? 1 : 2} over time`,
        kind: "scatter",
        xLabel: "step k",
        yLabel: `PC${pc === "pc1" ? 1 : 2} projection v${pc === "pc1" ? 1 : 2} · x(k)`,
        series: [...curves, ...eventMarkers(curves, P.markers, FIG3_EVENTS)],
        caption:
          `Raw projections (no mean subtracted) on the ${
            pc === "pc1" ? "first" : "second"
          } PC of the states of the four unprobed conditions at k = ${P.pcaSteps[0]}..` +
          `${P.pcaSteps[1]} (spec 8.2); eigenvector sign fixed so its largest component is ` +
          `positive. PC variance fraction ${
            f3(e.pca.fraction[pc === "pc1" ? 0 : 1])
          }. Markers below the curves: the events.`,
      });
    }
    const trials: [string, string, TrialPlot][] = [
      [`condition ${P.lureCondition}`, TRIAL.lure, e.trials.unprobed[P.lureCondition - 1]],
      [
        `condition ${P.probedCondition}`,
        TRIAL.unprobed,
        e.trials.unprobed[P.probedCondition - 1],
      ],
      [`condition ${P.probedCondition} + probe`, TRIAL.probed, e.trials.probed],
    ];
    out.push({
      id: `fig3${c.toLowerCase()}`,
      title: `Fig 3${c}: ${name(e)}, output y(k) of the same three trials`,
      kind: "line",
      xLabel: "step k",
      yLabel: "output y(k)",
      series: trials.map(([label, color, t]) => outputSeries(label, color, t)),
      caption: trials.map(([label, , t]) => `${label}: ${outcome(t)}`).join("; ") + ".",
    });
  }
  return out.sort((x, y) => x.id.localeCompare(y.id));
}

export function divergencePanel(d: PanelData): Panel {
  const ex = lineages(d);
  return {
    id: "fig3-divergence",
    title: "Fig 3, in numbers: distance between the probed and unprobed condition-4 states",
    kind: "line",
    xLabel: "step k",
    yLabel: "|x_probed(k) - x(k)| (30-D)",
    series: ex.map((e) => ({
      label: name(e),
      color: e.lineage,
      x: FIG3_STEPS,
      y: at(e.divergence, FIG3_STEPS),
    })),
    caption: "Euclidean distance in the full 30-D state space (not only PC1-PC2). The legend: " +
      '"the perturbed and unperturbed trajectories for condition 4 diverge around time point 30"' +
      ' (unpruned), "diverge less and only late in the trial" (pruned).',
  };
}

export function divergencePopulation(d: PanelData): Panel {
  return populationPanel(d, {
    id: "fig3-population",
    title: "Fig 3, population: distance between probed and unprobed condition-4 states",
    xLabel: "step k",
    yLabel: "|x_probed(k) - x(k)| (30-D)",
    pick: (n) => n.divergence,
    x: FIG3_STEPS,
    index: (k) => k - 1,
    caption: "Condition 4, probe at k = 20-21, strength 0.2.",
  });
}

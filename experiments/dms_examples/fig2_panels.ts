/**
 * Figs 1C-F and 2 (`fig2`): the example networks' trials, weight histograms, singular values and
 * probe responses, and the population version of 2B.
 *
 * @module
 */
import type { Lineage } from "../../core/app/paired_lineages.ts";
import type { Panel } from "../../core/app/panels.ts";
import {
  BY_LINEAGE,
  conditionName,
  fin,
  inputSeries,
  lineages,
  name,
  outcome,
  outputSeries,
  P,
  type PanelData,
  populationPanel,
  range,
  targetSeries,
  waiting,
} from "./panel_parts.ts";

export function fig1Panels(d: PanelData): Panel[] {
  const ex = lineages(d);
  return [1, 2, 3, 4].map((condition, i) => {
    const id = `fig1${"cdef"[i]}`;
    const title = `Fig 1${"CDEF"[i]}: condition ${condition} (${
      conditionName(condition)
    }), inputs and the example networks' outputs`;
    if (ex.length === 0) return waiting(id, title, "line");
    const trials = ex.map((e) => ({ e, t: e.trials.unprobed[condition - 1] }));
    return {
      id,
      title,
      kind: "line",
      xLabel: "step k",
      yLabel: "input / output y(k)",
      series: [
        ...inputSeries(trials[0].t, { epochs: true }),
        ...trials.map(({ e, t }) => outputSeries(`output, ${name(e)}`, e.lineage, t)),
        targetSeries(condition),
      ],
      caption: `${
        trials.map(({ e, t }) => `${name(e)}: ${outcome(t)}`).join("; ")
      }. Inputs 3 and 4 are the epoch channels (start 1..10, response 52-53, end 58); the ` +
        "constant bias and the end-of-trial channel are not drawn. The legend does not say " +
        "which conditions it shows (spec 9); these are all four.",
    };
  });
}

export function histogramPanel(d: PanelData): Panel {
  const ex = lineages(d);
  return {
    id: "fig2a",
    title: `Fig 2A: recurrent weight histograms of the example networks (level ${d.config.level})`,
    kind: "line",
    xLabel: "weight",
    yLabel: "fraction of non-zero weights",
    series: ex.map((e) => ({
      label: name(e),
      color: e.lineage,
      x: e.weights.histogramCentres,
      y: e.weights.histogram.map(fin),
    })),
    caption: "Non-zero entries of A, bins of width 0.05 (end bins open), normalised to sum 1; " +
      ex.map((e) => `${name(e)}: ${e.weights.zeros} zeros`).join(", ") + ".",
  };
}

export function singularPanel(d: PanelData): Panel {
  const ex = lineages(d);
  return {
    id: "fig2b",
    title: "Fig 2B: normalised cumulative singular values of A",
    kind: "line",
    xLabel: "number of singular values (largest first)",
    yLabel: "cumulative sum / total",
    series: ex.map((e) => ({
      label: name(e),
      color: e.lineage,
      x: range(1, e.weights.singularCumulative.length),
      y: e.weights.singularCumulative.map(fin),
    })),
    caption: "Singular values of A by ml-matrix's SVD, sorted descending (spec 8.5).",
  };
}

export function probePanels(d: PanelData): Panel[] {
  const out: Panel[] = [];
  const letters: Record<Lineage, [string, string]> = { unpruned: ["C", "D"], pruned: ["E", "F"] };
  for (const l of BY_LINEAGE) {
    const [a, b] = letters[l];
    const e = d.examples[l];
    if (!e) {
      out.push(waiting(`fig2${a.toLowerCase()}`, `Fig 2${a}: ${l} example, no probe`, "line"));
      out.push(waiting(`fig2${b.toLowerCase()}`, `Fig 2${b}: ${l} example, probed`, "line"));
      continue;
    }
    const c4 = e.trials.unprobed[P.probedCondition - 1];
    for (
      const [letter, t, what] of [[a, c4, "no probe"], [b, e.trials.probed, "probed"]] as const
    ) {
      out.push({
        id: `fig2${letter.toLowerCase()}`,
        title: `Fig 2${letter}: ${name(e)}, condition ${P.probedCondition}, ${what}: ${outcome(t)}`,
        kind: "line",
        xLabel: "step k",
        yLabel: "input / output y(k)",
        series: [
          ...inputSeries(t, { epochs: false }),
          outputSeries("output y(k)", e.lineage, t),
          targetSeries(P.probedCondition),
        ],
        caption: t.probe
          ? `Probe on input 1 at k = ${t.probe.onset}, ${t.probe.onset + 1}, strength ` +
            `+${t.probe.strength} (opposite to cue 1, spec 3.6).`
          : "Condition 4 (right/left, nonmatch) without a probe.",
      });
    }
  }
  return out.sort((x, y) => x.id.localeCompare(y.id));
}

export function singularPopulation(d: PanelData): Panel {
  const x = range(
    1,
    d.networks.find((u) => u.pruned.dynamics)?.pruned.dynamics
      ?.singularCumulative.length ?? 30,
  );
  return populationPanel(d, {
    id: "fig2b-population",
    title: "Fig 2B, population: normalised cumulative singular values of A",
    xLabel: "number of singular values (largest first)",
    yLabel: "cumulative sum / total",
    pick: (n) => n.singularCumulative,
    x,
    index: (i) => i - 1,
    caption: "The paper does not state a direction for 2B (spec 10).",
  });
}

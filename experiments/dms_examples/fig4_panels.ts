/**
 * Fig 4 (`fig4`): flow fields, contraction and Lyapunov spectra of the example networks, their
 * population versions and the summary table of max LE and contraction at the probe.
 *
 * @module
 */
import { type Lineage, pairedComparison } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelSeries, TableCell } from "../../core/app/panels.ts";
import type { ExampleUnit } from "./records.ts";
import {
  type Column,
  fin,
  lineages,
  MARKER,
  name,
  P,
  type PanelData,
  populationPanel,
  range,
  rows,
  tablePanel,
  TRIAL,
  UPDATE,
  waiting,
} from "./panel_parts.ts";

function fieldPanel(e: ExampleUnit, letter: string): Panel {
  const f = e.field.unprobed;
  const g = f.segments;
  const updates: PanelSeries = {
    label: "one-step update",
    color: UPDATE,
    x: [],
    y: [],
    line: true,
  };
  g.k.forEach((_, i) => {
    // A null y between segments breaks the line, so one series draws every segment.
    updates.x.push(g.fromPc1[i], g.toPc1[i], g.toPc1[i]);
    updates.y.push(g.fromPc2[i], g.toPc2[i], null);
  });
  const traj = (label: string, color: string, p: { pc1: number[]; pc2: number[] }) => ({
    label,
    color,
    x: p.pc1,
    y: p.pc2.map(fin),
    line: true,
  });
  const mark = (key: string, what: string, k: number): PanelSeries => {
    const i = f.steps.indexOf(k);
    return {
      label: `${key}: ${what} (k = ${k})`,
      color: MARKER,
      x: [f.trajectory.pc1[i]],
      y: [
        fin(f.trajectory.pc2[i]),
      ],
    };
  };
  const [first, last] = P.fieldSteps;
  return {
    id: `fig4${letter.toLowerCase()}`,
    title: `Fig 4${letter}: ${name(e)}, PC1-PC2 trajectories with the one-step vector field`,
    kind: "scatter",
    xLabel: "PC1",
    yLabel: "PC2",
    // chart.js draws the first series on top: labels, then trajectories, then the field.
    series: [
      mark("S", "start of the window", P.fieldLabels.S),
      mark("P", "probe", P.fieldLabels.P),
      mark("E", "end of the window", P.fieldLabels.E),
      traj(`condition ${P.probedCondition}`, TRIAL.unprobed, f.trajectory),
      traj(
        `condition ${P.probedCondition} + probe`,
        TRIAL.probed,
        e.field.probed.trajectory,
      ),
      { label: "grid points", color: "#8c8c8c", x: g.fromPc1, y: g.fromPc2.map(fin) },
      updates,
    ],
    caption: `k = ${first}..${last}. At each step the unprobed condition-4 state is displaced ` +
      `on a 3 x 3 grid (offsets ±0.05 along PC1 and PC2) and the network update applied once ` +
      "in the full space (input of the unprobed trial); each line joins a grid point to where " +
      "it lands. The grid is around the unprobed trajectory as in the code's 2-D figure (the " +
      "legend says the probed one; spec D15; --out has both).",
  };
}

function contractionPanel(d: PanelData): Panel {
  const ex = lineages(d);
  const ks = ex[0]?.contraction.unprobed.steps ?? range(P.fieldSteps[0], P.fieldSteps[1]);
  return {
    id: "fig4c",
    title: "Fig 4C: contraction of the perturbation grid after one update",
    kind: "line",
    xLabel: "step k",
    yLabel: "contraction (end spread / start spread)",
    series: [
      ...ex.map((e) => ({
        label: name(e),
        color: e.lineage,
        x: e.contraction.unprobed.steps,
        y: e.contraction.unprobed.values.map(fin),
      })),
      { label: "no change (1)", x: ks, y: ks.map(() => 1), reference: true },
    ],
    caption: "The code's metric (spec 8.3): variance-weighted root-sum-square spread of the nine " +
      "endpoints in (PC1, PC2, output direction) over that of the start points; < 1 = " +
      "perturbations shrink. Around the unprobed condition-4 trajectory; the legend's reading " +
      "(mean PC1-PC2 distance ratio) and the probed trajectory's are in --out.",
  };
}

function spectrumPanel(
  d: PanelData,
  spec: {
    id: string;
    title: string;
    pick: (e: ExampleUnit) => number[] | undefined;
    caption: string;
  },
): Panel {
  return {
    id: spec.id,
    title: spec.title,
    kind: "line",
    xLabel: "exponent index (ascending)",
    yLabel: "Lyapunov exponent (1/step)",
    series: lineages(d).map((e) => {
      const s = spec.pick(e) ?? [];
      return { label: name(e), color: e.lineage, x: range(1, s.length), y: s.map(fin) };
    }),
    caption: `Unprobed condition 4, k = ${P.spectrumWindow.kOn}..${P.spectrumWindow.kOff}, ` +
      `ln(singular values of the Jacobian product) / ${
        P.spectrumWindow.kOff - P.spectrumWindow.kOn
      }. ${spec.caption}`,
  };
}

export function fig4Panels(d: PanelData): Panel[] {
  const byLetter: [Lineage, string][] = [["unpruned", "A"], ["pruned", "B"]];
  const floor = "Exponents below about max - 0.74 (= ln(1e-16) / 50) are rounding noise of " +
    "P^T P in the direct method (spec 8.1).";
  return [
    ...byLetter.map(([l, letter]) =>
      d.examples[l]
        ? fieldPanel(d.examples[l]!, letter)
        : waiting(`fig4${letter.toLowerCase()}`, `Fig 4${letter}: ${l} example`, "scatter")
    ),
    contractionPanel(d),
    spectrumPanel(d, {
      id: "fig4d",
      title: "Fig 4D: Lyapunov spectrum of the example networks (code order, the paper's)",
      pick: (e) => e.spectrum.code,
      caption: `Product J(15)...J(40) as the code forms it (spec D9). ${floor}`,
    }),
    spectrumPanel(d, {
      id: "fig4d-chronological",
      title: "Fig 4D, chronological product order J(40)...J(15)",
      pick: (e) => e.spectrum.chronological,
      caption: `The linearised map of the trajectory itself (spec 8.1, D9). ${floor}`,
    }),
    spectrumPanel(d, {
      id: "fig4d-qr",
      title: "Fig 4D, QR (Benettin) spectrum of the same product (code order)",
      pick: (e) => e.spectrum.qr?.code,
      caption: "Re-orthonormalised after every factor, started from the identity: its lower " +
        "exponents are not rounding noise, but it is a different finite-time estimate, not a " +
        "more precise copy of the direct spectrum.",
    }),
  ];
}

export function fig4Population(d: PanelData): Panel[] {
  const [first, last] = P.fieldSteps;
  const size = d.networks.find((u) => u.pruned.dynamics)?.pruned.dynamics?.spectrum.length ?? 30;
  const spectrum = (id: string, title: string, pick: Column, caption: string): Panel =>
    populationPanel(d, {
      id,
      title,
      xLabel: "exponent index (ascending)",
      yLabel: "Lyapunov exponent (1/step)",
      pick,
      x: range(1, size),
      index: (i) => i - 1,
      caption,
    });
  return [
    populationPanel(d, {
      id: "fig4c-population",
      title: "Fig 4C, population: contraction of the perturbation grid",
      xLabel: "step k",
      yLabel: "contraction (end spread / start spread)",
      pick: (n) => n.contraction,
      x: range(first, last),
      index: (k) => k - first,
      caption: `Around each network's unprobed condition-4 trajectory; probe onset k = ` +
        `${P.fieldLabels.P}.`,
    }),
    spectrum(
      "fig4d-population",
      "Fig 4D, population: Lyapunov spectrum (code order)",
      (n) => n.spectrum,
      "Averaged index by index in ascending order; -inf exponents (a singular product) dropped.",
    ),
    spectrum(
      "fig4d-population-chronological",
      "Fig 4D, population: Lyapunov spectrum (chronological order)",
      (n) => n.spectrumChronological,
      "Averaged index by index in ascending order.",
    ),
    summaryTable(d),
  ];
}

function summaryTable(d: PanelData): Panel {
  const probeIndex = P.fieldLabels.P - P.fieldSteps[0];
  const measures: [string, Column][] = [
    ["max LE 15..40, code order", (n) => [n.maxLE]],
    ["max LE 15..40, chronological order", (n) => [n.maxLEChronological]],
    [`contraction at the probe (k = ${P.fieldLabels.P})`, (n) => [n.contraction[probeIndex]]],
  ];
  const tableRows: TableCell[][] = measures.map(([label, pick]) => {
    const r = rows(d, pick, [0]);
    const cmp = pairedComparison(r.pruned, r.unpruned, { x: [label], correction: "none" });
    const [p, u] = cmp.series;
    return [
      { value: label },
      { value: p.y[0], err: p.err?.[0] ?? null },
      { value: u.y[0], err: u.err?.[0] ?? null },
      { value: p.n?.[0] ?? null },
      { value: p.p?.[0] ?? null },
    ];
  });
  return tablePanel(
    {
      id: "fig4-population-summary",
      title: "Fig 4, population: max LE and contraction at the probe, pruned vs unpruned",
    },
    {
      columns: [
        { label: "measure", role: "label" },
        { label: "pruned", role: "value", digits: 3 },
        { label: "unpruned", role: "value", digits: 3 },
        { label: "pairs", role: "n" },
        { label: "p (paired t-test)", role: "p" },
      ],
      rows: tableRows,
    },
    {
      errorKind: "sem",
      caption: `Mean ± SEM over the lineage pairs of fig5 run ${d.config.from} at level ` +
        `${d.config.level}; two-sided paired t-test over complete pairs, uncorrected.`,
    },
  );
}

/**
 * The dashboard panels of Figs 1C-F and 2 (`fig2`), 3 (`fig3`) and 4 (`fig4`) from unit metrics
 * only: the two example networks as the paper draws them, the population versions (mean ± SEM
 * over every lineage pair, paired t-tests, Holm-corrected marks; core/app/paired_lineages.ts), and
 * two tables that say which networks were chosen and why. Every step window, marker and condition
 * comes from `EXAMPLE_PROTOCOL` (core/dms/examples/protocol.ts).
 *
 * @module
 */
import { type Lineage, pairedComparison } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelSeries, PanelTable, TableCell } from "../../core/app/panels.ts";
import { EXAMPLE_PROTOCOL, SPEC_SELECTION_RULE } from "../../core/dms/examples/protocol.ts";
import { ruleShortfall } from "../../core/dms/examples/selection.ts";
import type { NetworkDynamics } from "../../core/dms/examples/analyse.ts";
import { DMS_CONDITIONS, DMS_T, dmsTarget } from "../../core/dms/task.ts";
import type { DmsExamplesConfig } from "./config.ts";
import type { ExampleUnit, NetworkUnit, ProjectionPlot, TrialPlot } from "./records.ts";
import type { ExampleFigure } from "./summary.ts";

/** What the panels of a run are built from. */
export interface PanelData {
  /** The run's config. */
  config: DmsExamplesConfig;
  /** The chosen examples analysed so far. */
  examples: Partial<Record<Lineage, ExampleUnit>>;
  /** The population records stored so far, in network order. */
  networks: NetworkUnit[];
}

const P = EXAMPLE_PROTOCOL;
/** Colours of the legend's four inputs (the lineages keep red and blue for their outputs). */
const INPUT = { cue1: "#59a14f", cue2: "#f28e2b", epochA: "#b07aa1", epochB: "#9c755f" };
/** Colours of the three trials of Fig 3: condition 1, condition 4, probed condition 4. */
const TRIAL = { lure: "#59a14f", unprobed: "#4e79a7", probed: "#e15759" };
const MARKER = "#444444";
/** The legend's "light blue line" of the one-step updates. */
const UPDATE = "#7fb8d8";

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

const ALL_STEPS = range(1, DMS_T);

function fin(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Values at 1-based steps `ks` of a series indexed by k - 1. */
function at(series: readonly number[], ks: readonly number[]): (number | null)[] {
  return ks.map((k) => fin(series[k - 1]));
}

function f3(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(3) : "-";
}

function name(e: ExampleUnit): string {
  return `${e.lineage} example (network ${e.network})`;
}

function side(cue: number): string {
  return cue > 0 ? "left" : "right";
}

function conditionName(id: number): string {
  const c = DMS_CONDITIONS[id - 1];
  return `${side(c.c1)}/${side(c.c2)}, ${c.target > 0 ? "match" : "nonmatch"}`;
}

function targetSeries(condition: number): PanelSeries {
  const cond = DMS_CONDITIONS[condition - 1];
  return {
    label: "target",
    x: ALL_STEPS,
    y: ALL_STEPS.map((k) => dmsTarget(cond, k)),
    reference: true,
  };
}

function outcome(t: TrialPlot): string {
  return `response ${f3(t.response)} (${t.correct ? "correct" : "wrong"})`;
}

const lineages = (d: PanelData): ExampleUnit[] =>
  (["unpruned", "pruned"] as const).flatMap((l) => (d.examples[l] ? [d.examples[l]!] : []));

/** A panel of an example that is not analysed yet: declared, so the page layout stays put. */
function waiting(id: string, title: string, kind: Panel["kind"]): Panel {
  return { id, title, kind, xLabel: "", yLabel: "", series: [] };
}

const BY_LINEAGE: readonly Lineage[] = ["unpruned", "pruned"];

/** A table panel (no axes, no series). */
function tablePanel(
  head: { id: string; title: string },
  table: PanelTable,
  extra: Pick<Panel, "caption" | "errorKind">,
): Panel {
  return { ...head, kind: "table", xLabel: "", yLabel: "", series: [], table, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Tables shared by the three figures.

function examplesTable(fig: ExampleFigure, d: PanelData): Panel {
  const rows: TableCell[][] = lineages(d).map((e) => [
    { value: e.lineage },
    { value: e.network },
    { value: fin(e.scores.maxLE) },
    { value: fin(e.scores.maxLEFig5Window) },
    { value: e.scores.probeScore },
    { value: e.scores.probedCorrect.map((v) => (v ? "1" : "0")).join("") },
    { value: `${e.selection.method}${e.selection.meetsRule ? "" : " (misses the rule)"}` },
  ]);
  return tablePanel(
    {
      id: `${fig}-examples`,
      title: `Example networks at level ${d.config.level} and why they were chosen`,
    },
    {
      columns: [
        { label: "example", role: "label" },
        { label: "network (0-based)", role: "value", digits: 0 },
        { label: "max LE 15..40 (code order)", role: "value", digits: 3 },
        { label: "max LE 16..36 (fig5's)", role: "value", digits: 3 },
        { label: "probe-trial score", role: "value", digits: 3 },
        { label: "probed conditions 1-4 correct", role: "note" },
        { label: "chosen by", role: "note" },
      ],
      rows,
    },
    {
      caption: `Networks of fig5 run ${d.config.from}. ` +
        lineages(d).map((e) => e.selection.reason).join(" ") +
        ` Spec 9's rules: unpruned max LE >= ${SPEC_SELECTION_RULE.unprunedMinLE} and score <= ` +
        `${SPEC_SELECTION_RULE.unprunedMaxScore}; pruned max LE <= ${SPEC_SELECTION_RULE.prunedMaxLE}` +
        ` and score >= ${SPEC_SELECTION_RULE.prunedMinScore}. Pick by hand with --pruned N ` +
        `--unpruned M.`,
    },
  );
}

/** Rows of the candidates table beyond which only networks that meet a rule are listed. */
const MAX_CANDIDATE_ROWS = 40;

function candidatesTable(fig: ExampleFigure, d: PanelData): Panel {
  const meets = (l: Lineage, x: NetworkDynamics | null): boolean =>
    x !== null && ruleShortfall(l, x) === 0;
  const chosen = new Set(lineages(d).map((e) => `${e.lineage}/${e.network}`));
  const all = d.networks;
  const shown = all.length <= MAX_CANDIDATE_ROWS
    ? all
    : all.filter((u) =>
      meets("pruned", u.pruned.dynamics) || meets("unpruned", u.unpruned.dynamics) ||
      chosen.has(`pruned/${u.network}`) || chosen.has(`unpruned/${u.network}`)
    );
  const rows: TableCell[][] = shown.map((u) => {
    const p = u.pruned.dynamics;
    const q = u.unpruned.dynamics;
    const tags = [
      meets("pruned", p) ? "pruned" : "",
      meets("unpruned", q) ? "unpruned" : "",
    ].filter((s) => s).join(", ");
    const picked = (["pruned", "unpruned"] as const).filter((l) => chosen.has(`${l}/${u.network}`))
      .map((l) => `${l} example`).join(", ");
    return [
      { value: `network ${u.network}` },
      { value: fin(p?.maxLE) },
      { value: p ? p.probeScore : null },
      { value: fin(q?.maxLE) },
      { value: q ? q.probeScore : null },
      { value: tags || "-" },
      { value: picked || "" },
    ];
  });
  return tablePanel(
    {
      id: `${fig}-candidates`,
      title: `Every lineage pair at level ${d.config.level}: the numbers spec 9's rules look at`,
    },
    {
      columns: [
        { label: "pair", role: "label" },
        { label: "pruned max LE 15..40", role: "value", digits: 3 },
        { label: "pruned probe-trial score", role: "value", digits: 3 },
        { label: "unpruned max LE 15..40", role: "value", digits: 3 },
        { label: "unpruned probe-trial score", role: "value", digits: 3 },
        { label: "meets its lineage's rule", role: "note" },
        { label: "chosen", role: "note" },
      ],
      rows,
    },
    {
      caption:
        (shown.length < all.length
          ? `${shown.length} of ${all.length} pairs shown (those meeting a rule or chosen); --out ` +
            `lists all. `
          : "") +
        "Probe-trial score = 1 - |mean(y52, y53) - target| of condition 4 probed at k = 20 with " +
        "strength 0.2 (spec 3.6, exact target). Max LE over k = 15..40, divisor 25, code order.",
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Figs 1C-F and 2.

function inputSeries(t: TrialPlot, options: { epochs: boolean }): PanelSeries[] {
  const s = (label: string, color: string, y: number[]): PanelSeries => ({
    label,
    color,
    x: ALL_STEPS,
    y: at(y, ALL_STEPS),
  });
  return [
    s(t.probe ? "input 1 (cue 1 and probe)" : "input 1 (cue 1)", INPUT.cue1, t.inputs.cue1),
    s("input 2 (cue 2)", INPUT.cue2, t.inputs.cue2),
    ...(options.epochs
      ? [s("input 3", INPUT.epochA, t.inputs.epochA), s("input 4", INPUT.epochB, t.inputs.epochB)]
      : []),
  ];
}

function outputSeries(label: string, color: string, t: TrialPlot): PanelSeries {
  return { label, color, x: ALL_STEPS, y: at(t.output, ALL_STEPS) };
}

function fig1Panels(d: PanelData): Panel[] {
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

function histogramPanel(d: PanelData): Panel {
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

function singularPanel(d: PanelData): Panel {
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

function probePanels(d: PanelData): Panel[] {
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

// ---------------------------------------------------------------------------------------------
// Population versions.

/** One per-network series of the population record. */
type Column = (d: NetworkDynamics) => readonly (number | null)[];

/** Both lineages' values of every pair at the given indices (0-based) of a per-network series. */
function rows(
  d: PanelData,
  pick: Column,
  indices: readonly number[],
): Record<Lineage, (number | null)[][]> {
  const one = (l: Lineage): (number | null)[][] =>
    d.networks.map((u) => {
      const x = u[l].dynamics;
      return indices.map((i) => (x ? fin(pick(x)[i]) : null));
    });
  return { pruned: one("pruned"), unpruned: one("unpruned") };
}

function populationPanel(
  d: PanelData,
  spec: {
    id: string;
    title: string;
    xLabel: string;
    yLabel: string;
    pick: Column;
    x: number[];
    /** 0-based index into the per-network series of each x. */
    index: (x: number) => number;
    caption: string;
    reference?: PanelSeries;
  },
): Panel {
  const r = rows(d, spec.pick, spec.x.map(spec.index));
  const cmp = pairedComparison(r.pruned, r.unpruned, { x: spec.x, correction: "holm" });
  const n = Math.max(0, ...(cmp.series[0].n ?? []).map((v) => v ?? 0));
  return {
    id: spec.id,
    title: spec.title,
    kind: "line",
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    series: [...cmp.series, ...(spec.reference ? [spec.reference] : [])],
    test: cmp.test,
    errorKind: "sem",
    caption: `Mean ± SEM over n = ${n} lineage pairs of fig5 run ${d.config.from} at level ` +
      `${d.config.level}${d.config.reduced ? " (REDUCED PROTOCOL)" : ""}. ${spec.caption}`,
  };
}

function singularPopulation(d: PanelData): Panel {
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

// ---------------------------------------------------------------------------------------------
// Fig 3.

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

function fig3Panels(d: PanelData): Panel[] {
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

function divergencePanel(d: PanelData): Panel {
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

function divergencePopulation(d: PanelData): Panel {
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

// ---------------------------------------------------------------------------------------------
// Fig 4.

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

function fig4Panels(d: PanelData): Panel[] {
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

function fig4Population(d: PanelData): Panel[] {
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

/** The panels of one figure. */
export function examplePanels(fig: ExampleFigure, d: PanelData): Panel[] {
  const tables = [examplesTable(fig, d), candidatesTable(fig, d)];
  if (fig === "fig2") {
    return [
      ...tables,
      ...fig1Panels(d),
      histogramPanel(d),
      singularPanel(d),
      ...probePanels(d),
      singularPopulation(d),
    ];
  }
  if (fig === "fig3") {
    return [...tables, ...fig3Panels(d), divergencePanel(d), divergencePopulation(d)];
  }
  return [...tables, ...fig4Panels(d), ...fig4Population(d)];
}

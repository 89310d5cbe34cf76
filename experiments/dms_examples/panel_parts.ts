/**
 * What the panels of Figs 2, 3 and 4 share: the data they are built from, the legend's colours,
 * step and value helpers, the target trace, placeholders and tables, and the population panel
 * (pruned vs unpruned mean ± SEM over every lineage pair, paired t-tests, Holm-corrected marks;
 * core/app/paired_lineages.ts).
 *
 * @module
 */
import { type Lineage, pairedComparison } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelSeries, PanelTable } from "../../core/app/panels.ts";
import { EXAMPLE_PROTOCOL } from "../../core/dms/examples/protocol.ts";
import type { NetworkDynamics } from "../../core/dms/examples/analyse.ts";
import { DMS_CONDITIONS, DMS_T, dmsTarget } from "../../core/dms/task.ts";
import type { DmsExamplesConfig } from "./config.ts";
import type { ExampleUnit, NetworkUnit, TrialPlot } from "./records.ts";

/** What the panels of a run are built from. */
export interface PanelData {
  /** The run's config. */
  config: DmsExamplesConfig;
  /** The chosen examples analysed so far. */
  examples: Partial<Record<Lineage, ExampleUnit>>;
  /** The population records stored so far, in network order. */
  networks: NetworkUnit[];
}

export const P = EXAMPLE_PROTOCOL;
/** Colours of the legend's four inputs (the lineages keep red and blue for their outputs). */
export const INPUT = { cue1: "#59a14f", cue2: "#f28e2b", epochA: "#b07aa1", epochB: "#9c755f" };
/** Colours of the three trials of Fig 3: condition 1, condition 4, probed condition 4. */
export const TRIAL = { lure: "#59a14f", unprobed: "#4e79a7", probed: "#e15759" };
export const MARKER = "#444444";
/** The legend's "light blue line" of the one-step updates. */
export const UPDATE = "#7fb8d8";

export function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export const ALL_STEPS = range(1, DMS_T);

export function fin(v: number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Values at 1-based steps `ks` of a series indexed by k - 1. */
export function at(series: readonly number[], ks: readonly number[]): (number | null)[] {
  return ks.map((k) => fin(series[k - 1]));
}

export function f3(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(3) : "-";
}

export function name(e: ExampleUnit): string {
  return `${e.lineage} example (network ${e.network})`;
}

export function side(cue: number): string {
  return cue > 0 ? "left" : "right";
}

export function conditionName(id: number): string {
  const c = DMS_CONDITIONS[id - 1];
  return `${side(c.c1)}/${side(c.c2)}, ${c.target > 0 ? "match" : "nonmatch"}`;
}

export function targetSeries(condition: number): PanelSeries {
  const cond = DMS_CONDITIONS[condition - 1];
  return {
    label: "target",
    x: ALL_STEPS,
    y: ALL_STEPS.map((k) => dmsTarget(cond, k)),
    reference: true,
  };
}

export function outcome(t: TrialPlot): string {
  return `response ${f3(t.response)} (${t.correct ? "correct" : "wrong"})`;
}

export const lineages = (d: PanelData): ExampleUnit[] =>
  (["unpruned", "pruned"] as const).flatMap((l) => (d.examples[l] ? [d.examples[l]!] : []));

/** A panel of an example that is not analysed yet: declared, so the page layout stays put. */
export function waiting(id: string, title: string, kind: Panel["kind"]): Panel {
  return { id, title, kind, xLabel: "", yLabel: "", series: [] };
}

export const BY_LINEAGE: readonly Lineage[] = ["unpruned", "pruned"];

/** A table panel (no axes, no series). */
export function tablePanel(
  head: { id: string; title: string },
  table: PanelTable,
  extra: Pick<Panel, "caption" | "errorKind">,
): Panel {
  return { ...head, kind: "table", xLabel: "", yLabel: "", series: [], table, ...extra };
}

/** One per-network series of the population record. */
export type Column = (d: NetworkDynamics) => readonly (number | null)[];

/** Both lineages' values of every pair at the given indices (0-based) of a per-network series. */
export function rows(
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

export function populationPanel(
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

/** The input traces of a trial (inputs 3 and 4, the epoch inputs, when asked). */
export function inputSeries(t: TrialPlot, options: { epochs: boolean }): PanelSeries[] {
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

/** The output trace of a trial. */
export function outputSeries(label: string, color: string, t: TrialPlot): PanelSeries {
  return { label, color, x: ALL_STEPS, y: at(t.output, ALL_STEPS) };
}

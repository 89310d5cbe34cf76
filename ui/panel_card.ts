/// <reference lib="dom" />
/**
 * One declared panel on a page: its chart, heat map or table, caption, the test behind its marks,
 * a placeholder that says why it is empty, and its CSV, SVG and PNG downloads; and the picker of
 * a page's panel parameters.
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Chart } from "chart.js";
import {
  describeTest,
  errorKindLabel,
  type Panel,
  type PanelParameter,
} from "../core/app/panels.ts";
import type { RunSummary } from "./api.ts";
import { type DrawPanel, panelHasData, renderChart } from "./charts.ts";
import { drawHeatmap } from "./heatmap.ts";
import { fileStem, panelCsv } from "./csv.ts";
import { panelPng, panelSvg, saveFile } from "./export.ts";
import { TableView } from "./table.ts";

/** Options every panel card needs to export and to say why it is empty. */
export interface CardContext {
  /** Run ids the panel's data come from. */
  runIds: string[];
  /** Parameter values of the page. */
  params: Record<string, number>;
  /** Status of the run (a running run's empty panels wait; a finished run's say so). */
  status: RunSummary["status"];
  /** Units finished / total, for the waiting message. */
  progress?: { done: number; total: number };
}

function ChartCanvas(
  { panel, heatRange }: { panel: DrawPanel; heatRange?: [number, number] | null },
): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    if (panel.kind === "heatmap") {
      chart.current?.destroy();
      chart.current = null;
      drawHeatmap(el, { ...panel, series: panel.series }, { range: heatRange });
    } else {
      chart.current = renderChart(el, panel, chart.current);
    }
    el.dataset.drawn = "1";
  }, [panel, heatRange]);
  useEffect(() => () => chart.current?.destroy(), []);
  return h("div", { class: "chart" }, h("canvas", { ref: canvas, "aria-label": panel.title }));
}

/** One panel: chart or table, caption, the test behind its marks, and its downloads. */
export function PanelCard(
  { panel, ctx, heatRange }: {
    panel: DrawPanel;
    ctx: CardContext;
    heatRange?: [number, number] | null;
  },
): JSX.Element {
  const [busy, setBusy] = useState<string | null>(null);
  const stem = fileStem(ctx.runIds.length === 1 ? ctx.runIds[0] : "compare", panel.id);
  const plain: Panel = { ...panel, series: panel.series };
  const meta = { runIds: ctx.runIds, params: ctx.params };
  const has = panelHasData(plain);
  const csv = (): void => saveFile(`${stem}.csv`, panelCsv(plain), "text/csv");
  const svg = (): void => {
    try {
      saveFile(`${stem}.svg`, panelSvg(panel, meta), "image/svg+xml");
    } catch (e) {
      setBusy(`SVG failed: ${e instanceof Error ? e.message : e}`);
    }
  };
  const png = (): void => {
    setBusy("rendering PNG…");
    panelPng(panel, meta).then((b) => {
      saveFile(`${stem}.png`, b);
      setBusy(null);
    }, (e) => setBusy(`PNG failed: ${e instanceof Error ? e.message : e}`));
  };
  let body: JSX.Element;
  let state: string;
  if (!has) {
    state = ctx.status === "running" ? "waiting" : "empty";
    const p = ctx.progress;
    body = h(
      "div",
      { class: `placeholder ${state}` },
      ctx.status === "running"
        ? `Waiting for results${p ? ` (${p.done} / ${p.total} units finished)` : ""}…`
        : "This run has no data for this panel.",
    );
  } else if (panel.kind === "table") {
    state = "drawn";
    body = h(TableView, { panel: plain });
  } else {
    state = "drawn";
    body = h(ChartCanvas, { panel, heatRange });
  }
  const notes: string[] = [];
  if (panel.test) notes.push(describeTest(panel.test));
  if (panel.kind !== "table" && panel.series.some((s) => s.err?.some((e) => e !== null))) {
    notes.push(
      `${panel.series.some((s) => s.band) ? "bands" : "error bars"}: ${
        errorKindLabel(panel.errorKind)
      }`,
    );
  }
  return h(
    "section",
    { class: "card", "data-panel": panel.id, "data-state": state },
    h("h2", null, panel.title),
    body,
    panel.caption ? h("div", { class: "caption" }, panel.caption) : null,
    notes.length ? h("div", { class: "caption stats" }, notes.join("; ")) : null,
    h(
      "div",
      { class: "tools" },
      h("button", { onClick: csv, type: "button", "data-export": "csv", disabled: !has }, "CSV"),
      h("button", { onClick: svg, type: "button", "data-export": "svg", disabled: !has }, "SVG"),
      h("button", { onClick: png, type: "button", "data-export": "png", disabled: !has }, "PNG"),
      busy ? h("span", { class: "small" }, busy) : null,
    ),
  );
}

/** The selects of a page's panel parameters (e.g. the pruning level). */
export function ParamPicker(
  { parameters, values, onPick }: {
    parameters: PanelParameter[];
    values: Record<string, number>;
    onPick: (name: string, v: number) => void;
  },
): JSX.Element | null {
  if (parameters.length === 0) return null;
  return h(
    "div",
    { class: "params" },
    parameters.map((p) =>
      h(
        "label",
        { key: p.name },
        `${p.label}: `,
        h(
          "select",
          {
            name: p.name,
            value: String(values[p.name] ?? p.default),
            onChange: (e: Event) => onPick(p.name, Number((e.target as HTMLSelectElement).value)),
          },
          p.options.map((o) => h("option", { value: String(o) }, String(o))),
        ),
      )
    ),
  );
}

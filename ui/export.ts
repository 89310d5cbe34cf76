/// <reference lib="dom" />
/**
 * Publication export, all in the browser from the data already on the page: a panel as SVG
 * (vector; chart.js drawing into npm svgcanvas's SVG context) or as a PNG at three times the
 * screen resolution, both with the title, the run id, n, the significance rule and what the error
 * bars are drawn into the figure; and a whole run as one zip (npm fflate) of JSON and CSVs.
 *
 * @module
 */
// @ts-types="./svgcanvas.d.ts"
import { Context } from "svgcanvas";
import { strToU8, zipSync } from "fflate";
import { describeTest, errorKindLabel, type Panel } from "../core/app/panels.ts";
import { drawDetached, type DrawPanel } from "./charts.ts";
import { heatmapRange, paintHeatmap } from "./heatmap.ts";
import { fileStem, panelCsv } from "./csv.ts";
import { paintTable, tableHeight } from "./table.ts";
import type { RunConfigBody, RunDetail, TrainingStage } from "./api.ts";

/** Figure size of exports, CSS pixels (the PNG is drawn at 3x). */
export const EXPORT_SIZE = { width: 760, height: 500 };
/** Pixel ratio of PNG exports. */
export const PNG_SCALE = 3;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && (line + " " + word).length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

/** "n = 16 per point" / "n = 12-16 per point" from the series' n, or null when none is given. */
export function nSummary(panel: Pick<Panel, "series">): string | null {
  const ns = panel.series.flatMap((s) => (s.reference ? [] : s.n ?? []))
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (ns.length === 0) return null;
  const lo = Math.min(...ns), hi = Math.max(...ns);
  return lo === hi ? `n = ${lo} per point` : `n = ${lo}-${hi} per point`;
}

/** What an exported figure says under the chart. */
export interface FigureMeta {
  /** Run id(s) the data come from. */
  runIds: string[];
  /** Parameter values of the page, e.g. {level: 0.7}. */
  params?: Record<string, number>;
}

/**
 * The lines drawn under an exported figure: run id and parameters, n, the significance rule,
 * the error bars' meaning, then the caption (wrapped).
 */
export function figureFooter(panel: DrawPanel, meta: FigureMeta): string[] {
  const lines: string[] = [];
  const params = Object.entries(meta.params ?? {}).map(([k, v]) => `${k} = ${v}`).join(", ");
  const runs = meta.runIds.length === 1
    ? `run ${meta.runIds[0]}`
    : `runs ${meta.runIds.join(", ")}`;
  lines.push(params ? `${runs} (${params})` : runs);
  const facts: string[] = [];
  const n = nSummary(panel);
  if (n) facts.push(n);
  else if (!/\bn\s*=/.test(panel.caption ?? "") && panel.kind !== "heatmap") {
    facts.push("n not stated by this panel");
  }
  if (panel.series.some((s) => s.err?.some((e) => typeof e === "number"))) {
    const band = panel.series.some((s) => s.band);
    facts.push(`${band ? "bands" : "error bars"}: ${errorKindLabel(panel.errorKind)}`);
  }
  if (panel.test) facts.push(describeTest(panel.test));
  else if (panel.series.some((s) => s.significant)) facts.push("filled markers: significant");
  if (facts.length) lines.push(...wrap(facts.join("; "), 120));
  if (panel.caption) lines.push(...wrap(panel.caption, 120));
  return lines;
}

/**
 * Draws a panel with its title and footer on a 2D context of the given size; returns the function
 * that releases the chart once the drawing has been read.
 */
function paintFigure(
  ctx: CanvasRenderingContext2D,
  panel: DrawPanel,
  options: { width: number; height: number; footer: string[]; pixelRatio: number; svg: boolean },
): () => void {
  const asPanel: Panel = { ...panel, series: panel.series };
  if (panel.kind === "heatmap") {
    const cells = (panel.heatmap?.rows ?? 0) * (panel.heatmap?.cols ?? 0);
    paintHeatmap(ctx, asPanel, {
      width: options.width,
      height: options.height,
      title: panel.title,
      footer: options.footer,
      range: heatmapRange(asPanel),
      cellsAsImage: options.svg && cells > 2500,
    });
  } else if (panel.kind === "table") {
    paintTable(ctx, asPanel, { width: options.width, title: panel.title, footer: options.footer });
  } else {
    return drawDetached(ctx, panel, {
      width: options.width,
      height: options.height,
      title: panel.title,
      footer: options.footer,
      pixelRatio: options.pixelRatio,
      fontSize: 13,
    });
  }
  return () => {};
}

function figureHeight(panel: DrawPanel, footer: string[]): number {
  if (panel.kind === "table") {
    return tableHeight({ ...panel, series: panel.series }, {
      title: true,
      footerLines: footer.length,
    });
  }
  return EXPORT_SIZE.height + footer.length * 15;
}

/** The panel as a standalone SVG document (vector, with title and footer). */
export function panelSvg(panel: DrawPanel, meta: FigureMeta): string {
  const footer = figureFooter(panel, meta);
  const width = EXPORT_SIZE.width;
  const height = figureHeight(panel, footer);
  const ctx = new Context({ width, height });
  // chart.js asks its canvas for a context; the SVG context is its own canvas.
  Object.assign(ctx, { getContext: () => ctx });
  const release = paintFigure(ctx, panel, { width, height, footer, pixelRatio: 1, svg: true });
  const svg = ctx.getSerializedSvg(true);
  release();
  return svg;
}

/** The panel as a PNG at {@link PNG_SCALE} times the export size (with title and footer). */
export function panelPng(panel: DrawPanel, meta: FigureMeta): Promise<Blob> {
  const footer = figureFooter(panel, meta);
  const width = EXPORT_SIZE.width;
  const height = figureHeight(panel, footer);
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return Promise.reject(new Error("no 2D canvas"));
  if (panel.kind === "line" || panel.kind === "bar" || panel.kind === "scatter") {
    // chart.js scales the canvas itself from the CSS size and the pixel ratio.
    canvas.width = width;
    canvas.height = height;
  } else {
    canvas.width = width * PNG_SCALE;
    canvas.height = height * PNG_SCALE;
    ctx.setTransform(PNG_SCALE, 0, 0, PNG_SCALE, 0, 0);
  }
  const release = paintFigure(ctx, panel, {
    width,
    height,
    footer,
    pixelRatio: PNG_SCALE,
    svg: false,
  });
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png")
  ).finally(release);
}

/** Saves a blob or text as a file through a temporary link. */
export function saveFile(name: string, data: Blob | string, type = "text/plain"): void {
  const blob = typeof data === "string" ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}

/** CSV of training curves: stage, lineage, outer iteration, mean, sem, n. */
export function trainingCsv(stages: readonly TrainingStage[]): string {
  const lines = ["stage,lineage,outer_iteration,mean_loss,sem,n"];
  for (const st of stages) {
    for (const s of st.series) {
      s.x.forEach((x, i) => {
        lines.push(
          [st.stage, s.label, x, s.y[i] ?? "", s.err?.[i] ?? "", s.n?.[i] ?? ""]
            .map((v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : v))
            .join(","),
        );
      });
    }
  }
  return lines.join("\n") + "\n";
}

/** The files of a whole-run archive: run.json, panels.json, one CSV per panel (and per
 * parameter value where the panel depends on it), training.csv. */
export function runArchiveFiles(
  config: RunConfigBody,
  details: readonly RunDetail[],
): Record<string, string> {
  const files: Record<string, string> = {};
  const first = details[0];
  files["run.json"] = JSON.stringify(
    { run: first?.run, config, parameters: first?.parameters ?? [] },
    null,
    2,
  );
  files["panels.json"] = JSON.stringify(
    details.map((d) => ({ params: d.params, panels: d.panels })),
    null,
    1,
  );
  // Per panel: one CSV when it is the same for every parameter value, else one per value.
  const byPanel = new Map<string, { suffix: string; csv: string }[]>();
  for (const d of details) {
    const suffix = Object.entries(d.params).map(([k, v]) => `_${k}-${v}`).join("");
    for (const p of d.panels) {
      const list = byPanel.get(p.id) ?? [];
      list.push({ suffix, csv: panelCsv(p) });
      byPanel.set(p.id, list);
    }
  }
  for (const [id, list] of byPanel) {
    const stem = fileStem("panel", id).replace(/^panel-/, "");
    if (list.every((e) => e.csv === list[0].csv)) files[`csv/${stem}.csv`] = list[0].csv;
    else for (const e of list) files[`csv/${stem}${e.suffix}.csv`] = e.csv;
  }
  if (first?.training?.length) files["csv/training.csv"] = trainingCsv(first.training);
  return files;
}

/** Zips text files (deflate) into one archive. */
export function zipFiles(files: Record<string, string>): Uint8Array {
  const input: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) input[name] = strToU8(text);
  return zipSync(input, { level: 6 });
}

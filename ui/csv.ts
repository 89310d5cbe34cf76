/**
 * CSV export of a panel's data (what the chart shows, one row per point). Pure, so the dashboard
 * and the tests share it.
 *
 * @module
 */
import type { Panel } from "../core/app/panels.ts";

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Renders a panel as CSV text (header line, then one line per point or heat-map cell). */
export function panelCsv(panel: Panel): string {
  const lines: string[] = [];
  if (panel.kind === "heatmap" && panel.heatmap) {
    const h = panel.heatmap;
    lines.push("row,col,row_label,col_label,value");
    for (let r = 0; r < h.rows; r++) {
      for (let c = 0; c < h.cols; c++) {
        lines.push(
          [r, c, h.rowLabels?.[r], h.colLabels?.[c], h.values[r * h.cols + c]].map(cell).join(","),
        );
      }
    }
  } else {
    lines.push(
      ["series", panel.xLabel || "x", panel.yLabel || "y", "sem", "significant"].map(cell).join(
        ",",
      ),
    );
    for (const s of panel.series) {
      for (let i = 0; i < s.x.length; i++) {
        const sig = s.significant ? (s.significant[i] ? 1 : 0) : "";
        lines.push([s.label, s.x[i], s.y[i], s.err?.[i], sig].map(cell).join(","));
      }
    }
  }
  return lines.join("\n") + "\n";
}

/** A file-name-safe stem for downloads, e.g. "fig5-2026...-5A". */
export function fileStem(runId: string, panelId: string): string {
  return `${runId}-${panelId}`.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

/**
 * CSV export of a panel's data (what the chart shows, one row per point, with n, the error, p,
 * adjusted p and the effect size where the panel has them). Headers name what a column holds:
 * the error column is `sem`, `sd` or `ci95_halfwidth` after the panel's `errorKind`, the adjusted
 * p column `p_holm` after its correction. Pure, so the dashboard and the tests share it.
 *
 * @module
 */
import type { ErrorKind, Panel, TableColumn } from "../core/app/panels.ts";

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" && !Number.isFinite(v)) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV header of an error column. */
export function errorColumn(kind: ErrorKind | undefined): string {
  if (kind === "sd") return "sd";
  if (kind === "ci95") return "ci95_halfwidth";
  return "sem";
}

function tableCsv(panel: Panel): string[] {
  const t = panel.table;
  if (!t) return [];
  const head: string[] = [];
  const hasErr = t.columns.map((_, c) =>
    t.rows.some((r) => r[c]?.err !== undefined && r[c]?.err !== null)
  );
  const label = (col: TableColumn): string =>
    col.role === "paper" && !/paper/i.test(col.label) ? `${col.label} (paper)` : col.label;
  t.columns.forEach((col, c) => {
    head.push(label(col));
    if (hasErr[c]) head.push(`${label(col)} ${errorColumn(col.errorKind ?? panel.errorKind)}`);
  });
  const lines = [head.map(cell).join(",")];
  for (const row of t.rows) {
    const out: unknown[] = [];
    t.columns.forEach((_, c) => {
      out.push(row[c]?.value);
      if (hasErr[c]) out.push(row[c]?.err);
    });
    lines.push(out.map(cell).join(","));
  }
  return lines;
}

/** Renders a panel as CSV text (header line, then one line per point, cell or table row). */
export function panelCsv(panel: Panel): string {
  const lines: string[] = [];
  if (panel.kind === "table") {
    lines.push(...tableCsv(panel));
  } else if (panel.kind === "heatmap" && panel.heatmap) {
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
    const any = (pick: (s: Panel["series"][number]) => unknown): boolean =>
      panel.series.some((s) => pick(s) !== undefined);
    const hasErr = any((s) => s.err);
    const hasN = any((s) => s.n);
    const hasP = any((s) => s.p);
    const hasAdj = any((s) => s.pAdjusted);
    const hasEffect = any((s) => s.effect);
    const hasSig = any((s) => s.significant);
    const correction = panel.test?.correction && panel.test.correction !== "none"
      ? panel.test.correction
      : "adjusted";
    const head = ["series", panel.xLabel || "x", panel.yLabel || "y"];
    if (hasErr) head.push(errorColumn(panel.errorKind));
    if (hasN) head.push("n");
    if (hasP) head.push("p");
    if (hasAdj) head.push(`p_${correction}`);
    if (hasEffect) head.push("effect", "effect_ci_low", "effect_ci_high");
    if (hasSig) head.push("significant");
    lines.push(head.map(cell).join(","));
    for (const s of panel.series) {
      for (let i = 0; i < s.x.length; i++) {
        const row: unknown[] = [s.label, s.x[i], s.y[i]];
        if (hasErr) row.push(s.err?.[i]);
        if (hasN) row.push(s.n?.[i]);
        if (hasP) row.push(s.p?.[i]);
        if (hasAdj) row.push(s.pAdjusted?.[i]);
        if (hasEffect) {
          const e = s.effect?.[i];
          row.push(e?.value, e?.low, e?.high);
        }
        if (hasSig) row.push(s.significant ? (s.significant[i] ? 1 : 0) : "");
        lines.push(row.map(cell).join(","));
      }
    }
  }
  return lines.join("\n") + "\n";
}

/** A file-name-safe stem for downloads, e.g. "fig5-2026...-5A". */
export function fileStem(runId: string, panelId: string): string {
  return `${runId}-${panelId}`.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

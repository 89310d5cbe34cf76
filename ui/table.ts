/// <reference lib="dom" />
/**
 * Table panels (kind "table", e.g. the paper's Table 1): an HTML table on the page, with the
 * paper's printed values in their own labelled, shaded column, and the same table painted on a
 * 2D context for PNG and SVG export.
 *
 * @module
 */
import { h, type JSX } from "preact";
import {
  errorKindLabel,
  type Panel,
  type TableCell,
  type TableColumn,
} from "../core/app/panels.ts";

/** Formats one cell: numbers to the column's digits (3 significant figures by default). */
export function formatCell(cell: TableCell | undefined, col: TableColumn): string {
  if (!cell || cell.value === null || cell.value === undefined) return "–";
  const v = cell.value;
  const f = (x: number): string => {
    if (col.role === "p") return x < 0.001 ? x.toExponential(1) : x.toFixed(3);
    if (col.role === "n") return String(Math.round(x));
    if (col.digits !== undefined) return x.toFixed(col.digits);
    return Number.isInteger(x) ? String(x) : x.toPrecision(3);
  };
  const text = typeof v === "number" ? (Number.isFinite(v) ? f(v) : "–") : v;
  const e = cell.err;
  return typeof e === "number" && Number.isFinite(e) ? `${text} (${f(e)})` : text;
}

function headerOf(col: TableColumn): string {
  return col.role === "paper" && !/paper/i.test(col.label) ? `${col.label} (paper)` : col.label;
}

/** Line under a table: what the numbers in brackets are and where the paper's column is from. */
export function tableLegend(panel: Panel): string {
  const t = panel.table;
  if (!t) return "";
  const parts: string[] = [];
  if (t.rows.some((r) => r.some((c) => typeof c.err === "number"))) {
    parts.push(`(bracketed) = ${errorKindLabel(panel.errorKind)}`);
  }
  if (t.columns.some((c) => c.role === "paper")) {
    parts.push(`shaded column: the paper's values${t.paperSource ? ` (${t.paperSource})` : ""}`);
  }
  return parts.join("; ");
}

/** A table panel as an HTML table. */
export function TableView({ panel }: { panel: Panel }): JSX.Element {
  const t = panel.table;
  if (!t) return h("p", { class: "empty" }, "no table");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "panel-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          t.columns.map((c, i) =>
            h("th", { key: i, class: `role-${c.role ?? "value"}` }, headerOf(c))
          ),
        ),
      ),
      h(
        "tbody",
        null,
        t.rows.map((row, r) =>
          h(
            "tr",
            { key: r },
            t.columns.map((c, i) =>
              h("td", { key: i, class: `role-${c.role ?? "value"}` }, formatCell(row[i], c))
            ),
          )
        ),
      ),
    ),
    h("div", { class: "table-legend" }, tableLegend(panel)),
  );
}

/** Paints a table panel on a 2D context (exports); returns the height used. */
export function paintTable(
  ctx: CanvasRenderingContext2D,
  panel: Panel,
  size: { width: number; title?: string; footer?: string[] },
): number {
  const t = panel.table;
  const rowH = 20;
  let y = 8;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, size.width, 4000);
  ctx.textBaseline = "middle";
  if (size.title) {
    ctx.font = "bold 14px system-ui, sans-serif";
    ctx.fillStyle = "#111";
    ctx.textAlign = "left";
    ctx.fillText(size.title, 8, y + 9);
    y += 26;
  }
  if (!t) return y;
  const cols = t.columns.length;
  const colW = (size.width - 16) / Math.max(1, cols);
  const drawRow = (cells: string[], roles: (string | undefined)[], bold: boolean): void => {
    cells.forEach((text, c) => {
      if (roles[c] === "paper") {
        ctx.fillStyle = "#fff4d6";
        ctx.fillRect(8 + c * colW, y, colW, rowH);
      }
      ctx.fillStyle = "#111";
      ctx.font = `${bold ? "bold " : ""}12px system-ui, sans-serif`;
      ctx.textAlign = c === 0 ? "left" : "right";
      ctx.fillText(text, c === 0 ? 12 + c * colW : 4 + (c + 1) * colW, y + rowH / 2);
    });
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    ctx.moveTo(8, y + rowH);
    ctx.lineTo(size.width - 8, y + rowH);
    ctx.stroke();
    y += rowH;
  };
  const roles = t.columns.map((c) => c.role);
  drawRow(t.columns.map(headerOf), roles, true);
  for (const row of t.rows) drawRow(t.columns.map((c, i) => formatCell(row[i], c)), roles, false);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#444";
  ctx.textAlign = "left";
  const notes = [tableLegend(panel), ...(size.footer ?? [])].filter((s) => s);
  y += 6;
  for (const line of notes) {
    ctx.fillText(line, 8, y + 7);
    y += 15;
  }
  return y + 4;
}

/** Height {@link paintTable} needs for a panel. */
export function tableHeight(
  panel: Panel,
  options: { title?: boolean; footerLines?: number },
): number {
  const rows = (panel.table?.rows.length ?? 0) + 1;
  return 8 + (options.title ? 26 : 0) + rows * 20 + 6 + (1 + (options.footerLines ?? 0)) * 15 + 4;
}

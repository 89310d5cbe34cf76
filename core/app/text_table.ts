/**
 * The one formatter of terminal tables (figure summaries, bench, precision-check, twin-check):
 * cells as strings, each column as wide as its widest cell, left or right aligned.
 *
 * @module
 */

/** Alignment of a column. */
export type Align = "left" | "right";

/** Options of {@link formatTable}. */
export interface TableOptions {
  /** Alignment per column (default left; columns beyond the list are left aligned). */
  align?: readonly Align[];
  /** Spaces between columns (default 2). */
  gap?: number;
  /** Draw a line of dashes under the header. */
  rule?: boolean;
}

/** Formats a header and rows as aligned lines (each cell padded to its column's width). */
export function formatTable(
  header: readonly string[] | null,
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const all = header ? [header, ...rows] : rows;
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from(
    { length: columns },
    (_, j) => Math.max(0, ...all.map((r) => (r[j] ?? "").length)),
  );
  const gap = " ".repeat(options.gap ?? 2);
  const line = (cells: readonly string[]): string =>
    widths.map((w, j) => {
      const cell = cells[j] ?? "";
      if (options.align?.[j] === "right") return cell.padStart(w);
      // No trailing spaces after the last column.
      return j === widths.length - 1 ? cell : cell.padEnd(w);
    }).join(gap);
  const out = header ? [line(header)] : [];
  if (header && options.rule) out.push(line(widths.map((w) => "-".repeat(w))));
  return [...out, ...rows.map(line)].join("\n");
}

/**
 * Declared dashboard panels. An experiment turns its aggregated results into {@link Panel}s; the
 * server sends them as JSON and the dashboard draws them generically, so a new figure adds panels
 * by declaring data, never by new plumbing. This module has no Deno or DOM dependencies so the
 * browser bundle can import its types.
 *
 * @module
 */

/** How a panel is drawn. */
export type PanelKind = "line" | "bar" | "scatter" | "heatmap";

/** One curve, bar set or point cloud. */
export interface PanelSeries {
  /** Legend label, e.g. "pruned". */
  label: string;
  /** x values (numbers, or category labels for bar charts). */
  x: (number | string)[];
  /** y values; null = missing. */
  y: (number | null)[];
  /** Symmetric error bars (SEM), same length as y. */
  err?: (number | null)[];
  /** Marks x positions where a test is significant (e.g. p < 0.01). */
  significant?: boolean[];
  /** Optional colour hint ("pruned", "unpruned" or a CSS colour). */
  color?: string;
}

/** A heat map, row-major. */
export interface HeatmapData {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** values[r * cols + c]. */
  values: number[];
  /** Optional row labels. */
  rowLabels?: string[];
  /** Optional column labels. */
  colLabels?: string[];
}

/** One chart on a run page. */
export interface Panel {
  /** Stable id (used in URLs and CSV file names). */
  id: string;
  /** Title, e.g. "Fig 5A: probe accuracy vs prune fraction". */
  title: string;
  /** Chart type. */
  kind: PanelKind;
  /** Axis labels. */
  xLabel: string;
  /** Axis labels. */
  yLabel: string;
  /** Data series (empty for heat maps). */
  series: PanelSeries[];
  /** Heat map payload when kind is "heatmap". */
  heatmap?: HeatmapData;
  /** Caption: what is plotted, n, which variant of an ambiguous rule. */
  caption?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
}

/** A user-selectable parameter of a run page (e.g. the prune level of Fig 5B/C). */
export interface PanelParameter {
  /** Query-string name. */
  name: string;
  /** Label in the UI. */
  label: string;
  /** Allowed values. */
  options: number[];
  /** Default value. */
  default: number;
}

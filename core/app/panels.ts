/**
 * Declared dashboard panels. An experiment turns its aggregated results into {@link Panel}s; the
 * server sends them as JSON and the dashboard draws them generically, so a new figure adds panels
 * by declaring data, never by new plumbing. This module has no Deno or DOM dependencies so the
 * browser bundle can import its types.
 *
 * @module
 */

/** How a panel is drawn ("table": a real table, e.g. the paper's Table 1, see {@link PanelTable}). */
export type PanelKind = "line" | "bar" | "scatter" | "heatmap" | "table";

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
  /** Sample size behind each point (e.g. complete lineage pairs), same length as y. */
  n?: (number | null)[];
  /** p-value of the test behind `significant` at each point (uncorrected), same length as y. */
  p?: (number | null)[];
  /** p-value after the panel's multiple-comparison correction (e.g. Holm), same length as y. */
  pAdjusted?: (number | null)[];
  /** Effect size at each point with its confidence interval (see {@link Panel.effect}). */
  effect?: (PointEffect | null)[];
  /** Connect the points in data order (a trajectory); meaningful for scatter panels. */
  line?: boolean;
  /**
   * A reference (e.g. a random chooser's reward): drawn dashed and grey unless coloured, and never
   * used to choose the axis range, so it cannot squash the data it frames.
   */
  reference?: boolean;
  /** Draw `err` as a shaded band around the line instead of error bars (long curves). */
  band?: boolean;
}

/** An effect size of one comparison with its confidence interval. */
export interface PointEffect {
  /** Point estimate (e.g. mean paired difference, or Cohen's d_z). */
  value: number;
  /** Lower confidence limit. */
  low: number;
  /** Upper confidence limit. */
  high: number;
}

/** What a panel's error bars (`err`) are. */
export type ErrorKind = "sem" | "sd" | "ci95";

/** The statistical test behind a panel's marks, for captions, CSV and exported figures. */
export interface PanelTest {
  /** Test, e.g. "paired t-test" or "Wilcoxon signed-rank (exact)". */
  test: string;
  /** Significance level the marks use, e.g. 0.01. */
  alpha: number;
  /** Multiple-comparison correction applied before comparing with alpha ("none" when none). */
  correction: string;
  /** Number of tests the correction covers (the family), when corrected. */
  family?: number;
  /** What the effect sizes are, e.g. "mean difference pruned - unpruned, 95% t CI". */
  effect?: string;
}

/** One column of a {@link PanelTable}. */
export interface TableColumn {
  /** Header text. */
  label: string;
  /**
   * Role: "label" (row names), "value" (this run's results), "paper" (the paper's printed values,
   * shown apart and labelled as the paper's), "n", "p", "note".
   */
  role?: "label" | "value" | "paper" | "n" | "p" | "note";
  /** Decimal places for numbers (default: 3 significant figures). */
  digits?: number;
  /** What `err` means in this column (default: the panel's `errorKind`). */
  errorKind?: ErrorKind;
}

/** One cell of a {@link PanelTable}: a number or text, with an optional error. */
export interface TableCell {
  /** The value; null = missing. */
  value: number | string | null;
  /** Symmetric error of a numeric value (meaning: the column's or the panel's `errorKind`). */
  err?: number | null;
}

/** A table panel's payload, row-major. */
export interface PanelTable {
  /** Columns, in display order. */
  columns: TableColumn[];
  /** Rows of cells, one per column. */
  rows: TableCell[][];
  /** Where the "paper" column comes from, e.g. "Scholl et al. 2021, Table 1". */
  paperSource?: string;
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
  /** Logarithmic x axis (line and scatter panels). */
  logX?: boolean;
  /** What the series' `err` values are (default "sem"); drawn in captions, CSV and exports. */
  errorKind?: ErrorKind;
  /** The test behind `significant`, `p` and `pAdjusted`, when the panel marks significance. */
  test?: PanelTest;
  /** Table payload when kind is "table". */
  table?: PanelTable;
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

/**
 * One line saying what a panel's marks mean, for captions and exported figures, e.g.
 * "filled markers: p < 0.01, paired t-test, Holm-corrected over 18 tests".
 */
export function describeTest(test: PanelTest): string {
  const corrected = test.correction && test.correction !== "none"
    ? `, ${test.correction === "holm" ? "Holm" : test.correction}-corrected${
      test.family ? ` over ${test.family} tests` : ""
    }`
    : ", uncorrected";
  return `filled markers: p < ${test.alpha}, ${test.test}${corrected}`;
}

/** Human name of an error kind, e.g. "SEM". */
export function errorKindLabel(kind: ErrorKind | undefined): string {
  if (kind === "sd") return "SD";
  if (kind === "ci95") return "95% CI";
  return "SEM";
}

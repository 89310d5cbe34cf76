/**
 * Series colours shared by the charts and the comparison overlay (no DOM, no chart.js).
 *
 * @module
 */

/**
 * Tableau 10: ten hues chosen to stay distinct from each other (fig6 draws eight series), in an
 * order that keeps neighbours apart. Beyond ten, series repeat a hue with a dash pattern.
 */
export const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#bab0ac",
];

/** Colours of the lineages every figure shares. */
export const NAMED_COLORS: Readonly<Record<string, string>> = {
  pruned: "#d62728",
  unpruned: "#1f77b4",
  starting: "#555555",
  network: "#555555",
};

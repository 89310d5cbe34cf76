/**
 * The dashboard panels of Figs 1C-F and 2 (`fig2`), 3 (`fig3`) and 4 (`fig4`) from unit metrics
 * only: the two example networks as the paper draws them, the population versions (mean ± SEM
 * over every lineage pair, paired t-tests, Holm-corrected marks; core/app/paired_lineages.ts), and
 * two tables that say which networks were chosen and why. Every step window, marker and condition
 * comes from `EXAMPLE_PROTOCOL` (core/dms/examples/protocol.ts).
 *
 * @module
 */
import type { Panel } from "../../core/app/panels.ts";
import type { ExampleFigure } from "./summary.ts";
import type { PanelData } from "./panel_parts.ts";
import { candidatesTable, examplesTable } from "./panel_tables.ts";
import {
  fig1Panels,
  histogramPanel,
  probePanels,
  singularPanel,
  singularPopulation,
} from "./fig2_panels.ts";
import { divergencePanel, divergencePopulation, fig3Panels } from "./fig3_panels.ts";
import { fig4Panels, fig4Population } from "./fig4_panels.ts";

export type { PanelData };

/** The panels of one figure. */
export function examplePanels(fig: ExampleFigure, d: PanelData): Panel[] {
  const tables = [examplesTable(fig, d), candidatesTable(fig, d)];
  if (fig === "fig2") {
    return [
      ...tables,
      ...fig1Panels(d),
      histogramPanel(d),
      singularPanel(d),
      ...probePanels(d),
      singularPopulation(d),
    ];
  }
  if (fig === "fig3") {
    return [...tables, ...fig3Panels(d), divergencePanel(d), divergencePopulation(d)];
  }
  return [...tables, ...fig4Panels(d), ...fig4Population(d)];
}

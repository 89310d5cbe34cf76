/**
 * The DMS new-problem ("flexibility") experiment (spec 3.7, 7.2) with the D22 split: the pruned
 * and unpruned networks of a finished `fig5` run at level 0.7 are trained, on one shared training
 * set per network, on (a) the code's combined 8-condition set, (b) the reversed response mapping
 * alone (conditions 1-4) and (c) the new cue channels alone (conditions 5-8), for a fixed number
 * of outer SCG iterations; their learning curves (lossHistory) are compared. Config in
 * `config.ts`, the run in `run.ts`, the comparison in `summary.ts`; the table and panels here.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import { LINEAGES, meanSemSeries } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import {
  configureDnp,
  describeDnp,
  type DmsNewProblemConfig,
  DNP_DEFAULT,
  DNP_FLAGS,
  DNP_PAPER,
} from "./config.ts";
import { runDnp } from "./run.ts";
import { type DnpSummary, summarizeProblems } from "./summary.ts";

export type { DmsNewProblemConfig } from "./config.ts";

function f(v: number | null): string {
  return v !== null && Number.isFinite(v) ? v.toFixed(4) : "-";
}

/** The DMS new-problem experiment. */
export const dmsNewProblem: Experiment<DmsNewProblemConfig, DnpSummary> = {
  id: "dms-new-problem",
  title: "DMS new problems on fig5's level-0.7 networks (Averbeck 2022 spec 7.2, D22)",
  paper: "averbeck2022",
  presets: { default: DNP_DEFAULT, paper: DNP_PAPER },
  flags: DNP_FLAGS,
  configure: configureDnp,
  describe: describeDnp,
  totalUnits: (c) => c.networks * c.problems.length,
  // Networks are independent once the fig5 run is fixed; without --from each process would pick
  // the newest finished fig5 run when it starts, so such a run stays one unit.
  shards: (c) => (c.from ? { networks: c.networks } : null),
  run: runDnp,
  async summarize(
    run: ExperimentRun<DmsNewProblemConfig>,
    store: ResultStore,
  ): Promise<DnpSummary> {
    const c = run.config;
    const units = await store.listUnits(run.id);
    return {
      figure: "dms-new-problem",
      runId: run.id,
      reduced: run.reduced,
      config: c,
      seed: run.seed,
      problems: summarizeProblems(c, units),
    };
  },
  table(summary: DnpSummary): string {
    const head = ["problem", "n", "loss before", "final pruned", "final unpruned", "p (paired t)"];
    const rows = Object.entries(summary.problems).map(([name, s]) => [
      name,
      String(s.n),
      f(s.initial),
      f(s.final.pruned),
      f(s.final.unpruned),
      f(s.final.p),
    ]);
    return [
      `${summary.reduced ? "REDUCED PROTOCOL. " : ""}Loss on the new problem (mean over networks):`,
      formatTable(head, rows, { align: ["left", ...head.slice(1).map(() => "right" as const)] }),
    ].join("\n");
  },
  parameters: (): PanelParameter[] => [],
  panels(run: ExperimentRun<DmsNewProblemConfig>, units: UnitEntry[]): Panel[] {
    const c = run.config;
    const s = summarizeProblems(c, units);
    return Object.entries(s).map(([name, p]) => ({
      id: `dms-new-problem-${name}`,
      title: `DMS new problem '${name}': training loss (level ${c.level})`,
      kind: "line" as const,
      xLabel: "outer SCG iteration",
      yLabel: "training loss",
      logY: true,
      series: LINEAGES.map((k) =>
        meanSemSeries(k, p.iterations.slice(1), {
          mean: p.curves[k].mean.slice(1),
          sem: p.curves[k].sem.slice(1),
        })
      ),
      caption:
        `mean +/- SEM over n = ${p.n} network pairs; lossHistory[2..], entry 1 is before training`,
    }));
  },
};

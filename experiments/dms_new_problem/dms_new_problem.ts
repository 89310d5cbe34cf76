/**
 * The DMS new-problem ("flexibility") experiment (spec 3.7, 7.2) with the D22 split: the pruned
 * and unpruned networks of a finished `fig5` run at level 0.7 are trained, on one shared training
 * set per network, on (a) the code's combined 8-condition set, (b) the reversed response mapping
 * alone (conditions 1-4) and (c) the new cue channels alone (conditions 5-8), for a fixed number
 * of outer SCG iterations; their learning curves (lossHistory) are compared, each network from its
 * own loss before training (pruned networks start a new problem lower). Config in `config.ts`, the
 * fig5 run checked before anything is written in `source.ts`, the run in `run.ts`, the comparison
 * in `summary.ts`, the claims in `claims.ts`; the table and panels here.
 *
 * @module
 */
import {
  type Experiment,
  type ExperimentRun,
  type UnitEntry,
  unitMetrics,
} from "../../core/app/experiment.ts";
import { formatP } from "../../core/app/claims.ts";
import {
  LINEAGES,
  meanSemSeries,
  pairedComparison,
  type PairedStat,
} from "../../core/app/paired_lineages.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { formatTable } from "../../core/app/text_table.ts";
import { holmAdjust } from "../../core/util/stats.ts";
import { DNP_CLAIMS } from "./claims.ts";
import {
  configureDnp,
  describeDnp,
  type DmsNewProblemConfig,
  DNP_DEFAULT,
  DNP_FLAGS,
  DNP_PAPER,
} from "./config.ts";
import { hasCurves, type ProblemUnit, runDnp } from "./run.ts";
import { pairsOf, prepareDnp } from "./source.ts";
import { type DnpSummary, summarizeProblems } from "./summary.ts";

export type { DmsNewProblemConfig } from "./config.ts";

function f(v: number | null, digits = 4): string {
  return v !== null && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** "+0.31 [-0.05, 0.67]" of a pruned - unpruned statistic. */
function effect(s: PairedStat): string {
  return `${f(s.meanDiff, 3)} [${f(s.ci?.[0] ?? null, 3)}, ${f(s.ci?.[1] ?? null, 3)}]`;
}

/** The terminal table: absolute losses as before, then learning from each network's own start. */
function dnpTable(summary: DnpSummary): string {
  const head = ["problem", "n", "loss before", "final pruned", "final unpruned", "p (paired t)"];
  const entries = Object.entries(summary.problems);
  const rows = entries.map(([name, s]) => [
    name,
    String(s.n),
    f(s.initial),
    f(s.final.pruned),
    f(s.final.unpruned),
    f(s.final.p),
  ]);
  const small = entries.some(([, s]) => s.slowing.wilcoxonP !== null);
  const head2 = [
    "problem",
    "n",
    "start P/U",
    "learning P - U [99% CI]",
    "p",
    "Holm p",
    ...(small ? ["Wilcoxon p"] : []),
    "end change P - U [99% CI]",
    "p",
  ];
  const holm = holmAdjust(entries.map(([, s]) => s.slowing.p));
  const rows2 = entries.map(([name, s], k) => [
    name,
    String(s.slowing.n),
    `${f(s.start.pruned)}/${f(s.start.unpruned)}`,
    effect(s.slowing),
    formatP(s.slowing.p),
    formatP(holm[k]),
    ...(small ? [formatP(s.slowing.wilcoxonP)] : []),
    effect(s.endSlowing),
    formatP(s.endSlowing.p),
  ]);
  const skipped = entries.reduce((m, [, s]) => Math.max(m, s.skipped), 0);
  return [
    `${summary.reduced ? "REDUCED PROTOCOL. " : ""}Loss on the new problem (mean over networks), ` +
    `networks of fig5 run ${summary.config.from ?? "-"}:`,
    formatTable(head, rows, { align: ["left", ...head.slice(1).map(() => "right" as const)] }),
    "",
    `From each network's own loss before training (learning = mean over the curve of ` +
    `log(loss / start); end change = log(final / start); pruned - unpruned > 0: pruned learn more ` +
    `slowly; paired t-test, 99% interval, Holm over the ${entries.length} problems` +
    `${small ? ", exact Wilcoxon signed-rank because n < 30" : ""}):`,
    formatTable(head2, rows2, {
      align: ["left", ...head2.slice(1).map(() => "right" as const)],
    }),
    ...(skipped > 0 ? [`${skipped} pair(s) skipped per problem: a fig5 lineage had failed.`] : []),
  ].join("\n");
}

/** The DMS new-problem experiment. */
export const dmsNewProblem: Experiment<DmsNewProblemConfig, DnpSummary> = {
  id: "dms-new-problem",
  title: "DMS new problems on fig5's level-0.7 networks (Averbeck 2022 spec 7.2, D22)",
  paper: "averbeck2022",
  presets: { default: DNP_DEFAULT, paper: DNP_PAPER },
  flags: DNP_FLAGS,
  configure: configureDnp,
  prepare: prepareDnp,
  describe: describeDnp,
  totalUnits: (c) => pairsOf(c) * c.problems.length,
  // Networks are independent once the fig5 run is fixed (prepare sets `from` for every new run).
  shards: (c) => (c.from ? { networks: pairsOf(c) } : null),
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
  table: dnpTable,
  parameters: (): PanelParameter[] => [],
  panels(run: ExperimentRun<DmsNewProblemConfig>, units: UnitEntry[]): Panel[] {
    const c = run.config;
    const s = summarizeProblems(c, units);
    const byKey = new Map(units.map((u) => [u.key.join("/"), u]));
    return Object.entries(s).flatMap(([name, p]) => {
      // Each network's loss(t) / its own loss before training, t = 2.. (entry 1 is 1 by definition).
      const rel = (lineage: "pruned" | "unpruned"): (number | null)[][] =>
        p.networks.map((n) => {
          const unit = byKey.get(`problem/${name}/${n.network}`);
          const h = unit ? unitMetrics<ProblemUnit>(unit) : null;
          const curve = h && hasCurves(h) ? h[lineage].lossHistory : [];
          return curve.slice(1).map((v) => v / n[lineage].start);
        });
      const cmp = pairedComparison(rel("pruned"), rel("unpruned"), {
        x: p.iterations.slice(1),
        correction: "none",
        effectLevel: 0.99,
      });
      return [
        {
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
          caption: `mean +/- SEM over n = ${p.n} network pairs; lossHistory[2..], entry 1 is ` +
            `before training (pruned ${f(p.start.pruned)}, unpruned ${f(p.start.unpruned)})`,
        },
        {
          id: `dms-new-problem-${name}-relative`,
          title: `DMS new problem '${name}': loss relative to each network's own start`,
          kind: "line" as const,
          xLabel: "outer SCG iteration",
          yLabel: "loss / loss before training",
          logY: true,
          series: cmp.series,
          test: cmp.test,
          caption: `mean +/- SEM over n = ${p.networks.length} pairs of loss(t) / loss before ` +
            `training; filled markers: p < 0.01, paired t-test, uncorrected (the paper's rule); ` +
            `Holm p and the 99% interval of the difference per point in the CSV.`,
        },
      ];
    });
  },
  claims: DNP_CLAIMS,
};

/**
 * Fig 6 of Averbeck 2022: example RL networks. One lineage pair at noise 0.1 is run through the
 * prune schedule (shared machinery with fig7), then the pruned and unpruned networks at level 0.7
 * are analysed: weight histogram, singular values of A, outputs vs model Q-values in the fixation
 * and choice phases of block 1, cumulative PCA variance and PC1-PC2 paths (epsilon 0, 128 blocks).
 *
 * @module
 */
import {
  type Experiment,
  type ExperimentRun,
  type FlagValue,
  jsonRecord,
  type UnitEntry,
  unitMetrics,
  UsageError,
} from "../../core/app/experiment.ts";
import { LINEAGES } from "../../core/app/paired_lineages.ts";
import type { Panel, PanelParameter, PanelSeries } from "../../core/app/panels.ts";
import { formatTable } from "../../core/app/text_table.ts";
import { RL_HIST_CENTRES } from "../../core/util/histogram.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import type { ResultStore } from "../../core/store/kv_store.ts";
import {
  configureRl,
  DEFAULT_RL,
  describeRl,
  MAIN_LEVEL,
  MAIN_NOISE,
  PAPER_RL,
  RL_FLAGS,
  type RlConfig,
} from "./config.ts";
import { type ExampleAnalysis, exampleAnalysis } from "../../core/rl/examples.ts";
import {
  isFailed,
  keyOf,
  type LevelUnitMetrics,
  mainKey,
  runPruneSchedule,
  scheduleUnits,
  STREAM,
} from "./lineages.ts";
import { fmt, protocolLines } from "./table.ts";
import { type RlSummaryHeader, rlSummaryHeader } from "./summary.ts";
import { FIG6_CLAIMS } from "./claims.ts";

const EXAMPLE_KEY = ["example"];

/** Metrics of the `["example"]` unit. */
interface ExampleUnit {
  lineage: number;
  level: number;
  noise: number;
  pruned: ExampleAnalysis;
  unpruned: ExampleAnalysis;
}

const only = (c: RlConfig): RlConfig => ({
  ...c,
  networks: 1,
  noiseLevels: [MAIN_NOISE],
  newOptionNetworks: 0,
});

function levelIndex(c: RlConfig): number {
  return c.levels.findIndex((l) => Math.abs(l - MAIN_LEVEL) < 1e-9);
}

/** The `--out` JSON of fig6 (docs/rl.md). */
export type Fig6Summary = RlSummaryHeader<"fig6"> & {
  /** Prune level of the examples. */
  level: number;
  /** Target-noise variance of the examples. */
  noise: number;
  /** Bin centres of the weight histograms. */
  histogramCentres: readonly number[];
  /** The analyses of both example networks, or null before they are stored. */
  examples: ExampleUnit | null;
};

/** The Fig 6 experiment. */
export const fig6: Experiment<RlConfig, Fig6Summary> = {
  id: "fig6",
  title: "Example RL networks: weights, singular values, outputs vs Q, PCA (Averbeck 2022 Fig 6)",
  paper: "averbeck2022",
  presets: { default: only(DEFAULT_RL), paper: only(PAPER_RL) },
  flags: RL_FLAGS.filter((f) => f.name !== "new-option-networks" && f.name !== "noise-levels"),
  configure(base: RlConfig, flags: Record<string, FlagValue>): RlConfig {
    if (flags.networks !== undefined) {
      throw new UsageError("--networks: fig6 analyses one example lineage pair");
    }
    const c = configureRl(base, flags);
    if (levelIndex(c) < 0) throw new UsageError(`--levels must include ${MAIN_LEVEL} for fig6`);
    return c;
  },
  describe: (c) => `example pair at level ${MAIN_LEVEL}, noise ${MAIN_NOISE}; ${describeRl(c)}`,
  totalUnits(c: RlConfig): number {
    return scheduleUnits(c) + 1;
  },
  async run(ctx): Promise<void> {
    await runPruneSchedule(ctx);
    if (ctx.signal.aborted) throw new Error("interrupted");
    if (ctx.finished.has(keyOf(EXAMPLE_KEY))) return;
    const c = ctx.config;
    const key = mainKey(0, 0, levelIndex(c));
    const [p, u] = await Promise.all(
      ["prunedW", "unprunedW"].map((n) => ctx.store.getBlob(ctx.runId, key, n)),
    );
    if (!(p instanceof Float64Array) || !(u instanceof Float64Array)) {
      // A failed network (NaN/Inf) is stored without weights: there is no example to analyse.
      const unit = await ctx.store.getUnit(ctx.runId, key);
      const m = unit ? unitMetrics<LevelUnitMetrics>({ record: unit }) : null;
      const why = m
        ? [m.pruned, m.unpruned].filter(isFailed).map((f) => f.failed).join("; ")
        : "not stored";
      throw new Error(`no example pair at level ${MAIN_LEVEL}: ${why}`);
    }
    const analyse = (w: Float64Array, kind: number): ExampleAnalysis =>
      exampleAnalysis(w, c.exampleBlocks, new Rng(deriveSeed(ctx.seed, STREAM.examples, kind)));
    const metrics: ExampleUnit = {
      lineage: 0,
      level: MAIN_LEVEL,
      noise: MAIN_NOISE,
      pruned: analyse(p, 0),
      unpruned: analyse(u, 1),
    };
    await ctx.store.putUnit(ctx.runId, EXAMPLE_KEY, {
      metrics: jsonRecord(metrics),
    });
    ctx.progress.tick(1, "example analyses");
  },
  async summarize(
    run: ExperimentRun<RlConfig>,
    store: ResultStore,
  ): Promise<Fig6Summary> {
    const unit = await store.getUnit(run.id, EXAMPLE_KEY);
    return {
      ...rlSummaryHeader(run, { id: "fig6", title: fig6.title }),
      level: MAIN_LEVEL,
      noise: MAIN_NOISE,
      histogramCentres: RL_HIST_CENTRES,
      examples: unit ? unitMetrics<ExampleUnit>({ record: unit }) : null,
    };
  },
  table(summary: Fig6Summary): string {
    const ex = summary.examples;
    if (!ex) return "no example analysis stored";
    const head = [
      "network",
      "Q err",
      "agree",
      "reward/block",
      "PC1-3 cum. var",
      "sum s(A)",
      "s1(A)",
      "Mahal. per block",
      "Mahal. pooled",
    ];
    const rows = LINEAGES.map((k) => {
      const a = ex[k];
      return [
        k,
        fmt(a.qError),
        fmt(a.choiceAgreement),
        fmt(a.rewardPerBlock, 2),
        a.pcaCumulative.slice(0, 3).map((v) => fmt(v, 2)).join("/"),
        fmt(a.singularValues.reduce((s, v) => s + v, 0), 2),
        fmt(a.singularValues[0], 2),
        fmt(a.mahalanobis, 1),
        fmt(a.mahalanobisPooled, 2),
      ];
    });
    return [
      ...protocolLines(summary),
      `Example networks at level ${ex.level}, noise ${ex.noise} (epsilon 0, ` +
      `${summary.config.exampleBlocks} blocks):`,
      formatTable(head, rows, { align: ["left", ...head.slice(1).map(() => "right" as const)] }),
      "Mahalanobis: squared distance between the fixation-step and choice-step states in units " +
      "of the within-phase covariance; per block = mean over the blocks (30 + 30 samples in 20 " +
      "dimensions, biased upwards); pooled = all blocks' samples, one covariance.",
    ].join("\n");
  },
  parameters(_run: ExperimentRun<RlConfig>): PanelParameter[] {
    return [];
  },
  panels(_run: ExperimentRun<RlConfig>, units: UnitEntry[]): Panel[] {
    const unit = units.find((u) => u.key[0] === EXAMPLE_KEY[0]);
    if (!unit) return [];
    const ex = unitMetrics<ExampleUnit>(unit);
    const kinds = ["pruned", "unpruned"] as const;
    const idx = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
    const panels: Panel[] = [
      {
        id: "fig6-histogram",
        title: "Fig 6A: recurrent weight histogram (non-zero weights)",
        kind: "line",
        xLabel: "weight",
        yLabel: "fraction",
        series: kinds.map((k) => ({
          label: k,
          color: k,
          x: [...RL_HIST_CENTRES],
          y: ex[k].histogram,
        })),
      },
      {
        id: "fig6-singular",
        title: "Fig 6B: normalised cumulative singular values of A",
        kind: "line",
        xLabel: "index",
        yLabel: "cumsum(s) / sum(s)",
        series: kinds.map((k) => ({
          label: k,
          color: k,
          x: idx(ex[k].singularCumulative.length),
          y: ex[k].singularCumulative,
        })),
      },
      {
        id: "fig6-singular-raw",
        title: "Fig 6B (raw): singular values of A",
        kind: "line",
        xLabel: "index",
        yLabel: "singular value",
        series: kinds.map((k) => ({
          label: k,
          color: k,
          x: idx(ex[k].singularValues.length),
          y: ex[k].singularValues,
        })),
      },
    ];
    const letters: Record<string, string> = {
      "unpruned-fixation": "C",
      "unpruned-choice": "D",
      "pruned-fixation": "E",
      "pruned-choice": "F",
    };
    for (const k of ["unpruned", "pruned"] as const) {
      for (const phase of ["fixation", "choice"] as const) {
        const y = phase === "fixation" ? ex[k].fixationOutputs : ex[k].choiceOutputs;
        const q = phase === "fixation" ? ex[k].fixationQ : ex[k].choiceQ;
        const series: PanelSeries[] = [];
        for (let o = 0; o < 4; o++) {
          series.push({
            label: `y option ${o}`,
            color: OUTPUT_COLOURS[o],
            x: idx(y.length),
            y: y.map((r) => r[o]),
          });
          series.push({
            label: `Q option ${o}`,
            color: Q_COLOURS[o],
            x: idx(q.length),
            y: q.map((r) => r[o]),
          });
        }
        panels.push({
          id: `fig6-${k}-${phase}`,
          title: `Fig 6${
            letters[`${k}-${phase}`]
          }: ${k} outputs vs model Q, ${phase} steps, block 1`,
          kind: "line",
          xLabel: "trial",
          yLabel: "value",
          series,
          caption: "block 1 (odd: option 2, the paper's 'option 2' label, is the 0.8 target); " +
            "options numbered 0-3 as in the paper; y = network output (dark), Q = the model's " +
            "noise-free Q-value (light, same hue)",
        });
      }
    }
    panels.push({
      id: "fig6-pca",
      title: "Fig 6G: cumulative fraction of variance",
      kind: "line",
      xLabel: "PC",
      yLabel: "cumulative fraction",
      series: kinds.map((k) => ({
        label: k,
        color: k,
        x: idx(ex[k].pcaCumulative.length),
        y: ex[k].pcaCumulative,
      })),
    });
    for (const [k, letter] of [["unpruned", "H"], ["pruned", "I"]] as const) {
      panels.push(
        pathPanel(ex[k], {
          id: `fig6-path-${k}`,
          title: `Fig 6${letter}: PC1-PC2 path of block 1, ${k}`,
        }),
      );
    }
    return panels;
  },
  claims: FIG6_CLAIMS,
};

/** Tableau 10's first four hues for the network outputs, their light partners for Q. */
const OUTPUT_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f"];
const Q_COLOURS = ["#a0cbe8", "#ffbe7d", "#ff9d9a", "#8cd17d"];

/**
 * Fig 6H/I: the PC1-PC2 path of block 1 as two connected polylines (fixation steps, choice steps),
 * their start points, and the choice steps marked by outcome and by whether the 0.8 option was
 * chosen; series without points are left out, so no legend entry lacks a visible mark.
 */
function pathPanel(a: ExampleAnalysis, at: { id: string; title: string }): Panel {
  const xy = (pts: number[][]): { x: number[]; y: number[] } => ({
    x: pts.map((p) => p[0]),
    y: pts.map((p) => p[1]),
  });
  // Block 1 is odd: the 0.8 option is option index 2 (spec 4.1).
  const best = 2;
  const marks: [string, string, (i: number) => boolean][] = [
    [
      "rewarded (+), chose the 0.8 option",
      "#59a14f",
      (i) => a.choiceRewards[i] > 0 && a.choiceOptions[i] === best,
    ],
    [
      "rewarded (+), another option",
      "#b07aa1",
      (i) => a.choiceRewards[i] > 0 && a.choiceOptions[i] !== best,
    ],
    [
      "not rewarded (-), chose the 0.8 option",
      "#edc948",
      (i) => a.choiceRewards[i] <= 0 && a.choiceOptions[i] === best,
    ],
    [
      "not rewarded (-), another option",
      "#9c755f",
      (i) => a.choiceRewards[i] <= 0 && a.choiceOptions[i] !== best,
    ],
  ];
  const series: PanelSeries[] = [
    { label: "fixation steps", color: "#4e79a7", line: true, ...xy(a.fixationPath) },
    { label: "choice steps", color: "#e15759", line: true, ...xy(a.choicePath) },
    { label: "start (S)", color: "#000000", ...xy([a.fixationPath[0], a.choicePath[0]]) },
    ...marks.map(([label, color, f]) => ({
      label,
      color,
      ...xy(a.choicePath.filter((_, i) => f(i))),
    })),
  ];
  return {
    id: at.id,
    title: at.title,
    kind: "scatter",
    xLabel: "PC1",
    yLabel: "PC2",
    series: series.filter((s) => s.x.length > 0),
    caption: "raw projections on the PCs of the example blocks (epsilon 0); lines join the " +
      "fixation-step and the choice-step states in time order; markers at choice steps: outcome " +
      `and choice; Mahalanobis distance fixation vs choice (pooled): ${
        fmt(a.mahalanobisPooled, 2)
      }`,
  };
}

/**
 * A synthetic experiment that declares every kind of panel and series option the dashboard draws
 * (issue 18): a paired comparison with n, p, Holm-adjusted p and effect sizes, a reference line far
 * from the data, a trajectory, a log axis with nine series, a table with the paper's values in a
 * labelled column, a heat map and bars; its units carry `lossHistory` per lineage, so the
 * training-curves card has data. The browser tests and the screenshots in docs/dashboard.md use
 * it. It trains nothing; `run` writes deterministic numbers. Not registered in the CLI.
 *
 * @module
 */
import type { Experiment, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, PanelParameter, PanelSeries } from "../../core/app/panels.ts";
import { pairedComparison } from "../../core/app/paired_lineages.ts";
import type { RunRecord } from "../../core/store/kv_store.ts";
import { type GridConfig, gridExperiment, gridRun } from "./level_grid.ts";

/** Config of the showcase experiment. */
export interface ShowcaseConfig extends GridConfig {
  /** Offset added to every pruned value (lets tests make runs that differ). */
  shift: number;
}

/** Paper values the table panel prints beside this run's (made up for the showcase). */
const PAPER_ACCURACY = [0.9, 0.86, 0.8];

/** Deterministic synthetic metrics of one unit. */
export function showcaseMetrics(
  network: number,
  levelIndex: number,
  options: { level: number; shift?: number; seed?: number },
): Record<string, unknown> {
  const { level } = options;
  const seed = options.seed ?? 1;
  const wiggle = Math.sin(network * 12.9898 + levelIndex * 78.233 + seed * 3.1) * 0.03;
  const loss = (start: number): number[] =>
    Array.from({ length: 6 }, (_, i) => start * Math.exp(-0.45 * i) * (1 + wiggle));
  return {
    level,
    pruned: {
      accuracy: 0.92 - 0.3 * level * level + wiggle + (options.shift ?? 0),
      reward: 8 + 4 * level + 10 * wiggle,
      lossHistory: loss(0.2 + 0.1 * level),
    },
    unpruned: {
      accuracy: 0.88 - 0.05 * level + wiggle / 2,
      reward: 7 + level + 8 * wiggle,
      lossHistory: loss(0.18),
    },
  };
}

const base: ShowcaseConfig = {
  preset: "default",
  reduced: true,
  networks: 6,
  levels: [0, 0.3, 0.7],
  shift: 0,
};

type Lineage = "pruned" | "unpruned";

/** The run as this experiment reads it: only its config (works with any run record typing). */
interface ShowcaseRunView {
  readonly config: unknown;
}

/** The config of a stored run, defaults filling what is missing. */
function configOf(run: ShowcaseRunView): ShowcaseConfig {
  const c = run.config;
  if (typeof c !== "object" || c === null) return base;
  const get = (k: string): unknown => Reflect.get(c, k);
  const levels = get("levels");
  const networks = get("networks");
  const shift = get("shift");
  return {
    ...base,
    levels: Array.isArray(levels) && levels.every((v) => typeof v === "number")
      ? levels
      : base.levels,
    networks: typeof networks === "number" ? networks : base.networks,
    shift: typeof shift === "number" ? shift : base.shift,
  };
}

function rows(
  cfg: ShowcaseConfig,
  units: UnitEntry[],
  lineage: Lineage,
  metric: string,
): (number | null)[][] {
  const out = Array.from(
    { length: cfg.networks },
    () => new Array<number | null>(cfg.levels.length).fill(null),
  );
  for (const { key, record } of units) {
    const [n, l] = key as number[];
    const m = record.metrics[lineage] as Record<string, number> | undefined;
    if (m && n < cfg.networks && l < cfg.levels.length) out[n][l] = m[metric];
  }
  return out;
}

/** The showcase experiment. */
export const showcaseExperiment: Experiment<ShowcaseConfig> = {
  ...gridExperiment<ShowcaseConfig>({
    id: "showcase",
    title: "Showcase: every panel the dashboard draws",
    describe: (c) => `${c.networks} networks x ${c.levels.length} levels, shift ${c.shift}`,
  }, {
    base,
    metrics: (n, l, c) => showcaseMetrics(n, l, { level: c.levels[l], shift: c.shift }),
  }),
  parameters(run: ShowcaseRunView): PanelParameter[] {
    const levels = configOf(run).levels;
    return [{ name: "level", label: "Prune level", options: levels, default: levels.at(-1) ?? 0 }];
  },
  panels(run: ShowcaseRunView, units: UnitEntry[], params: Record<string, number>): Panel[] {
    const cfg = configOf(run);
    const x = cfg.levels;
    const acc = pairedComparison(
      rows(cfg, units, "pruned", "accuracy"),
      rows(cfg, units, "unpruned", "accuracy"),
      { x },
    );
    const reward = pairedComparison(
      rows(cfg, units, "pruned", "reward"),
      rows(cfg, units, "unpruned", "reward"),
      { x, test: "wilcoxon", alpha: 0.05 },
    );
    const li = Math.max(0, x.indexOf(params.level));
    const turns = 40;
    const path = Array.from({ length: turns }, (_, i) => {
      const r = (1 + i / 8) * (1 + 0.2 * li);
      return [r * Math.cos(i / 4) + cfg.shift, r * Math.sin(i / 4)];
    });
    const spectrum: PanelSeries[] = Array.from({ length: 9 }, (_, k) => ({
      label: `network ${k + 1}`,
      x: Array.from({ length: 12 }, (_, i) => i + 1),
      y: Array.from({ length: 12 }, (_, i) => Math.exp(-(i + 1) * (0.3 + 0.08 * k))),
    }));
    const accRows = acc.series;
    const table: Panel = {
      id: "table",
      title: "Table S1: accuracy per level, this run and the paper",
      kind: "table",
      xLabel: "",
      yLabel: "",
      series: [],
      errorKind: "sd",
      test: acc.test,
      table: {
        columns: [
          { label: "level", role: "label" },
          { label: "pruned", role: "value", digits: 3 },
          { label: "unpruned", role: "value", digits: 3 },
          { label: "paper (pruned)", role: "paper", digits: 2 },
          { label: "n", role: "n" },
          { label: "p (Holm)", role: "p" },
        ],
        rows: x.map((level, i) => [
          { value: level },
          { value: accRows[0].y[i], err: accRows[0].err?.[i] ?? null },
          { value: accRows[1].y[i], err: accRows[1].err?.[i] ?? null },
          { value: PAPER_ACCURACY[i] ?? null },
          { value: accRows[0].n?.[i] ?? null },
          { value: accRows[0].pAdjusted?.[i] ?? null },
        ]),
        paperSource: "invented values for the showcase",
      },
      caption: "mean (SEM) over networks; paper values in their own column",
    };
    return [
      {
        id: "accuracy",
        title: "Accuracy vs prune level",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "accuracy",
        series: acc.series,
        test: acc.test,
        errorKind: "sem",
        caption: `n = ${cfg.networks} lineage pairs; mean ± SEM`,
      },
      {
        id: "reward",
        title: "Reward per block, with a random chooser far below",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "reward per block",
        series: [
          ...reward.series,
          { label: "random chooser", x, y: x.map(() => -15), reference: true },
        ],
        test: reward.test,
        caption: "the reference line does not set the axis range",
      },
      {
        id: "trajectory",
        title: `Trajectory at level ${x[li]}`,
        kind: "scatter",
        xLabel: "PC1",
        yLabel: "PC2",
        series: [
          { label: "path", x: path.map((p) => p[0]), y: path.map((p) => p[1]), line: true },
          { label: "start", x: [path[0][0]], y: [path[0][1]] },
        ],
      },
      {
        id: "spectrum",
        title: "Nine spectra on a log axis",
        kind: "line",
        xLabel: "index",
        yLabel: "value",
        logY: true,
        series: spectrum,
      },
      table,
      {
        id: "counts",
        title: "Finished networks per level",
        kind: "bar",
        xLabel: "prune fraction",
        yLabel: "networks",
        series: [{
          label: "finished",
          x: x.map(String),
          y: x.map((_, l) => units.filter((u) => u.key[1] === l).length),
        }],
      },
      {
        id: "grid",
        title: "Accuracy per network and level",
        kind: "heatmap",
        xLabel: "level",
        yLabel: "network",
        series: [],
        heatmap: {
          rows: cfg.networks,
          cols: x.length,
          values: rows(cfg, units, "pruned", "accuracy").flat().map((v) => v ?? NaN),
          colLabels: x.map(String),
        },
      },
    ];
  },
};

/** A run record for the showcase experiment (tests create it with `store.createRun`). */
export function showcaseRun(
  id: string,
  options: { config?: Partial<ShowcaseConfig>; seed?: number } = {},
): RunRecord {
  return gridRun(id, { ...base, ...options.config }, {
    figure: "showcase",
    seed: options.seed,
    versions: { prunelab: "test" },
  });
}

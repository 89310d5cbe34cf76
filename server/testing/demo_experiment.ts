/**
 * A tiny experiment used by the dashboard's tests and screenshots: it declares one panel of every
 * kind (line with SEM and significance marks, bar, scatter, heat map) and a level selector, from
 * unit metrics `{level, pruned, unpruned}` keyed `[networkIndex, levelIndex]`. It does not train
 * anything; `run` writes deterministic synthetic numbers. Not registered in the CLI.
 *
 * @module
 */
import type { Experiment, ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { RunRecord } from "../../core/store/kv_store.ts";
import { type GridConfig, gridExperiment, gridRun } from "./level_grid.ts";

/** Config of the demo experiment. */
export type DemoConfig = GridConfig;

/** Deterministic synthetic metrics of one unit. */
export function demoMetrics(network: number, levelIndex: number, level: number): {
  level: number;
  pruned: number;
  unpruned: number;
} {
  const wiggle = Math.sin(network * 12.9898 + levelIndex * 78.233) * 0.03;
  return {
    level,
    pruned: 0.9 - 0.25 * level * level + wiggle,
    unpruned: 0.85 - 0.05 * level + wiggle / 2,
  };
}

function meanSem(v: number[]): [number | null, number | null] {
  if (v.length === 0) return [null, null];
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  if (v.length < 2) return [m, null];
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
  return [m, sd / Math.sqrt(v.length)];
}

const base: DemoConfig = { preset: "default", reduced: true, networks: 4, levels: [0, 0.3, 0.7] };

/** The demo experiment. */
export const demoExperiment: Experiment<DemoConfig> = {
  ...gridExperiment<DemoConfig>({
    id: "demo",
    title: "Demo: synthetic pruning curves",
    describe: (c) => `${c.networks} networks x ${c.levels.length} levels (${c.levels.join(", ")})`,
  }, { base, metrics: (n, l, c) => demoMetrics(n, l, c.levels[l]) }),
  parameters(run: ExperimentRun<DemoConfig>): PanelParameter[] {
    const levels = run.config.levels ?? [];
    return [{
      name: "level",
      label: "Prune level",
      options: levels,
      default: levels.includes(0.7) ? 0.7 : levels[0] ?? 0,
    }];
  },
  panels(
    run: ExperimentRun<DemoConfig>,
    units: UnitEntry[],
    params: Record<string, number>,
  ): Panel[] {
    const cfg = run.config;
    const byLevel = cfg.levels.map(() => ({ p: [] as number[], u: [] as number[] }));
    const cells = new Array(cfg.networks * cfg.levels.length).fill(NaN);
    const scatter = { x: [] as number[], y: [] as number[] };
    for (const { key, record } of units) {
      const [n, l] = key as number[];
      const m = record.metrics as { pruned: number; unpruned: number };
      byLevel[l].p.push(m.pruned);
      byLevel[l].u.push(m.unpruned);
      cells[n * cfg.levels.length + l] = m.pruned;
      if (cfg.levels[l] === params.level) {
        scatter.x.push(m.unpruned);
        scatter.y.push(m.pruned);
      }
    }
    const p = byLevel.map((b) => meanSem(b.p));
    const u = byLevel.map((b) => meanSem(b.u));
    return [
      {
        id: "accuracy",
        title: "Accuracy vs prune level",
        kind: "line",
        xLabel: "prune fraction",
        yLabel: "accuracy",
        series: [
          {
            label: "pruned",
            x: cfg.levels,
            y: p.map((v) => v[0]),
            err: p.map((v) => v[1]),
            significant: byLevel.map((b, i) => b.p.length > 1 && (p[i][0] ?? 0) < (u[i][0] ?? 0)),
          },
          { label: "unpruned", x: cfg.levels, y: u.map((v) => v[0]), err: u.map((v) => v[1]) },
        ],
        caption:
          `mean +/- SEM over networks; filled markers where pruned < unpruned (n=${units.length})`,
      },
      {
        id: "counts",
        title: "Finished networks per level",
        kind: "bar",
        xLabel: "prune fraction",
        yLabel: "networks",
        series: [{
          label: "finished",
          x: cfg.levels.map(String),
          y: byLevel.map((b) => b.p.length),
        }],
      },
      {
        id: "scatter",
        title: `Pruned vs unpruned at level ${params.level}`,
        kind: "scatter",
        xLabel: "unpruned",
        yLabel: "pruned",
        series: [{ label: "networks", x: scatter.x, y: scatter.y }],
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
          cols: cfg.levels.length,
          values: cells,
          colLabels: cfg.levels.map(String),
        },
      },
    ];
  },
};

/** A run record for the demo experiment (tests create it with `store.createRun`). */
export function demoRun(id: string, config: Partial<DemoConfig> = {}): RunRecord {
  return gridRun(id, { ...base, ...config }, { figure: "demo" });
}

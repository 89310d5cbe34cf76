/**
 * The comparison logic of the dashboard (ui/compare.ts) without a browser: config diffs, the
 * refusal to overlay different figures, per-run overlays keeping every series, and the mean ± SEM
 * across runs recomputed by hand; plus the CSV headers of ui/csv.ts for the new columns.
 */
import assert from "node:assert/strict";
import type { Panel } from "../core/app/panels.ts";
import type { RunConfigBody, RunDetail } from "../ui/api.ts";
import { type CompareRun, configDiff, groupFields, overlay, runLabels } from "../ui/compare.ts";
import { panelCsv } from "../ui/csv.ts";
import { assertRel } from "./fixtures/helpers.ts";

function config(id: string, seed: number, networks: number): RunConfigBody {
  return {
    id,
    figure: "fig5",
    config: { networks, levels: [0.5, 0.7], nested: { a: 1 } },
    seed,
    engine: "cpu",
    engineDescription: "x",
    preset: "default",
    reduced: true,
    versions: { prunelab: "1" },
  };
}

function line(y: number[], label = "pruned"): Panel {
  return {
    id: "a",
    title: "A",
    kind: "line",
    xLabel: "level",
    yLabel: "acc",
    series: [{ label, color: "pruned", x: [0.5, 0.7], y, err: [0.1, 0.1] }],
  };
}

function run(id: string, seed: number, networks: number, y: number[], figure = "fig5"): CompareRun {
  const detail: RunDetail = {
    version: "1",
    run: {
      id,
      figure,
      title: figure,
      status: "done",
      progress: { done: 1, total: 1 },
      engine: "cpu",
      engineDescription: "",
      seed,
      preset: "default",
      reduced: true,
      startedAt: "",
      endedAt: null,
      updatedAt: "",
      durationMs: 0,
      summary: "",
      message: null,
    },
    parameters: [],
    params: {},
    panels: [line(y), {
      id: "h",
      title: "H",
      kind: "heatmap",
      xLabel: "",
      yLabel: "",
      series: [],
      heatmap: { rows: 1, cols: 1, values: [seed] },
    }],
    units: 1,
    notice: null,
  };
  return { id, detail, config: config(id, seed, networks) };
}

Deno.test("configDiff: differing fields first, nested config flattened, versions included", () => {
  const rows = configDiff([config("a", 1, 4), config("b", 2, 4), config("c", 3, 8)]);
  assert.deepEqual(rows.filter((r) => !r.same).map((r) => r.field), ["seed", "config.networks"]);
  assert.deepEqual(rows.find((r) => r.field === "config.networks")?.values, ["4", "4", "8"]);
  assert.ok(rows.some((r) => r.field === "config.nested.a" && r.same));
  assert.ok(rows.some((r) => r.field === "versions.prunelab" && r.same));
  assert.deepEqual(groupFields(rows), ["seed", "config.networks"]);
});

Deno.test("overlay refuses runs of different figures", () => {
  assert.throws(
    () => overlay([run("a", 1, 4, [1, 2]), run("b", 2, 4, [1, 2], "fig7")], { by: "run" }),
    /different figures \(fig5, fig7\)/,
  );
});

Deno.test("overlay per run: every run's series, labelled by seed, styled per run", () => {
  const runs = [run("a", 1, 4, [1, 2]), run("b", 2, 4, [3, 4]), run("c", 3, 8, [5, 9])];
  assert.deepEqual(runLabels(runs), ["seed 1", "seed 2", "seed 3"]);
  const { overlaid, apart } = overlay(runs, { by: "run" });
  assert.equal(overlaid.length, 1);
  assert.deepEqual(overlaid[0].series.map((s) => s.label), [
    "pruned · seed 1",
    "pruned · seed 2",
    "pruned · seed 3",
  ]);
  assert.deepEqual(overlaid[0].series.map((s) => s.style), [0, 1, 2]);
  assert.deepEqual(overlaid[0].series.map((s) => s.color), ["pruned", "pruned", "pruned"]);
  assert.deepEqual(apart.map((a) => [a.id, a.perRun.length]), [["h", 3]]);
});

Deno.test("overlay grouped: mean and SEM across the runs of each group, n = runs", () => {
  const runs = [run("a", 1, 4, [1, 2]), run("b", 2, 4, [3, 4]), run("c", 3, 8, [5, 9])];
  const all = overlay(runs, { by: "all" }).overlaid[0].series;
  assert.equal(all.length, 1);
  assert.equal(all[0].label, "pruned (mean of 3 runs)");
  assert.deepEqual(all[0].y, [3, 5]);
  assertRel(all[0].err![0]!, 2 / Math.sqrt(3), 1e-15, "SEM of 1, 3, 5");
  assertRel(all[0].err![1]!, Math.sqrt(13) / Math.sqrt(3), 1e-15, "SEM of 2, 4, 9");
  assert.deepEqual(all[0].n, [3, 3]);
  const byNetworks = overlay(runs, { by: "field", field: "config.networks" }).overlaid[0];
  assert.deepEqual(byNetworks.series.map((s) => [s.label, s.y]), [
    ["pruned · networks=4 (2 runs)", [2, 3]],
    ["pruned · networks=8 (1 run)", [5, 9]],
  ]);
  assert.deepEqual(byNetworks.series[1].err, [null, null]);
  assert.equal(byNetworks.test, undefined);
  assert.match(byNetworks.caption ?? "", /mean ± SEM across runs/);
});

Deno.test("CSV: n, error named after its kind, p, Holm p, effect; table with paper column", () => {
  const csv = panelCsv({
    id: "x",
    title: "t",
    kind: "line",
    xLabel: "level",
    yLabel: "count",
    errorKind: "sd",
    test: { test: "paired t-test", alpha: 0.01, correction: "holm", family: 2 },
    series: [{
      label: "pruned",
      x: [0.5, 0.7],
      y: [10, 9],
      err: [1, 2],
      n: [5, 4],
      p: [0.001, 0.2],
      pAdjusted: [0.002, 0.2],
      effect: [{ value: 1, low: 0.5, high: 1.5 }, null],
      significant: [true, false],
    }],
  });
  assert.equal(
    csv,
    "series,level,count,sd,n,p,p_holm,effect,effect_ci_low,effect_ci_high,significant\n" +
      "pruned,0.5,10,1,5,0.001,0.002,1,0.5,1.5,1\npruned,0.7,9,2,4,0.2,0.2,,,,0\n",
  );
  const table = panelCsv({
    id: "t",
    title: "Table 1",
    kind: "table",
    xLabel: "",
    yLabel: "",
    series: [],
    errorKind: "sd",
    table: {
      columns: [{ label: "round", role: "label" }, { label: "VAR" }, {
        label: "VAR",
        role: "paper",
      }],
      rows: [[{ value: 3 }, { value: 9.5, err: 1.2 }, { value: 9 }]],
    },
  });
  assert.equal(table, "round,VAR,VAR sd,VAR (paper)\n3,9.5,1.2,9\n");
});

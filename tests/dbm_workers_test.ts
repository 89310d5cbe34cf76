/**
 * The DBM's round workers are sized by the process, not by the run (issues #15/#17): the figure
 * task's `--workers` and `deno task worker --workers` both reach the run as `RunContext.workers`
 * (absent without the flag: one per core), and no DBM config stores a thread count. The run is a
 * probe with bm-fig4's presets, flags and shards that records what it was given; that the numbers
 * do not depend on the thread count is tests/dbm_experiment_test.ts's resume test.
 */
import assert from "node:assert/strict";
import { EXIT, runExperimentCli } from "../core/app/cli.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { runWorkerCli } from "../core/app/worker.ts";
import { openStore } from "../core/store/store.ts";
import type { DbmConfig } from "../experiments/dbm/config.ts";
import { bmFig4 } from "../experiments/dbm/experiment.ts";
import { withTempDir } from "./fixtures/helpers.ts";

/** What the probe's runs were given: the thread count and the config. */
interface Seen {
  workers: (number | undefined)[];
  configs: DbmConfig[];
}

/** bm-fig4's presets, flags and shards around a run that only records its context. */
function probe(seen: Seen): Experiment<DbmConfig, { runId: string }> {
  return {
    id: bmFig4.id,
    title: bmFig4.title,
    paper: bmFig4.paper,
    presets: bmFig4.presets,
    flags: bmFig4.flags,
    configure: bmFig4.configure,
    describe: bmFig4.describe,
    totalUnits: bmFig4.totalUnits,
    shards: bmFig4.shards,
    run: (ctx) => {
      seen.workers.push(ctx.workers);
      seen.configs.push(ctx.config);
      return Promise.resolve();
    },
    summarize: (run) => Promise.resolve({ runId: run.id }),
    table: (s) => s.runId,
    parameters: () => [],
    panels: () => [],
  };
}

const quiet = { print: () => {}, printError: () => {} };

Deno.test("--workers of the figure task and of the worker reach a DBM run; no config stores it", () =>
  withTempDir(async (dir) => {
    const seen: Seen = { workers: [], configs: [] };
    const fig = probe(seen);
    const store = `${dir}/s.kv`;
    const run = (args: string[]): Promise<number> =>
      runExperimentCli(fig, [...args, "--quiet", "--engine", "cpu", "--store", store], quiet);
    assert.equal(await run(["--workers", "3"]), EXIT.ok);
    assert.equal(await run(["--workers", "0"]), EXIT.ok);
    assert.equal(await run([]), EXIT.ok);
    assert.deepEqual(seen.workers, [3, 0, undefined]);
    for (const c of seen.configs) assert.ok(!("workers" in c), JSON.stringify(c));
    // A detached run: its units take the thread count of the worker that computes them.
    const ids: string[] = [];
    const detached = await runExperimentCli(
      fig,
      ["--networks", "2", "--detach", "--workers", "5", "--quiet", "--engine", "cpu"].concat([
        "--store",
        store,
      ]),
      { print: (l) => ids.push(l), printError: () => {} },
    );
    assert.equal(detached, EXIT.ok);
    assert.equal(ids.length, 1);
    seen.workers.length = 0;
    const code = await runWorkerCli(
      ["--store", store, "--run", ids[0], "--workers", "2", "--quiet"],
      { [fig.id]: fig },
      quiet,
    );
    assert.equal(code, EXIT.ok);
    assert.deepEqual(seen.workers, [2, 2]);
    const s = await openStore(store, { create: false });
    try {
      for (const r of await s.listRuns()) assert.ok(!("workers" in r.config), r.id);
    } finally {
      await s.close();
    }
  }));

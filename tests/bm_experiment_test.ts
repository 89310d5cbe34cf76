import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { experimentRun, UsageError } from "../core/app/experiment.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { Progress } from "../core/app/progress.ts";
import type { Engine } from "../core/engine/engine.ts";
import { bmFig1 } from "../experiments/bm/bm_fig1.ts";
import { bmFig2 } from "../experiments/bm/bm_fig2.ts";
import { bmTable1 } from "../experiments/bm/bm_table1.ts";

Deno.test("BM flags: --networks sets seeds, --levels and bad values are usage errors", () => {
  const base = structuredClone(bmTable1.presets.default);
  assert.equal(base.reduced, true);
  assert.equal(bmTable1.presets.paper.reduced, false);
  assert.equal(bmTable1.configure(base, { networks: "4" }).seeds, 4);
  const bad: Record<string, string>[] = [
    { levels: "0.1,0.2" },
    { networks: "0" },
    { sampler: "metropolis" },
    { criteria: "magnitude,bogus" },
    { samples: "many" },
    { data: "/nonexistent/cifar" },
    { "max-outer": "3" },
  ];
  for (const flags of bad) {
    assert.throws(
      () => bmTable1.configure(structuredClone(base), flags),
      UsageError,
      JSON.stringify(flags),
    );
  }
  const c = bmTable1.configure(structuredClone(base), { criteria: "random-units,magnitude" });
  assert.deepEqual(c.criteria, ["magnitude", "random-units"]);
  const paper = bmFig2.configure(structuredClone(bmFig2.presets.paper), {});
  assert.equal(paper.reduced, false);
  assert.equal(
    bmFig2.configure(structuredClone(bmFig2.presets.paper), { networks: "2" }).reduced,
    true,
  );
});

Deno.test("bad --data exits 2 with one line and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bm_cli" });
  const errors: string[] = [];
  const code = await runExperimentCli(bmFig2, ["--data", `${dir}/nope`, "--store", `${dir}/s.kv`], {
    print: () => {},
    printError: (l) => errors.push(l),
  });
  assert.equal(code, 2);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /--data: .*does not exist/);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("small end-to-end runs write the --out keys the issue lists", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bm_cli" });
  const small = [
    "--networks",
    "1",
    "--patches",
    "3000",
    "--samples",
    "3000",
    "--engine",
    "cpu",
    "--quiet",
  ];
  const store = ["--store", `${dir}/s.kv`];
  const quiet = { print: () => {}, printError: (l: string) => console.error(l) };
  const t1 = await runExperimentCli(bmTable1, [
    ...small,
    ...store,
    "--criteria",
    "magnitude,random-units",
    "--out",
    `${dir}/t1.json`,
  ], quiet);
  assert.equal(t1, 0);
  const s1 = JSON.parse(await Deno.readTextFile(`${dir}/t1.json`));
  assert.equal(s1.figure, "bm-table1");
  assert.equal(typeof s1.seed, "number");
  assert.equal(s1.config.seeds, 1);
  assert.deepEqual(s1.criteria["random-units"].hiddenUnits.mean, [70, 35, 18, 9]);
  assert.equal(s1.criteria.magnitude.hiddenUnits.sd.length, 4);

  const f2 = await runExperimentCli(bmFig2, [
    ...small,
    ...store,
    "--criteria",
    "fi-variance",
    "--out",
    `${dir}/f2.json`,
  ], quiet);
  assert.equal(f2, 0);
  const s2 = JSON.parse(await Deno.readTextFile(`${dir}/f2.json`));
  const kl = s2.criteria["fi-variance"].kl;
  for (const k of ["beforeRetraining", "afterRetraining"]) {
    assert.ok(Number.isFinite(kl[k].mean) && Number.isFinite(kl[k].sd));
  }
  assert.ok(s2.logProbMatching.initial.x.length > 0);

  const f1 = await runExperimentCli(bmFig1, [...small, ...store, "--out", `${dir}/f1.json`], quiet);
  assert.equal(f1, 0);
  const s3 = JSON.parse(await Deno.readTextFile(`${dir}/f1.json`));
  assert.equal(s3.figure, "bm-fig1");
  const ev: number[] = s3.fim.eigenvalues;
  assert.ok(ev.length >= 10);
  for (let k = 1; k < ev.length; k++) assert.ok(ev[k] <= ev[k - 1]);
  assert.equal(s3.model.W.length, 13 * 70);
  assert.equal(s3.model.bv.length, 13);
  assert.equal(s3.model.bh.length, 70);
  assert.ok(s3.fim.exactVsSample.relativeFrobeniusDifference < 0.2);

  const rs = await ResultStore.open(`${dir}/s.kv`);
  try {
    for (const exp of [bmFig1, bmFig2, bmTable1]) {
      const run = (await rs.listRuns()).find((r) => r.figure === exp.id)!;
      const panels = exp.panels(experimentRun(run), await rs.listUnits(run.id), {});
      assert.ok(panels.length >= 3, exp.id);
      for (const p of panels) {
        if (p.kind === "heatmap") {
          assert.equal(p.heatmap!.values.length, p.heatmap!.rows * p.heatmap!.cols);
        } else assert.ok(p.series.length > 0, p.id);
      }
      // Unit metrics stay well under the 64 KiB KV value limit.
      for (const u of await rs.listUnits(run.id)) {
        assert.ok(JSON.stringify(u.record.metrics).length < 60000);
      }
    }
  } finally {
    rs.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an interrupted pruning run resumes to the same results as an uninterrupted one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bm_resume" });
  const store = await ResultStore.open(`${dir}/s.kv`);
  const config = bmTable1.configure(structuredClone(bmTable1.presets.default), {
    networks: "1",
    patches: "2000",
    samples: "2000",
    criteria: "magnitude,random-weights",
  });
  const ctxFor = (runId: string, finished: Set<string>, abortAfter?: number) => {
    const controller = new AbortController();
    class AbortingProgress extends Progress {
      override tick(n = 1, label?: string): void {
        super.tick(n, label);
        if (abortAfter !== undefined && this.done >= abortAfter) controller.abort();
      }
    }
    return {
      runId,
      config,
      seed: 3,
      engine: {} as Engine,
      store,
      finished,
      progress: new AbortingProgress(4, { quiet: true }),
      signal: controller.signal,
      log: () => {},
    };
  };
  const record = (id: string) => ({
    id,
    figure: "bm-table1",
    preset: config.preset,
    reduced: true,
    config: config as unknown as Record<string, unknown>,
    seed: 3,
    engine: "cpu",
    engineDescription: "test",
    versions: {},
    startedAt: "",
    updatedAt: "",
    status: "running" as const,
    progress: { done: 0, total: 4 },
  });
  try {
    await store.createRun(record("full"));
    await bmTable1.run(ctxFor("full", new Set()));
    await store.createRun(record("cut"));
    await assert.rejects(() => bmTable1.run(ctxFor("cut", new Set(), 3)), /interrupted/);
    const done = new Set((await store.listUnits("cut")).map((u) => u.key.join("/")));
    assert.deepEqual([...done].sort(), ["criterion/0/magnitude", "data", "initial/0"]);
    await bmTable1.run(ctxFor("cut", done));
    const full = await store.getUnit("full", ["criterion", 0, "random-weights"]);
    const resumed = await store.getUnit("cut", ["criterion", 0, "random-weights"]);
    assert.deepEqual(resumed!.metrics, full!.metrics);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { experimentRun, UsageError } from "../core/app/experiment.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { Progress } from "../core/app/progress.ts";
import type { Engine } from "../core/engine/engine.ts";
import { bmFig1 } from "../experiments/bm/bm_fig1.ts";
import { bmFig2 } from "../experiments/bm/bm_fig2.ts";
import { bmTable1 } from "../experiments/bm/bm_table1.ts";
import { aggregatePruning } from "../experiments/bm/aggregate.ts";
import { panelCsv } from "../ui/csv.ts";
import type { Panel } from "../core/app/panels.ts";
import { jsonRecord, type UnitEntry } from "../core/app/experiment.ts";

Deno.test("BM flags: --networks sets seeds, --levels and bad values are usage errors", () => {
  const base = structuredClone(bmTable1.presets.default);
  assert.equal(base.reduced, true);
  // Every preset samples with the paper's Gibbs-200 chains; Table 1 draws no evaluation sets.
  for (const exp of [bmFig1, bmFig2, bmTable1]) {
    for (const preset of [exp.presets.default, exp.presets.paper]) {
      assert.equal(preset.sampler, "gibbs", exp.id);
      assert.equal(preset.sweeps, 200, exp.id);
      assert.equal(preset.samples, 90000, exp.id);
    }
  }
  assert.equal(bmTable1.presets.default.evaluation, "none");
  assert.equal(bmFig2.presets.default.evaluation, "last-round");
  assert.equal(bmFig2.presets.paper.evaluation, "every-round");
  const exact = bmTable1.configure(structuredClone(base), { sampler: "exact" });
  assert.equal(exact.sampler, "exact");
  assert.equal(exact.preset, "custom");
  assert.match(bmTable1.describe(exact), /EXTRA ANALYSIS/);
  assert.match(bmTable1.describe(base), /Gibbs-200 \(the paper's sampler\)/);
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
    { evaluation: "sometimes" },
    { sweeps: "0" },
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
  assert.equal(s1.sampling.method, "gibbs");
  assert.equal(s1.sampling.sweeps, 200);
  assert.equal(s1.sampling.comparableWithPaper, true);
  assert.match(s1.protocol, /Gibbs-200 \(the paper's sampler\).*SUBSTITUTE data/);
  assert.deepEqual(s1.failures, []);
  assert.match(s1.notebook.source, /ONE seed/);
  assert.deepEqual(s1.notebook.hiddenUnits.magnitude, [70, 62, 35]);
  assert.equal(s1.data.substitute, true);

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
  const byFreq = s2.initial.perSeedLogpByFrequency;
  assert.equal(byFreq.length, 1);
  assert.equal(
    byFreq[0].rarePatterns + byFreq[0].frequentPatterns,
    s2.logProbMatching.initial.codes.length,
  );
  assert.equal(s2.criteria["fi-variance"].perSeedLogpByFrequency.length, 1);
  // The data mass the samples miss, right after pruning and after retraining, is a share.
  for (const k of ["lostBefore", "lostAfter"]) {
    const lost = s2.criteria["fi-variance"].perSeedKl[0][k];
    assert.ok(lost >= 0 && lost <= 1, `${k} ${lost}`);
  }
  assert.ok(s2.initial.perSeed[0].lostMass >= 0 && s2.initial.perSeed[0].lostMass <= 1);

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
  assert.deepEqual(s3.fim.sampler, {
    method: "gibbs",
    sweeps: 200,
    n: 3000,
    comparableWithPaper: true,
  });
  assert.match(s3.fim.source, /Gibbs-200/);
  assert.match(s3.fim.exact.label, /EXTRA ANALYSIS/);
  assert.ok(s3.fim.exact.relativeFrobeniusDifference >= 0);
  assert.equal(s3.fim.ratio, s3.fim.lambda0 / s3.fim.lambda1);
  assert.match(s3.fim.paper.source, /ONE trained model/);

  const rs = await ResultStore.open(`${dir}/s.kv`);
  try {
    for (const exp of [bmFig1, bmFig2, bmTable1]) {
      const run = (await rs.listRuns()).find((r) => r.figure === exp.id)!;
      const panels = exp.panels(experimentRun(run), await rs.listUnits(run.id), {});
      assert.ok(panels.length >= 3, exp.id);
      for (const p of panels) {
        if (p.kind === "heatmap") {
          assert.equal(p.heatmap!.values.length, p.heatmap!.rows * p.heatmap!.cols);
        } else if (p.kind === "table") assert.ok(p.table!.rows.length > 0, p.id);
        else assert.ok(p.series.length > 0, p.id);
        // Every panel names the sampler its numbers came from, and no title claims "rank one".
        assert.match(p.caption ?? "", /Gibbs-200|exact/, `${exp.id} ${p.id}`);
        assert.doesNotMatch(p.title, /rank one/i);
        if (p.kind === "line" || p.kind === "bar") {
          if (p.series.some((x) => x.err)) assert.equal(p.errorKind, "sd", `${exp.id} ${p.id}`);
        }
      }
      // Unit metrics stay well under the 64 KiB KV value limit.
      for (const u of await rs.listUnits(run.id)) {
        assert.ok(JSON.stringify(u.record.metrics).length < 60000);
      }
    }
    // Which sampler each stored metric used is in the unit itself.
    const t1Run = (await rs.listRuns()).find((r) => r.figure === "bm-table1")!;
    const initial = await rs.getUnit(t1Run.id, ["initial", 0]);
    assert.deepEqual(initial!.metrics.sampler, { method: "gibbs", sweeps: 200, n: 3000 });
    const fig2Run = (await rs.listRuns()).find((r) => r.figure === "bm-fig2")!;
    const kl = (await rs.listUnits(fig2Run.id)).find((u) => u.key[0] === "criterion")!;
    const rounds = kl.record.metrics.rounds as { before: { sampler: unknown } }[];
    assert.deepEqual(rounds[2].before.sampler, { method: "gibbs", sweeps: 200, n: 3000 });
    assert.equal(rounds[0].before.sampler, null); // last-round evaluation: no set in round 1
    const fig2Panels = bmFig2.panels(experimentRun(fig2Run), await rs.listUnits(fig2Run.id), {});
    const klPanel = fig2Panels.find((p) => p.id === "kl")!;
    assert.equal(klPanel.series[0].reference, true);
    assert.match(klPanel.title, /Gibbs-200/);
    assert.match(fig2Panels.find((p) => p.id === "kl-exact")!.title, /Extra analysis/);
  } finally {
    rs.close();
  }

  // The same protocol with exact sampling is labelled as the extra analysis everywhere.
  const ex = await runExperimentCli(bmTable1, [
    ...small,
    ...store,
    "--sampler",
    "exact",
    "--criteria",
    "magnitude",
    "--out",
    `${dir}/t1x.json`,
  ], quiet);
  assert.equal(ex, 0);
  const sx = JSON.parse(await Deno.readTextFile(`${dir}/t1x.json`));
  assert.equal(sx.sampling.method, "exact");
  assert.equal(sx.sampling.comparableWithPaper, false);
  assert.match(sx.sampling.label, /EXTRA ANALYSIS/);
  assert.match(bmTable1.table(sx), /EXTRA ANALYSIS/);
  await Deno.remove(dir, { recursive: true });
});

/** A criterion unit as runPruning stores it. */
function criterionUnit(
  seed: number,
  criterion: string,
  units: number[],
  failed: string | null = null,
): UnitEntry {
  const set = (nh: number) => ({
    nh,
    nw: 0,
    sampler: null,
    klSample: null,
    lostMass: null,
    klExact: 0.5,
    logpError: null,
    hiddenActivity: null,
  });
  return {
    key: ["criterion", seed, criterion],
    record: {
      metrics: {
        seed,
        criterion,
        finalNh: units[units.length - 1],
        failed,
        rounds: units.map((nh, k) => ({
          round: k + 1,
          zeroScores: null,
          prune: { toppedUp: 0, scheduled: null },
          before: set(nh),
          after: set(nh),
        })),
      },
      blobs: [],
    },
  };
}

function initialUnit(seed: number, failed: string | null = null): UnitEntry {
  return {
    key: ["initial", seed],
    record: {
      metrics: {
        seed,
        nh: 70,
        nw: 910,
        sampler: null,
        klSample: null,
        lostMass: null,
        klExact: 0.4,
        logpError: null,
        hiddenActivity: null,
        failed,
      },
      blobs: [],
    },
  };
}

Deno.test("failed seeds and criteria are listed under failures and left out of statistics", () => {
  const units = [
    initialUnit(0),
    initialUnit(1),
    initialUnit(2, "non-finite weights"),
    criterionUnit(0, "magnitude", [60, 40, 20]),
    criterionUnit(1, "magnitude", [62, 44, 24]),
    criterionUnit(1, "fi-variance", [50, 30], "round 2: non-finite weights"),
    criterionUnit(0, "fi-variance", [60, 30, 10]),
    { ...criterionUnit(2, "magnitude", [], "initial model: non-finite weights") },
  ];
  const agg = aggregatePruning(units);
  assert.equal(agg.criteria.magnitude!.seeds, 2);
  assert.deepEqual(agg.criteria.magnitude!.hiddenUnits.mean, [70, 61, 42, 22]);
  assert.equal(agg.criteria["fi-variance"]!.seeds, 1);
  assert.deepEqual(agg.criteria["fi-variance"]!.hiddenUnits.mean, [70, 60, 30, 10]);
  assert.equal(agg.initial.seeds, 2);
  assert.deepEqual(agg.failures, [
    { seed: 2, criterion: null, reason: "non-finite weights" },
    { seed: 1, criterion: "fi-variance", reason: "round 2: non-finite weights" },
  ]);
});

Deno.test("Table 1 is a real table panel: rounds x criteria, SD errors, labelled paper columns", () => {
  const units = [
    initialUnit(0),
    initialUnit(1),
    criterionUnit(0, "magnitude", [60, 40, 20]),
    criterionUnit(1, "magnitude", [62, 44, 24]),
    criterionUnit(0, "random-units", [35, 18, 9]),
    criterionUnit(1, "random-units", [35, 18, 9]),
  ];
  const run = experimentRun<typeof bmTable1.presets.default>({
    id: "t",
    figure: "bm-table1",
    preset: "default",
    reduced: true,
    config: jsonRecord(structuredClone(bmTable1.presets.default)),
    seed: 1,
    engine: "cpu",
    engineDescription: "",
    versions: {},
    startedAt: "",
    updatedAt: "",
    status: "done",
    progress: { done: 1, total: 1 },
  });
  const table: Panel = bmTable1.panels(run, units, {}).find((p) => p.id === "table1")!;
  assert.equal(table.kind, "table");
  assert.equal(table.errorKind, "sd");
  assert.deepEqual(table.table!.columns.map((c) => c.label), [
    "round",
    "n_w (mean over criteria)",
    "MAG",
    "MAG (paper)",
    "RU",
  ]);
  assert.equal(table.table!.columns[3].role, "paper");
  assert.match(table.table!.paperSource!, /ONE seed/);
  assert.equal(table.table!.rows.length, 3);
  assert.deepEqual(table.table!.rows[2][2], { value: 22, err: Math.sqrt(8) });
  assert.deepEqual(table.table!.rows[2][3], { value: 35 });
  const csv = panelCsv(table).split("\n");
  assert.equal(csv[0], "round,n_w (mean over criteria),MAG,MAG sd,MAG (paper),RU,RU sd");
  assert.equal(csv[3].split(",")[0], "round 3");
  // The hidden-units curve panel's CSV names its error column sd, not sem.
  const curve = bmTable1.panels(run, units, {}).find((p) => p.id === "hidden-units")!;
  assert.match(panelCsv(curve).split("\n")[0], /,sd(,|$)/);
  assert.doesNotMatch(panelCsv(curve).split("\n")[0], /sem/);
});

Deno.test("bm-fig1 offers no pruning flags; bad input is one usage error", () => {
  assert.ok(!bmFig1.flags.some((f) => f.name === "criteria" || f.name === "evaluation"));
  assert.throws(
    () => bmFig1.configure(structuredClone(bmFig1.presets.default), { sampler: "mcmc" }),
    UsageError,
  );
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
    config: jsonRecord(config),
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

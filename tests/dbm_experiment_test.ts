/**
 * bm-fig3 / bm-fig4 (experiments/dbm/): the flags and their bad values, `--data` problems at the
 * command line (one `error:` line, exit 2, nothing written), a tiny end-to-end run through the CLI
 * on a small IDX folder checking the `--out` JSON the issue lists, an interrupted run that resumes
 * to exactly the numbers of an uninterrupted one, and an initial training interrupted after each
 * kind of checkpoint that continues from it.
 */
import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { experimentRun, jsonRecord, type RunContext, UsageError } from "../core/app/experiment.ts";
import { Progress } from "../core/app/progress.ts";
import { loadMnistSubstitute, MNIST_FILES } from "../core/data/mnist.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import type { RunRecord, UnitPayload } from "../core/store/store.ts";
import type { DbmConfig } from "../experiments/dbm/config.ts";
import { bmFig3, bmFig4 } from "../experiments/dbm/experiment.ts";
import { seedValue } from "../experiments/dbm/run.ts";
import { initialCacheKey } from "../experiments/dbm/store_state.ts";
import { MergedProgress, type Phase } from "../experiments/dbm/round_pool.ts";
import { workPlan } from "../experiments/dbm/work.ts";
import { idxFile } from "./fixtures/dbm.ts";

/**
 * Writes a small MNIST folder: the first `train` / `test` digits of the substitute, put back on
 * a 28 x 28 canvas (the crop's 4-pixel margin empty), as the four IDX files.
 */
function writeSmallMnist(dir: string, sizes: { train: number; test: number }): void {
  const sub = loadMnistSubstitute();
  const write = (set: typeof sub.train, n: number, names: [string, string]): void => {
    const px = new Uint8Array(n * 784);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < 400; i++) {
        const r = 4 + Math.floor(i / 20);
        const c = 4 + (i % 20);
        px[s * 784 + r * 28 + c] = set.bits[s * 400 + i] ? 255 : 0;
      }
    }
    Deno.writeFileSync(`${dir}/${names[0]}`, idxFile([n, 28, 28], px));
    Deno.writeFileSync(`${dir}/${names[1]}`, idxFile([n], set.labels.slice(0, n)));
  };
  write(sub.train, sizes.train, [MNIST_FILES.trainImages, MNIST_FILES.trainLabels]);
  write(sub.test, sizes.test, [MNIST_FILES.testImages, MNIST_FILES.testLabels]);
}

/**
 * Flags of a run that takes seconds: 100 digits (the persistent chains need as many), one epoch
 * per training stage, 100 samples, two rounds of two criteria.
 */
const TINY = [
  "--digits",
  "100",
  "--epochs",
  "1",
  "--samples",
  "100",
  "--chains",
  "50",
  "--sweeps",
  "1",
  "--rounds",
  "2",
  "--criteria",
  "magnitude,random-units",
];

/** The stored record of a reduced bm-fig4 run `id` with master seed 5. */
function runRecord(
  id: string,
  at: { config: RunRecord["config"]; preset: string; total: number },
): RunRecord {
  return {
    id,
    figure: "bm-fig4",
    preset: at.preset,
    reduced: true,
    config: at.config,
    seed: 5,
    engine: "cpu",
    engineDescription: "test",
    versions: {},
    startedAt: "",
    updatedAt: "",
    status: "running",
    progress: { done: 0, total: at.total },
  };
}

function flagsOf(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < args.length; k += 2) out[args[k].slice(2)] = args[k + 1];
  return out;
}

Deno.test("DBM flags: presets, --networks/--rounds/--criteria, and bad values are usage errors", () => {
  const base = structuredClone(bmFig4.presets.default);
  assert.equal(base.reduced, true);
  assert.equal(base.protocol.encoding.enabled, false);
  assert.equal(bmFig3.presets.default.protocol.encoding.enabled, true);
  const paper = bmFig4.configure(structuredClone(bmFig4.presets.paper), {});
  assert.equal(paper.reduced, false);
  assert.equal(paper.seeds, 10);
  assert.equal(paper.protocol.prune.iterations, 10);
  // The authors' runs used 12 rounds (spec 15): still the paper's protocol.
  const twelve = bmFig4.configure(structuredClone(bmFig4.presets.paper), { rounds: "12" });
  assert.equal(twelve.protocol.prune.iterations, 12);
  assert.equal(twelve.reduced, false);
  assert.equal(twelve.preset, "paper (modified)");
  assert.equal(
    bmFig4.configure(structuredClone(bmFig4.presets.paper), { networks: "3" }).reduced,
    true,
  );
  const c = bmFig4.configure(structuredClone(base), {
    networks: "2",
    criteria: "random-units,fi-variance",
    classifier: "on",
  });
  assert.equal(c.seeds, 2);
  assert.deepEqual(c.criteria, ["fi-variance", "random-units"]);
  assert.equal(c.protocol.encoding.enabled, true);
  // Shorter schedules follow the paper's learning-rate path from its first to its last rate.
  const short = bmFig4.configure(structuredClone(base), { epochs: "2", "retrain-epochs": "3" });
  const paperP = paper.protocol;
  for (
    const [got, full] of [[short.protocol.initial.joint, paperP.initial.joint], [
      short.protocol.retrain,
      paperP.retrain,
    ]]
  ) {
    const last = full.lr[Math.min(full.epochs, full.lr.length - 1)];
    assert.equal(got.lr[1], full.lr[1]);
    assert.equal(got.lr[got.epochs], last);
    assert.equal(got.batch, full.batch);
  }
  assert.equal(short.protocol.initial.rbm1.epochs, 2);
  assert.equal(short.protocol.retrain.epochs, 3);
  assert.equal(short.reduced, true);
  const bad: Record<string, string>[] = [
    { networks: "0" },
    { rounds: "0" },
    { rounds: "two" },
    { criteria: "magnitude,eig" },
    { digits: "10" },
    { epochs: "0" },
    { "retrain-epochs": "1.5" },
    { samples: "-5" },
    { classifier: "maybe" },
    { levels: "0.5" },
    { "max-outer": "3" },
    { engine: "cpu-f32" },
    { data: "/nonexistent/mnist" },
  ];
  for (const flags of bad) {
    assert.throws(
      () => bmFig4.configure(structuredClone(base), flags),
      (e: unknown) => e instanceof UsageError && !e.message.includes("\n"),
      JSON.stringify(flags),
    );
  }
});

Deno.test("--data problems: one error line naming the file, exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dbm_cli" });
  try {
    const data = `${dir}/mnist`;
    await Deno.mkdir(data);
    writeSmallMnist(data, { train: 60, test: 20 });
    // A label file that claims one label more than there are bytes.
    const labels = Deno.readFileSync(`${data}/${MNIST_FILES.testLabels}`);
    new DataView(labels.buffer).setUint32(4, 21, false);
    Deno.writeFileSync(`${data}/${MNIST_FILES.testLabels}`, labels);
    const cases: [string[], RegExp][] = [
      [["--data", data], /t10k-labels-idx1-ubyte: 20 data bytes, but the header \(21\) needs 21/],
      [["--data", `${dir}/none`], /no train-images-idx3-ubyte/],
      [["--rounds", "0"], /--rounds must be between 1 and 50/],
    ];
    for (const [args, re] of cases) {
      const errors: string[] = [];
      const code = await runExperimentCli(bmFig4, [...args, "--store", `${dir}/s.kv`], {
        print: () => {},
        printError: (l) => errors.push(l),
      });
      assert.equal(code, 2, args.join(" "));
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(errors[0], /^error: /);
      assert.match(errors[0], re);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["mnist"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a tiny bm-fig4 and bm-fig3 run on an IDX folder write the --out JSON the issue lists", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dbm_cli" });
  try {
    writeSmallMnist(dir, { train: 300, test: 100 });
    const quiet = { print: () => {}, printError: (l: string) => console.error(l) };
    const common = [...TINY, "--data", dir, "--store", `${dir}/s.kv`, "--quiet"];
    assert.equal(await runExperimentCli(bmFig4, [...common, "--out", `${dir}/f4.json`], quiet), 0);
    const s = JSON.parse(await Deno.readTextFile(`${dir}/f4.json`));
    for (const k of ["figure", "config", "seed", "reduced", "data", "reference"]) {
      assert.ok(k in s, k);
    }
    assert.equal(s.figure, "bm-fig4");
    assert.equal(s.reduced, true);
    assert.equal(typeof s.seed, "number");
    assert.equal(s.data.substitute, false);
    assert.equal(s.data.train, 300);
    assert.equal(s.data.test, 100);
    for (const set of ["testDigits", "randomPatterns"]) {
      assert.ok(s.reference[set].quality > 0 && s.reference[set].quality <= 1);
      assert.ok(s.reference[set].entropy >= 0 && s.reference[set].entropy <= Math.log(10) + 1e-9);
    }
    assert.ok(s.baselineError >= 0 && s.baselineError <= 1);
    assert.deepEqual(Object.keys(s.criteria), ["magnitude", "random-units"]);
    for (const c of Object.values(s.criteria) as { iterations: Record<string, unknown>[] }[]) {
      assert.deepEqual(c.iterations.map((it) => it.iteration), [0, 1, 2]);
      for (const it of c.iterations) {
        for (
          const k of [
            "remainingWeights",
            "unitsH1",
            "unitsH2",
            "classifierError",
            "quality",
            "qualityPerClass",
            "entropy",
            "classCounts",
          ]
        ) {
          assert.ok(k in it, k);
        }
        assert.equal(it.classifierError, null);
        assert.equal((it.classCounts as number[]).reduce((a, b) => a + b, 0), 100);
      }
      assert.equal(c.iterations[0].remainingWeights, 8836 + 270400);
    }
    // RU removes whole units; iteration 0 is the shared initial model.
    assert.ok(s.criteria["random-units"].iterations[1].unitsH2 < 676);
    assert.deepEqual(s.criteria.magnitude.iterations[0], s.criteria["random-units"].iterations[0]);
    for (const digits of Object.values(s.samples) as string[][]) {
      assert.ok(digits.length >= 100);
      for (const d of digits) assert.match(d, /^[01]{400}$/);
    }
    assert.equal(await runExperimentCli(bmFig3, [...common, "--out", `${dir}/f3.json`], quiet), 0);
    const s3 = JSON.parse(await Deno.readTextFile(`${dir}/f3.json`));
    for (const c of Object.values(s3.criteria) as { iterations: { classifierError: number }[] }[]) {
      for (const it of c.iterations) assert.ok(it.classifierError >= 0 && it.classifierError <= 1);
    }
    // Panels come from unit metrics and hold data; unit metrics stay under the KV value limit.
    const store = await ResultStore.open(`${dir}/s.kv`);
    try {
      // bm-fig4 left its initial model in the cache, and bm-fig3 (same settings) took it from
      // there: the unpruned model's samples are the same.
      const key = initialCacheKey(s.config, {
        kernels: "cpu",
        data: s.data,
        seedValue: seedValue(s.seed, 0),
      });
      assert.ok(await store.getCache(key), key);
      assert.deepEqual(
        s3.criteria.magnitude.iterations[0].classCounts,
        s.criteria.magnitude.iterations[0].classCounts,
      );
      for (const exp of [bmFig3, bmFig4]) {
        const run = (await store.listRuns()).find((r) => r.figure === exp.id)!;
        const units = await store.listUnits(run.id);
        for (const u of units) assert.ok(JSON.stringify(u.record.metrics).length < 60000);
        const panels = exp.panels(experimentRun(run), units, {});
        assert.ok(panels.length >= 4, exp.id);
        for (const p of panels) {
          if (p.kind === "heatmap") {
            assert.equal(p.heatmap!.values.length, p.heatmap!.rows * p.heatmap!.cols, p.id);
          } else if (p.kind === "table") assert.ok(p.table!.rows.length >= 3, p.id);
          else assert.ok(p.series.some((x) => x.y.some((y) => y !== null)), p.id);
        }
      }
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an interrupted bm-fig4 run on two workers resumes per (criterion, round) to the numbers of one thread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dbm_resume" });
  writeSmallMnist(dir, { train: 300, test: 100 });
  const store = await ResultStore.open(`${dir}/s.kv`);
  const engine = new CpuEngine({ workers: 0 });
  const config = bmFig4.configure(structuredClone(bmFig4.presets.default), {
    ...flagsOf(TINY),
    data: dir,
  });
  const total = bmFig4.totalUnits(config);
  // The uninterrupted run computes the rounds in the calling thread, the interrupted one on two
  // workers (the process's thread count, RunContext.workers): the results must not depend on
  // that either.
  const ctxFor = (
    runId: string,
    finished: Set<string>,
    at: { abortAfter?: number; config?: DbmConfig } = {},
  ): RunContext<DbmConfig> => {
    const { abortAfter } = at;
    const controller = new AbortController();
    class AbortingProgress extends Progress {
      override tick(n = 1, label?: string): void {
        super.tick(n, label);
        if (abortAfter !== undefined && this.done >= abortAfter) controller.abort();
      }
    }
    return {
      runId,
      config: at.config ?? config,
      seed: 5,
      workers: runId === "full" ? 0 : 2,
      engine,
      store,
      finished,
      progress: new AbortingProgress(total, { quiet: true, alreadyDone: finished.size }),
      signal: controller.signal,
      log: () => {},
    };
  };
  const record = (id: string): RunRecord =>
    runRecord(id, {
      // "cut" is stored as runs were before the thread count left the config: with `workers`.
      config: id === "cut" ? { ...jsonRecord(config), workers: 2 } : jsonRecord(config),
      preset: config.preset,
      total,
    });
  try {
    await store.createRun(record("full"));
    await bmFig4.run(ctxFor("full", new Set()));
    await store.createRun(record("cut"));
    const stored = await store.getRun("cut");
    assert.ok(stored && "workers" in stored.config);
    const legacy = experimentRun<DbmConfig>(stored);
    // references, initial, both criteria's round 1, then stop: round 2 is left to the resume.
    await assert.rejects(() =>
      bmFig4.run(ctxFor("cut", new Set(), { abortAfter: 4, config: legacy.config }))
    );
    const done = new Set((await store.listUnits("cut")).map((u) => u.key.join("/")));
    assert.ok(done.has("initial/0") && done.size < total, [...done].join(" "));
    await bmFig4.run(ctxFor("cut", done, { config: legacy.config }));
    const full = await store.listUnits("full");
    const cut = await store.listUnits("cut");
    assert.equal(cut.length, total);
    assert.deepEqual(
      cut.map((u) => [u.key, u.record.metrics]),
      full.map((u) => [u.key, u.record.metrics]),
    );
    const a = await bmFig4.summarize(experimentRun<DbmConfig>(record("full")), store);
    const b = await bmFig4.summarize(legacy, store);
    // The --out config of the old stored run no longer names a thread count.
    assert.deepEqual(b.config, a.config);
    assert.ok(!("workers" in b.config));
    assert.deepEqual(b.criteria, a.criteria);
    assert.deepEqual(b.samples, a.samples);
  } finally {
    store.close();
    await engine.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an initial training stopped after each checkpoint (RBM1, RBM2, a joint epoch) continues from it, bit-identical", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dbm_pretrain" });
  writeSmallMnist(dir, { train: 300, test: 100 });
  // Two stores, so that the interrupted run cannot take the initial model from the cache the
  // uninterrupted one leaves.
  const fullStore = await ResultStore.open(`${dir}/full.kv`);
  const cutStore = await ResultStore.open(`${dir}/cut.kv`);
  const engine = new CpuEngine({ workers: 0 });
  const config = bmFig4.configure(structuredClone(bmFig4.presets.default), {
    ...flagsOf(TINY),
    epochs: "2",
    rounds: "1",
    criteria: "magnitude",
    data: dir,
  });
  const total = bmFig4.totalUnits(config);
  /**
   * Runs run "r" to the end, or until just after the store's cache got a key ending in `stopAfter`
   * (a checkpoint): the abort is seen at the next mini-batch.
   */
  const run = async (
    base: ResultStore,
    at: { stopAfter?: string; phases: string[]; logs: string[] },
  ): Promise<void> => {
    const finished = new Set((await base.listUnits("r")).map((u) => u.key.join("/")));
    const controller = new AbortController();
    const store = new Proxy(base, {
      get(target, prop) {
        if (prop === "putCache") {
          return async (key: string, entry: UnitPayload): Promise<void> => {
            await target.putCache(key, entry);
            if (at.stopAfter && key.endsWith(at.stopAfter)) controller.abort();
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    class WatchingProgress extends Progress {
      override setWork(done: number, all: number, label?: string): void {
        super.setWork(done, all, label);
        if (label && at.phases.at(-1) !== label) at.phases.push(label);
      }
    }
    await bmFig4.run({
      runId: "r",
      config,
      seed: 5,
      workers: 0,
      engine,
      store,
      finished,
      progress: new WatchingProgress(total, { quiet: true, alreadyDone: finished.size }),
      signal: controller.signal,
      log: (line) => at.logs.push(line),
    });
  };
  const record = runRecord("r", { config: jsonRecord(config), preset: config.preset, total });
  const cut = (stopAfter?: string) => ({ stopAfter, phases: [] as string[], logs: [] as string[] });
  const resumedFrom = (logs: string[]): string | undefined =>
    logs.find((l) => l.includes("from the store's pre-training checkpoint"));
  try {
    await fullStore.createRun(record);
    await run(fullStore, cut());
    await cutStore.createRun(record);
    const first = cut("/pretrain/rbm1");
    await assert.rejects(() => run(cutStore, first));
    assert.deepEqual(first.phases, ["rbm1", "q"]);
    // RBM1 is not trained again (RBM2's data Q are sampled again from its checkpoint).
    const second = cut("/pretrain/rbm2");
    await assert.rejects(() => run(cutStore, second));
    assert.deepEqual(second.phases, ["q", "rbm2"]);
    assert.match(resumedFrom(second.logs) ?? "", /: RBM1 from/);
    const third = cut("/pretrain/joint");
    await assert.rejects(() => run(cutStore, third));
    assert.deepEqual(third.phases, ["q", "joint"]);
    assert.match(resumedFrom(third.logs) ?? "", /: RBM1 and RBM2 from/);
    assert.equal((await cutStore.listUnits("r")).filter((u) => u.key[0] === "initial").length, 0);
    // Joint training continues at its second epoch; nothing before it runs again.
    const last = cut();
    await run(cutStore, last);
    assert.equal(last.phases[0], "joint");
    assert.ok(!last.phases.some((p) => ["rbm1", "q", "rbm2"].includes(p)), last.phases.join(" "));
    assert.match(resumedFrom(last.logs) ?? "", /RBM1, RBM2 and 1 joint-training epoch\(s\) from/);
    const full = await fullStore.listUnits("r");
    const done = await cutStore.listUnits("r");
    assert.equal(done.length, total);
    assert.deepEqual(done.map((u) => u.key), full.map((u) => u.key));
    assert.deepEqual(done.map((u) => u.record), full.map((u) => u.record));
    for (const u of full) {
      for (const b of u.record.blobs) {
        assert.deepEqual(
          await cutStore.getBlob("r", u.key, b.name),
          await fullStore.getBlob("r", u.key, b.name),
          `${u.key.join("/")} ${b.name}`,
        );
      }
    }
  } finally {
    fullStore.close();
    cutStore.close();
    await engine.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the workers' progress merges into the calls one thread would report, in order", () => {
  const out: [Phase, number, number][] = [];
  const m = new MergedProgress(2, (p, d, t) => out.push([p, d, t]));
  // Group 0 (10 retraining steps, then 4 sampling sweeps) runs ahead of group 1 (6 steps, 4 sweeps).
  m.report(0, "retrain", 5, 10);
  m.report(1, "retrain", 2, 6);
  m.report(0, "retrain", 10, 10);
  m.report(0, "sample", 2, 4);
  m.report(1, "retrain", 6, 6);
  m.report(1, "sample", 1, 4);
  m.report(0, "sample", 4, 4);
  m.report(1, "sample", 4, 4);
  assert.deepEqual(out, [
    ["retrain", 7, 16],
    ["retrain", 12, 16],
    ["retrain", 12, 16],
    ["retrain", 16, 16],
    ["sample", 3, 8],
    ["sample", 5, 8],
    ["sample", 8, 8],
  ]);
});

Deno.test("the work plan: a seed is its initial model, its unpruned checkpoint and its rounds", () => {
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-9 * b, `${a} ${b}`);
  for (const exp of [bmFig3, bmFig4]) {
    const c = exp.configure(structuredClone(exp.presets.default), {});
    const plan = workPlan(c, 1000);
    const slots = c.criteria.length;
    const ph = (name: Parameters<typeof plan.phase>[0], k: number): number => plan.phase(name, k);
    let rounds = 0;
    for (let k = 1; k <= c.protocol.prune.iterations; k++) {
      // No checkpoint before retraining in the default; two encode calls per checkpoint.
      close(slots * plan.round(k), ph("retrain", k) + ph("sample", k) + 2 * ph("encode", k));
      rounds += slots * plan.round(k);
    }
    close(plan.initial, ph("rbm1", 0) + ph("rbm2", 0) + ph("joint", 0));
    close(plan.perSeed, plan.initial + ph("sample", 0) + 2 * ph("encode", 0) + rounds);
    close(plan.total, ph("references", 0) + c.seeds * plan.perSeed);
  }
});

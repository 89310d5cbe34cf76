import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { UsageError } from "../core/app/experiment.ts";
import { magnitudePrune, zerosOfAMask } from "../core/rnn/prune.ts";
import { Rng } from "../core/util/rng.ts";
import { initWeights, paramLayout, RL_INIT, RL_SHAPE } from "../core/rnn/network.ts";
import { configureRl, DEFAULT_RL, retrainSchedule } from "../experiments/rl/config.ts";
import { trainRl } from "../core/rl/training.ts";
import { fig6 } from "../experiments/rl/fig6.ts";
import { fig7 } from "../experiments/rl/fig7.ts";
import { dmsNewProblem } from "../experiments/dms_new_problem/dms_new_problem.ts";
import { PROBLEMS } from "../experiments/dms_new_problem/config.ts";

const L = paramLayout(RL_SHAPE);

Deno.test("pruning masks only A: B, C and the output bias stay trainable", () => {
  const w = initWeights(RL_SHAPE, RL_INIT, new Rng(5));
  const p = magnitudePrune(RL_SHAPE, w, 0.9);
  assert.equal(p.pruned, 360);
  for (let m = 0; m < L.a; m++) assert.equal(p.mask[m], 1, "B entry masked");
  for (let m = L.c; m < L.size; m++) assert.equal(p.mask[m], 1, "C or bias entry masked");
  const biasColumn = L.c + RL_SHAPE.no * RL_SHAPE.n;
  for (let o = 0; o < 4; o++) assert.notEqual(p.w[biasColumn + o], 0);
  assert.deepEqual(zerosOfAMask(RL_SHAPE, p.w), p.mask);
});

Deno.test("RL training keeps pruned weights at zero, trains the bias, and is deterministic", async () => {
  const engine = new CpuEngine({ workers: 0 });
  try {
    const w0 = initWeights(RL_SHAPE, RL_INIT, new Rng(6));
    const p = magnitudePrune(RL_SHAPE, w0, 0.7);
    const run = () =>
      trainRl(engine, [{ w: p.w, mask: p.mask, rng: new Rng(8), noiseVariance: 0.1 }], {
        schedule: { ...retrainSchedule(DEFAULT_RL, 0.1), outer: 3, refreshPeriod: 2 },
        task: "standard",
        blocks: 4,
        noiseMode: "shared",
        scgSteps: 5,
      });
    const [a] = await run();
    const [b] = await run();
    assert.deepEqual(Array.from(a.w), Array.from(b.w), "same seed, same weights");
    assert.equal(a.lossHistory.length, 3);
    for (let m = L.a; m < L.c; m++) if (p.mask[m] === 0) assert.equal(a.w[m], 0);
    const bias = L.c + RL_SHAPE.no * RL_SHAPE.n;
    assert.ok([0, 1, 2, 3].some((o) => a.w[bias + o] !== p.w[bias + o]), "bias is trained");
  } finally {
    await engine.close();
  }
});

Deno.test("RL flags: bad values are usage errors", () => {
  const bad: Record<string, string>[] = [
    { "noise-levels": "0.1,x" },
    { "noise-levels": "-1" },
    { "initial-networks": "some" },
    { "noise-mode": "loud" },
    { networks: "0" },
    { "eval-epsilon": "2" },
    { "scg-steps": "0" },
    { levels: "0.5,0.3" },
    { "refresh-period": "0" },
    { tau: "x" },
    { tau: "1.5" },
  ];
  for (const flags of bad) {
    assert.throws(() => configureRl(DEFAULT_RL, flags), UsageError, JSON.stringify(flags));
  }
  assert.throws(() => fig6.configure(fig6.presets.default, { levels: "0.1,0.3" }), UsageError);
  assert.throws(() => fig6.configure(fig6.presets.default, { networks: "2" }), UsageError);
  const v = fig7.presets.validate;
  assert.deepEqual({ ...v, preset: "", networks: 0, newOptionNetworks: 0 }, {
    ...fig7.presets.default,
    preset: "",
    networks: 0,
    newOptionNetworks: 0,
  }, "validate differs from the default only in the number of pairs");
  assert.ok(v.networks > fig7.presets.default.networks);
  assert.equal(fig7.presets.default.scgSteps, null, "the default trains for the paper's length");
  const c = configureRl(fig7.presets.paper, { "max-outer": "5" });
  assert.equal(c.retrainOuter, 5);
  assert.equal(c.reduced, true, "a modified paper preset is labelled reduced");
});

Deno.test("fig7 CLI: bad input exits 2 with one error line and writes nothing", async () => {
  const bad: [string[], RegExp][] = [
    [["--noise-levels", "abc"], /noise-levels/],
    [["--refresh-period", "0"], /refresh-period/],
    [["--tau", "-1"], /tau/],
    [["--preset", "bogus"], /preset/],
    [["--levels", "0.7,0.5"], /levels/],
    [["--new-option-networks", "9"], /new-option-networks/],
  ];
  for (const [args, pattern] of bad) {
    const dir = await Deno.makeTempDir();
    const errors: string[] = [];
    const code = await runExperimentCli(
      fig7,
      [...args, "--store", `${dir}/s.kv`, "--out", `${dir}/o.json`],
      { print: () => {}, printError: (l) => errors.push(l) },
    );
    assert.equal(code, 2, args.join(" "));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /^error: /);
    assert.match(errors[0], pattern);
    assert.deepEqual([...Deno.readDirSync(dir)], [], `${args.join(" ")} wrote nothing`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fig7 CLI: tiny run writes the --out summary and is reproducible", async () => {
  const dir = await Deno.makeTempDir();
  const args = (out: string): string[] => [
    "--networks",
    "2",
    "--levels",
    "0.7",
    "--noise-levels",
    "0.1",
    "--initial-outer",
    "1",
    "--max-outer",
    "2",
    "--scg-steps",
    "3",
    "--engine",
    "cpu",
    "--workers",
    "0",
    "--quiet",
    "--seed",
    "4",
    // One store per run: the second must not find the first's starting network in the cache.
    "--store",
    `${out}.kv`,
    "--out",
    out,
  ];
  const quiet = { print: () => {}, printError: () => {} };
  assert.equal(await runExperimentCli(fig7, args(`${dir}/a.json`), quiet), 0);
  assert.equal(await runExperimentCli(fig7, args(`${dir}/b.json`), quiet), 0);
  const a = JSON.parse(await Deno.readTextFile(`${dir}/a.json`));
  const b = JSON.parse(await Deno.readTextFile(`${dir}/b.json`));
  assert.equal(a.figure, "fig7");
  assert.equal(a.seed, 4);
  assert.deepEqual(a.levels, [0.7]);
  assert.deepEqual(a.noiseLevels, [0.1]);
  const metrics = a.byNoise["0.1"].metrics;
  for (const kind of ["pruned", "unpruned"]) {
    for (
      const m of [
        "qError",
        "choiceAgreement",
        "optimalRate",
        "rewardPerBlock",
        "maxLE",
        "mahalanobis",
        "mahalanobisPooled",
      ]
    ) {
      const ms = metrics[m][kind];
      assert.equal(ms.mean.length, 1, `${kind} ${m}`);
      assert.equal(ms.sem.length, 1);
      assert.equal(typeof ms.mean[0], "number", `${kind} ${m} mean`);
    }
  }
  assert.equal(metrics.qError.paired.length, 1);
  assert.equal(metrics.qError.values.pruned.length, 2, "per-lineage values for the claims");
  assert.equal(typeof a.byNoise["0.1"].qLearner.rewardPerBlock.mean[0], "number");
  assert.deepEqual(a.failures, []);
  assert.equal(a.protocol.faithfulTraining, false, "a shortened run says so");
  assert.equal(a.newOption.n, 2);
  // Bit for bit: the whole JSON but the run id (the numbers are compared as written).
  assert.deepEqual({ ...a, runId: null }, { ...b, runId: null }, "same seed, same JSON");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("dms-new-problem: flags and a missing fig5 run", async () => {
  const base = dmsNewProblem.presets.default;
  assert.throws(() => dmsNewProblem.configure(base, { from: "Not An Id!" }), UsageError);
  assert.throws(() => dmsNewProblem.configure(base, { levels: "0.5" }), UsageError);
  assert.equal(dmsNewProblem.configure(base, { networks: "2" }).networks, 2);
  assert.deepEqual(PROBLEMS.reversal, [1, 2, 3, 4]);
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const code = await runExperimentCli(
    dmsNewProblem,
    ["--engine", "cpu", "--workers", "0", "--quiet", "--store", `${dir}/s.kv`],
    { print: () => {}, printError: (l) => errors.push(l) },
  );
  // dms-new-problem's prepare finds the missing fig5 run before anything is written (exit 2).
  assert.equal(code, 2);
  assert.match(errors.join("\n"), /no fig5 run: the store does not exist yet/);
  await Deno.remove(dir, { recursive: true });
});

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
  ];
  for (const flags of bad) {
    assert.throws(() => configureRl(DEFAULT_RL, flags), UsageError, JSON.stringify(flags));
  }
  assert.throws(() => fig6.configure(fig6.presets.default, { levels: "0.1,0.3" }), UsageError);
  assert.throws(() => fig6.configure(fig6.presets.default, { networks: "2" }), UsageError);
  const c = configureRl(fig7.presets.paper, { "max-outer": "5" });
  assert.equal(c.retrainOuter, 5);
  assert.equal(c.reduced, true, "a modified paper preset is labelled reduced");
});

Deno.test("fig7 CLI: bad input exits 2 and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const errors: string[] = [];
  const code = await runExperimentCli(
    fig7,
    ["--noise-levels", "abc", "--store", `${dir}/s.kv`, "--out", `${dir}/o.json`],
    { print: () => {}, printError: (l) => errors.push(l) },
  );
  assert.equal(code, 2);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /noise-levels/);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
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
    "--store",
    `${dir}/s.kv`,
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
  for (const kind of ["pruned", "unpruned"]) {
    for (const m of ["qError", "choiceAgreement", "rewardPerBlock", "maxLE", "mahalanobis"]) {
      const ms = a.byNoise["0.1"].lineages[kind][m];
      assert.equal(ms.mean.length, 1, `${kind} ${m}`);
      assert.equal(ms.sem.length, 1);
      assert.equal(typeof ms.mean[0], "number", `${kind} ${m} mean`);
    }
  }
  assert.equal(a.byNoise["0.1"].pValues.qError.length, 1);
  assert.equal(a.newOption.n, 2);
  assert.deepEqual(a.byNoise, b.byNoise, "same seed, same results");
  assert.deepEqual(a.newOption, b.newOption);
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
  assert.equal(code, 1);
  assert.match(errors.join("\n"), /no finished fig5 run/);
  await Deno.remove(dir, { recursive: true });
});

/**
 * The faithful RL protocol (issue 13): the retraining schedule (refresh period, tau, steps per data
 * set), common random numbers for the paired evaluation, the pooled Mahalanobis distance against
 * an independent computation, the optimal-choice rate on a crafted block, the Q-learner acting on
 * the networks' draws, failed networks (listed, excluded), and the embedded starting networks.
 */
import assert from "node:assert/strict";
import { Matrix, solve } from "ml-matrix";
import type { Engine, ScgJob, ScgOptions, ScgResult } from "../core/engine/engine.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { type Block, blockFromHistory, simulateBlocks, summarizeBlock } from "../core/rl/block.ts";
import { pooledMahalanobis } from "../core/rl/dynamics.ts";
import { evaluateQLearner } from "../core/rl/evaluate.ts";
import { refreshEpsilon, trainRl } from "../core/rl/training.ts";
import { rlStartCacheKey, rlStartRecipe } from "../core/rl/starting_networks.ts";
import { initWeights, RL_INIT, RL_SHAPE } from "../core/rnn/network.ts";
import { embeddedSource, prepareStartingNetworks } from "../core/rnn/starting_networks.ts";
import { Rng } from "../core/util/rng.ts";
import { covariance } from "../core/util/linalg.ts";
import {
  configureRl,
  DEFAULT_RL,
  PAPER_RL,
  protocolCuts,
  retrainSchedule,
  stepsPerDataSet,
} from "../experiments/rl/config.ts";
import { FIG7_EMBEDDED_STARTS } from "../experiments/rl/embedded_starts.ts";
import { summarizeRl } from "../experiments/rl/summary.ts";
import { fig7 } from "../experiments/rl/fig7.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { Progress } from "../core/app/progress.ts";
import {
  experimentRun,
  jsonRecord,
  type RunContext,
  type UnitEntry,
} from "../core/app/experiment.ts";
import type { RlConfig } from "../experiments/rl/config.ts";

const w = (seed: number): Float64Array => initWeights(RL_SHAPE, RL_INIT, new Rng(seed));

Deno.test("schedule: the paper's retraining refreshes once, at 20, with epsilon 0; 12996 + 13680 steps per data set", () => {
  const s = retrainSchedule(DEFAULT_RL, 0.1);
  assert.deepEqual([s.outer, s.refreshPeriod, s.tau], [39, 20, 10]);
  const draws = Array.from({ length: 39 }, (_, i) => [i + 1, refreshEpsilon(s, i + 1)])
    .filter(([, e]) => e !== null);
  assert.deepEqual(draws, [[20, 0]]);
  assert.deepEqual(stepsPerDataSet(DEFAULT_RL), [19 * 684, 20 * 684]);
  assert.equal(protocolCuts(DEFAULT_RL).faithfulTraining, true);
  assert.equal(protocolCuts(PAPER_RL).cuts.length, 0);
  // Initial training: refreshes every 20 with the annealed epsilon of tau 100.
  const init = { refreshPeriod: 20, tau: 100 };
  const eps = [20, 40, 60, 80, 100].map((it) => refreshEpsilon(init, it) ?? NaN);
  [0.12, 0.09, 0.06, 0.03, 0].forEach((e, i) => assert.ok(Math.abs(eps[i] - e) < 1e-12, `${eps}`));
  assert.equal(refreshEpsilon(init, 21), null);
  // The flags: refresh period and tau set the retraining; shortened training is labelled.
  const c = configureRl(DEFAULT_RL, { "refresh-period": "10", tau: "5" });
  assert.deepEqual([c.retrainRefresh, c.retrainTau], [10, 5]);
  assert.deepEqual(stepsPerDataSet(c), [9 * 684, 10 * 684, 10 * 684, 10 * 684]);
  assert.equal(protocolCuts(c).faithfulTraining, false);
  assert.match(protocolCuts(configureRl(DEFAULT_RL, { "scg-steps": "60" })).cuts.join(), /SHORT/);
});

/** An engine that records the data of every SCG call and leaves the weights as they are. */
class RecordingEngine implements Engine {
  readonly name = "cpu" as const;
  readonly precision = "float64" as const;
  readonly arithmetic = "recording";
  readonly description = "records SCG calls";
  readonly calls: ScgJob[][] = [];
  lossAndGrad(): never {
    throw new Error("not used");
  }
  forward(): never {
    throw new Error("not used");
  }
  scg(jobs: readonly ScgJob[], _o: ScgOptions): Promise<ScgResult[]> {
    this.calls.push([...jobs]);
    return Promise.resolve(jobs.map((j) => ({
      w: Float64Array.from(j.w),
      startLoss: 1,
      endLoss: 1,
      converged: false,
      steps: 684,
      gradEvals: 1,
      emergencySteps: 0,
    })));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

Deno.test("schedule: training sees one data set for iterations 1-19 and a new one from 20 to 39", async () => {
  const engine = new RecordingEngine();
  const [o] = await trainRl(
    engine,
    [{ w: w(3), mask: null, rng: new Rng(5), noiseVariance: 0.1 }],
    {
      schedule: retrainSchedule(DEFAULT_RL, 0.1),
      task: "standard",
      blocks: 2,
      noiseMode: "shared",
      scgSteps: null,
    },
  );
  assert.equal(o.outerIterations, 39);
  const data = engine.calls.map((c) => c[0].data);
  const changes = data.map((d, i) => (i > 0 && d !== data[i - 1] ? i + 1 : 0)).filter((i) => i);
  assert.deepEqual(changes, [20], "the data change only before outer iteration 20");
});

Deno.test("common random numbers: two networks (and the Q-learner) meet the same draws", () => {
  const sim = { blocks: 6, epsilon: 0.15, noiseVariance: 0 };
  const a = simulateBlocks(w(1), { ...sim, rng: new Rng(77) });
  const b = simulateBlocks(w(2), { ...sim, rng: new Rng(77) });
  const q = simulateBlocks(null, { ...sim, rng: new Rng(77) });
  let differ = 0, same = 0;
  for (let i = 0; i < sim.blocks; i++) {
    assert.deepEqual(a[i].explored, b[i].explored, "same exploration steps");
    assert.deepEqual(a[i].explored, q[i].explored, "the Q-learner explores at the same steps");
    for (let k = 0; k < 60; k++) {
      if (a[i].choices[k] !== b[i].choices[k]) differ++;
      else if (k % 2 === 1) {
        // Same option at a choice step: the same reward number decides the same reward.
        assert.equal(a[i].rewards[k], b[i].rewards[k]);
        same++;
      }
      // Exploration steps: the shared choice number makes both pick the same option.
      if (a[i].explored[k]) assert.equal(a[i].choices[k], b[i].choices[k]);
    }
  }
  assert.ok(differ > 0 && same > 0, `${differ} differing and ${same} shared choices`);
  // Evaluation calls in sequence stay aligned: the blocks of the second call agree too.
  const rngA = new Rng(8), rngB = new Rng(8);
  simulateBlocks(w(1), { ...sim, rng: rngA });
  simulateBlocks(w(2), { ...sim, rng: rngB });
  assert.equal(rngA.uniform(), rngB.uniform(), "both streams consumed the same number of draws");
  // The Q-learner's outputs are its Q row: agreement 1 and value error 0.
  const sq = summarizeBlock(q[0]);
  assert.deepEqual([sq.agreement, sq.valueError], [1, 0]);
  const m = evaluateQLearner({ valueBlocks: 2, choiceBlocks: 40, epsilon: 0.15 }, new Rng(3));
  assert.ok(m.rewardPerBlock > 0 && m.choiceRewardPerBlock > m.rewardPerBlock, JSON.stringify(m));
});

Deno.test("optimal-choice rate and choice-step reward on a crafted block", () => {
  // Block 1 is odd: the 0.8 option is index 2. Fixation steps hold (0) except at trials 1 and 2;
  // choice steps pick option 2 in 20 of the 30 trials.
  const choices: number[] = [], rewards: number[] = [];
  for (let t = 0; t < 30; t++) {
    const breaks = t < 2;
    choices.push(breaks ? 1 : 0);
    rewards.push(breaks ? -1 : 0);
    const good = t < 20;
    choices.push(good ? 2 : 1);
    rewards.push(good && t % 2 === 0 ? 1 : 0);
  }
  const s = summarizeBlock(blockFromHistory(choices, rewards));
  assert.equal(s.optimalRate, (28 + 20) / 60);
  assert.equal(s.reward, 10 - 2);
  assert.equal(s.choiceReward, 10);
  assert.equal(s.agreement, 1, "a history block records the model's choice as the network's");
});

Deno.test("pooled Mahalanobis distance equals an independent solve over all blocks' samples", () => {
  const rng = new Rng(11);
  const blocks: Block[] = [];
  for (let b = 0; b < 5; b++) {
    const x = new Float64Array(60 * 20);
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < 20; i++) x[k * 20 + i] = rng.normal() + (k % 2 === 0 && i < 4 ? 0.5 : 0);
    }
    blocks.push({ ...blockFromHistory(new Array(60).fill(0), new Array(60).fill(0)), x });
  }
  const m = pooledMahalanobis(blocks);
  const f: number[] = [], c: number[] = [];
  for (const b of blocks) {
    for (let k = 0; k < 60; k++) (k % 2 === 0 ? f : c).push(...b.x.subarray(k * 20, k * 20 + 20));
  }
  const rows = 150;
  const cf = covariance(Float64Array.from(f), rows, 20);
  const cc = covariance(Float64Array.from(c), rows, 20);
  const S = new Matrix(20, 20);
  const d = new Matrix(20, 1);
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 20; j++) S.set(i, j, (cf[i * 20 + j] + cc[i * 20 + j]) / 2);
    let s = 0;
    for (let r = 0; r < rows; r++) s += (f[r * 20 + i] - c[r * 20 + i]) / rows;
    d.set(i, 0, s);
  }
  const sol = solve(S, d);
  let direct = 0;
  for (let i = 0; i < 20; i++) direct += d.get(i, 0) * sol.get(i, 0);
  assert.ok(Math.abs(m.distance - direct) < 1e-10 * direct, `${m.distance} vs ${direct}`);
  // True squared distance 4 x 0.5^2 = 1; 150 + 150 samples estimate it with a small bias.
  assert.ok(m.distance > 0.6 && m.distance < 1.6, `${m.distance}`);
  assert.equal(m.illConditioned, false);
});

Deno.test("embedded RL starting networks: keys of the default protocol, converged, reproducible", async () => {
  const engine = new CpuEngine({ workers: 0 });
  try {
    const source = embeddedSource(FIG7_EMBEDDED_STARTS);
    const key = (i: number): string =>
      rlStartCacheKey(DEFAULT_RL, { seed: 1, network: i, arithmetic: engine.arithmetic });
    for (let i = 0; i < 8; i++) {
      const net = source(key(i));
      assert.ok(net, `network ${i} embedded`);
      assert.equal(net.rounds[0].converged, true, `network ${i} trained to criterion`);
    }
    // Network 0 (the shared starting network) retrained from its initialisation is bit for bit
    // the embedded one.
    const { networks } = await prepareStartingNetworks(
      [0],
      rlStartRecipe(engine, { protocol: DEFAULT_RL, seed: 1 }),
      { store: null, fresh: true },
    );
    assert.deepEqual(Array.from(networks[0].w), Array.from(source(key(0))!.w));
  } finally {
    await engine.close();
  }
});

/** Delegates to the CPU engine, but the first network of the second SCG call of `failAt` fails. */
class FailingEngine implements Engine {
  readonly name = "cpu" as const;
  readonly precision = "float64" as const;
  readonly arithmetic: string;
  readonly description = "CPU engine with an injected failure";
  #inner = new CpuEngine({ workers: 0 });
  #calls = 0;
  constructor(readonly failAt: number) {
    this.arithmetic = this.#inner.arithmetic;
  }
  lossAndGrad: Engine["lossAndGrad"] = (jobs) => this.#inner.lossAndGrad(jobs);
  forward: Engine["forward"] = (jobs) => this.#inner.forward(jobs);
  async scg(jobs: readonly ScgJob[], options: ScgOptions): Promise<ScgResult[]> {
    const out = await this.#inner.scg(jobs, options);
    if (++this.#calls === this.failAt) {
      out[0] = { ...out[0], w: out[0].w.map(() => NaN), failure: "injected: loss became NaN" };
    }
    return out;
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * Runs a tiny fig7 (seed 2, 4-block evaluations) on an engine that fails at SCG call `failAt`,
 * then hands the store, the config and the stored units to `check`.
 */
async function withFailedRun(
  flags: Record<string, string>,
  failAt: number,
  check: (run: { store: ResultStore; config: RlConfig; units: UnitEntry[] }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rl_fail" });
  const store = await ResultStore.open(`${dir}/s.kv`);
  const base = configureRl(DEFAULT_RL, { "initial-outer": "1", "scg-steps": "2", ...flags });
  const config = { ...base, valueBlocks: 4, choiceBlocks: 4, dynamicsBlocks: 4, trainBlocks: 4 };
  const engine = new FailingEngine(failAt);
  const ctx: RunContext<RlConfig> = {
    runId: "r",
    config,
    seed: 2,
    engine,
    store,
    finished: new Set(),
    progress: new Progress(fig7.totalUnits(config), { quiet: true }),
    signal: new AbortController().signal,
    log: () => {},
  };
  try {
    await store.createRun({
      id: "r",
      figure: "fig7",
      preset: "default",
      reduced: true,
      config: jsonRecord(config),
      seed: 2,
      engine: "cpu",
      engineDescription: "test",
      versions: {},
      startedAt: "",
      updatedAt: "",
      status: "running",
      progress: { done: 0, total: 1 },
    });
    await fig7.run(ctx);
    await check({ store, config, units: await store.listUnits("r") });
  } finally {
    store.close();
    await engine.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a network whose training produced NaN is marked failed, listed and left out", async () => {
  // Call 1: starting network; calls 2-3: level 0.5; the first job of call 4 (level 0.7, outer 1)
  // is lineage 0's pruned network.
  await withFailedRun({ networks: "3", "max-outer": "2" }, 4, async ({ store, config, units }) => {
    const s = summarizeRl(config, units);
    assert.deepEqual(s.failures.map((f) => [f.part, f.level, f.lineage, f.kind]), [
      ["main", 0.7, 0, "pruned"],
      ["newOption", null, 0, "pruned"],
      ["newOption", null, 0, "unpruned"],
    ]);
    const q = s.byNoise["0.1"].metrics.qError;
    assert.deepEqual(q.paired.map((p) => p.n), [3, 2], "the failed pair is dropped at 0.7");
    assert.equal(q.values.pruned[0][1], null);
    assert.equal(typeof q.values.unpruned[0][1], "number", "its partner is still stored");
    assert.equal(s.newOption?.n, 2);
    const run = experimentRun<RlConfig>((await store.getRun("r"))!);
    assert.match(fig7.table(await fig7.summarize(run, store)), /3 network\(s\) failed/);
    const panels = fig7.panels(run, units, {});
    assert.ok(panels.some((p) => p.id === "rl-failures"), "failures shown on the dashboard");
  });
});

Deno.test("a starting network whose training produced NaN fails its lineages, listed and left out", async () => {
  // Call 1 trains the shared starting network.
  const flags = { networks: "2", "max-outer": "1", "new-option-networks": "0" };
  await withFailedRun(flags, 1, async ({ store, config, units }) => {
    assert.equal(units.length, fig7.totalUnits(config), "every unit is stored, failed or not");
    const s = summarizeRl(config, units);
    assert.equal(s.initial[0].failed, "injected: loss became NaN");
    assert.equal(s.initial[0].qError, null);
    assert.deepEqual([s.failures[0].part, s.failures[0].kind], ["initial", null]);
    // Both lineages of both levels inherit the failure; nothing enters a statistic.
    assert.equal(s.failures.filter((f) => f.part === "main").length, 2 * 2 * 2);
    assert.deepEqual(s.byNoise["0.1"].metrics.qError.paired.map((p) => p.n), [0, 0]);
    const run = experimentRun<RlConfig>((await store.getRun("r"))!);
    assert.match(fig7.table(await fig7.summarize(run, store)), /starting network 0: injected/);
  });
});

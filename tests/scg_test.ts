/**
 * SCG (spec 5.3): the spec 12.2 vectors, population vectorisation (bit-identical to single
 * calls, converged networks leave the batch), the CPU engine's workers, and mask invariants over a
 * multi-iteration training run.
 */
import assert from "node:assert/strict";
import { DMS_SHAPE, paramLayout, RL_SHAPE } from "../core/rnn/network.ts";
import { loss, lossAndGrad } from "../core/rnn/kernels.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { countZerosA, magnitudePrune } from "../core/rnn/prune.ts";
import { type EvalRequest, scgConstants, scgSync } from "../core/rnn/scg.ts";
import { scgCpu } from "../core/engine/cpu/evaluate.ts";
import {
  CPU_KERNEL_BUILD_NAMES,
  CPU_KERNEL_BUILDS,
  type CpuKernelBuild,
  defaultKernelBuild,
} from "../core/engine/cpu/kernel_builds.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { trainPopulation } from "../core/rnn/train.ts";
import { Rng } from "../core/util/rng.ts";
import type { ScgJob, ScgResult, SequenceSet } from "../core/engine/engine.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import { assertRel, assertSameBits, randomSet, randomWeights } from "./fixtures/helpers.ts";

const L = paramLayout(DMS_SHAPE);

/** The plain TypeScript reference kernels as an SCG batch evaluator. */
function evaluateBatch(requests: EvalRequest[]): number[] {
  return requests.map((r) => lossAndGrad(r.data.shape, r.w, r.data, r.grad));
}

/** Kernel builds to check: the reference, plus WebAssembly where this runtime has it. */
const BUILDS: CpuKernelBuild[] = CPU_KERNEL_BUILD_NAMES.filter((b) =>
  CPU_KERNEL_BUILDS[b].available()
);

Deno.test("scg constants: defaults of spec 5.3 and the history length", () => {
  const c = scgConstants({ stopRule: "dms" }, 1110);
  assert.equal(c.kMax, 1110);
  assert.equal(c.historyLength, 300);
  assert.equal(c.sigma0, 5e-5);
  assert.equal(c.lambda0, 5e-7);
  assert.equal(c.fallbackStep, 1e-3);
  assert.equal(c.sigmaY, 0.1);
  assert.equal(scgConstants({ stopRule: "dms", kMax: 20 }, 1110).historyLength, 16);
});

Deno.test("spec 12.2 SCG: 20 steps from the test weights (every kernel build)", () => {
  for (const build of BUILDS) specScg(build);
});

function specScg(build: CpuKernelBuild): void {
  const w = specWeights(DMS_SHAPE, 0.5);
  const data = dmsTrials();
  const [r] = scgCpu([{ data, w, mask: null }], { stopRule: "dms", kMax: 20, sigmaY: 0.1 }, build);
  assertRel(r.startLoss, 7.77872628544, 1e-10, "start loss");
  assertRel(r.endLoss, 0.03470560305, 1e-9, `loss after 20 steps (${build})`);
  assertRel(loss(DMS_SHAPE, r.w, data), r.endLoss, 1e-13, "endLoss is the loss at w");
  assert.equal(r.steps, 20);
  assert.equal(r.converged, false);
  assert.equal(r.emergencySteps, 0);
  assert.equal(r.failure, undefined);
  // 1 start + 20 trial points + one probe per step after a success.
  assert.ok(r.gradEvals >= 21 && r.gradEvals <= 41, `gradEvals ${r.gradEvals}`);
  assert.deepEqual(w, specWeights(DMS_SHAPE, 0.5), "input weights are not modified");
}

Deno.test("spec 12.2 SCG: prune(A, 0.5) and 20 masked steps keep the 450 zeros", () => {
  for (const build of BUILDS) specPrunedScg(build);
});

function specPrunedScg(build: CpuKernelBuild): void {
  const w = specWeights(DMS_SHAPE, 0.5);
  const data = dmsTrials();
  const pr = magnitudePrune(DMS_SHAPE, w, 0.5);
  assert.equal(pr.pruned, 450);
  assert.equal(countZerosA(DMS_SHAPE, pr.w), 450);
  assertRel(pr.largestPruned, 0.1543606072, 1e-9, "largest pruned |A|");
  assertRel(pr.smallestKept, 0.1548004896, 1e-9, "smallest kept |A|");
  assertRel(loss(DMS_SHAPE, pr.w, data), 5.706555078, 1e-9, "pruned loss");
  const [r] = scgCpu([{ data, w: pr.w, mask: pr.mask }], {
    stopRule: "dms",
    kMax: 20,
    sigmaY: 0.1,
  }, build);
  assertRel(r.endLoss, 0.03490151501, 1e-9, `loss after 20 masked steps (${build})`);
  assert.equal(countZerosA(DMS_SHAPE, r.w), 450);
  for (let k = L.a; k < L.c; k++) {
    if (pr.mask[k] === 0) assert.ok(Object.is(r.w[k], 0), `pruned entry ${k} moved: ${r.w[k]}`);
  }
}

/** Three different DMS jobs: spec weights, random weights, a pruned network with its mask. */
function threeJobs(): ScgJob[] {
  const rng = new Rng(21);
  const spec = specWeights(DMS_SHAPE, 0.5);
  const pr = magnitudePrune(DMS_SHAPE, randomWeights(DMS_SHAPE, rng, 0.2), 0.6);
  return [
    { data: dmsTrials(), w: spec, mask: null },
    { data: randomSet(DMS_SHAPE, rng, 6, 20), w: randomWeights(DMS_SHAPE, rng, 0.25), mask: null },
    { data: randomSet(DMS_SHAPE, rng, 4, 25), w: pr.w, mask: pr.mask },
  ];
}

function assertSameResult(a: ScgResult, b: ScgResult, what: string): void {
  assertSameBits(a.w, b.w, `${what} weights`);
  assert.ok(Object.is(a.startLoss, b.startLoss), `${what} startLoss`);
  assert.ok(Object.is(a.endLoss, b.endLoss), `${what} endLoss`);
  assert.equal(a.steps, b.steps, `${what} steps`);
  assert.equal(a.gradEvals, b.gradEvals, `${what} gradEvals`);
  assert.equal(a.converged, b.converged, `${what} converged`);
  assert.equal(a.emergencySteps, b.emergencySteps, `${what} emergencySteps`);
  assert.equal(a.failure, b.failure, `${what} failure`);
}

Deno.test("population SCG: 3 networks at once are bit-identical to 3 single calls", () => {
  const jobs = threeJobs();
  const options = { stopRule: "dms" as const, kMax: 25 };
  const together = scgSync(jobs, options, evaluateBatch);
  for (let i = 0; i < jobs.length; i++) {
    const [alone] = scgSync([jobs[i]], options, evaluateBatch);
    assertSameResult(together[i], alone, `network ${i}`);
  }
  // The mask of job 2 held.
  for (let k = L.a; k < L.c; k++) {
    if (jobs[2].mask![k] === 0) assert.equal(together[2].w[k], 0);
  }
});

Deno.test("population SCG: a converged network stops costing evaluations", () => {
  // Network 0 has zero targets and tiny output weights: its loss is far below the RL rule's
  // 0.01 from the start, so it stops after its first step; network 1 keeps training.
  const rng = new Rng(5);
  const quiet = randomWeights(RL_SHAPE, rng, 0.3);
  const RL = paramLayout(RL_SHAPE);
  for (let k = RL.c; k < RL.size; k++) quiet[k] *= 1e-3;
  const zeroSet: SequenceSet = { ...randomSet(RL_SHAPE, rng, 4, 12) };
  zeroSet.targets.fill(0);
  assert.ok(loss(RL_SHAPE, quiet, zeroSet) < 1e-4);
  const busy = randomWeights(RL_SHAPE, rng, 0.3);
  const busySet = randomSet(RL_SHAPE, rng, 4, 12);
  const jobs: ScgJob[] = [
    { data: zeroSet, w: quiet, mask: null },
    { data: busySet, w: busy, mask: null },
  ];
  const requests = [0, 0];
  const batchSizes: number[] = [];
  const counting = (reqs: EvalRequest[]): number[] => {
    batchSizes.push(reqs.length);
    for (const r of reqs) requests[r.job]++;
    return evaluateBatch(reqs);
  };
  const kMax = 15;
  const res = scgSync(jobs, { stopRule: "rl", kMax }, counting);
  assert.equal(res[0].converged, true);
  assert.equal(res[0].steps, 1);
  assert.equal(res[0].gradEvals, 3, "start + probe + trial");
  assert.equal(requests[0], 3, "no evaluation is spent on the converged network after step 1");
  assert.equal(res[1].converged, false);
  assert.equal(res[1].steps, kMax);
  assert.equal(requests[1], res[1].gradEvals);
  // After step 1 every batch holds only the busy network.
  assert.ok(batchSizes.slice(3).every((n) => n === 1), `batches ${batchSizes.join(",")}`);
  // And the busy network's result is the same as when it trains alone.
  const [alone] = scgSync([jobs[1]], { stopRule: "rl", kMax }, evaluateBatch);
  assertSameResult(res[1], alone, "busy network");
});

Deno.test("CPU engine: 2 workers give bit-identical SCG and gradients to the calling thread", async () => {
  const jobs = threeJobs();
  const options = { stopRule: "dms" as const, kMax: 10 };
  const kernel = defaultKernelBuild();
  const serial = new CpuEngine({ workers: 0, kernel });
  const parallel = new CpuEngine({ workers: 2, kernel });
  try {
    const a = await serial.scg(jobs, options);
    const b = await parallel.scg(jobs, options);
    for (let i = 0; i < jobs.length; i++) assertSameResult(a[i], b[i], `network ${i}`);
    const ga = await serial.lossAndGrad(jobs);
    const gb = await parallel.lossAndGrad(jobs);
    for (let i = 0; i < jobs.length; i++) {
      assert.ok(Object.is(ga[i].loss, gb[i].loss));
      assertSameBits(ga[i].grad, gb[i].grad, `gradient ${i}`);
    }
    const fa = await serial.forward(jobs);
    const fb = await parallel.forward(jobs);
    for (let i = 0; i < jobs.length; i++) assertSameBits(fa[i].y, fb[i].y, `outputs ${i}`);
  } finally {
    await serial.close();
    await parallel.close();
  }
});

Deno.test("trainPopulation: pruned weights stay exactly 0 over several outer iterations", async () => {
  const engine = new CpuEngine({ workers: 0 });
  try {
    const start = specWeights(DMS_SHAPE, 0.5);
    const pr = magnitudePrune(DMS_SHAPE, start, 0.5);
    const rng = new Rng(3);
    const jobs = [
      { data: dmsTrials(), w: pr.w, mask: pr.mask },
      { data: randomSet(DMS_SHAPE, rng, 4, 30), w: pr.w, mask: pr.mask },
      { data: dmsTrials(), w: start, mask: null },
    ];
    const outcomes = await trainPopulation(engine, jobs, {
      maxOuter: 3,
      untilConverged: true,
      scg: { stopRule: "dms", kMax: 12 },
    });
    for (let j = 0; j < 2; j++) {
      const o = outcomes[j];
      assert.equal(o.outerIterations, 3);
      assert.equal(o.lossHistory.length, 3);
      assert.equal(o.failure, undefined);
      for (let k = 1; k < o.lossHistory.length; k++) {
        assert.ok(o.lossHistory[k] <= o.lossHistory[k - 1], "SCG only accepts decreases");
      }
      assert.equal(countZerosA(DMS_SHAPE, o.w), 450);
      let changedB = 0, changedC = 0, changedKeptA = 0;
      for (let k = 0; k < L.size; k++) {
        if (pr.mask[k] === 0) {
          assert.ok(Object.is(o.w[k], 0), `job ${j}: pruned entry ${k} regrew to ${o.w[k]}`);
        } else if (o.w[k] !== pr.w[k]) {
          if (k < L.a) changedB++;
          else if (k < L.c) changedKeptA++;
          else changedC++;
        }
      }
      assert.equal(changedB, L.a, "every entry of B trains");
      assert.equal(changedC, L.size - L.c, "every entry of C trains");
      assert.equal(changedKeptA, 450, "every kept entry of A trains");
    }
    // The unpruned network keeps its full A.
    assert.equal(countZerosA(DMS_SHAPE, outcomes[2].w), 0);
    // The first history entry is the loss at the starting point.
    assertRel(outcomes[0].lossHistory[0], 5.706555078, 1e-9, "pruned start loss");
    assertRel(outcomes[2].lossHistory[0], 7.77872628544, 1e-10, "unpruned start loss");
    // Cumulative pruning of the retrained network keeps the old zeros and adds 180 more.
    const next = magnitudePrune(DMS_SHAPE, outcomes[0].w, 0.7);
    assert.equal(countZerosA(DMS_SHAPE, next.w), 630);
    for (let k = L.a; k < L.c; k++) if (pr.mask[k] === 0) assert.equal(next.mask[k], 0);
  } finally {
    await engine.close();
  }
});

Deno.test("SCG: a network whose loss is NaN fails with a reason; the others are unaffected", async () => {
  const jobs = threeJobs();
  const bad = { ...jobs[1], data: { ...jobs[1].data, targets: jobs[1].data.targets.slice() } };
  bad.data.targets[7] = NaN;
  const mixed = [jobs[0], bad, jobs[2]];
  const options = { stopRule: "dms" as const, kMax: 8 };
  const res = scgSync(mixed, options, evaluateBatch);
  assert.match(res[1].failure ?? "", /not finite/);
  assert.equal(res[1].converged, false);
  assert.equal(res[1].gradEvals, 1, "a failed network stops costing evaluations");
  const alone0 = scgSync([jobs[0]], options, evaluateBatch)[0];
  const alone2 = scgSync([jobs[2]], options, evaluateBatch)[0];
  assertSameResult(res[0], alone0, "network 0");
  assertSameResult(res[2], alone2, "network 2");
  // Through the training loop: the failure is recorded and the network leaves the population.
  const engine = new CpuEngine({ workers: 0 });
  try {
    const out = await trainPopulation(engine, mixed, {
      maxOuter: 2,
      untilConverged: true,
      scg: options,
    });
    assert.match(out[1].failure ?? "", /not finite/);
    assert.equal(out[1].outerIterations, 1);
    assert.equal(out[0].outerIterations, 2);
    assert.equal(out[0].failure, undefined);
  } finally {
    await engine.close();
  }
});

Deno.test("SCG: huge weights that overflow to Inf fail instead of producing NaN weights", () => {
  const rng = new Rng(31);
  const w = randomWeights(DMS_SHAPE, rng, 0.3);
  for (let k = L.c; k < L.size; k++) w[k] = 1e306;
  const [r] = scgSync(
    [{ data: randomSet(DMS_SHAPE, rng, 4, 10), w, mask: null }],
    { stopRule: "dms", kMax: 5 },
    evaluateBatch,
  );
  assert.ok(r.failure, "failure reason set");
  for (const v of r.w) assert.ok(!Number.isNaN(v), "weights are the last finite point");
});

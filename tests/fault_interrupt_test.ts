/**
 * Interruption inside training (issue 14 item 4): an abort reaches a running SCG call between two
 * steps on both CPU engines (in their workers, also for a population of one), the engine stays
 * usable and bit-identical afterwards; training resumed from a per-outer-iteration checkpoint is
 * bit for bit the uninterrupted training; an interrupted initial round of the starting networks
 * continues from its checkpoint instead of restarting, with the same networks at the end.
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { CpuF32Engine } from "../core/engine/cpu_f32/cpu_f32_engine.ts";
import { type Engine, newStopFlag, ScgStoppedError } from "../core/engine/engine.ts";
import { STOP_GRACE_MS } from "../core/engine/worker_pool.ts";
import { dmsTrainingSet } from "../core/dms/task.ts";
import { type StartProtocol, trainStartingNetworks } from "../core/dms/starting_networks.ts";
import { DMS_INIT, DMS_SHAPE, initWeights } from "../core/rnn/network.ts";
import { type TrainJob, type TrainOutcome, trainPopulation } from "../core/rnn/train.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { Rng } from "../core/util/rng.ts";
import { withTempDir } from "./fixtures/helpers.ts";

/** DMS networks on their training sets (the real shapes: one SCG step costs what fig5 pays). */
function dmsJobs(n: number): TrainJob[] {
  return Array.from({ length: n }, (_, i) => ({
    data: dmsTrainingSet(new Rng(100 + i), 0.1),
    w: initWeights(DMS_SHAPE, DMS_INIT, new Rng(i + 1)),
    mask: null,
  }));
}

/** Aborts training after `afterMs` and returns how long the rejection took after the abort. */
async function abortLatency(engine: Engine, jobs: TrainJob[], afterMs: number): Promise<number> {
  const ac = new AbortController();
  let abortedAt = 0;
  const timer = setTimeout(() => {
    abortedAt = performance.now();
    ac.abort(new Error("test interrupt"));
  }, afterMs);
  try {
    // K steps per call: one outer iteration takes far longer than the abort delay.
    await trainPopulation(engine, jobs, {
      maxOuter: 50,
      untilConverged: true,
      scg: { stopRule: "dms", sigmaY: 0.1 },
      signal: ac.signal,
    });
    assert.fail("training finished before the abort");
  } catch (err) {
    assert.equal((err as Error).message, "test interrupt");
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - abortedAt;
}

Deno.test("interrupt: an abort stops a running SCG call in the workers within the grace", async () => {
  for (
    const make of [() => new CpuEngine({ workers: 2 }), () => new CpuF32Engine({ workers: 1 })]
  ) {
    const engine = make();
    try {
      for (const n of [1, 3]) {
        const took = await abortLatency(engine, dmsJobs(n), 300);
        // Workers look at the flag between SCG steps; the pool terminates them after the grace.
        assert.ok(
          took < STOP_GRACE_MS + 700,
          `${engine.arithmetic}, ${n} network(s): stopped ${took.toFixed(0)} ms after the abort`,
        );
      }
      // Still usable, and bit for bit what a fresh engine computes.
      const jobs = dmsJobs(2);
      const scg = { stopRule: "dms" as const, sigmaY: 0.1, kMax: 5 };
      const after = await engine.scg(jobs, scg);
      const fresh = make();
      try {
        const ref = await fresh.scg(jobs, scg);
        after.forEach((r, i) => assert.deepEqual(r.w, ref[i].w));
      } finally {
        await fresh.close();
      }
    } finally {
      await engine.close();
    }
  }
});

Deno.test("interrupt: a stop flag set before the call rejects at once with ScgStoppedError", async () => {
  const engine = new CpuEngine({ workers: 1 });
  try {
    const stop = newStopFlag();
    Atomics.store(stop, 0, 1);
    await assert.rejects(
      engine.scg(dmsJobs(1), { stopRule: "dms", kMax: 5, stop }),
      ScgStoppedError,
    );
  } finally {
    await engine.close();
  }
});

function sameOutcome(a: TrainOutcome, b: TrainOutcome, what: string): void {
  assert.deepEqual(a.w, b.w, `${what}: weights`);
  assert.deepEqual(a.lossHistory, b.lossHistory, `${what}: loss history`);
  for (const k of ["outerIterations", "converged", "gradEvals", "scgSteps", "endLoss"] as const) {
    assert.equal(a[k], b[k], `${what}: ${k}`);
  }
}

Deno.test("checkpoint: training continued from an outer-iteration checkpoint is bit-identical", async () => {
  const engine = new CpuEngine({ workers: 0 });
  try {
    const jobs = dmsJobs(3);
    const options = {
      maxOuter: 5,
      untilConverged: true,
      scg: { stopRule: "dms" as const, sigmaY: 0.1, kMax: 15 },
    };
    const whole = await trainPopulation(engine, jobs, options);
    // Checkpoints after outer iteration 2, as an interrupted run would have stored them.
    let saved: TrainOutcome[] = [];
    const ac = new AbortController();
    await assert.rejects(
      trainPopulation(engine, jobs, {
        ...options,
        signal: ac.signal,
        afterOuter: ({ outer, outcomes }) => {
          if (outer !== 2) return;
          saved = outcomes.map((o) => ({ ...o, w: Float64Array.from(o.w) }));
          ac.abort(new Error("stop after 2"));
        },
      }),
      /stop after 2/,
    );
    assert.equal(saved.length, 3);
    let calls = 0;
    const resumed = await trainPopulation(
      engine,
      jobs.map((j, i) => ({ ...j, from: saved[i] })),
      { ...options, onOuter: () => calls++ },
    );
    resumed.forEach((o, i) => sameOutcome(o, whole[i], `network ${i}`));
    assert.equal(calls, 3, "the resumed training ran outer iterations 3-5 only");
  } finally {
    await engine.close();
  }
});

Deno.test("checkpoint: an interrupted initial round continues from its checkpoint", async () => {
  await withTempDir(async (dir) => {
    const protocol: StartProtocol = {
      initialRounds: 2,
      maxOuterInitial: 4,
      scgSteps: 15,
      sigmaY: 0.1,
    };
    const engine = new CpuEngine({ workers: 0 });
    const store = await ResultStore.open(`${dir}/store.kv`);
    try {
      const whole = await trainStartingNetworks(engine, [0, 1], { protocol, seed: 5, store: null });
      // Interrupted after two outer iterations of round 1 (and, fresh, only this run's checkpoints).
      const ac = new AbortController();
      let outers = 0;
      await assert.rejects(
        trainStartingNetworks(engine, [0, 1], {
          protocol,
          seed: 5,
          store,
          fresh: true,
          runId: "run-a",
          signal: ac.signal,
          onOuter: () => {
            if (++outers === 2) ac.abort(new Error("interrupted"));
          },
        }),
        /interrupted/,
      );
      // Another fresh run does not see run-a's checkpoints; run-a's resume does.
      let resumedOuters = 0;
      const resumed = await trainStartingNetworks(engine, [0, 1], {
        protocol,
        seed: 5,
        store,
        fresh: true,
        runId: "run-a",
        onOuter: (round, outer) => {
          if (round === 1) resumedOuters = Math.max(resumedOuters, outer);
          if (round === 1) assert.ok(outer > 2, `round 1 restarted at outer ${outer}`);
        },
      });
      resumed.networks.forEach((n, i) => {
        assert.deepEqual(n.w, whole.networks[i].w, `network ${i}`);
        assert.deepEqual(n.rounds, whole.networks[i].rounds, `network ${i} records`);
      });
      assert.ok(resumedOuters >= 3 || whole.networks.every((n) => n.rounds[0].outer <= 2));
    } finally {
      store.close();
      await engine.close();
    }
  });
});

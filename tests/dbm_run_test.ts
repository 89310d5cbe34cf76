/**
 * The whole family-B run (spec 6.4) on a tiny protocol and synthetic 6 x 6 digits: every
 * checkpoint is reported, the pruning schedule shows in the counts, Ctrl-C (an aborted signal)
 * stops it, and resuming from the last saved state gives exactly the uninterrupted result.
 */
import assert from "node:assert/strict";
import { CpuDbmKernels } from "../core/engine/cpu/dbm_kernels.ts";
import { type DbmProtocol, paperProtocol } from "../core/bm/dbm/protocol.ts";
import {
  type DbmCheckpoint,
  dbmReferences,
  type DbmRunState,
  roundSetting,
  runDbmPruning,
} from "../core/bm/dbm/run.ts";
import { RoundPool } from "../experiments/dbm/round_pool.ts";
import type { LabelledDigits } from "../core/bm/dbm/evaluate.ts";
import { Rng } from "../core/util/rng.ts";

function tinyProtocol(): DbmProtocol {
  const p = paperProtocol();
  const e = (epochs: number): DbmProtocol["retrain"] => ({ ...p.retrain, epochs, batch: 5 });
  return {
    ...p,
    reduced: true,
    trainDigits: 40,
    initial: {
      ...p.initial,
      side: 6,
      radius: 1,
      n1: 36,
      n2: 12,
      rbm1: e(1),
      rbm2: e(1),
      joint: e(1),
      particles: 4,
      meanField: { maxIterations: 3, tolerance: 1e-7 },
    },
    retrain: e(1),
    sampler: { chains: 10, sweeps: 2, samples: 30 },
    prune: { fraction1: 0.1, fraction2: 0.25, iterations: 2 },
    evaluateBeforeRetraining: true,
    classifier: { ...p.classifier, maxIterations: 50 },
    keepSamples: 5,
    referencePatterns: 100,
    encoding: { enabled: true, maxIterations: 3, tolerance: 1e-7 },
  };
}

function digits(n: number, rng: Rng): LabelledDigits {
  const bits = new Uint8Array(n * 36);
  const labels = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const c = s % 10;
    labels[s] = c;
    for (let q = 0; q < 36; q++) {
      const on = (q + c) % 5 === 0 || (q * c) % 7 === 1;
      bits[s * 36 + q] = (rng.uniform() < 0.1 ? !on : on) ? 1 : 0;
    }
  }
  return { n, width: 36, bits, labels };
}

const data = { train: digits(60, new Rng(1)), test: digits(20, new Rng(2)) };

Deno.test("DBM run: checkpoints of every criterion, resume after Ctrl-C equals the uninterrupted run", async () => {
  const k = new CpuDbmKernels();
  const protocol = tinyProtocol();
  const full: DbmCheckpoint[] = [];
  const phases = new Set<string>();
  const done = await runDbmPruning(k, data, {
    protocol,
    seeds: [3],
    onCheckpoint: (c) => {
      full.push(c);
    },
    onProgress: (p) => {
      phases.add(p.phase);
    },
  });
  // 1 initial + 6 criteria x 2 iterations x (pruned + retrained).
  assert.equal(full.length, 1 + 6 * 2 * 2);
  for (const ph of ["references", "rbm1", "q", "rbm2", "joint", "sample", "retrain", "encode"]) {
    assert.ok(phases.has(ph), `phase ${ph} reported`);
  }
  const init = full[0];
  assert.equal(init.criterion, null);
  assert.equal(init.measures.counts.nw1, 16 * 16); // 3 x 3 fields clipped: 2+3+3+3+3+2 = 16 per axis
  assert.equal(init.measures.counts.nw2, 36 * 12);
  assert.equal(init.measures.samples, 30);
  assert.equal(init.measures.digits.length, 5);
  assert.equal(init.measures.digits[0].length, 36);
  assert.ok(Number.isFinite(init.measures.classifierError));
  const mag1 = full.find((c) =>
    c.criterion === "magnitude" && c.iteration === 1 && c.stage === "retrained"
  );
  assert.ok(mag1?.prune);
  assert.equal(mag1.prune.before.nw1 - mag1.prune.after.nw1 >= Math.floor(0.1 * 256), true);
  assert.ok(Math.abs(mag1.prune.before.nw2 - mag1.prune.after.nw2 - Math.floor(0.25 * 432)) <= 12);

  // Interrupt after the state of iteration 1 is saved, then resume from it.
  const ctl = new AbortController();
  let saved: DbmRunState | null = null;
  await assert.rejects(
    runDbmPruning(k, data, {
      protocol,
      seeds: [3],
      signal: ctl.signal,
      onState: (s) => {
        if (s.slots.some((x) => x.iteration === 1)) {
          saved = JSON.parse(JSON.stringify(s));
          ctl.abort(new Error("interrupted"));
        }
      },
    }),
    /interrupted/,
  );
  assert.ok(saved, "a state was saved before the interruption");
  const resumed: DbmCheckpoint[] = [];
  const again = await runDbmPruning(k, data, {
    protocol,
    seeds: [3],
    resume: saved,
    onCheckpoint: (c) => {
      resumed.push(c);
    },
  });
  assert.deepEqual(again.state, done.state);
  // The replayed iteration-1 checkpoints and the new iteration-2 ones equal the full run's.
  for (const c of resumed.filter((x) => x.criterion !== null)) {
    const same = full.find((x) =>
      x.criterion === c.criterion && x.iteration === c.iteration && x.stage === c.stage
    );
    assert.ok(same, `${c.criterion} ${c.iteration} ${c.stage}`);
    assert.deepEqual(c.measures, same.measures);
  }
  assert.ok(resumed.some((c) => c.iteration === 2 && c.replayed === false));
});

Deno.test("DBM run on round workers: Ctrl-C gives the round up at once, reporting nothing of it", async () => {
  const k = new CpuDbmKernels();
  const protocol = tinyProtocol();
  const references = await dbmReferences(data, { protocol, seed: 3 });
  const pool = new RoundPool(2, roundSetting(data, { protocol, references }));
  const controller = new AbortController();
  const reported: DbmCheckpoint[] = [];
  try {
    await assert.rejects(
      runDbmPruning(k, data, {
        protocol,
        seeds: [3],
        references,
        runner: pool.runner(),
        signal: controller.signal,
        onCheckpoint: (c) => {
          reported.push(c);
        },
        // The first retraining report comes from a worker in the middle of round 1.
        onProgress: (p) => {
          if (p.phase === "retrain") controller.abort(new Error("stop"));
        },
      }),
      /stop/,
    );
    // A worker reads messages only between groups: had the pool waited for it, round 1's
    // checkpoints would have been reported before the run stopped.
    assert.deepEqual(reported.map((c) => c.iteration), [0]);
  } finally {
    pool.close();
    await k.close();
  }
});

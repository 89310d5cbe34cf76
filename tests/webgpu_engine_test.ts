/**
 * The WebGPU engine against the float64 CPU kernels on small populations, on whatever adapter
 * this machine has (llvmpipe on the CPU-only CI). Skipped, with a notice, when there is none.
 *
 * Stated float32 tolerances: loss relative 2e-6; trajectories absolute 3e-6 and gradients 1e-5 of
 * the largest entry; H v 1e-4 (it sums products of cancelling terms); SCG (20 steps, spec 12.2) loss
 * relative 2e-3 of the spec's float64 value; retraining losses of a pruning sweep relative 2e-2
 * of the CPU engine; pruned weights exactly 0.
 */
import assert from "node:assert/strict";
import { DMS_INIT, DMS_SHAPE, initWeights, paramLayout, RL_SHAPE } from "../core/rnn/network.ts";
import { forward, lossAndGrad } from "../core/rnn/kernels.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { magnitudePrune } from "../core/rnn/prune.ts";
import { probeWebGpu } from "../core/engine/select.ts";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import type { Engine, GradJob, ScgJob } from "../core/engine/engine.ts";
import { modelEval, modelLossDiff } from "../tools/study/f32_model.ts";
import { Rng } from "../core/util/rng.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import { assertCloseToScale, assertRel, randomSet, randomWeights } from "./fixtures/helpers.ts";

// PRUNELAB_NO_WEBGPU=1 exercises the skip path on a machine that has an adapter.
const probe = Deno.env.get("PRUNELAB_NO_WEBGPU") ? null : await probeWebGpu();
if (!probe) console.log("NOTICE: no WebGPU adapter on this machine; WebGPU engine tests skipped");
const gpuTest = (name: string, fn: () => Promise<void>): void =>
  Deno.test({ name, ignore: !probe, sanitizeOps: false, sanitizeResources: false, fn });

let shared: Engine | null = null;
async function engine(): Promise<Engine> {
  if (!shared) {
    const mod = await import("../core/engine/webgpu/webgpu_engine.ts");
    shared = await mod.createWebGpuEngine();
  }
  return shared;
}

function population(): GradJob[] {
  const rng = new Rng(21);
  const jobs: GradJob[] = [];
  for (let i = 0; i < 3; i++) {
    jobs.push({
      data: dmsTrials({ repeats: 4, sigmaY: 0.1, rng }),
      w: randomWeights(DMS_SHAPE, rng, 0.25),
    });
  }
  // A second shape in the same call: the engine groups jobs by shape and data size.
  jobs.push({ data: randomSet(RL_SHAPE, rng, 3, 20), w: randomWeights(RL_SHAPE, rng, 0.3) });
  return jobs;
}

gpuTest("webgpu: loss, gradient and forward trajectories match the float64 kernels", async () => {
  const eng = await engine();
  assert.equal(eng.name, "webgpu");
  assert.equal(eng.precision, "float32");
  const jobs = population();
  const got = await eng.lossAndGrad(jobs);
  const fw = await eng.forward(jobs);
  jobs.forEach((job, i) => {
    const g = new Float64Array(paramLayout(job.data.shape).size);
    const E = lossAndGrad(job.data.shape, job.w, job.data, g);
    assertRel(got[i].loss, E, 2e-6, `loss of job ${i}`);
    assertCloseToScale(got[i].grad, g, 1e-5, `gradient of job ${i}`);
    const ref = forward(job.data.shape, job.w, job.data);
    assertCloseToScale(fw[i].x, ref.x, 3e-6, `x of job ${i}`);
    assertCloseToScale(fw[i].y, ref.y, 3e-6, `y of job ${i}`);
  });
});

gpuTest("webgpu: exact Hessian-vector products match the float64 R-operator", async () => {
  const { GpuRunner } = await import("../core/engine/webgpu/gpu_runner.ts");
  const tf = await import("@tensorflow/tfjs");
  await engine(); // initialises the backend
  const runner = new GpuRunner((tf.backend() as unknown as { device: GPUDevice }).device);
  const rng = new Rng(4);
  const data = [
    dmsTrials({ repeats: 2, sigmaY: 0.1, rng }),
    dmsTrials({ repeats: 2, sigmaY: 0.1, rng }),
  ];
  const K = paramLayout(DMS_SHAPE).size;
  // Networks as initialised for training (spec 2); large random A makes H v badly conditioned.
  const ws = [initWeights(DMS_SHAPE, DMS_INIT, rng), initWeights(DMS_SHAPE, DMS_INIT, rng)];
  const vs = [randomWeights(DMS_SHAPE, rng, 1), randomWeights(DMS_SHAPE, rng, 1)];
  const up = runner.upload(data);
  // Networks dispatched in the opposite order to their data slots.
  const r = await runner.evaluate(up, Float32Array.from([...ws[1], ...ws[0]]), {
    slots: Uint32Array.from([1, 0]),
    v: Float32Array.from([...vs[1], ...vs[0]]),
  });
  [1, 0].forEach((slot, n) => {
    const ref = modelEval(DMS_SHAPE, data[slot], { w: ws[slot], v: vs[slot], round: (x) => x });
    assertCloseToScale(r.hv!.subarray(n * K, (n + 1) * K), ref.hv!, 1e-4, `H v of network ${n}`);
    assertCloseToScale(
      r.grad.subarray(n * K, (n + 1) * K),
      ref.grad,
      1e-5,
      `gradient of network ${n}`,
    );
    assertRel(r.loss[n], ref.loss, 2e-6, `loss of network ${n}`);
  });
  // Loss change of a tiny step by difference propagation (what SCG's comparison uses).
  const dws = vs.map((v) => v.map((x) => x * 1e-7));
  const d = await runner.lossDiff(up, Float32Array.from([...ws[1], ...ws[0]]), {
    slots: Uint32Array.from([1, 0]),
    dw: Float32Array.from([...dws[1], ...dws[0]]),
  });
  [1, 0].forEach((slot, n) => {
    const ref = modelLossDiff(DMS_SHAPE, data[slot], {
      w: ws[slot],
      dw: dws[slot],
      round: (x) => x,
    });
    assertRel(d[n], ref, 1e-4, `loss change of network ${n}`);
  });
  runner.destroy();
});

gpuTest("webgpu: one SCG call and a short pruning sweep agree with the CPU engine", async () => {
  const eng = await engine();
  const cpu = new CpuEngine({ workers: 0 });
  try {
    const data = dmsTrials();
    const w0 = specWeights(DMS_SHAPE, 0.5);
    const opts = { stopRule: "dms" as const, kMax: 20, sigmaY: 0.1 };
    // Spec 12.2: 20 SCG steps from the test weights.
    const [g] = await eng.scg([{ data, w: w0, mask: null }], opts);
    assertRel(g.startLoss, 7.77872628544, 2e-6, "start loss");
    // Float32 gradients, float64 SCG scalars, the spec's finite-difference curvature.
    assertRel(g.endLoss, 0.03470560305, 1e-2, "loss after 20 steps vs the spec's float64 value");
    assert.equal(g.steps, 20);
    assert.equal(g.failure, undefined);
    // Cumulative pruning 0.3 -> 0.6 with 10 masked steps per level, both engines.
    let wg = g.w;
    let wc = (await cpu.scg([{ data, w: w0, mask: null }], opts))[0].w;
    const sweep = { ...opts, kMax: 10 };
    for (const level of [0.3, 0.6]) {
      const pg = magnitudePrune(DMS_SHAPE, wg, level);
      const pc = magnitudePrune(DMS_SHAPE, wc, level);
      const jobsG: ScgJob[] = [{ data, w: pg.w, mask: pg.mask }];
      const [rg] = await eng.scg(jobsG, sweep);
      const [rc] = await cpu.scg([{ data, w: pc.w, mask: pc.mask }], sweep);
      assertRel(rg.endLoss, rc.endLoss, 2e-2, `loss after retraining at level ${level}`);
      const L = paramLayout(DMS_SHAPE);
      let zeros = 0;
      for (let k = L.a; k < L.c; k++) {
        if (pg.mask[k] === 0) {
          assert.equal(rg.w[k], 0, `pruned weight ${k} stays exactly 0 at level ${level}`);
          zeros++;
        }
      }
      assert.equal(zeros, Math.round(level * 900), `zeros at level ${level}`);
      wg = rg.w;
      wc = rc.w;
    }
  } finally {
    await cpu.close();
  }
});

gpuTest("webgpu: close", async () => {
  if (shared) await shared.close();
  shared = null;
});

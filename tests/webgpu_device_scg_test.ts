/**
 * SCG with its state on the GPU (`core/engine/webgpu/device_scg.ts`) against the host-side SCG
 * driver on the same float32 kernels, on whatever adapter this machine has (llvmpipe on the
 * CPU-only CI); skipped with a notice when there is none.
 *
 * Float32 SCG is chaotic over long horizons (host and device scalars round differently), so the
 * end-to-end checks use regimes where it is not: the spec 12.2 vector over 20 steps (within 1e-2
 * of the float64 value, same bookkeeping) and networks started next to a teacher network's weights,
 * where the DMS stopping rule and the step-size failure must fire at the same step with the same
 * evaluation counts. The update kernel's branches (accept with the Polak-Ribiere direction, reject
 * into the masked emergency step) are checked exactly on crafted state.
 */
import assert from "node:assert/strict";
import { DMS_SHAPE } from "../core/rnn/network.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { probeWebGpu } from "../core/engine/select.ts";
import {
  type Engine,
  newStopFlag,
  type ScgJob,
  type ScgOptions,
  type ScgResult,
  ScgStoppedError,
} from "../core/engine/engine.ts";
import {
  MAX_SUBMIT_STEPS,
  nextSubmitSteps,
  SUBMIT_SECONDS,
} from "../core/engine/webgpu/device_scg.ts";
import { Rng } from "../core/util/rng.ts";
import { CpuF32Engine } from "../core/engine/cpu_f32/cpu_f32_engine.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import {
  assertRel,
  assertSameBits,
  randomSet,
  randomWeights,
  sameBookkeeping,
  teacherJobs,
} from "./fixtures/helpers.ts";

const probe = Deno.env.get("PRUNELAB_NO_WEBGPU") ? null : await probeWebGpu();
if (!probe) console.log("NOTICE: no WebGPU adapter on this machine; device SCG tests skipped");
const gpuTest = (name: string, fn: () => Promise<void>): void =>
  Deno.test({ name, ignore: !probe, sanitizeOps: false, sanitizeResources: false, fn });

let engines: { device: Engine; host: Engine } | null = null;
async function both(): Promise<{ device: Engine; host: Engine }> {
  if (!engines) {
    const { createWebGpuEngine } = await import("../core/engine/webgpu/webgpu_engine.ts");
    engines = {
      device: await createWebGpuEngine(),
      host: await createWebGpuEngine({ scgState: "host" }),
    };
  }
  return engines;
}

const SMALL = Object.freeze({ n: 5, ni: 3, no: 2, outputBias: true });
const nearTeacher = (eps: readonly number[], seed: number): ScgJob[] =>
  teacherJobs(SMALL, eps, { seed });

gpuTest(
  "device SCG: this adapter keeps double-float sums exact, so the engine uses it",
  async () => {
    const { device, host } = await both();
    assert.match(device.description, /SCG state on the device/);
    assert.match(host.description, /SCG scalars float64 on the host/);
    // Caches of trained networks are keyed by arithmetic: the two drivers must not share them.
    assert.equal(device.arithmetic, "webgpu-f32-scgdev");
    assert.equal(host.arithmetic, "webgpu-f32");
  },
);

gpuTest("device SCG: spec 12.2 (20 steps) as the host driver, within 1e-2 of float64", async () => {
  const { device, host } = await both();
  const job = { data: dmsTrials(), w: specWeights(DMS_SHAPE, 0.5), mask: null };
  const opts: ScgOptions = { stopRule: "dms", kMax: 20, sigmaY: 0.1 };
  const [d] = await device.scg([job], opts);
  const [h] = await host.scg([job], opts);
  assertRel(d.startLoss, 7.77872628544, 2e-6, "start loss");
  assertRel(d.endLoss, 0.03470560305, 1e-2, "loss after 20 steps vs the spec's float64 value");
  sameBookkeeping(d, h, "spec 12.2");
  assert.equal(d.steps, 20);
  assert.equal(d.gradEvals, 41);
});

gpuTest(
  "device SCG: DMS stopping rule and step-size failure fire as on the host and the twin",
  async () => {
    const { device, host } = await both();
    // Next to the teacher every step is accepted, so the 16-entry history (kMax 20) is flushed of
    // its 0.01 entries after 16 steps and the rule fires at step 16; 1e-3 away it does not.
    const jobs = nearTeacher([0, 1e-5, 1e-4, 1e-3], 5);
    const dms: ScgOptions = { stopRule: "dms", kMax: 20 };
    const rd = await device.scg(jobs, dms);
    const rh = await host.scg(jobs, dms);
    // The CPU twin of device SCG (its kernels match bit for bit: tests/scg_twin_test.ts) decides
    // the same. (Not in the failure case below: whether a sub-resolution probe gives exactly
    // g' = g there depends on the last bit of tanh, which differs between the GPU and the twin.)
    const twin = new CpuF32Engine({ workers: 0 });
    const rt = await twin.scg(jobs, dms);
    rd.forEach((r, i) => sameBookkeeping(r, rh[i], `DMS rule, network ${i}`));
    rd.forEach((r, i) => sameBookkeeping(rt[i], r, `DMS rule, twin vs device, network ${i}`));
    assert.deepEqual(rd.map((r) => [r.converged, r.steps]), [
      [true, 16],
      [true, 16],
      [true, 16],
      [false, 20],
    ]);
    rd.forEach((r, i) => {
      assert.ok(Math.abs(r.endLoss - rh[i].endLoss) <= 1e-3 * rh[i].startLoss, `end loss ${i}`);
    });
    // A negative initial lambda with a probe below float32 resolution makes delta exactly 0 at
    // step 2 for three of them: both drivers stop with the same failure.
    const bad: ScgOptions = { stopRule: "none", kMax: 60, lambda0: -10, sigma0: 1e-9 };
    const fd = await device.scg(jobs, bad);
    const fh = await host.scg(jobs, bad);
    fd.forEach((r, i) => sameBookkeeping(r, fh[i], `failure case, network ${i}`));
    assert.equal(fd.filter((r) => r.failure === "SCG step size is not finite at step 2").length, 3);
  },
);

/** Random networks on random data; network i has every `every`-th weight from i pruned. */
function maskedRandomJobs(rng: Rng, count: number, every: number): ScgJob[] {
  return Array.from({ length: count }, (_, i) => {
    const data = randomSet(SMALL, rng, 4, 10);
    const w = randomWeights(SMALL, rng, 0.3);
    const mask = new Uint8Array(w.length).fill(1);
    for (let k = i; k < w.length; k += every) {
      mask[k] = 0;
      w[k] = 0;
    }
    return { data, w, mask };
  });
}

gpuTest(
  "device SCG: masks hold exactly, and shrinking the dispatch changes no result",
  async () => {
    const { createWebGpuEngine } = await import("../core/engine/webgpu/webgpu_engine.ts");
    // Three networks converge at step 16, two random ones go on: with checkEvery 4 the dispatches
    // shrink to the two, with checkEvery 1000 they never do. Per-network arithmetic is the same.
    const jobs = [...nearTeacher([0, 1e-5, 1e-4], 7), ...maskedRandomJobs(new Rng(9), 2, 3)];
    const opts: ScgOptions = { stopRule: "dms", kMax: 40 };
    const often = await createWebGpuEngine({ checkEvery: 4 });
    const never = await createWebGpuEngine({ checkEvery: 1000 });
    try {
      const a = await often.scg(jobs, opts);
      const b = await never.scg(jobs, opts);
      assert.deepEqual(a.map((r) => r.converged), [true, true, true, false, false]);
      a.forEach((r, i) => {
        sameBookkeeping(r, b[i], `network ${i}`);
        assert.deepEqual(r.w, b[i].w, `weights of network ${i}`);
        assert.equal(r.endLoss, b[i].endLoss);
        const m = jobs[i].mask;
        if (m) {
          for (let k = 0; k < m.length; k++) {
            if (m[k] === 0) assert.equal(r.w[k], 0, `pruned weight ${k} of network ${i}`);
          }
          assert.ok(r.endLoss < r.startLoss, `network ${i} trained`);
        }
      });
    } finally {
      await often.close();
      await never.close();
    }
  },
);

/** Two results of one SCG call are the same to the bit (weights, losses, bookkeeping). */
function sameResult(a: ScgResult, b: ScgResult, what: string): void {
  sameBookkeeping(a, b, what);
  assertSameBits(a.w, b.w, `${what}: weights`);
  assertSameBits(Float64Array.of(a.startLoss, a.endLoss), Float64Array.of(b.startLoss, b.endLoss));
}

Deno.test("device SCG pacing: steps per submit fit the target time, 1 to 25", () => {
  assert.equal(nextSubmitSteps(1, 0.001), MAX_SUBMIT_STEPS);
  assert.equal(nextSubmitSteps(1, 0), MAX_SUBMIT_STEPS, "a submit too short to time");
  assert.equal(nextSubmitSteps(10, 10 * SUBMIT_SECONDS), 1, "slower than the target: one step");
  assert.equal(nextSubmitSteps(1, 2), 1, "a step longer than the target: still one");
  assert.equal(nextSubmitSteps(4, 4 * SUBMIT_SECONDS / 10), 10);
  assert.equal(nextSubmitSteps(25, 25 * SUBMIT_SECONDS / 7.5), 7, "rounded down");
});

gpuTest(
  "device SCG: 1, 25 or time-paced steps per submit give the same bits",
  async () => {
    const { createWebGpuEngine } = await import("../core/engine/webgpu/webgpu_engine.ts");
    // Converging (step 32), still training (masked, random) and failing (step 2) networks, under
    // the DMS and RL stopping rules: each submit size shrinks the dispatches at other steps.
    const jobs = [...nearTeacher([0, 1e-5, 1e-3], 3), ...maskedRandomJobs(new Rng(11), 2, 4)];
    const calls: [string, ScgOptions][] = [
      ["dms", { stopRule: "dms", kMax: 40 }],
      ["rl", { stopRule: "rl", kMax: 30 }],
      ["failure", { stopRule: "none", kMax: 30, lambda0: -10, sigma0: 1e-9 }],
    ];
    const one = await createWebGpuEngine({ checkEvery: 1 });
    const many = await createWebGpuEngine({ checkEvery: 25 });
    const paced = await createWebGpuEngine();
    try {
      for (const [name, opts] of calls) {
        const a = await many.scg(jobs, opts);
        const b = await one.scg(jobs, opts);
        const c = await paced.scg(jobs, opts);
        a.forEach((r, i) => {
          sameResult(b[i], r, `${name}, 1 vs 25 steps per submit, network ${i}`);
          sameResult(c[i], r, `${name}, paced vs 25 steps per submit, network ${i}`);
        });
        if (name === "dms") {
          // The rule fires at step 32 (history of 32 entries at kMax 40) for the two near the teacher.
          assert.deepEqual(a.map((r) => [r.converged, r.steps]).slice(0, 2), [[true, 32], [
            true,
            32,
          ]]);
        }
        if (name === "failure") assert.ok(a.some((r) => r.failure !== undefined), "a failure");
      }
      // A stop flag set before the call is seen after the first submit; the engine stays usable.
      const stop = newStopFlag();
      Atomics.store(stop, 0, 1);
      await assert.rejects(paced.scg(jobs, { ...calls[0][1], stop }), ScgStoppedError);
      const again = await paced.scg(jobs, calls[0][1]);
      const ref = await many.scg(jobs, calls[0][1]);
      again.forEach((r, i) => sameResult(r, ref[i], `after a stop, network ${i}`));
    } finally {
      await one.close();
      await many.close();
      await paced.close();
    }
  },
);

/** Runs the update kernel once on crafted state of one network; returns state and vectors. */
async function runUpdate(
  state: Record<string, number>,
  vectors: { hi: number[]; g: number[]; p: number[]; r: number[]; mask: number[] },
  trial: { grad: number[]; dsse: number },
): Promise<{ st: Float32Array; vec: Float32Array; done: number }> {
  const W = await import("../core/engine/f32_layout.ts");
  const { runScgKernel } = await import("../tools/verify/twin_check.ts");
  const { GpuRunner } = await import("../core/engine/webgpu/gpu_runner.ts");
  const tf = await import("@tensorflow/tfjs");
  await both(); // initialises the webgpu backend
  const runner = new GpuRunner((tf.backend() as unknown as { device: GPUDevice }).device);
  const K = vectors.hi.length;
  const c = {
    k: K,
    s: 1,
    sNo: 1,
    scale: 0.5,
    h: 4,
    sigma0: 5e-5,
    lambda0: 5e-7,
    fallbackStep: 1e-3,
    sigmaY: 0.1,
    stopRule: "dms" as const,
    stallLimit: 50,
  };
  const st = new Float32Array(W.stateStride(c.h));
  for (const [key, v] of Object.entries(state)) st[W.ST[key as keyof typeof W.ST]] = v;
  const vec = new Float32Array(W.VEC_COUNT * K);
  for (const [key, v] of Object.entries(vectors)) {
    vec.set(v, W.VEC[key as keyof typeof W.VEC] * K);
  }
  try {
    return await runScgKernel(runner, "update", {
      c,
      input: { st, vec, gred: Float32Array.from(trial.grad), dpart: Float32Array.of(trial.dsse) },
    });
  } finally {
    runner.destroy();
  }
}

gpuTest(
  "device SCG update kernel: accept and reject/emergency branches follow spec 5.3",
  async () => {
    const { ST, VEC } = await import("../core/engine/f32_layout.ts");
    const vectors = {
      hi: [0.5, -0.25, 1, 2],
      // r = -g is not masked (as in the code); p is, so entry 3 tells the two apart.
      g: [0.1, -0.2, 0.3, -0.4],
      p: [-0.1, 0.2, -0.3, 0],
      r: [-0.1, 0.2, -0.3, 0.4],
      mask: [1, 1, 1, 0],
    };
    const base = {
      sseHi: 2,
      lambda: 1,
      delta: 0.5,
      pn2: 0.14,
      mu: 0.14,
      alpha: 0.25,
      failCount: 10,
      hist: 0.01,
    };
    const grad = [0.05, -0.1, 0.2, 0.7];
    // Reject (the trial loss rises) after 10 failures: masked emergency step along r.
    const rej = await runUpdate(base, vectors, { grad, dsse: 0.4 });
    const dLoss = 0.4 * 0.5;
    const bigDelta = -2 * 0.5 * dLoss / (0.14 * 0.14);
    assert.equal(rej.st[ST.success], 0);
    assert.equal(rej.st[ST.emergency], 1);
    assert.equal(rej.st[ST.failCount], 1);
    assert.equal(rej.st[ST.sseHi], 2, "E is not recomputed");
    assertRel(rej.st[ST.lambda], 1 + 0.5 * (1 - bigDelta) / 0.14, 1e-6, "lambda after reject");
    vectors.hi.forEach((w, k) => {
      const p = vectors.r[k] * vectors.mask[k];
      assert.equal(rej.vec[VEC.p * 4 + k], Math.fround(p), `emergency p ${k}`);
      const got = rej.vec[VEC.hi * 4 + k] + rej.vec[VEC.lo * 4 + k];
      assert.ok(Math.abs(got - (w + 1e-3 * p)) < 1e-10, `emergency step of w ${k}`);
      assert.equal(rej.vec[VEC.g * 4 + k], Math.fround(vectors.g[k]), "g kept");
    });
    // Accept (the trial loss falls): w += alpha p, Polak-Ribiere beta, masked p, r = -g_try.
    const acc = await runUpdate({ ...base, failCount: 3 }, vectors, { grad, dsse: -0.4 });
    const mu = 0.14;
    let num = 0;
    grad.forEach((g, k) => num += -g * (-g - vectors.r[k]));
    const beta = num / mu;
    assert.equal(acc.st[ST.success], 1);
    assert.equal(acc.st[ST.failCount], 1);
    assert.equal(acc.st[ST.emergency], 0);
    assertRel(acc.st[ST.sseHi] + acc.st[ST.sseLo], 1.6, 1e-7, "carried SSE");
    assert.equal(acc.st[ST.prevHi], 2);
    // Delta = 2 delta dE / mu^2 = 10.2 > 0.75: lambda / 4, and not < 0.25: no increase.
    assertRel(acc.st[ST.lambda], 0.25, 1e-7, "lambda after a very successful step");
    assertRel(acc.st[ST.hist], 0.2, 1e-7, "history entry = accepted decrease of E");
    assert.equal(acc.st[ST.hPtr], 1);
    assert.equal(acc.done, 0, "mean decrease is far above 1e-8");
    vectors.hi.forEach((w, k) => {
      const got = acc.vec[VEC.hi * 4 + k] + acc.vec[VEC.lo * 4 + k];
      assert.ok(Math.abs(got - (w + 0.25 * vectors.p[k])) < 1e-7, `w ${k}`);
      const p = (-grad[k] + beta * vectors.p[k]) * vectors.mask[k];
      assert.ok(Math.abs(acc.vec[VEC.p * 4 + k] - p) < 1e-6, `p ${k}`);
      assert.equal(acc.vec[VEC.r * 4 + k], Math.fround(-grad[k]), `r ${k}`);
      assert.equal(acc.vec[VEC.g * 4 + k], Math.fround(grad[k]), `g ${k}`);
    });
  },
);

gpuTest("device SCG: close", async () => {
  if (engines) {
    await engines.device.close();
    await engines.host.close();
  }
  engines = null;
});

/**
 * The CPU twin of device SCG (`core/engine/webgpu/scg_twin.ts`): its double-float arithmetic
 * against exact float64 sums, and each of its kernels against the WGSL kernel it transcribes, bit
 * for bit (up to the sign of zeros, which WGSL leaves open), on crafted state of every branch (on this machine's WebGPU adapter, llvmpipe in CI;
 * skipped with a notice when there is none).
 */
import assert from "node:assert/strict";
import { Df, twinInit, twinProbe, twinTrial, twinUpdate } from "../core/engine/webgpu/scg_twin.ts";
import {
  type ScgKernelConstants,
  ST,
  stateStride,
  VEC,
  VEC_COUNT,
} from "../core/engine/webgpu/scg_wgsl.ts";
import { probeWebGpu } from "../core/engine/select.ts";
import { Rng } from "../core/rng.ts";

const f = Math.fround;

Deno.test("twin double-float: sums of float32 values are exact, pairs stay normalised", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 2000; i++) {
    const a = f(rng.normal() * 10 ** Math.floor(8 * rng.uniform() - 4));
    const b = f(rng.normal() * 10 ** Math.floor(8 * rng.uniform() - 4));
    const s = new Df().addF(a).addF(b);
    // Two float32 values sum exactly into 48 bits unless their exponents are far apart.
    if (Math.abs(Math.log2(Math.abs(a / b))) < 20) assert.equal(s.hi + s.lo, a + b);
    assert.equal(f(s.hi + s.lo), s.hi, "normalised: lo is below half an ulp of hi");
  }
  // A long sum keeps ~48 bits: 1e5 terms of 0.1 (float32) against the float64 sum.
  const t = f(0.1);
  const acc = new Df();
  let exact = 0;
  for (let i = 0; i < 100000; i++) {
    acc.addF(t);
    exact += t;
  }
  assert.ok(Math.abs(acc.hi + acc.lo - exact) < exact * 2 ** -44, `${acc.hi + acc.lo} ${exact}`);
  let plain = 0;
  for (let i = 0; i < 100000; i++) plain = f(plain + t);
  assert.ok(Math.abs(plain - exact) > exact * 1e-4, "plain float32 drifts (the reason for pairs)");
  const x = new Df().set(1, f(2 ** -30));
  const y = new Df().set(-1, f(2 ** -40));
  assert.equal(x.add(y).hi, 2 ** -30 + 2 ** -40);
});

const probe = Deno.env.get("PRUNELAB_NO_WEBGPU") ? null : await probeWebGpu();
if (!probe) console.log("NOTICE: no WebGPU adapter on this machine; twin-vs-kernel tests skipped");

/** Kernel constants of the crafted cases: K > 2 workgroups, so strides and the tree are used. */
function consts(stopRule: "dms" | "rl" | "none", extra: Partial<ScgKernelConstants> = {}) {
  return {
    k: 300,
    s: 1,
    sNo: 1,
    scale: 1 / 58,
    h: 8,
    sigma0: 5e-5,
    lambda0: 5e-7,
    fallbackStep: 1e-3,
    sigmaY: 0.1,
    stopRule,
    stallLimit: 50,
    ...extra,
  } satisfies ScgKernelConstants;
}

/** A mid-call state of one network with random vectors (float32 values, normalised pairs). */
function crafted(c: ScgKernelConstants, seed: number): { st: Float32Array; vec: Float32Array } {
  const rng = new Rng(seed);
  const K = c.k;
  const st = new Float32Array(stateStride(c.h));
  const vec = new Float32Array(VEC_COUNT * K);
  for (let k = 0; k < K; k++) {
    const hi = f(0.5 * rng.normal());
    vec[VEC.hi * K + k] = hi;
    vec[VEC.lo * K + k] = f(hi * 2 ** -30 * (rng.uniform() - 0.5));
    const m = rng.uniform() < 0.8 ? 1 : 0;
    vec[VEC.mask * K + k] = m;
    vec[VEC.g * K + k] = 0.01 * rng.normal();
    vec[VEC.r * K + k] = -vec[VEC.g * K + k];
    vec[VEC.p * K + k] = m * 0.01 * rng.normal();
  }
  st[ST.sseHi] = f(1.3);
  st[ST.sseLo] = f(1.3 * 2 ** -31);
  st[ST.prevHi] = f(1.31);
  st[ST.prevLo] = f(-1.31 * 2 ** -32);
  st[ST.sse0Hi] = f(3.7);
  st[ST.lambda] = f(2e-4);
  st[ST.delta] = f(0.021);
  st[ST.sEps] = f(0.0037);
  st[ST.pn2] = f(0.028);
  st[ST.mu] = f(0.0191);
  st[ST.alpha] = f(0.73);
  st[ST.success] = 1;
  st[ST.failCount] = 4;
  st[ST.steps] = 57;
  st[ST.gradEvals] = 113;
  st[ST.hPtr] = 3;
  for (let h = 0; h < c.h; h++) st[ST.hist + h] = f(1e-7 * rng.uniform());
  return { st, vec };
}

function randomGrad(c: ScgKernelConstants, seed: number, around?: Float32Array): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from(
    { length: c.k },
    (_, k) => around ? f(around[k] * (1 + 1e-3 * rng.normal())) : 0.01 * rng.normal(),
  );
}

function sameBits(a: Float32Array, b: Float32Array, what: string, names?: Record<string, number>) {
  assert.equal(a.length, b.length, `${what}: length`);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) {
    // WGSL does not promise the sign of a zero (compilers fold 0 - x to -x): +0 and -0 match.
    if (x[i] !== y[i] && !(a[i] === 0 && b[i] === 0)) {
      const name = names ? Object.entries(names).find(([, v]) => v === i)?.[0] : undefined;
      assert.fail(
        `${what}[${name ?? i}]: twin ${a[i]} (0x${x[i].toString(16)}) vs GPU ${b[i]} (0x${
          y[i].toString(16)
        })`,
      );
    }
  }
}

const gpuTest = (name: string, fn: () => Promise<void>): void =>
  Deno.test({ name, ignore: !probe, sanitizeOps: false, sanitizeResources: false, fn });

async function gpu() {
  const tf = await import("@tensorflow/tfjs");
  await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.getBackend() !== "webgpu") {
    await tf.setBackend("webgpu");
    await tf.ready();
  }
  return (await import("./fixtures/scg_kernel.ts")).runScgKernel;
}

gpuTest("twin init and probe kernels equal the WGSL kernels bit for bit", async () => {
  const run = await gpu();
  const c = consts("dms");
  const { st, vec } = crafted(c, 1);
  const gred = randomGrad(c, 2);
  const lpart = Float32Array.of(f(4.25));
  const g = await run("init", c, { st, vec, gred, lpart });
  const t = { st: st.slice(), vec: vec.slice() };
  twinInit(c, t, { grad: gred, sse: lpart[0] });
  sameBits(t.st, g.st, "init st", ST);
  sameBits(t.vec, g.vec, "init vec");
  for (const success of [1, 0]) {
    const s = crafted(c, 3);
    s.st[ST.success] = success;
    const gp = await run("probe", c, s);
    const tp = { st: s.st.slice(), vec: s.vec.slice() };
    const x = twinProbe(c, tp);
    sameBits(tp.st, gp.st, `probe st (success ${success})`, ST);
    assert.equal(x !== null, gp.slots.probe === 0, "probe point asked for");
    if (x) sameBits(x, gp.wIn, "probe point");
  }
});

gpuTest(
  "twin trial kernel equals the WGSL kernel bit for bit (normal, lambda fix-up, bad alpha)",
  async () => {
    const run = await gpu();
    const c = consts("dms");
    const cases: [string, (s: { st: Float32Array; vec: Float32Array }) => Float32Array][] = [
      ["positive curvature", (s) => randomGrad(c, 5, s.vec.subarray(VEC.g * c.k))],
      ["negative curvature: lambda fix-up", (s) => {
        const g = s.vec.subarray(VEC.g * c.k, (VEC.g + 1) * c.k);
        const p = s.vec.subarray(VEC.p * c.k, (VEC.p + 1) * c.k);
        return Float32Array.from(g, (x, k) => f(x - 3 * p[k]));
      }],
      ["after a failed step: old delta", (s) => {
        s.st[ST.success] = 0;
        return randomGrad(c, 6);
      }],
      ["zero delta: step size not finite", (s) => {
        s.st[ST.lambda] = 0;
        return s.vec.slice(VEC.g * c.k, (VEC.g + 1) * c.k);
      }],
    ];
    for (const [name, grad] of cases) {
      const s = crafted(c, 4);
      const gred = grad(s);
      const gt = await run("trial", c, { ...s, gred });
      const tt = { st: s.st.slice(), vec: s.vec.slice() };
      const trial = twinTrial(c, tt, { probeGrad: gred });
      sameBits(tt.st, gt.st, `trial st (${name})`, ST);
      assert.equal(trial !== null, gt.slots.trial === 0, `${name}: trial asked for`);
      if (trial) {
        sameBits(trial.x, gt.wIn, `trial point (${name})`);
        sameBits(trial.w, gt.wDiff.subarray(0, c.k), `loss-difference base (${name})`);
        sameBits(trial.dw, gt.wDiff.subarray(c.k), `loss-difference step (${name})`);
      } else {
        assert.equal(gt.st[ST.failCode], 2, `${name}: failure code "alpha"`);
      }
    }
  },
);

gpuTest("twin update kernel equals the WGSL kernel bit for bit on every branch", async () => {
  const run = await gpu();
  type Case = [string, ScgKernelConstants, (s: { st: Float32Array }) => number];
  const cases: Case[] = [
    ["accept", consts("dms"), () => f(-0.02)],
    ["accept, converged (DMS)", consts("dms"), (s) => {
      s.st[ST.prevHi] = f(0.0101);
      s.st[ST.sseHi] = f(0.0101);
      s.st[ST.sseLo] = 0;
      s.st[ST.prevLo] = 0;
      s.st.fill(f(1e-10), ST.hist, ST.hist + 8);
      return f(-1e-9);
    }],
    ["reject", consts("dms"), () => f(0.02)],
    ["reject into the emergency step", consts("dms"), (s) => {
      s.st[ST.failCount] = 10;
      return f(0.02);
    }],
    ["stall limit", consts("dms"), (s) => {
      s.st[ST.stall] = 49;
      return 0;
    }],
    ["RL rule, accept", consts("rl"), (s) => {
      s.st[ST.sseHi] = f(0.7);
      s.st[ST.sseLo] = 0;
      s.st[ST.drop] = f(3e-9);
      s.st[ST.steps] = 30;
      return f(-1e-6);
    }],
    ["RL rule, reject", consts("rl"), () => f(0.3)],
    ["no stopping rule, accept", consts("none"), () => f(-0.5)],
  ];
  for (const [name, c, dsseOf] of cases) {
    const s = crafted(c, 8);
    const dsse = dsseOf(s);
    const gred = randomGrad(c, 9, s.vec.subarray(VEC.g * c.k));
    const gu = await run("update", c, { ...s, gred, dpart: Float32Array.of(dsse) });
    const tu = { st: s.st.slice(), vec: s.vec.slice() };
    twinUpdate(c, tu, { trialGrad: gred, dsse });
    sameBits(tu.st, gu.st, `update st (${name})`, ST);
    sameBits(tu.vec, gu.vec, `update vec (${name})`);
    assert.equal(tu.st[ST.done], gu.done, `${name}: done flag`);
  }
  // The branches were reached (the crafted cases are not all one branch).
  const probeCase = (i: number) => {
    const [, c, dsseOf] = cases[i];
    const s = crafted(c, 8);
    const dsse = dsseOf(s);
    const t = { st: s.st, vec: s.vec };
    twinUpdate(c, t, { trialGrad: randomGrad(c, 9, s.vec.subarray(VEC.g * c.k)), dsse });
    return t.st;
  };
  assert.equal(probeCase(0)[ST.success], 1);
  assert.equal(probeCase(1)[ST.converged], 1);
  assert.equal(probeCase(2)[ST.success], 0);
  assert.equal(probeCase(3)[ST.emergency], 1);
  assert.equal(probeCase(4)[ST.failCode], 4);
});

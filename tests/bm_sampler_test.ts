/**
 * The family-A Gibbs kernel and CD-1 draw their uniforms in blocks (Rng.fillU32) and look hidden
 * probabilities up per visible code; both must draw exactly what the plain per-draw loops of
 * spec 3.1 and 4.1 draw. The plain loops are kept here as the references.
 */
import assert from "node:assert/strict";
import { Rng } from "../core/util/rng.ts";
import { initRbm, type Rbm, sigmoid } from "../core/bm/rbm.ts";
import { CpuBmSampler, GIBBS_TABLE_MAX_NV, gibbsSamples, U32_SCALE } from "../core/bm/sampler.ts";
import { WorkerBmSampler } from "../core/bm/worker_sampler.ts";
import { sched, trainCd1 } from "../core/bm/cd1.ts";

function randomRbm(nv: number, nh: number, seed: number): Rbm {
  const rng = new Rng(seed);
  const m = initRbm(nh, rng, {
    pixelRates: Array.from({ length: nv }, () => 0.3 + 0.4 * rng.uniform()),
  });
  for (let k = 0; k < m.w.length; k++) m.w[k] = 1.5 * rng.normal();
  for (let j = 0; j < nh; j++) m.bh[j] = rng.normal();
  return m;
}

/** Spec 4.1 drawn one uniform at a time: Bern(0.5) starts, then v|h and h|v per sweep. */
function referenceGibbs(m: Rbm, n: number, sweeps: number, rng: Rng): { v: number[]; h: number[] } {
  const { nv, nh, w, bv, bh } = m;
  const v: number[] = [];
  const h: number[] = [];
  const draw = (p: number): number => (rng.nextU32() * U32_SCALE < p ? 1 : 0);
  for (let s = 0; s < n; s++) {
    const vs = Array.from({ length: nv }, () => draw(0.5));
    const hs = Array.from({ length: nh }, () => draw(0.5));
    for (let t = 0; t < sweeps; t++) {
      for (let i = 0; i < nv; i++) {
        let a = bv[i];
        for (let j = 0; j < nh; j++) if (hs[j]) a += w[i * nh + j];
        vs[i] = draw(sigmoid(a));
      }
      for (let j = 0; j < nh; j++) {
        let x = bh[j];
        for (let i = 0; i < nv; i++) if (vs[i]) x += w[i * nh + j];
        hs[j] = draw(sigmoid(x));
      }
    }
    v.push(...vs);
    h.push(...hs);
  }
  return { v, h };
}

Deno.test("Rng.fillU32 continues the nextU32 stream value for value", () => {
  const a = new Rng(77);
  const b = new Rng(77);
  const block = new Uint32Array(1000);
  a.fillU32(block.subarray(0, 3));
  a.fillU32(block.subarray(3));
  for (let k = 0; k < 1000; k++) assert.equal(block[k], b.nextU32(), `value ${k}`);
  assert.equal(a.nextU32(), b.nextU32());
});

Deno.test("Gibbs kernel (table and loop paths) draws exactly the per-draw reference", () => {
  for (const [nv, nh] of [[5, 7], [GIBBS_TABLE_MAX_NV + 1, 3]]) {
    const m = randomRbm(nv, nh, nv);
    const ref = referenceGibbs(m, 40, 6, new Rng(11));
    const got = gibbsSamples(m, 40, 6, new Rng(11));
    assert.deepEqual(Array.from(got.v), ref.v, `v, nv=${nv}`);
    assert.deepEqual(Array.from(got.h), ref.h, `h, nv=${nv}`);
  }
});

Deno.test("CD-1 with block draws equals the per-draw reference of spec 3.1", () => {
  const nv = 6;
  const nh = 5;
  const rng = new Rng(4);
  const n = 1500; // more than one block of draws, and a partial last block
  const data = Uint8Array.from({ length: n * nv }, () => (rng.uniform() < 0.4 ? 1 : 0));
  const a = randomRbm(nv, nh, 2);
  a.mask[3] = 0;
  a.w[3] = 0;
  const b = structuredClone(a);
  const opts = { epochs: 2, lr: [0.1, 0.02], momentum: [0.5, 0.9] };
  trainCd1(a, data, new Rng(9), opts);
  // Reference: one nextU32 per draw, scanning every hidden unit for the reconstruction.
  const r = new Rng(9);
  const dW = new Float64Array(nv * nh);
  const dbv = new Float64Array(nv);
  const dbh = new Float64Array(nh);
  for (let e = 1; e <= 2; e++) {
    const lr = sched(opts.lr, e);
    const mu = sched(opts.momentum, e);
    for (let s = 0; s < n; s++) {
      const x = data.subarray(s * nv, (s + 1) * nv);
      const p0 = Array.from({ length: nh }, (_, j) => {
        let t = b.bh[j];
        for (let i = 0; i < nv; i++) if (x[i]) t += b.w[i * nh + j];
        return sigmoid(t);
      });
      const h0 = p0.map((p) => (r.nextU32() * U32_SCALE < p ? 1 : 0));
      const v1 = Array.from({ length: nv }, (_, i) => {
        let t = b.bv[i];
        for (let j = 0; j < nh; j++) if (h0[j]) t += b.w[i * nh + j];
        return r.nextU32() * U32_SCALE < sigmoid(t) ? 1 : 0;
      });
      const p1 = Array.from({ length: nh }, (_, j) => {
        let t = b.bh[j];
        for (let i = 0; i < nv; i++) if (v1[i]) t += b.w[i * nh + j];
        return sigmoid(t);
      });
      for (let i = 0; i < nv; i++) {
        for (let j = 0; j < nh; j++) {
          const k = i * nh + j;
          const g = b.mask[k] ? x[i] * p0[j] - v1[i] * p1[j] : 0;
          dW[k] = lr * (mu * dW[k] + g);
          b.w[k] += dW[k];
        }
        dbv[i] = lr * (mu * dbv[i] + (x[i] - v1[i]));
        b.bv[i] += dbv[i];
      }
      for (let j = 0; j < nh; j++) {
        dbh[j] = lr * (mu * dbh[j] + (p0[j] - p1[j]));
        b.bh[j] += dbh[j];
      }
    }
  }
  assert.deepEqual(Array.from(a.w), Array.from(b.w));
  assert.deepEqual(Array.from(a.bv), Array.from(b.bv));
  assert.deepEqual(Array.from(a.bh), Array.from(b.bh));
  assert.equal(a.w[3], 0);
});

Deno.test("an aborted signal stops Gibbs sampling between chunks, in-thread and on workers", async () => {
  const m = randomRbm(5, 4, 3);
  const controller = new AbortController();
  controller.abort();
  const opts = { n: 9000, sweeps: 5, method: "gibbs" as const, seed: 1, signal: controller.signal };
  await assert.rejects(() => new CpuBmSampler().sample(m, opts), /interrupted/);
  const pool = new WorkerBmSampler(2);
  try {
    await assert.rejects(() => pool.sample(m, opts), /interrupted/);
  } finally {
    pool.close();
  }
});

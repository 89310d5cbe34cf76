import assert from "node:assert/strict";
import { Rng } from "../core/util/rng.ts";
import {
  exactLogProbs,
  freeEnergy,
  initRbm,
  logPartition,
  type Rbm,
  restrictHidden,
} from "../core/bm/rbm.ts";
import { sched, trainCd1 } from "../core/bm/cd1.ts";
import { CpuBmSampler, exactSamples, gibbsSamples } from "../core/bm/sampler.ts";
import { WorkerBmSampler } from "../core/bm/worker_sampler.ts";
import { sampleCodes } from "../core/bm/fisher.ts";

function randomRbm(nv: number, nh: number, seed: number, scale = 1): Rbm {
  const rng = new Rng(seed);
  const m = initRbm(nh, rng, {
    pixelRates: Array.from({ length: nv }, () => 0.3 + 0.4 * rng.uniform()),
  });
  for (let k = 0; k < m.w.length; k++) m.w[k] = scale * rng.normal();
  for (let j = 0; j < nh; j++) m.bh[j] = 0.5 * rng.normal();
  return m;
}

function bruteLogZ(m: Rbm): number {
  let z = 0;
  for (let v = 0; v < 1 << m.nv; v++) {
    for (let h = 0; h < 1 << m.nh; h++) {
      let e = 0;
      for (let i = 0; i < m.nv; i++) if ((v >> i) & 1) e += m.bv[i];
      for (let j = 0; j < m.nh; j++) if ((h >> j) & 1) e += m.bh[j];
      for (let i = 0; i < m.nv; i++) {
        for (let j = 0; j < m.nh; j++) if ((v >> i) & 1 && (h >> j) & 1) e += m.w[i * m.nh + j];
      }
      z += Math.exp(e);
    }
  }
  return Math.log(z);
}

Deno.test("enumerated ln Z equals the brute-force joint sum (nv=4, nh=3 and nv=5, nh=2)", () => {
  for (const [nv, nh] of [[4, 3], [5, 2], [3, 3]]) {
    const m = randomRbm(nv, nh, 7 + nv);
    assert.ok(Math.abs(logPartition(m) - bruteLogZ(m)) < 1e-10);
    const lp = exactLogProbs(m);
    const total = lp.reduce((a, b) => a + Math.exp(b), 0);
    assert.ok(Math.abs(total - 1) < 1e-12);
    const v = [1, 0, 1, 1, 0].slice(0, nv);
    const code = v.reduce((c, b, i) => c | (b << i), 0);
    assert.ok(Math.abs(lp[code] - (-freeEnergy(m, v) - bruteLogZ(m))) < 1e-10);
  }
});

Deno.test("sched reads L[min(e, len-1)]: [0.1, 0.01] gives 0.01 in epochs 1 and 2", () => {
  assert.equal(sched([0.1, 0.01], 1), 0.01);
  assert.equal(sched([0.1, 0.01], 2), 0.01);
  assert.equal(sched([0.9], 1), 0.9);
  assert.equal(sched([0.5, 0.5, 0.5, 0.5, 0.5, 0.9], 4), 0.5);
  assert.equal(sched([0.5, 0.5, 0.5, 0.5, 0.5, 0.9], 5), 0.9);
});

function randomData(n: number, nv: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const d = new Uint8Array(n * nv);
  for (let s = 0; s < n; s++) {
    const on = rng.uniform() < 0.5;
    for (let i = 0; i < nv; i++) d[s * nv + i] = (rng.uniform() < 0.9) === on ? 1 : 0;
  }
  return d;
}

Deno.test("CD-1 keeps pruned weights exactly 0 and is deterministic for a seed", () => {
  const base = randomRbm(6, 5, 3, 0.1);
  const keep = new Uint8Array(30).map((_, k) => (k % 3 === 0 ? 0 : 1));
  const units = [0, 1, 2, 3, 4];
  const a = restrictHidden(base, keep, units);
  const b = restrictHidden(base, keep, units);
  const data = randomData(500, 6, 9);
  const opts = { epochs: 2, lr: [0.1, 0.05], momentum: [0.9] };
  trainCd1(a, data, new Rng(11), opts);
  trainCd1(b, data, new Rng(11), opts);
  for (let k = 0; k < 30; k++) {
    if (!keep[k]) assert.equal(a.w[k], 0);
  }
  assert.deepEqual(a.w, b.w);
  assert.deepEqual(a.bh, b.bh);
  assert.notDeepEqual(a.w, base.w);
  const c = restrictHidden(base, keep, units);
  trainCd1(c, data, new Rng(12), { ...opts, momentumRule: "conventional" });
  for (let k = 0; k < 30; k++) if (!keep[k]) assert.equal(c.w[k], 0);
});

Deno.test("CD-1 training raises the data log-likelihood", () => {
  const m = randomRbm(6, 4, 5, 0.01);
  const data = randomData(2000, 6, 1);
  const ll = (): number => {
    const lp = exactLogProbs(m);
    let s = 0;
    for (let k = 0; k < 2000; k++) {
      let c = 0;
      for (let i = 0; i < 6; i++) c |= data[k * 6 + i] << i;
      s += lp[c];
    }
    return s / 2000;
  };
  const before = ll();
  trainCd1(m, data, new Rng(2), { epochs: 3, lr: [0.05], momentum: [0.5] });
  assert.ok(ll() > before + 0.5, `log-likelihood ${before} -> ${ll()}`);
});

function frequencies(codes: Int32Array, nc: number): Float64Array {
  const f = new Float64Array(nc);
  for (const c of codes) f[c] += 1 / codes.length;
  return f;
}

Deno.test("exact and Gibbs samplers reproduce the exact marginal p(v)", () => {
  const m = randomRbm(4, 3, 21);
  const p = exactLogProbs(m).map(Math.exp);
  const ex = frequencies(sampleCodes(exactSamples(m, 40000, new Rng(1))), 16);
  const gb = frequencies(sampleCodes(gibbsSamples(m, 20000, 30, new Rng(2))), 16);
  for (let c = 0; c < 16; c++) {
    assert.ok(Math.abs(ex[c] - p[c]) < 5 * Math.sqrt(p[c] / 40000) + 1e-3, `exact code ${c}`);
    assert.ok(Math.abs(gb[c] - p[c]) < 5 * Math.sqrt(p[c] / 20000) + 2e-3, `gibbs code ${c}`);
  }
  const a = exactSamples(m, 100, new Rng(5));
  const b = exactSamples(m, 100, new Rng(5));
  assert.deepEqual(a.v, b.v);
  assert.deepEqual(a.h, b.h);
});

Deno.test("worker Gibbs sampler is bit-identical to the in-thread chunked sampler", async () => {
  const m = randomRbm(5, 4, 8);
  const opts = { n: 9000, sweeps: 5, method: "gibbs" as const, seed: 42 };
  const local = await new CpuBmSampler().sample(m, opts);
  const pool = new WorkerBmSampler(2);
  try {
    const par = await pool.sample(m, opts);
    assert.deepEqual(par.v, local.v);
    assert.deepEqual(par.h, local.h);
  } finally {
    pool.close();
  }
});

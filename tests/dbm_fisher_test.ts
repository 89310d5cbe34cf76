/**
 * Layer-wise FI of the DBM (spec 5.5) and the DBM sampler (4.2) against exact enumeration of a
 * tiny 3-3-2 DBM (256 joint states): VAR and HEU from exact samples match the values computed from
 * exact moments within Monte Carlo error, the engine's Gibbs sampler reproduces the exact unit
 * marginals, and the streaming counts are exact on crafted records (masked pairs not counted,
 * no NaN at rates 0 and 1).
 */
import assert from "node:assert/strict";
import { dbmScores, DbmStatistics, meanActivity } from "../core/bm/dbm/fisher.ts";
import { DbmPopulation } from "../core/bm/dbm/population.ts";
import { SlotStreams } from "../core/bm/dbm/streams.ts";
import { CpuDbmKernels } from "../core/engine/cpu/dbm_kernels.ts";
import { Rng } from "../core/util/rng.ts";
import { enumerateDbm, exactMean, tinyDbm } from "./fixtures/dbm.ts";

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

const sizes = { nv: 3, n1: 3, n2: 2 };
const m1 = Uint8Array.from([1, 1, 0, 1, 1, 1, 0, 1, 1]); // a banded v-h1 mask
const model = tinyDbm(sizes, new Rng(31), { scale: 1.2, m1 });
const exact = enumerateDbm(model);
const V = (i: number): number => i;
const H1 = (j: number): number => sizes.nv + j;
const H2 = (k: number): number => sizes.nv + sizes.n1 + k;

/** Exact VAR (population variance of the binary product) and HEU of both layers. */
function exactScores(): { var1: number[]; heu1: number[]; var2: number[]; heu2: number[] } {
  const mean = (k: number): number => exactMean(exact, (b) => b(k));
  const pair = (a: number, c: number): number => exactMean(exact, (b) => b(a) * b(c));
  const var1: number[] = [];
  const heu1: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const on = m1[i * 3 + j];
      const m = pair(V(i), H1(j));
      var1.push(on ? m * (1 - m) : 0);
      const q = mean(H1(j)) * sig(logit(mean(V(i))) + model.w1[i * 3 + j] * (1 - mean(H1(j))));
      heu1.push(on ? q * (1 - q) : 0);
    }
  }
  const var2: number[] = [];
  const heu2: number[] = [];
  for (let j = 0; j < 3; j++) {
    for (let k = 0; k < 2; k++) {
      const m = pair(H1(j), H2(k));
      var2.push(m * (1 - m));
      const q = mean(H2(k)) * sig(logit(mean(H1(j))) + model.w2[j * 2 + k] * (1 - mean(H2(k))));
      heu2.push(q * (1 - q));
    }
  }
  return { var1, heu1, var2, heu2 };
}

/** n exact joint samples as one record. */
function exactRecord(
  n: number,
  rng: Rng,
): { count: number; v: Uint8Array; h1: Uint8Array; h2: Uint8Array } {
  const cdf = new Float64Array(exact.p.length);
  let acc = 0;
  exact.p.forEach((p, c) => (cdf[c] = acc += p));
  const v = new Uint8Array(n * 3);
  const h1 = new Uint8Array(n * 3);
  const h2 = new Uint8Array(n * 2);
  for (let s = 0; s < n; s++) {
    const u = rng.uniform() * acc;
    let c = 0;
    while (cdf[c] <= u) c++;
    for (let i = 0; i < 3; i++) v[s * 3 + i] = (c >>> V(i)) & 1;
    for (let j = 0; j < 3; j++) h1[s * 3 + j] = (c >>> H1(j)) & 1;
    for (let k = 0; k < 2; k++) h2[s * 2 + k] = (c >>> H2(k)) & 1;
  }
  return { count: n, v, h1, h2 };
}

Deno.test("VAR and HEU from exact samples match exact enumeration of a 3-3-2 DBM (spec 5.5)", () => {
  const N = 200000;
  const stats = new DbmStatistics(model);
  const rng = new Rng(1);
  for (let r = 0; r < 4; r++) stats.add(exactRecord(N / 4, rng));
  const got = dbmScores(model, stats.moments());
  const want = exactScores();
  // VAR = N/(N-1) m (1 - m); its Monte Carlo sd is about |1 - 2m| sqrt(m (1 - m) / N) <= 0.0012.
  const tol = 0.006;
  for (const key of ["var1", "heu1", "var2", "heu2"] as const) {
    want[key].forEach((w, q) => {
      assert.ok(Math.abs(got[key][q] - w) < tol, `${key}[${q}]: ${got[key][q]} vs exact ${w}`);
    });
  }
  for (let q = 0; q < 9; q++) if (!m1[q]) assert.equal(got.var1[q], 0);
});

Deno.test("the engine's DBM sampler reproduces the exact marginals of a 3-3-2 DBM (spec 4.2)", async () => {
  const k = new CpuDbmKernels();
  const pop = new DbmPopulation(k, [model], { particles: 4, streams: SlotStreams.fromSeeds([8]) });
  pop.initParticlesFromData({ n: 2, width: 3, bits: Uint8Array.from([1, 0, 1, 0, 1, 0]) });
  const stats = new DbmStatistics(model);
  let records = 0;
  await pop.sample({
    chains: 4000,
    sweeps: 30,
    samples: 40000,
    onRecord: (r) => {
      records++;
      stats.add(r);
    },
  });
  pop.free();
  assert.equal(records, 10);
  assert.equal(stats.n, 40000);
  const mom = stats.moments();
  const check = (got: Float64Array, unit: (q: number) => number, what: string): void => {
    got.forEach((g, q) => {
      const e = exactMean(exact, (b) => b(unit(q)));
      // 40,000 samples from 4,000 chains: allow 0.015 (about 5 standard errors).
      assert.ok(Math.abs(g - e) < 0.015, `${what}[${q}]: ${g} vs exact ${e}`);
    });
  };
  check(mom.layer1.vMean, V, "v");
  check(mom.layer1.hMean, H1, "h1");
  check(mom.layer2.hMean, H2, "h2");
  const e12 = exactMean(exact, (b) => b(H1(0)) * b(H2(1)));
  assert.ok(Math.abs(mom.layer2.vhMean[0 * 2 + 1] - e12) < 0.015, "pair (h1_0, h2_1)");
});

Deno.test("streaming counts are exact on crafted records; rates 0 and 1 give finite scores", () => {
  const m = tinyDbm({ nv: 2, n1: 2, n2: 2 }, new Rng(2));
  m.m1[1 * 2 + 0] = 0; // pair (v1, h1_0) does not exist
  m.w1[1 * 2 + 0] = 0;
  m.m2[0 * 2 + 1] = 0; // pair (h1_0, h2_1) does not exist
  const stats = new DbmStatistics(m);
  // Four samples; v0 always on, h2_1 never on.
  stats.add({
    count: 4,
    v: Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0]),
    h1: Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1]),
    h2: Uint8Array.from([1, 0, 1, 0, 0, 0, 1, 0]),
  });
  const mom = stats.moments();
  assert.deepEqual(Array.from(mom.layer1.vMean), [1, 0.5]);
  assert.deepEqual(Array.from(mom.layer1.hMean), [0.75, 0.75]);
  assert.deepEqual(Array.from(mom.layer2.hMean), [0.75, 0]);
  assert.deepEqual(Array.from(mom.layer1.vhMean), [0.75, 0.75, 0, 0.5]);
  assert.deepEqual(Array.from(mom.layer2.vhMean), [0.75, 0, 0.5, 0]);
  const s = dbmScores(m, mom);
  for (const a of [s.var1, s.heu1, s.var2, s.heu2]) {
    for (const x of a) assert.ok(Number.isFinite(x));
  }
  assert.equal(s.heu2[0 * 2 + 1], 0); // masked
  assert.equal(s.heu2[1 * 2 + 1], 0); // <h2_1> = 0 gives 0
  assert.equal(s.var1[1 * 2 + 0], 0); // masked
  assert.ok(Math.abs(s.var1[0] - (4 / 3) * 0.75 * 0.25) < 1e-15);
  const act = meanActivity(mom);
  assert.equal(act.h2, 0.375);
});

/**
 * The DBM kernel primitives (core/engine/dbm.ts) of every engine against float64 references:
 * ragged and broadcast slots, transposes, masks, binary operands, the momentum rules with column
 * max-norm (spec 11.8), sigmoid, and Bernoulli draws identical to the documented hash stream.
 * The WebGPU engine runs the same suite on whatever adapter exists (llvmpipe on CI) and is
 * compared with the CPU engine on whole training updates and sampler sweeps.
 *
 * Float32 tolerances: products 2e-5 absolute + 2e-5 relative (sums of <= 30 float32 terms of size
 * <= 1); sigmoid 1e-6; momentum steps 1e-6.
 */
import assert from "node:assert/strict";
import { bernoulliUniform, type DbmKernels, type DbmTensor } from "../core/engine/dbm.ts";
import { CpuDbmKernels } from "../core/engine/cpu/dbm_kernels.ts";
import { probeWebGpu } from "../core/engine/select.ts";
import { Rng } from "../core/util/rng.ts";
import { assertClose, type Mat, randomMat, refLinear } from "./fixtures/dbm.ts";

const probe = Deno.env.get("PRUNELAB_NO_WEBGPU") ? null : await probeWebGpu();
if (!probe) {
  console.log("NOTICE: no WebGPU adapter on this machine; WebGPU DBM kernel tests skipped");
}

type Factory = () => Promise<DbmKernels>;

const engines: { name: string; make: Factory; ignore: boolean }[] = [
  { name: "cpu", make: () => Promise.resolve(new CpuDbmKernels()), ignore: false },
  {
    name: "webgpu",
    make: async () => {
      const mod = await import("../core/engine/webgpu/dbm_kernels.ts");
      return await mod.createWebGpuDbmKernels();
    },
    ignore: !probe,
  },
];

function upload(k: DbmKernels, mats: Mat[]): DbmTensor {
  const t = k.alloc({
    slots: mats.length,
    rows: mats.map((m) => m.rows),
    cols: mats.map((m) => m.cols),
  });
  mats.forEach((m, p) => k.write(t, { slot: p, data: m.v }));
  return t;
}

function vec(m: Mat): Float64Array {
  return m.v;
}

for (const eng of engines) {
  const test = (name: string, fn: (k: DbmKernels) => Promise<void>): void =>
    Deno.test({
      name: `dbm kernels (${eng.name}): ${name}`,
      ignore: eng.ignore,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const k = await eng.make();
        try {
          await fn(k);
        } finally {
          await k.close();
        }
      },
    });

  test("linear: ragged slots, broadcast x, transpose, scale, bias, accumulate, binary zeros", async (k) => {
    const rng = new Rng(11);
    // Slot 0: 3 x 5 times 5 x 4; slot 1: 3 x 5 times 5 x 2 (ragged outputs), x broadcast.
    const x = randomMat({ rows: 3, cols: 5 }, rng, { binary: 0.5 });
    x.v[2] = 0.25; // one non-binary entry
    const w0 = randomMat({ rows: 5, cols: 4 }, rng);
    const w1 = randomMat({ rows: 5, cols: 2 }, rng);
    w0.v.fill(0, 0, 4); // an all-zero row (empty extent)
    w0.v[5 * 4 - 1] = 0; // a trailing zero
    const b0 = Float64Array.from(randomMat({ rows: 1, cols: 4 }, rng).v);
    const b1 = Float64Array.from(randomMat({ rows: 1, cols: 2 }, rng).v);
    const tx = upload(k, [x]);
    const tw = upload(k, [w0, w1]);
    const tb = upload(k, [{ rows: 1, cols: 4, v: b0 }, { rows: 1, cols: 2, v: b1 }]);
    const out = k.alloc({ slots: 2, rows: 3, cols: [4, 2] });
    k.linear(out, tx, { w: tw, bias: tb, scale: 2, biasScale: 0.5 });
    const e0 = refLinear(x, w0, { scale: 2, bias: b0, biasScale: 0.5 });
    const e1 = refLinear(x, w1, { scale: 2, bias: b1, biasScale: 0.5 });
    assertClose(await k.read(out, 0), vec(e0), { abs: 2e-5, rel: 2e-5, what: "slot 0" });
    assertClose(await k.read(out, 1), vec(e1), { abs: 2e-5, rel: 2e-5, what: "slot 1" });
    // Transposed and accumulated: out += y W' with y 3 x 4 / 3 x 2 per slot.
    const y0 = randomMat({ rows: 3, cols: 4 }, rng, { binary: 0.3 });
    const y1 = randomMat({ rows: 3, cols: 2 }, rng);
    const ty = upload(k, [y0, y1]);
    const out2 = k.alloc({ slots: 2, rows: 3, cols: 5 });
    k.fill(out2, 0.5);
    k.linear(out2, ty, { w: tw, transpose: true, accumulate: true });
    const half = { rows: 3, cols: 5, v: new Float64Array(15).fill(0.5) };
    assertClose(
      await k.read(out2, 0),
      vec(refLinear(y0, w0, { transpose: true, add: half })),
      { abs: 2e-5, rel: 2e-5, what: "transposed slot 0" },
    );
    assertClose(
      await k.read(out2, 1),
      vec(refLinear(y1, w1, { transpose: true, add: half })),
      { abs: 2e-5, rel: 2e-5, what: "transposed slot 1" },
    );
    // The transpose cache must notice a weight change.
    const w0b = randomMat({ rows: 5, cols: 4 }, rng);
    k.write(tw, { slot: 0, data: w0b.v });
    k.linear(out2, ty, { w: tw, transpose: true });
    assertClose(
      await k.read(out2, 0),
      vec(refLinear(y0, w0b, { transpose: true })),
      { abs: 2e-5, rel: 2e-5, what: "after a weight change" },
    );
    assert.throws(() => k.linear(out, ty, { w: tw }), /linear/);
  });

  test("products with W' give the same bits read in place (one row) and via the transposed copy", async (k) => {
    // A banded 40 x 30 layer (like the receptive fields) and a dense 30 x 40 one; x one row,
    // binary-sparse or dense. The first products read W in place; repeated use of one weight
    // version switches to the cached transposed copy (CPU), which must not change a bit.
    const rng = new Rng(21);
    for (const banded of [true, false]) {
      const n = banded ? 40 : 30;
      const m = banded ? 30 : 40;
      const w = randomMat({ rows: m, cols: n }, rng);
      if (banded) {
        for (let j = 0; j < m; j++) {
          for (let i = 0; i < n; i++) if (Math.abs(i - j) > 4) w.v[j * n + i] = 0;
        }
      }
      for (const binary of [0.3, undefined]) {
        const x = randomMat({ rows: 1, cols: n }, rng, { binary });
        const tw = upload(k, [w]);
        const tx = upload(k, [x]);
        const out = k.alloc({ slots: 1, rows: 1, cols: m });
        const results: Float32Array[] = [];
        for (let rep = 0; rep < 16; rep++) {
          k.linear(out, tx, { w: tw, transpose: true, scale: 1.5 });
          results.push(await k.read(out, 0));
        }
        assertClose(results[0], vec(refLinear(x, w, { transpose: true, scale: 1.5 })), {
          abs: 2e-5,
          rel: 2e-5,
          what: `banded ${banded}, binary ${binary}`,
        });
        for (const r of results) assert.deepEqual(Array.from(r), Array.from(results[0]));
        for (const t of [tw, tx, out]) k.free(t);
      }
    }
  });

  test("sigmoid and Bernoulli draws follow the documented hash stream", async (k) => {
    const rng = new Rng(5);
    const pre = randomMat({ rows: 4, cols: 7 }, rng, { scale: 12 });
    pre.v[0] = 100;
    pre.v[1] = -100;
    pre.v[2] = 0;
    const t = upload(k, [pre, randomMat({ rows: 2, cols: 3 }, rng, { scale: 3 })]);
    const s = k.alloc({ slots: 2, rows: [4, 2], cols: [7, 3] });
    k.sigmoid(s, t);
    const got = await k.read(s, 0);
    const want = pre.v.map((x) => 1 / (1 + Math.exp(-x)));
    assertClose(got, want, { abs: 1e-6, rel: 1e-6, what: "sigmoid" });
    assert.equal(got[0], 1);
    assert.ok(got[1] >= 0 && got[1] < 1e-30);
    assert.equal(got[2], 0.5);
    const keys = new Uint32Array([0x12345678, 0x9abcdef0, 77, 0xffffffff]);
    const b = k.alloc({ slots: 2, rows: [4, 2], cols: [7, 3] });
    k.bernoulli(b, s, { keys: keys });
    for (let p = 0; p < 2; p++) {
      const probs = await k.read(s, p);
      const draws = await k.read(b, p);
      const cols = p === 0 ? 7 : 3;
      for (let q = 0; q < probs.length; q++) {
        const u = bernoulliUniform(q, [keys[2 * p], keys[2 * p + 1]]);
        assert.equal(draws[q], u < probs[q] ? 1 : 0, `slot ${p} element ${q} (cols ${cols})`);
      }
    }
    // Frequencies: p = 0.3 over 20,000 draws.
    const many = k.alloc({ slots: 1, rows: 100, cols: 200 });
    k.fill(many, 0.3);
    k.bernoulli(many, many, { keys: new Uint32Array([3, 4]) });
    const d = await k.read(many, 0);
    const mean = d.reduce((a, x) => a + x, 0) / d.length;
    assert.ok(Math.abs(mean - 0.3) < 4 * Math.sqrt(0.21 / d.length), `mean ${mean}`);
  });

  test("outer products with beta, masks, broadcast and sparse binary rows; column sums", async (k) => {
    const rng = new Rng(8);
    const a = randomMat({ rows: 6, cols: 4 }, rng, { binary: 0.5 });
    const b0 = randomMat({ rows: 6, cols: 5 }, rng, { binary: 0.1 });
    const b1 = randomMat({ rows: 6, cols: 3 }, rng);
    const g0 = randomMat({ rows: 4, cols: 5 }, rng);
    const g1 = randomMat({ rows: 4, cols: 3 }, rng);
    const mask0 = randomMat({ rows: 4, cols: 5 }, rng, { binary: 0.6 });
    const mask1 = { rows: 4, cols: 3, v: new Float64Array(12).fill(1) };
    const ta = upload(k, [a]);
    const tb = upload(k, [b0, b1]);
    const tg = upload(k, [g0, g1]);
    const tm = upload(k, [mask0, mask1]);
    k.outer(tg, ta, { b: tb, alpha: -0.5, beta: 0.5, mask: tm });
    const ref = (g: Mat, b: Mat, mask: Mat): Float64Array => {
      const out = new Float64Array(g.rows * g.cols);
      for (let i = 0; i < g.rows; i++) {
        for (let j = 0; j < g.cols; j++) {
          let s = 0;
          for (let r = 0; r < a.rows; r++) s += a.v[r * a.cols + i] * b.v[r * b.cols + j];
          const q = i * g.cols + j;
          out[q] = mask.v[q] ? 0.5 * g.v[q] - 0.5 * s : 0;
        }
      }
      return out;
    };
    assertClose(await k.read(tg, 0), ref(g0, b0, mask0), {
      abs: 2e-5,
      rel: 2e-5,
      what: "outer slot 0",
    });
    assertClose(await k.read(tg, 1), ref(g1, b1, mask1), {
      abs: 2e-5,
      rel: 2e-5,
      what: "outer slot 1",
    });
    const cs = k.alloc({ slots: 2, rows: 1, cols: [5, 3] });
    k.fill(cs, 1);
    k.colSum(cs, tb, { alpha: 2, beta: -1 });
    for (const [p, b] of [[0, b0], [1, b1]] as const) {
      const want = Array.from({ length: b.cols }, (_, j) => {
        let s = 0;
        for (let r = 0; r < b.rows; r++) s += b.v[r * b.cols + j];
        return 2 * s - 1;
      });
      assertClose(await k.read(cs, p), want, { abs: 2e-5, rel: 2e-5, what: `colSum slot ${p}` });
    }
  });

  test("momentum steps: code and conventional rules, masks stay 0, column max-norm <= 6", async (k) => {
    const rng = new Rng(9);
    const n = 5;
    const m = 4;
    const w = randomMat({ rows: n, cols: m }, rng, { scale: 4 });
    const mask = randomMat({ rows: n, cols: m }, rng, { binary: 0.7 });
    for (let q = 0; q < w.v.length; q++) if (!mask.v[q]) w.v[q] = 0;
    const d = randomMat({ rows: n, cols: m }, rng, { scale: 0.5 });
    const g = randomMat({ rows: n, cols: m }, rng, { scale: 30 });
    for (const rule of ["code", "conventional"] as const) {
      const tw = upload(k, [w]);
      const td = upload(k, [d]);
      const tg = upload(k, [g]);
      const tm = upload(k, [mask]);
      const lr = 0.3;
      const mu = 0.9;
      k.momentumStep(tw, tg, { buffer: td, lr, momentum: mu, rule, mask: tm, maxNorm: 6 });
      const dn = d.v.map((x, q) => {
        const gm = mask.v[q] ? g.v[q] : 0;
        return rule === "code" ? lr * (mu * x + gm) : mu * x + lr * gm;
      });
      const t = w.v.map((x, q) => x + dn[q]);
      const want = new Float64Array(n * m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += t[i * m + j] ** 2;
        const nj = Math.sqrt(s);
        const f = Math.min(nj, 6) / Math.max(nj, 1e-8);
        for (let i = 0; i < n; i++) want[i * m + j] = mask.v[i * m + j] ? t[i * m + j] * f : 0;
      }
      const got = await k.read(tw, 0);
      assertClose(got, want, { abs: 1e-5, rel: 1e-5, what: `w (${rule})` });
      assertClose(await k.read(td, 0), dn, { abs: 1e-5, rel: 1e-5, what: `d (${rule})` });
      for (let q = 0; q < got.length; q++) if (!mask.v[q]) assert.equal(got[q], 0);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += got[i * m + j] ** 2;
        assert.ok(Math.sqrt(s) <= 6 + 1e-5, `column ${j} norm ${Math.sqrt(s)}`);
      }
    }
    // Biases: no mask, no norm.
    const tb = upload(k, [{ rows: 1, cols: 3, v: new Float64Array([1, 2, 3]) }]);
    const tbd = k.alloc({ slots: 1, rows: 1, cols: 3 });
    const tbg = upload(k, [{ rows: 1, cols: 3, v: new Float64Array([10, -10, 0]) }]);
    k.momentumStep(tb, tbg, { buffer: tbd, lr: 0.1, momentum: 0.5 });
    assertClose(await k.read(tb, 0), [2, 1, 3], { abs: 1e-6, what: "bias step" });
  });

  test("copy (rows, broadcast, slot filter), resize, fill, maxAbsDiff", async (k) => {
    const rng = new Rng(3);
    const src = upload(k, [randomMat({ rows: 2, cols: 3 }, rng)]);
    const dst = k.alloc({ slots: 2, rows: 5, cols: 3 });
    k.copy(dst, src, { dstRow: 3 });
    k.copy(dst, src, { srcRow: 1, dstRow: 0, rows: 1, only: new Uint8Array([0, 1]) });
    const s = await k.read(src, 0);
    const d0 = await k.read(dst, 0);
    const d1 = await k.read(dst, 1);
    assert.deepEqual(Array.from(d0.subarray(9, 15)), Array.from(s));
    assert.deepEqual(Array.from(d1.subarray(9, 15)), Array.from(s));
    assert.deepEqual(Array.from(d0.subarray(0, 3)), [0, 0, 0]);
    assert.deepEqual(Array.from(d1.subarray(0, 3)), Array.from(s.subarray(3, 6)));
    const other = k.alloc({ slots: 2, rows: 5, cols: 3 });
    k.copy(other, dst);
    k.write(other, { slot: 1, data: new Float32Array(15).fill(2) });
    const diff = await k.maxAbsDiff(dst, other);
    assert.equal(diff[0], 0);
    assert.ok(diff[1] > 0);
    k.resize(other, { slot: 0, rows: 2, cols: 2 });
    k.write(other, { slot: 0, data: [1, 2, 3, 4] });
    assert.deepEqual(Array.from(await k.read(other, 0)), [1, 2, 3, 4]);
    assert.throws(() => k.resize(other, { slot: 0, rows: 6, cols: 1 }), /resize/);
    assert.throws(() => k.write(other, { slot: 0, data: [1, 2, 3] }), /write/);
  });
}

Deno.test({
  name:
    "dbm kernels: WebGPU and CPU agree on a training update and on sampler sweeps of a ragged population",
  ignore: !probe,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { DbmPopulation } = await import("../core/bm/dbm/population.ts");
    const { SlotStreams } = await import("../core/bm/dbm/streams.ts");
    const { tinyDbm } = await import("./fixtures/dbm.ts");
    const rng = new Rng(17);
    const models = [
      tinyDbm({ nv: 16, n1: 12, n2: 9 }, rng, { scale: 0.6 }),
      tinyDbm({ nv: 16, n1: 7, n2: 4 }, rng, { scale: 0.6 }),
    ];
    const bits = Uint8Array.from({ length: 20 * 16 }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const data = { n: 20, width: 16, bits };
    const results: { w1: Float32Array[]; w2: Float32Array[]; v: Uint8Array[] }[] = [];
    for (const eng of engines) {
      const k = await eng.make();
      try {
        const pop = new DbmPopulation(k, models, {
          particles: 4,
          streams: SlotStreams.fromSeeds([1, 2]),
        });
        pop.initParticlesFromData(data);
        await pop.train(data, {
          schedule: { epochs: 1, batch: 5, lr: [0, 0.01], momentum: [0, 0.5] },
          meanField: { maxIterations: 5, tolerance: 1e-7 },
          maxNorm: 6,
        });
        const trained = await pop.models();
        const v: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
        await pop.sample({
          chains: 64,
          sweeps: 3,
          samples: 64,
          onRecord: (r) => (v[r.slot] = r.v.slice()),
        });
        pop.free();
        results.push({ w1: trained.map((m) => m.w1), w2: trained.map((m) => m.w2), v });
      } finally {
        await k.close();
      }
    }
    const [cpu, gpu] = results;
    for (let p = 0; p < 2; p++) {
      assertClose(gpu.w1[p], cpu.w1[p], { abs: 2e-5, what: `W1 slot ${p}` });
      assertClose(gpu.w2[p], cpu.w2[p], { abs: 2e-5, what: `W2 slot ${p}` });
      let differ = 0;
      cpu.v[p].forEach((b, q) => (differ += b === gpu.v[p][q] ? 0 : 1));
      // Identical hash streams: only a float32 rounding difference at u ~ p could flip a draw.
      assert.ok(differ <= 2, `slot ${p}: ${differ} of ${cpu.v[p].length} sampled pixels differ`);
    }
  },
});

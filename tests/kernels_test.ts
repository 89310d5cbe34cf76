/**
 * Float64 reference kernels: the spec 12.2 DMS test vector, a central finite-difference gradient
 * check for both shapes (with and without pruned entries), and forward/loss consistency.
 */
import assert from "node:assert/strict";
import { DMS_SHAPE, paramLayout, RL_SHAPE, type RnnShape } from "../core/rnn/network.ts";
import {
  forward,
  loss,
  lossAndGrad,
  sequenceOutputs,
  sequenceTrajectory,
} from "../core/rnn/kernels.ts";
import { dmsTrials } from "../core/dms/task.ts";
import {
  forwardWasm,
  lossAndGradWasm,
  wasmKernelsAvailable,
} from "../core/engine/cpu/wasm_kernels.ts";
import { Rng } from "../core/util/rng.ts";
import type { SequenceSet } from "../core/engine/engine.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import { assertRel, norm, randomSet, randomWeights } from "./fixtures/helpers.ts";

Deno.test("spec 12.2 weights: check entries", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const L = paramLayout(DMS_SHAPE);
  assert.equal(w[L.b], 0.09442719099991592);
  assert.equal(w[L.a], 0.5912136431868475);
  assert.equal(w[L.a + 1], -0.13796596356316967);
  assert.equal(w[L.c], 0.14880919083170738);
});

Deno.test("spec 12.2 DMS vector: loss, gradient norms and entries", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const L = paramLayout(DMS_SHAPE);
  const data = dmsTrials();
  assert.equal(data.s, 4);
  const g = new Float64Array(L.size);
  const E = lossAndGrad(DMS_SHAPE, w, data, g);
  assertRel(E, 7.77872628544, 1e-10, "loss");
  assertRel(loss(DMS_SHAPE, w, data), 7.77872628544, 1e-10, "loss()");
  assertRel(norm(g.subarray(L.b, L.a)), 23.6604936, 1e-8, "|dE/dB|");
  assertRel(norm(g.subarray(L.a, L.c)), 79.56605352, 1e-9, "|dE/dA|");
  assertRel(norm(g.subarray(L.c, L.size)), 19.8465826, 1e-8, "|dE/dC|");
  const n = DMS_SHAPE.n;
  // 1-based (i, j) of the spec -> column-major offsets.
  assertRel(g[L.a + 0 + n * 0], -3.466421081, 1e-9, "dE/dA(1,1)");
  assertRel(g[L.a + 5 + n * 7], 0.06056429124, 1e-9, "dE/dA(6,8)");
  assertRel(g[L.b + 2 + n * 1], 0.003054794738, 1e-9, "dE/dB(3,2)");
  assertRel(g[L.c + 0 + DMS_SHAPE.no * 3], 1.330476054, 1e-9, "dE/dC(1,4)");
});

Deno.test("spec 12.2 DMS vector: y(52) of conditions 1-4 and x_1(20) of condition 4", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const data = dmsTrials();
  const fwd = forward(DMS_SHAPE, w, data);
  const expected = [2.510658633, 2.461531547, 2.46154231, 2.510653166];
  for (let q = 0; q < 4; q++) {
    assertRel(fwd.y[51 * data.s + q], expected[q], 1e-9, `y(52) condition ${q + 1}`);
    const out = sequenceOutputs(fwd, DMS_SHAPE, data, q);
    assert.equal(out[51], fwd.y[51 * data.s + q]);
  }
  assertRel(fwd.x[(19 * DMS_SHAPE.n + 0) * data.s + 3], -0.460168538, 1e-9, "x_1(20)");
  const traj = sequenceTrajectory(fwd, DMS_SHAPE, data, 3);
  assert.equal(traj.length, data.t * DMS_SHAPE.n);
  assert.equal(traj[19 * DMS_SHAPE.n], fwd.x[(19 * DMS_SHAPE.n) * data.s + 3]);
});

/** Central differences over every parameter; compares with the analytic gradient. */
function finiteDifferenceCheck(shape: RnnShape, w: Float64Array, data: SequenceSet): void {
  const K = w.length;
  const g = new Float64Array(K);
  lossAndGrad(shape, w, data, g);
  const h = 1e-5;
  const wp = Float64Array.from(w);
  let maxErr = 0;
  let worst = -1;
  const scale = Math.max(...Array.from(g, Math.abs));
  for (let k = 0; k < K; k++) {
    wp[k] = w[k] + h;
    const ep = loss(shape, wp, data);
    wp[k] = w[k] - h;
    const em = loss(shape, wp, data);
    wp[k] = w[k];
    const fd = (ep - em) / (2 * h);
    const err = Math.abs(fd - g[k]);
    if (err > maxErr) {
      maxErr = err;
      worst = k;
    }
  }
  assert.ok(
    maxErr <= 1e-7 * scale,
    `finite-difference mismatch ${maxErr} at parameter ${worst} (max |g| ${scale})`,
  );
}

Deno.test("finite-difference gradient check: DMS shape, random weights and data", () => {
  const rng = new Rng(7);
  const w = randomWeights(DMS_SHAPE, rng, 0.3);
  finiteDifferenceCheck(DMS_SHAPE, w, randomSet(DMS_SHAPE, rng, 5, 9));
});

Deno.test("finite-difference gradient check: DMS shape with pruned entries of A", () => {
  // The gradient of pruned (zero) entries must still be exact: SCG's r is unmasked.
  const rng = new Rng(8);
  const w = randomWeights(DMS_SHAPE, rng, 0.4);
  const L = paramLayout(DMS_SHAPE);
  for (let m = L.a; m < L.c; m += 3) w[m] = 0;
  finiteDifferenceCheck(DMS_SHAPE, w, randomSet(DMS_SHAPE, rng, 3, 8));
});

Deno.test("finite-difference gradient check: RL shape with output bias, odd S", () => {
  const rng = new Rng(9);
  const w = randomWeights(RL_SHAPE, rng, 0.3);
  finiteDifferenceCheck(RL_SHAPE, w, randomSet(RL_SHAPE, rng, 7, 8));
});

Deno.test("finite-difference gradient check: odd network size (fallback loops)", () => {
  const shape: RnnShape = { n: 7, ni: 3, no: 2, outputBias: true };
  const rng = new Rng(10);
  finiteDifferenceCheck(shape, randomWeights(shape, rng, 0.5), randomSet(shape, rng, 6, 11));
});

Deno.test("forward and loss agree; lossAndGrad returns the same loss", () => {
  for (const shape of [DMS_SHAPE, RL_SHAPE]) {
    const rng = new Rng(11);
    const w = randomWeights(shape, rng, 0.3);
    const data = randomSet(shape, rng, 6, 13);
    const fwd = forward(shape, w, data);
    assert.equal(fwd.x.length, data.t * shape.n * data.s);
    assert.equal(fwd.y.length, data.t * shape.no * data.s);
    let sse = 0;
    for (let m = 0; m < fwd.y.length; m++) sse += (fwd.y[m] - data.targets[m]) ** 2;
    const E = loss(shape, w, data);
    assertRel(E, sse / (data.s * data.t), 1e-13, "loss vs forward");
    const g = new Float64Array(w.length);
    assert.equal(lossAndGrad(shape, w, data, g), E);
    // x(1) = B u(1): no recurrent input at the first step.
    const L = paramLayout(shape);
    for (let i = 0; i < shape.n; i++) {
      let x = 0;
      for (let c = 0; c < shape.ni; c++) x += w[L.b + i + shape.n * c] * data.inputs[c * data.s];
      assertRel(fwd.x[i * data.s], x, 1e-13, `x_${i + 1}(1)`);
    }
  }
});

Deno.test("sequences are independent: one sequence alone gives the same outputs", () => {
  const rng = new Rng(12);
  const w = randomWeights(DMS_SHAPE, rng, 0.3);
  const data = randomSet(DMS_SHAPE, rng, 5, 10);
  const all = forward(DMS_SHAPE, w, data);
  const q = 3;
  const one: SequenceSet = {
    shape: DMS_SHAPE,
    s: 1,
    t: data.t,
    inputs: Float64Array.from(
      { length: data.t * DMS_SHAPE.ni },
      (_, m) => data.inputs[m * data.s + q],
    ),
    targets: Float64Array.from({ length: data.t }, (_, m) => data.targets[m * data.s + q]),
  };
  const single = forward(DMS_SHAPE, w, one);
  const a = sequenceOutputs(all, DMS_SHAPE, data, q);
  const b = sequenceOutputs(single, DMS_SHAPE, one, 0);
  for (let k = 0; k < data.t; k++) assertRel(b[k], a[k], 1e-14, `y(${k + 1})`);
});

const WASM = wasmKernelsAvailable();

Deno.test({
  name: "wasm kernels: spec 12.2 vector (loss, gradient norms, y(52), x_1(20))",
  ignore: !WASM,
  fn: () => {
    const w = specWeights(DMS_SHAPE, 0.5);
    const L = paramLayout(DMS_SHAPE);
    const data = dmsTrials();
    const g = new Float64Array(L.size);
    assertRel(lossAndGradWasm(DMS_SHAPE, w, data, g), 7.77872628544, 1e-10, "loss");
    assertRel(norm(g.subarray(L.b, L.a)), 23.6604936, 1e-8, "|dE/dB|");
    assertRel(norm(g.subarray(L.a, L.c)), 79.56605352, 1e-9, "|dE/dA|");
    assertRel(norm(g.subarray(L.c, L.size)), 19.8465826, 1e-8, "|dE/dC|");
    assertRel(g[L.a + 5 + 30 * 7], 0.06056429124, 1e-9, "dE/dA(6,8)");
    assertRel(g[L.b + 2 + 30 * 1], 0.003054794738, 1e-9, "dE/dB(3,2)");
    const fwd = forwardWasm(DMS_SHAPE, w, data);
    assertRel(fwd.y[51 * 4 + 0], 2.510658633, 1e-9, "y(52) condition 1");
    assertRel(fwd.x[(19 * 30) * 4 + 3], -0.460168538, 1e-9, "x_1(20) condition 4");
  },
});

Deno.test({
  name: "wasm kernels agree with the TypeScript reference on random shapes and sizes",
  ignore: !WASM,
  fn: () => {
    const shapes: RnnShape[] = [DMS_SHAPE, RL_SHAPE, { n: 7, ni: 3, no: 2, outputBias: true }];
    const rng = new Rng(13);
    for (const shape of shapes) {
      for (const s of [1, 3, 5, 16]) {
        const w = randomWeights(shape, rng, 0.4);
        const L = paramLayout(shape);
        for (let m = L.a; m < L.c; m += 4) w[m] = 0; // pruned entries
        const data = randomSet(shape, rng, s, 9);
        const gj = new Float64Array(w.length);
        const gw = new Float64Array(w.length);
        const ej = lossAndGrad(shape, w, data, gj);
        const ew = lossAndGradWasm(shape, w, data, gw);
        assertRel(ew, ej, 1e-13, `loss n=${shape.n} s=${s}`);
        const scale = Math.max(...Array.from(gj, Math.abs));
        for (let k = 0; k < w.length; k++) {
          assert.ok(Math.abs(gw[k] - gj[k]) <= 1e-12 * scale, `grad ${k} n=${shape.n} s=${s}`);
        }
        const fj = forward(shape, w, data);
        const fw = forwardWasm(shape, w, data);
        for (let m = 0; m < fj.y.length; m++) assertRel(fw.y[m] + 10, fj.y[m] + 10, 1e-13, "y");
        for (let m = 0; m < fj.x.length; m++) assertRel(fw.x[m] + 10, fj.x[m] + 10, 1e-13, "x");
      }
    }
  },
});

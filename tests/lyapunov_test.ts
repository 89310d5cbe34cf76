/**
 * Lyapunov exponents (spec 8.1): the spec 12.2 vectors in both product orders, the spectrum
 * window, a diagonal-A analytic case, the product order on a hand-made 2 x 2 case, and the
 * missing value of a singular product.
 */
import assert from "node:assert/strict";
import { DMS_SHAPE, paramLayout, type RnnShape } from "../core/rnn/network.ts";
import { forward, sequenceTrajectory } from "../core/rnn/kernels.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { jacobianProduct, lyapunovSpectrum, maxLyapunov } from "../core/rnn/lyapunov.ts";
import { DMS_LE_WINDOW } from "../core/dms/analysis.ts";
import { Rng } from "../core/util/rng.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import { assertRel } from "./fixtures/helpers.ts";

function specTrajectory(): { w: Float64Array; traj: Float64Array } {
  const w = specWeights(DMS_SHAPE, 0.5);
  const data = dmsTrials();
  const fwd = forward(DMS_SHAPE, w, data);
  return { w, traj: sequenceTrajectory(fwd, DMS_SHAPE, data, 3) };
}

Deno.test("spec 12.2 LE: condition 4, window 16..36, divisor 40, both orders", () => {
  const { w, traj } = specTrajectory();
  assert.deepEqual({ ...DMS_LE_WINDOW }, { kOn: 16, kOff: 36 });
  const code = maxLyapunov(DMS_SHAPE, w, traj, { ...DMS_LE_WINDOW, order: "code" });
  const chrono = maxLyapunov(DMS_SHAPE, w, traj, { ...DMS_LE_WINDOW, order: "chronological" });
  assertRel(code!, -0.2694301456, 1e-9, "code order");
  assertRel(chrono!, -0.2618092027, 1e-9, "chronological order");
  // "code" is the default order.
  assert.equal(maxLyapunov(DMS_SHAPE, w, traj, DMS_LE_WINDOW), code);
});

Deno.test("spec 12.2 LE spectrum: window 15..40, divisor 50, three largest", () => {
  const { w, traj } = specTrajectory();
  const spec = lyapunovSpectrum(DMS_SHAPE, w, traj, { kOn: 15, kOff: 40 });
  assert.equal(spec.length, 30);
  for (let i = 1; i < spec.length; i++) assert.ok(spec[i] >= spec[i - 1], "ascending");
  const top = spec.slice(-3).reverse();
  assertRel(top[0], -0.29339845, 1e-7, "LE 1");
  assertRel(top[1], -0.30426402, 1e-7, "LE 2");
  assertRel(top[2], -0.55996365, 1e-7, "LE 3");
});

Deno.test("diagonal A: exponents are ln|a_i prod_k (1 - tanh^2 x_i(k))| / divisor", () => {
  const shape: RnnShape = { n: 5, ni: 2, no: 1, outputBias: false };
  const L = paramLayout(shape);
  const rng = new Rng(4);
  const w = new Float64Array(L.size);
  const a = [0.9, -1.3, 0.4, 2.0, -0.7];
  for (let i = 0; i < 5; i++) w[L.a + i + 5 * i] = a[i];
  const T = 12;
  const traj = Float64Array.from({ length: T * 5 }, () => rng.normal());
  const kOn = 3;
  const kOff = 9;
  const expected = a.map((ai, i) => {
    let s = 0;
    for (let k = kOn; k <= kOff; k++) {
      const t = Math.tanh(traj[(k - 1) * 5 + i]);
      s += Math.log(Math.abs(ai * (1 - t * t)));
    }
    return s / (kOff - kOn);
  }).sort((x, y) => x - y);
  for (const order of ["code", "chronological"] as const) {
    const got = lyapunovSpectrum(shape, w, traj, { kOn, kOff, order });
    for (let i = 0; i < 5; i++) assertRel(got[i], expected[i], 1e-11, `${order} LE ${i}`);
  }
  const custom = lyapunovSpectrum(shape, w, traj, { kOn, kOff, divisor: 2 });
  assertRel(custom[4], expected[4] * (kOff - kOn) / 2, 1e-11, "custom divisor");
});

Deno.test("product order: code = J(kOn) J(kOn+1), chronological = J(kOn+1) J(kOn)", () => {
  const shape: RnnShape = { n: 2, ni: 1, no: 1, outputBias: false };
  const L = paramLayout(shape);
  const w = new Float64Array(L.size);
  // A = [[1, 2], [3, 4]] column-major.
  w.set([1, 3, 2, 4], L.a);
  const traj = new Float64Array([0.3, -0.2, 1.1, 0.5]);
  const d = Array.from(traj, (x) => 1 - Math.tanh(x) ** 2);
  const J = (k: number): number[][] => [
    [1 * d[2 * k], 2 * d[2 * k + 1]],
    [3 * d[2 * k], 4 * d[2 * k + 1]],
  ];
  const mul = (x: number[][], y: number[][]): number[][] =>
    x.map((row) => [0, 1].map((j) => row[0] * y[0][j] + row[1] * y[1][j]));
  const code = jacobianProduct(shape, w, traj, { kOn: 1, kOff: 2, order: "code" });
  const chrono = jacobianProduct(shape, w, traj, { kOn: 1, kOff: 2, order: "chronological" });
  const ec = mul(J(0), J(1));
  const eh = mul(J(1), J(0));
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      assertRel(code.get(i, j), ec[i][j], 1e-14, `code P(${i},${j})`);
      assertRel(chrono.get(i, j), eh[i][j], 1e-14, `chronological P(${i},${j})`);
    }
  }
});

Deno.test("maxLyapunov: a singular product (A = 0) is missing (null), not -Infinity", () => {
  const w = new Float64Array(paramLayout(DMS_SHAPE).size);
  const traj = new Float64Array(58 * 30);
  assert.equal(maxLyapunov(DMS_SHAPE, w, traj, DMS_LE_WINDOW), null);
});

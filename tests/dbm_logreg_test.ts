/**
 * The multinomial logistic regression (spec 7.2.1) and the generative statistics (7.2.2): the
 * objective's gradient against central finite differences, the optimum's stationarity, a separable
 * toy problem, and quality / entropy on known class distributions (spec 11.9).
 */
import assert from "node:assert/strict";
import {
  accuracy,
  type Features,
  fitLogReg,
  logRegObjective,
  predictProba,
} from "../core/bm/dbm/logreg.ts";
import { ClassTally, entropy } from "../core/bm/dbm/metrics.ts";
import { Rng } from "../core/util/rng.ts";

function toy(n: number, rng: Rng): { x: Features; y: Uint8Array } {
  // Three classes around three centres in 4 dimensions; zero centre entries stay exactly 0 (the
  // sparse path), so the classes are separable.
  const d = 4;
  const centres = [[2, 0, 0, 1], [0, 2, 0, 0], [0, 0, 2, -1]];
  const values = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const c = r % 3;
    y[r] = c;
    for (let j = 0; j < d; j++) {
      values[r * d + j] = centres[c][j] === 0 ? 0 : centres[c][j] + 0.3 * rng.normal();
    }
  }
  return { x: { n, d, values }, y };
}

Deno.test("logreg: objective gradient matches central finite differences", () => {
  const rng = new Rng(1);
  const { x, y } = toy(30, rng);
  const model = {
    k: 3,
    d: 4,
    w: Float64Array.from({ length: 12 }, () => rng.normal()),
    b: Float64Array.from({ length: 3 }, () => rng.normal()),
  };
  const c = 0.7;
  const g = logRegObjective(x, y, { model, c });
  const h = 1e-6;
  const fd = (set: (delta: number) => void): number => {
    set(h);
    const up = logRegObjective(x, y, { model, c }).value;
    set(-2 * h);
    const dn = logRegObjective(x, y, { model, c }).value;
    set(h);
    return (up - dn) / (2 * h);
  };
  for (let q = 0; q < 12; q++) {
    const num = fd((dlt) => (model.w[q] += dlt));
    assert.ok(Math.abs(num - g.gradW[q]) < 1e-5 * Math.max(1, Math.abs(num)), `dJ/dw[${q}]`);
  }
  for (let q = 0; q < 3; q++) {
    const num = fd((dlt) => (model.b[q] += dlt));
    assert.ok(Math.abs(num - g.gradB[q]) < 1e-5 * Math.max(1, Math.abs(num)), `dJ/db[${q}]`);
  }
});

Deno.test("logreg: L-BFGS reaches a stationary point and separates a separable toy problem", async () => {
  const rng = new Rng(2);
  const { x, y } = toy(300, rng);
  const fit = await fitLogReg(x, y, { c: 10, classes: 3, tolerance: 1e-10, maxIterations: 2000 });
  assert.ok(fit.converged);
  const g = logRegObjective(x, y, { model: fit.model, c: 10 });
  const gmax = Math.max(...g.gradW.map(Math.abs), ...g.gradB.map(Math.abs));
  assert.ok(gmax < 1e-3, `gradient at the optimum ${gmax}`);
  assert.ok(accuracy(predictProba(fit.model, x), y) >= 0.99);
  // Stronger regularisation gives smaller weights (the intercept is not penalised).
  const strong = await fitLogReg(x, y, { c: 0.01, classes: 3 });
  const norm = (w: Float64Array): number => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  assert.ok(norm(strong.model.w) < norm(fit.model.w));
  await assert.rejects(fitLogReg(x, y, { c: 1, classes: 2 }), /label 2/);
});

Deno.test("entropy and quality on known class distributions (spec 7.2.2, 11.9)", () => {
  assert.ok(Math.abs(entropy(new Array(10).fill(7)) - Math.log(10)) < 1e-15);
  assert.equal(entropy([0, 5, 0]), 0);
  assert.ok(Math.abs(entropy([1, 1, 2]) - (2 * 0.25 * Math.log(4) + 0.5 * Math.log(2))) < 1e-15);
  const t = new ClassTally(3);
  // Two samples of class 0 with pmax 0.9 and 0.5, one of class 2 with pmax 0.6.
  t.add([0.9, 0.05, 0.05, 0.5, 0.3, 0.2]);
  t.add([0.1, 0.3, 0.6]);
  const r = t.result();
  assert.deepEqual(r.classCounts, [2, 0, 1]);
  assert.ok(Math.abs(r.quality - (0.9 + 0.5 + 0.6) / 3) < 1e-15);
  assert.ok(Math.abs(r.qualityPerClass - ((0.9 + 0.5) / 2 + 0.6) / 2) < 1e-15);
  assert.ok(Math.abs(r.entropy - entropy([2, 0, 1])) < 1e-15);
});

Deno.test("logreg: an abort sent while a fit runs on the main thread is seen between iterations", async () => {
  // bm-fig3's reference classifier is a fit of about 7 s on the main thread; Ctrl-C reaches the
  // main thread as an event, which a synchronous fit never let it handle (2.4 and 4.3 s measured).
  const rng = new Rng(5);
  const { x, y } = toy(3000, rng);
  // 300 features: the toy's 4, repeated, plus noise, so that one fit takes many iterations.
  const d = 300;
  const values = new Float64Array(x.n * d);
  for (let q = 0; q < values.length; q++) {
    values[q] = x.values[Math.floor(q / d) * x.d + (q % d) % x.d] + rng.normal();
  }
  const wide: Features = { n: x.n, d, values };

  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("interrupted by SIGINT")), 20);
  await assert.rejects(
    fitLogReg(wide, y, {
      c: 1,
      classes: 3,
      tolerance: 0,
      maxIterations: 5000,
      signal: controller.signal,
    }),
    /interrupted by SIGINT/,
  );
});

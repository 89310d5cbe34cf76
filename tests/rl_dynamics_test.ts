import assert from "node:assert/strict";
import { Matrix, solve } from "ml-matrix";
import { Rng } from "../core/util/rng.ts";
import type { Block } from "../core/rl/block.ts";
import { blockMahalanobis, statePca } from "../core/rl/dynamics.ts";
import { covariance, singularValues, symmetricEigen } from "../core/util/linalg.ts";

function blockWithStates(x: Float64Array): Block {
  const z = new Int8Array(60);
  return {
    number: 1,
    inputs: new Float64Array(600),
    targets: new Float64Array(240),
    q: new Float64Array(240),
    y: new Float64Array(240),
    x,
    choices: z,
    modelChoices: z,
    rewards: z,
    states: z,
    explored: new Uint8Array(60),
  };
}

Deno.test("Jacobi eigen-decomposition: A v = lambda v, eigenvalues descending", () => {
  const rng = new Rng(2);
  const n = 7;
  const g = Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = g[i * n + j] + g[j * n + i];
  }
  const { values, vectors } = symmetricEigen(a, n);
  for (let j = 0; j < n; j++) {
    if (j > 0) assert.ok(values[j] <= values[j - 1]);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * vectors[k * n + j];
      assert.ok(Math.abs(av - values[j] * vectors[i * n + j]) < 1e-10);
    }
  }
  assert.deepEqual(
    Array.from(singularValues([3, 0, 0, 0, -5, 0, 0, 0, 1], 3, 3)).map((v) => +v.toFixed(12)),
    [5, 3, 1],
  );
});

Deno.test("Mahalanobis distance matches a direct solve; degenerate blocks are flagged", () => {
  const rng = new Rng(4);
  const x = new Float64Array(60 * 20);
  for (let k = 0; k < 60; k++) {
    for (let i = 0; i < 20; i++) x[k * 20 + i] = rng.normal() + (k % 2 === 0 && i < 3 ? 1 : 0);
  }
  const m = blockMahalanobis(blockWithStates(x));
  // Direct: S = (cov F + cov Ch) / 2, d = diff' S^-1 diff, solved by LU.
  const f = x.filter((_, idx) => Math.floor(idx / 20) % 2 === 0);
  const c = x.filter((_, idx) => Math.floor(idx / 20) % 2 === 1);
  const cf = covariance(f, 30, 20), cc = covariance(c, 30, 20);
  const S = new Matrix(20, 20);
  const diff = new Matrix(20, 1);
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 20; j++) S.set(i, j, (cf[i * 20 + j] + cc[i * 20 + j]) / 2);
    let d = 0;
    for (let r = 0; r < 30; r++) d += (f[r * 20 + i] - c[r * 20 + i]) / 30;
    diff.set(i, 0, d);
  }
  const sol = solve(S, diff);
  let direct = 0;
  for (let i = 0; i < 20; i++) direct += diff.get(i, 0) * sol.get(i, 0);
  assert.ok(Math.abs(m.distance - direct) < 1e-8 * direct, `${m.distance} vs ${direct}`);
  assert.equal(m.illConditioned, false);
  // States confined to 5 dimensions: the pooled covariance is singular.
  const low = x.map((v, idx) => (idx % 20 < 5 ? v : 0));
  assert.equal(blockMahalanobis(blockWithStates(low)).illConditioned, true);
});

Deno.test("PCA fractions are a descending distribution", () => {
  const rng = new Rng(9);
  const x = new Float64Array(60 * 20).map((_, idx) => rng.normal() * (1 + (idx % 20)));
  const { fraction } = statePca([blockWithStates(x)]);
  const sum = fraction.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12);
  for (let j = 1; j < 20; j++) assert.ok(fraction[j] <= fraction[j - 1]);
});

/**
 * The one-step grid, contraction metric and vector field (core/dms/examples/one_step.ts,
 * contraction.ts; spec 8.3, 8.4) on hand-built linear maps whose answers are analytic: a map that
 * scales the PC1-PC2 plane by lambda(k) contracts the grid by exactly |lambda(k)| when the third
 * axis is orthogonal to that plane (and by a closed form when it is not), the identity update
 * neither contracts nor expands, and the field of an affine map is its analytic displacement.
 */
import assert from "node:assert/strict";
import { Matrix } from "ml-matrix";
import { contraction } from "../core/dms/examples/contraction.ts";
import { oneStepGrid, type StepMap, vectorField } from "../core/dms/examples/one_step.ts";
import { UsageError } from "../core/util/errors.ts";
import { Rng } from "../core/util/rng.ts";
import { assertRel } from "./fixtures/helpers.ts";

const N = 6;
const T = 35;

/** Orthonormal v1, v2 and a third axis c (Gram-Schmidt on random vectors). */
function basis(rng: Rng, cOrthogonal: boolean): number[][] {
  const rand = (): number[] => Array.from({ length: N }, () => rng.normal());
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i], 0);
  const out: number[][] = [];
  for (let j = 0; j < 3; j++) {
    let v = rand();
    if (j < 2 || cOrthogonal) {
      for (const u of out) {
        const p = dot(v, u);
        v = v.map((x, i) => x - p * u[i]);
      }
      if (j < 2) {
        const n = Math.sqrt(dot(v, v));
        v = v.map((x) => x / n);
      }
    }
    out.push(v);
  }
  return out;
}

function trajectory(rng: Rng): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: N }, () => rng.normal()));
}

/** step(s, k) = (lambda(k) - 1) (v1 v1^T + v2 v2^T) s: scales the PC plane by lambda(k). */
function planeScaling(v: number[][], lambda: (k: number) => number): StepMap {
  return (s, k) => {
    const p1 = v[0].reduce((a, x, i) => a + x * s[i], 0);
    const p2 = v[1].reduce((a, x, i) => a + x * s[i], 0);
    const f = lambda(k) - 1;
    return Float64Array.from(s, (_, i) => f * (p1 * v[0][i] + p2 * v[1][i]));
  };
}

// Contracting (|lambda| < 1 up to k = 25) and expanding steps, with sign flips; never 0.
const lambda = (k: number): number => (k % 2 === 0 ? 1 : -1) * (0.4 + 0.08 * (k - 18));

Deno.test("scaling the PC plane by lambda(k) contracts the grid by |lambda(k)|", () => {
  const rng = new Rng(11);
  const v = basis(rng, true);
  const grid = oneStepGrid(planeScaling(v, lambda), trajectory(rng), { basis: v });
  assert.deepEqual(grid.steps, Array.from({ length: 13 }, (_, i) => 18 + i));
  assert.equal(grid.points[0].length, 9);
  assert.deepEqual(grid.points[0][grid.centre].offset, [0, 0]);
  const c = contraction(grid, [0.5, 0.3, 0.1]);
  c.steps.forEach((k, i) => {
    assertRel(c.values[i], Math.abs(lambda(k)), 1e-12, `code metric at k = ${k}`);
    assertRel(c.meanDistanceRatio[i], Math.abs(lambda(k)), 1e-12, `legend metric at k = ${k}`);
  });
});

Deno.test("third axis not orthogonal: contraction^2 = l^2 + w3 (l - 1)^2 (c.v1^2 + c.v2^2) / (w1 + w2)", () => {
  const rng = new Rng(12);
  const v = basis(rng, false);
  const w: [number, number, number] = [0.4, 0.25, 0.2];
  const c1 = v[2].reduce((a, x, i) => a + x * v[0][i], 0);
  const c2 = v[2].reduce((a, x, i) => a + x * v[1][i], 0);
  const grid = oneStepGrid(planeScaling(v, lambda), trajectory(rng), { basis: v });
  const c = contraction(grid, w);
  c.steps.forEach((k, i) => {
    const l = lambda(k);
    const expected = Math.sqrt(l * l + w[2] * (l - 1) ** 2 * (c1 * c1 + c2 * c2) / (w[0] + w[1]));
    assertRel(c.values[i], expected, 1e-12, `k = ${k}`);
    // The legend's reading ignores the third axis.
    assertRel(c.meanDistanceRatio[i], Math.abs(l), 1e-12, `legend metric at k = ${k}`);
  });
});

Deno.test("no update (step = 0): contraction 1 at every step, endpoints = start points", () => {
  const rng = new Rng(13);
  const v = basis(rng, false);
  const still: StepMap = (s) => new Float64Array(s.length);
  const grid = oneStepGrid(still, trajectory(rng), { basis: v, steps: [2, 30] });
  const c = contraction(grid, [0.6, 0.2, 0.1]);
  for (const x of c.values) assertRel(x, 1, 1e-13, "contraction");
  for (const seg of vectorField(grid)) assert.deepEqual(seg.to, seg.from);
});

Deno.test("vector field of an affine map equals its analytic displacement in PC1-PC2", () => {
  const rng = new Rng(14);
  const v = basis(rng, false);
  const traj = trajectory(rng);
  const M = Matrix.rand(N, N, { random: () => rng.uniform() - 0.5 });
  const b = Array.from({ length: N }, () => rng.normal());
  const map: StepMap = (s) => {
    const next = M.mmul(Matrix.columnVector(Array.from(s))).getColumn(0);
    return Float64Array.from(next, (x, i) => x + b[i] - s[i]);
  };
  const segs = vectorField(oneStepGrid(map, traj, { basis: v }));
  assert.equal(segs.length, 13 * 9);
  const V = new Matrix([v[0], v[1]]);
  for (const seg of segs) {
    const [o1, o2] = seg.offset;
    const s = Matrix.columnVector(traj[seg.k - 1].map((x, i) => x + o1 * v[0][i] + o2 * v[1][i]));
    // Next state M s + b, read on v1 and v2; the start is the projection of s itself.
    const start = V.mmul(s).getColumn(0);
    const next = V.mmul(M.mmul(s).add(Matrix.columnVector(b))).getColumn(0);
    for (let j = 0; j < 2; j++) {
      assertRel(seg.from[j], start[j], 1e-12, `from ${j} at k = ${seg.k}`);
      assertRel(seg.to[j], next[j], 1e-12, `to ${j} at k = ${seg.k}`);
    }
  }
});

Deno.test("grid input checks: three basis vectors, a centre offset, a window inside the trajectory", () => {
  const rng = new Rng(15);
  const v = basis(rng, true);
  const traj = trajectory(rng);
  const still: StepMap = (s) => new Float64Array(s.length);
  assert.throws(() => oneStepGrid(still, traj, { basis: v.slice(0, 2) }), UsageError);
  assert.throws(() => oneStepGrid(still, traj, { basis: v, offsets: [-0.1, 0.1] }), UsageError);
  assert.throws(() => oneStepGrid(still, traj, { basis: v, steps: [30, 40] }), UsageError);
});

/**
 * The WebAssembly SIMD kernels agree with the TypeScript reference kernels (and hence with the
 * spec's test vectors) for every shape and sequence count, including the remainder paths.
 */
import assert from "node:assert/strict";
import { forward, lossAndGrad } from "../core/rnn/kernels.ts";
import {
  forwardWasm,
  lossAndGradWasm,
  wasmKernelsAvailable,
} from "../core/engine/cpu/wasm_kernels.ts";
import { DMS_SHAPE, paramLayout, RL_SHAPE, type RnnShape } from "../core/rnn/network.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { Rng } from "../core/util/rng.ts";
import { emptySequenceSet } from "../core/rnn/kernels.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / (scale || 1);
}

Deno.test("wasm kernels are available in Deno", () => {
  assert.ok(wasmKernelsAvailable());
});

Deno.test("wasm kernels reproduce the spec 12.2 DMS vector", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const g = new Float64Array(paramLayout(DMS_SHAPE).size);
  const E = lossAndGradWasm(DMS_SHAPE, w, dmsTrials(), g);
  assert.ok(Math.abs(E - 7.77872628544) < 1e-9);
  const L = paramLayout(DMS_SHAPE);
  assert.ok(Math.abs(g[L.a] - -3.466421081) < 1e-8);
  const y = forwardWasm(DMS_SHAPE, w, dmsTrials()).y;
  assert.ok(Math.abs(y[51 * 4] - 2.510658633) < 1e-8);
});

for (
  const [name, shape, s] of [
    ["DMS, S = 16", DMS_SHAPE, 16],
    ["RL with output bias, S = 5", RL_SHAPE, 5],
    ["odd N, S = 3", { n: 7, ni: 3, no: 2, outputBias: true } as RnnShape, 3],
    ["S = 1", DMS_SHAPE, 1],
  ] as const
) {
  Deno.test(`wasm and TypeScript kernels agree: ${name}`, () => {
    const rng = new Rng(42);
    const t = 13;
    const data = emptySequenceSet(shape, s, t);
    for (let i = 0; i < data.inputs.length; i++) {
      data.inputs[i] = rng.uniform() < 0.3 ? rng.normal() : 0;
    }
    for (let i = 0; i < data.targets.length; i++) data.targets[i] = rng.normal();
    const K = paramLayout(shape).size;
    const w = new Float64Array(K).map(() => 0.4 * rng.normal());
    w[paramLayout(shape).a + 1] = 0; // a pruned entry exercises the skip path
    const g1 = new Float64Array(K);
    const g2 = new Float64Array(K);
    const e1 = lossAndGrad(shape, w, data, g1);
    const e2 = lossAndGradWasm(shape, w, data, g2);
    assert.ok(Math.abs(e1 - e2) <= 1e-13 * Math.abs(e1));
    assert.ok(maxRelDiff(g1, g2) < 1e-13, `gradient differs by ${maxRelDiff(g1, g2)}`);
    const f1 = forward(shape, w, data);
    const f2 = forwardWasm(shape, w, data);
    assert.ok(maxRelDiff(f1.x, f2.x) < 1e-13);
    assert.ok(maxRelDiff(f1.y, f2.y) < 1e-13);
  });
}

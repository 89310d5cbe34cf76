/**
 * Weight histograms (spec 8.6): bin centres, edges midway, open-ended end bins, zeros ignored,
 * normalisation to sum 1.
 */
import assert from "node:assert/strict";
import {
  binCentres,
  DMS_HIST_CENTRES,
  RL_HIST_CENTRES,
  weightHistogram,
} from "../core/util/histogram.ts";
import { assertRel } from "./fixtures/helpers.ts";

Deno.test("bin centres: DMS -1.5:0.05:1.5 (61), RL -1.5:0.1:1.5 (31), exact decimals", () => {
  assert.equal(DMS_HIST_CENTRES.length, 61);
  assert.equal(RL_HIST_CENTRES.length, 31);
  assert.equal(DMS_HIST_CENTRES[0], -1.5);
  assert.equal(DMS_HIST_CENTRES[60], 1.5);
  assert.equal(DMS_HIST_CENTRES[30], 0);
  assert.equal(DMS_HIST_CENTRES[31], 0.05);
  assert.equal(DMS_HIST_CENTRES[37], 0.35);
  assert.equal(RL_HIST_CENTRES[15], 0);
  assert.equal(RL_HIST_CENTRES[16], 0.1);
  assert.deepEqual(binCentres(0, 1, 0.25), [0, 0.25, 0.5, 0.75, 1]);
});

Deno.test("histogram: edges midway between centres", () => {
  const c = [0, 1, 2];
  // Edges at 0.5 and 1.5; a value on an edge goes to the upper bin.
  assert.deepEqual(weightHistogram([0.49, 0.5, 1.49, 1.5], c), [0.25, 0.5, 0.25]);
  const h = weightHistogram([0.0249, 0.0251, -0.0249, -0.0251], DMS_HIST_CENTRES);
  assert.equal(h[30], 0.5, "centre bin holds |v| < 0.025");
  assert.equal(h[31], 0.25);
  assert.equal(h[29], 0.25);
});

Deno.test("histogram: first and last bins are open-ended", () => {
  const h = weightHistogram([-100, -1.6, -1.52, 1.6, 7, 1.5], DMS_HIST_CENTRES);
  assertRel(h[0], 3 / 6, 1e-15, "first bin");
  assertRel(h[60], 3 / 6, 1e-15, "last bin");
});

Deno.test("histogram: zeros (pruned weights) and non-finite values are ignored", () => {
  const h = weightHistogram(new Float64Array([0, 0, 0, 0.3, -0.3, 0, NaN]), DMS_HIST_CENTRES);
  assert.equal(h[36], 0.5);
  assert.equal(h[24], 0.5);
  assert.equal(h.reduce((s, v) => s + v, 0), 1);
  assert.deepEqual(weightHistogram([0, -0, 0], [0, 1]), [0, 0], "all zero: empty histogram");
});

Deno.test("histogram: normalised to sum 1", () => {
  const values = Array.from({ length: 900 }, (_, i) => Math.sin(i + 1) * 1.7);
  const h = weightHistogram(values, DMS_HIST_CENTRES);
  assert.equal(h.length, 61);
  assertRel(h.reduce((s, v) => s + v, 0), 1, 1e-12, "sum");
  assert.ok(h.every((v) => v >= 0));
  // Counts are multiples of 1/900.
  for (const v of h) assertRel(Math.round(v * 900) / 900, v, 1e-12, "count / total");
});

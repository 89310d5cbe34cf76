/**
 * Fig 2A's rare-versus-frequent split of the log-probability errors, recomputed by hand on a
 * crafted pattern set, and the counting-noise reference checked against the Poisson sum written
 * out with factorials and against the delta method for large counts.
 */
import assert from "node:assert/strict";
import { countingNoiseError, logProbErrorByFrequency } from "../core/bm/metrics.ts";

function close(a: number | null, b: number, tol = 1e-12): void {
  assert.ok(a !== null && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
}

Deno.test("rare/frequent halves: split by data count, ties by code, errors only where sampled", () => {
  // Codes 0..7; data counts (N_D = 40) and sample counts (N_S = 40).
  const data = [1, 10, 2, 0, 1, 20, 3, 3];
  const samples = [0, 12, 1, 5, 2, 16, 3, 1];
  const r = logProbErrorByFrequency(data, samples);
  // Data patterns sorted by (count, code): 0 (1), 4 (1), 2 (2), 6 (3), 7 (3), 1 (10), 5 (20).
  // Seven patterns: rarer half = first 3 = {0, 4, 2}; more frequent = {6, 7, 1, 5}.
  assert.equal(r.rarePatterns, 3);
  assert.equal(r.frequentPatterns, 4);
  assert.equal(r.splitCount, 2);
  // Code 0 was never sampled: no error; code 3 is absent from the data: not a data pattern.
  const e = (d: number, s: number) => (Math.log(d / 40) - Math.log(s / 40)) ** 2;
  close(r.rare, (e(1, 2) + e(2, 1)) / 2);
  close(r.frequent, (e(3, 3) + e(3, 1) + e(10, 12) + e(20, 16)) / 4);
  close(r.rareGenerated, 2 / 3);
  close(r.frequentGenerated, 1);
  close(r.noiseFloor.rare, (countingNoiseError(1) + countingNoiseError(2)) / 2);
  // N_S = 2 N_D: the noise reference counts at the samples' size.
  const twice = logProbErrorByFrequency(data, samples.map((s) => 2 * s));
  close(twice.rare, r.rare!);
  close(twice.noiseFloor.rare, (countingNoiseError(2) + countingNoiseError(4)) / 2);
});

Deno.test("counting noise: the Poisson sum by factorials; about 1/d for large d", () => {
  for (const d of [0.5, 1, 3, 7.5]) {
    let sum = 0;
    let mass = 0;
    let fact = 1;
    for (let k = 1; k <= 80; k++) {
      fact *= k;
      const p = Math.exp(-d) * d ** k / fact;
      sum += p * (Math.log(d) - Math.log(k)) ** 2;
      mass += p;
    }
    close(countingNoiseError(d), sum / mass, 1e-10);
  }
  // Var(ln k) ~ 1/d by the delta method (plus a squared bias of order 1/(4 d^2)).
  for (const d of [2000, 30000]) {
    const v = countingNoiseError(d);
    assert.ok(Math.abs(v * d - 1) < 0.01, `${d}: ${v * d}`);
  }
  // Rarer patterns have the larger noise error.
  assert.ok(countingNoiseError(2) > countingNoiseError(20));
});

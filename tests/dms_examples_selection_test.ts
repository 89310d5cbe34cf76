/**
 * Example selection (core/dms/examples/selection.ts, spec 9) on crafted populations: a matched pair
 * meeting both rules wins, then each lineage's first network meeting its rule, then the smallest
 * shortfall; picks by hand; singular products; bad picks. Population averages
 * (core/dms/examples/population.ts) on crafted records against sums done by hand, with missing
 * and -Infinity values dropped and counted.
 */
import assert from "node:assert/strict";
import {
  type CandidateScores,
  type PairCandidates,
  ruleShortfall,
  selectExamples,
} from "../core/dms/examples/selection.ts";
import { type PairDynamics, populationDynamics } from "../core/dms/examples/population.ts";
import type { NetworkDynamics } from "../core/dms/examples/analyse.ts";
import { UsageError } from "../core/util/errors.ts";
import { assertRel } from "./fixtures/helpers.ts";

const s = (maxLE: number | null, probeScore: number): CandidateScores => ({ maxLE, probeScore });
// Scores that meet (or miss) each lineage's rule: unpruned LE >= 0.1 and score <= 0.3; pruned
// LE <= 0.1 and score >= 0.7.
const GOOD_U = s(0.15, 0.1);
const BAD_U = s(0.02, 0.9);
const GOOD_P = s(0.0, 0.95);
const BAD_P = s(0.2, 0.4);

Deno.test("a lineage pair meeting both rules is preferred, first in network order", () => {
  const pop: PairCandidates[] = [
    { network: 0, pruned: GOOD_P, unpruned: BAD_U },
    { network: 1, pruned: BAD_P, unpruned: GOOD_U },
    { network: 2, pruned: GOOD_P, unpruned: GOOD_U },
    { network: 3, pruned: GOOD_P, unpruned: GOOD_U },
  ];
  const sel = selectExamples(pop);
  assert.equal(sel.pruned.network, 2);
  assert.equal(sel.unpruned.network, 2);
  assert.equal(sel.pruned.method, "rule-pair");
  assert.ok(sel.pruned.meetsRule && sel.unpruned.meetsRule);
  assert.match(
    sel.unpruned.reason,
    /^unpruned network 2 \(max LE 0\.150, probe-trial score 0\.100\)/,
  );
  assert.match(sel.unpruned.reason, /2 of 4 pairs do/);
});

Deno.test("no pair meets both rules: each lineage's first network meeting its own rule", () => {
  const pop: PairCandidates[] = [
    { network: 4, pruned: BAD_P, unpruned: BAD_U },
    { network: 5, pruned: GOOD_P, unpruned: BAD_U },
    { network: 6, pruned: BAD_P, unpruned: GOOD_U },
    { network: 7, pruned: GOOD_P, unpruned: null },
  ];
  const sel = selectExamples(pop);
  assert.equal(sel.pruned.network, 5);
  assert.equal(sel.pruned.method, "rule");
  assert.match(sel.pruned.reason, /2 of 4 pruned networks meet it/);
  assert.equal(sel.unpruned.network, 6);
  assert.match(sel.unpruned.reason, /1 of 3 unpruned networks meet it/);
});

Deno.test("no network meets a rule: the smallest summed shortfall, reported as such", () => {
  const pop: PairCandidates[] = [
    { network: 0, pruned: s(0.3, 0.5), unpruned: s(0.05, 0.5) }, // shortfalls 0.4 / 0.25
    { network: 1, pruned: s(0.15, 0.6), unpruned: s(0.09, 0.35) }, // 0.15 / 0.06
    { network: 2, pruned: s(0.12, 0.69), unpruned: s(-0.2, 0.31) }, // 0.03 / 0.31
  ];
  assertRel(ruleShortfall("unpruned", pop[1].unpruned!), 0.06, 1e-12, "unpruned shortfall");
  assertRel(ruleShortfall("pruned", pop[2].pruned!), 0.03, 1e-12, "pruned shortfall");
  const sel = selectExamples(pop);
  assert.equal(sel.pruned.network, 2);
  assert.equal(sel.unpruned.network, 1);
  assert.equal(sel.pruned.method, "nearest");
  assert.equal(sel.pruned.meetsRule, false);
  assert.match(sel.pruned.reason, /none of the 3 pruned networks meets/);
  assert.match(sel.pruned.reason, /shortfall 0\.030/);
});

Deno.test("a singular product (max LE null = -inf) meets the pruned rule, never the unpruned one", () => {
  assert.equal(ruleShortfall("pruned", s(null, 0.9)), 0);
  assert.equal(ruleShortfall("unpruned", s(null, 0.1)), Infinity);
  const pop: PairCandidates[] = [
    { network: 0, pruned: s(null, 0.9), unpruned: s(null, 0.1) },
    { network: 1, pruned: BAD_P, unpruned: GOOD_U },
  ];
  const sel = selectExamples(pop);
  assert.equal(sel.pruned.network, 0);
  assert.match(sel.pruned.reason, /max LE -inf \(singular product\)/);
  assert.equal(sel.unpruned.network, 1);
});

Deno.test("picks by hand: the paper's pruned 7 / unpruned 70; the other lineage by its rule", () => {
  const pop: PairCandidates[] = Array.from({ length: 80 }, (_, i) => ({
    network: i,
    pruned: i === 30 ? GOOD_P : BAD_P,
    unpruned: i === 40 ? GOOD_U : BAD_U,
  }));
  const both = selectExamples(pop, { pruned: 7, unpruned: 70 });
  assert.equal(both.pruned.network, 7);
  assert.equal(both.unpruned.network, 70);
  assert.equal(both.pruned.method, "hand");
  assert.equal(both.pruned.meetsRule, false);
  assert.match(both.unpruned.reason, /picked by hand/);
  const one = selectExamples(pop, { unpruned: 70 });
  assert.equal(one.pruned.network, 30);
  assert.equal(one.pruned.method, "rule");
  assert.throws(() => selectExamples(pop, { pruned: 80 }), UsageError);
  const gap: PairCandidates[] = [{ network: 0, pruned: GOOD_P, unpruned: null }, {
    network: 1,
    pruned: GOOD_P,
    unpruned: GOOD_U,
  }];
  assert.throws(() => selectExamples(gap, { unpruned: 0 }), /networks with data: 1/);
  assert.throws(() => selectExamples([{ network: 0, pruned: null, unpruned: GOOD_U }]), UsageError);
  assert.throws(() => selectExamples([]), UsageError);
});

/** A crafted record: contraction 13 values, spectrum 3 values (the shape does not matter here). */
function record(c: number, spectrum: number[], maxLE: number | null): NetworkDynamics {
  return {
    maxLE,
    maxLEChronological: maxLE,
    maxLEFig5Window: maxLE,
    probeScore: 1,
    probedCorrect: [true, true, true, true],
    unprobedCorrect: [true, true, true, true],
    contraction: Array.from({ length: 13 }, (_, i) => c + 0.01 * i),
    spectrum,
    spectrumChronological: spectrum.map((x) => x + 1),
    divergence: [0, c, 2 * c],
    singularCumulative: [c, 1],
  };
}

Deno.test("population: mean, SEM and paired p per point; -inf and missing lineages dropped", () => {
  const pairs: PairDynamics[] = [
    {
      network: 0,
      pruned: record(0.5, [-Infinity, -1, 0.0], 0.0),
      unpruned: record(0.9, [-2, -1, 0.2], 0.2),
    },
    {
      network: 1,
      pruned: record(0.7, [-3, -1.2, 0.1], 0.1),
      unpruned: record(1.1, [-2, -0.8, 0.3], 0.3),
    },
    { network: 2, pruned: record(0.6, [-3.5, -0.9, -0.1], -0.1), unpruned: null },
  ];
  const p = populationDynamics(pairs);
  assert.equal(p.pairs, 3);
  assert.deepEqual(p.contraction.x, Array.from({ length: 13 }, (_, i) => 18 + i));
  assertRel(p.contraction.pruned.mean[0], 0.6, 1e-12, "pruned contraction at 18");
  assertRel(p.contraction.pruned.sem[0], 0.1 / Math.sqrt(3), 1e-12, "SEM");
  assert.deepEqual(p.contraction.unpruned.n[0], 2);
  assertRel(p.contraction.unpruned.mean[12], 1.12, 1e-12, "unpruned contraction at 30");
  // Contraction at the probe onset (k = 20) is the curve's third value.
  assert.equal(p.contractionAtProbe.k, 20);
  assertRel(p.contractionAtProbe.pruned.mean[0], 0.62, 1e-12, "at probe");
  // Two complete pairs with differences -0.4, -0.4: sd 0, so t = -inf, p = 0.
  assert.equal(p.contraction.p[0], 0);
  // Spectrum index 1 (the smallest): -Infinity dropped, so n = 2.
  assert.deepEqual(p.spectrum.x, [1, 2, 3]);
  assert.equal(p.spectrum.pruned.n[0], 2);
  assertRel(p.spectrum.pruned.mean[0], -3.25, 1e-12, "mean of finite exponents");
  assertRel(p.spectrumChronological.pruned.mean[2], 1, 1e-12, "chronological");
  assertRel(p.maxLE.unpruned.mean[0], 0.25, 1e-12, "max LE");
  assert.equal(p.maxLE.pruned.n[0], 3);
  assertRel(p.maxLEChronological.unpruned.mean[0], 0.25, 1e-12, "max LE chronological");
  // Divergence and singular values: x = 1..length, means per index.
  assert.deepEqual(p.divergence.x, [1, 2, 3]);
  assertRel(p.divergence.pruned.mean[2], 1.2, 1e-12, "pruned divergence at k = 3");
  assert.deepEqual(p.singularCumulative.x, [1, 2]);
  assertRel(p.singularCumulative.unpruned.mean[0], 1.0, 1e-12, "unpruned cumulative at 1");
  assert.equal(p.singularCumulative.unpruned.n[0], 2);
});

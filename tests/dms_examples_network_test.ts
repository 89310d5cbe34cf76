/**
 * Example-network analyses (core/dms/examples/) on trained DMS starting networks (the embedded
 * fig5 default networks) and on those networks pruned to 0.7: the windows against the spec's
 * numbers; PCA eigenvalues against ml-matrix's EVD of an independently built covariance and the
 * SVD of the centred data, eigenvectors against ml-matrix's after the sign rule, the sign rule's
 * invariance; the spectrum's largest value against Fig 5's maxLE for the same network and window,
 * the spec 12.2 spectrum vector, the QR spectrum's sum against ln|det| of the Jacobians; the
 * one-step map against the forward pass; trials, singular values and histograms against
 * independent computations; and the population record against the full analysis.
 */
import assert from "node:assert/strict";
import {
  EigenvalueDecomposition,
  LuDecomposition,
  Matrix,
  SingularValueDecomposition,
} from "ml-matrix";
import { embeddedSource, type EmbeddedStartsFile } from "../core/dms/starting_networks.ts";
import { analyseDmsNetwork, DMS_LE_WINDOW } from "../core/dms/analysis.ts";
import { DMS_CONDITIONS, EXAMPLE_PROBE } from "../core/dms/task.ts";
import { canonicalSign, latentPca, project } from "../core/dms/examples/pca.ts";
import { exampleTrials } from "../core/dms/examples/trials.ts";
import { EXAMPLE_PROTOCOL } from "../core/dms/examples/protocol.ts";
import { analyseExample, networkDynamics } from "../core/dms/examples/analyse.ts";
import {
  exampleSpectrum,
  flatTrajectory,
  qrLyapunovSpectrum,
} from "../core/dms/examples/spectrum.ts";
import { singularValuesOf, weightSummary } from "../core/dms/examples/weights.ts";
import { maxLyapunov } from "../core/rnn/lyapunov.ts";
import { forward, sequenceOutputs, sequenceTrajectory } from "../core/rnn/kernels.ts";
import { DMS_SHAPE, paramLayout, toMatrices } from "../core/rnn/network.ts";
import { magnitudePrune } from "../core/rnn/prune.ts";
import { singularValues } from "../core/util/linalg.ts";
import { dmsTrials } from "../core/dms/task.ts";
import { UsageError } from "../core/util/errors.ts";
import startsFile from "../experiments/data/fig5_starts.json" with { type: "json" };
import { specWeights } from "./fixtures/spec_vectors.ts";
import { assertCloseToScale, assertRel } from "./fixtures/helpers.ts";

/** Trained starting network `net` of the embedded fig5 default (seed 1, 5 rounds). */
function startingNetwork(net: number): Float64Array {
  const file: EmbeddedStartsFile = startsFile;
  const key = Object.keys(file.entries).find((k) => k.includes(`/net=${net}/round=5/`));
  assert.ok(key, `embedded starting network ${net}`);
  return embeddedSource(file)(key)!.w;
}

/** The 192 x 30 sample matrix of spec 8.2, built here without the module under test. */
function sampleMatrix(w: Float64Array): Matrix {
  const rows: number[][] = [];
  for (const t of exampleTrials(w).unprobed) {
    for (let k = 11; k <= 58; k++) rows.push(t.states[k - 1]);
  }
  return new Matrix(rows);
}

/** Starting network `net` pruned to 0.7 by magnitude (not retrained: a singular-prone A). */
function prunedNetwork(net: number): Float64Array {
  return magnitudePrune(DMS_SHAPE, startingNetwork(net), 0.7).w;
}

Deno.test("windows derived from the DMS timeline are the spec's step numbers", () => {
  const p = EXAMPLE_PROTOCOL;
  assert.deepEqual([...p.pcaSteps], [11, 58]);
  assert.deepEqual([...p.fig3Steps], [12, 52]);
  assert.deepEqual({ ...p.markers }, { C1: 13, P: 20, C2: 40, R: 52 });
  assert.deepEqual([...p.fieldSteps], [18, 30]);
  assert.deepEqual({ ...p.fieldLabels }, { S: 18, P: 20, E: 30 });
  assert.deepEqual({ ...p.spectrumWindow }, { kOn: 15, kOff: 40 });
  assert.deepEqual([...p.gridOffsets], [-0.05, 0, 0.05]);
});

Deno.test("PCA window: k = 11..58 of the four unprobed conditions, 192 samples", () => {
  const pca = latentPca(exampleTrials(startingNetwork(0)).unprobed.map((t) => t.states));
  assert.equal(pca.samples, 192);
  assert.equal(pca.eigenvalues.length, 30);
  assert.equal(pca.vectors.length, 30);
});

Deno.test("PCA eigenvalues equal ml-matrix's EVD of the covariance and the SVD of the data", () => {
  for (const net of [0, 3]) {
    const w = startingNetwork(net);
    const pca = latentPca(exampleTrials(w).unprobed.map((t) => t.states));
    const x = sampleMatrix(w);
    const centred = x.clone().subRowVector(x.mean("column"));
    const cov = centred.transpose().mmul(centred).div(x.rows - 1);
    const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
    const fromEvd = [...evd.realEigenvalues].sort((a, b) => b - a);
    const svd = new SingularValueDecomposition(centred, { autoTranspose: true });
    const fromSvd = svd.diagonal.map((s) => s * s / (x.rows - 1)).sort((a, b) => b - a);
    assertCloseToScale(pca.eigenvalues, fromEvd, 1e-12, `network ${net} vs EVD`);
    assertCloseToScale(pca.eigenvalues, fromSvd, 1e-12, `network ${net} vs SVD`);
    for (let i = 1; i < 30; i++) assert.ok(pca.eigenvalues[i] <= pca.eigenvalues[i - 1]);
    const total = fromEvd.reduce((s, v) => s + v, 0);
    assertRel(pca.fraction[0], fromEvd[0] / total, 1e-12, "fraction 1");
    // Leading eigenvectors (well-separated eigenvalues) agree with ml-matrix's once both carry
    // the sign rule: the figures no longer depend on the solver.
    for (let j = 0; j < 3; j++) {
      const col = evd.eigenvectorMatrix.getColumn(fromEvd.length - 1 - j);
      assertCloseToScale(pca.vectors[j], canonicalSign(col), 1e-8, `network ${net} v${j + 1}`);
    }
  }
});

Deno.test("sign rule: largest component positive, invariant to flipping, idempotent", () => {
  const pca = latentPca(exampleTrials(startingNetwork(1)).unprobed.map((t) => t.states));
  for (const v of pca.vectors) {
    const big = v.reduce((m, x) => Math.abs(x) > Math.abs(m) ? x : m, 0);
    assert.ok(big > 0, "largest-magnitude component is positive");
    assert.deepEqual(canonicalSign(v.map((x) => -x)), v);
    assert.deepEqual(canonicalSign(v), v);
  }
  // The first of equal-magnitude components decides.
  assert.deepEqual(canonicalSign([0.5, -0.5]), [0.5, -0.5]);
  assert.deepEqual(canonicalSign([-0.5, 0.5]), [0.5, -0.5]);
});

Deno.test("projections are raw dot products v . x(k) with the canonical vectors", () => {
  const w = startingNetwork(2);
  const a = analyseExample(w, { qr: false });
  const traj = a.trials.unprobed[3].states;
  const flipped = a.pca.vectors[0].map((x) => -x);
  // A solver that returned -v1 gives the same Fig 3 curve after the sign rule.
  assert.deepEqual(project(traj, canonicalSign(flipped)), a.projections.unprobed.pc1);
  const k = 30;
  let s = 0;
  for (let i = 0; i < 30; i++) s += a.pca.vectors[1][i] * traj[k - 1][i];
  assertRel(a.projections.unprobed.pc2[k - 1], s, 1e-14, "pc2 at k = 30");
  assert.equal(a.projections.lure.condition, 1);
  assert.equal(a.projections.unprobed.condition, 4);
  assert.equal(a.projections.probed.probed, true);
});

Deno.test("trials: inputs, probe and outputs equal the task's and the forward pass's", () => {
  const w = startingNetwork(0);
  const t = exampleTrials(w);
  const data = dmsTrials({ probe: EXAMPLE_PROBE });
  const fwd = forward(DMS_SHAPE, w, data);
  for (let c = 0; c < 4; c++) {
    const cond = DMS_CONDITIONS[c];
    const u = t.unprobed[c];
    const p = t.probed[c];
    assert.equal(u.condition, cond.id);
    assert.equal(u.inputs.cue1[12], cond.c1, "cue 1 at k = 13");
    assert.equal(u.inputs.cue1[13], cond.c1, "cue 1 at k = 14");
    assert.equal(u.inputs.cue2[39], cond.c2, "cue 2 at k = 40");
    assert.equal(u.inputs.cue1[19], 0, "no probe at k = 20");
    assert.equal(p.inputs.cue1[19], -0.2 * cond.c1, "probe at k = 20, opposite to cue 1");
    assert.equal(p.inputs.cue1[20], -0.2 * cond.c1, "probe at k = 21");
    assert.equal(p.inputs.cue1[21], 0);
    assert.equal(u.inputs.bias.length, 58);
    assert.deepEqual(p.output, Array.from(sequenceOutputs(fwd, DMS_SHAPE, data, c)));
    const x = sequenceTrajectory(fwd, DMS_SHAPE, data, c);
    assert.deepEqual(p.states[29], Array.from(x.subarray(29 * 30, 30 * 30)));
    assertRel(p.response, (p.output[51] + p.output[52]) / 2, 1e-15, "response");
    assert.equal(u.correct, Math.abs(u.response - cond.target) < 1);
  }
  assert.throws(() => exampleTrials(new Float64Array(10)), UsageError);
});

Deno.test("Fig 4D spectrum: largest value equals Fig 5's maxLE for the same network and window", () => {
  for (const w of [startingNetwork(0), startingNetwork(5), prunedNetwork(0)]) {
    const a = analyseExample(w, { qr: false });
    const traj = a.trials.unprobed[3].states;
    const fig5 = analyseDmsNetwork(w);
    const at16 = exampleSpectrum(w, traj, { window: DMS_LE_WINDOW });
    assert.equal(at16.code.length, 30);
    assert.equal(at16.code[29], fig5.maxLE);
    assert.equal(at16.chronological[29], fig5.maxLEChronological);
    // The Fig 4D window (15..40, divisor 50) and the selection score use the same maximum.
    const flat = flatTrajectory(traj);
    assert.equal(a.spectrum.divisor, 25);
    assert.equal(a.spectrum.code[29], maxLyapunov(DMS_SHAPE, w, flat, { kOn: 15, kOff: 40 }));
    assert.equal(a.scores.maxLE, a.spectrum.code[29]);
    for (let i = 1; i < 30; i++) assert.ok(a.spectrum.code[i] >= a.spectrum.code[i - 1]);
  }
});

Deno.test("Fig 4D spectrum reproduces the spec 12.2 vector (window 15..40, divisor 50)", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const traj = exampleTrials(w).unprobed[3].states;
  const top = exampleSpectrum(w, traj).code.slice(-3).reverse();
  assertRel(top[0], -0.29339845, 1e-7, "LE 1");
  assertRel(top[1], -0.30426402, 1e-7, "LE 2");
  assertRel(top[2], -0.55996365, 1e-7, "LE 3");
});

Deno.test("QR spectrum: sum is ln|det P| / divisor; largest value below the direct maximum", () => {
  for (const w of [startingNetwork(1), specWeights(DMS_SHAPE, 0.5)]) {
    const traj = exampleTrials(w).unprobed[3].states;
    const s = exampleSpectrum(w, traj, { qr: true });
    const detA = new LuDecomposition(new Matrix(toMatrices(DMS_SHAPE, w).A)).determinant;
    // det J(k) = det A * prod_j (1 - tanh^2 x_j(k)): an analytic value for the sum of exponents.
    let lnDet = 0;
    for (let k = 15; k <= 40; k++) {
      lnDet += Math.log(Math.abs(detA));
      for (const x of traj[k - 1]) lnDet += Math.log(1 - Math.tanh(x) ** 2);
    }
    for (const order of ["code", "chronological"] as const) {
      const qr = s.qr![order];
      const sum = qr.reduce((a, b) => a + b, 0);
      assertRel(sum, lnDet / 25, 1e-9, `${order}: sum of QR exponents`);
      assert.ok(qr[29] <= s[order][29] + 1e-12, `${order}: QR max <= direct max`);
    }
  }
});

Deno.test("QR spectrum of a diagonal recurrent matrix equals the direct spectrum", () => {
  const w = specWeights(DMS_SHAPE, 0.5);
  const L = paramLayout(DMS_SHAPE).a;
  for (let i = 0; i < 30; i++) {
    for (let j = 0; j < 30; j++) if (i !== j) w[L + i + 30 * j] = 0;
  }
  const traj = flatTrajectory(exampleTrials(w).unprobed[3].states);
  const opts = { shape: DMS_SHAPE, kOn: 15, kOff: 40 };
  const qr = qrLyapunovSpectrum(w, traj, opts);
  const direct = exampleSpectrum(w, exampleTrials(w).unprobed[3].states).code;
  assertCloseToScale(qr, direct, 1e-12, "diagonal A");
});

Deno.test("one-step map: the centre point lands on the next state of the trajectory", () => {
  const w = startingNetwork(4);
  const a = analyseExample(w, { qr: false });
  const traj = a.trials.unprobed[3].states;
  const c = toMatrices(DMS_SHAPE, w).C[0];
  const [v1, v2] = a.pca.vectors;
  const centres = a.field.unprobed.segments.filter((s) => s.offset[0] === 0 && s.offset[1] === 0);
  assert.equal(centres.length, 13);
  for (const seg of centres) {
    // Inside the window the unprobed input is the bias alone, so u(k) = u(k + 1).
    const next = traj[seg.k];
    assertRel(seg.to[0], project([next], v1)[0], 1e-12, `PC1 at k = ${seg.k + 1}`);
    assertRel(seg.to[1], project([next], v2)[0], 1e-12, `PC2 at k = ${seg.k + 1}`);
  }
  assert.equal(a.field.unprobed.segments.length, 13 * 9);
  assert.deepEqual(a.field.unprobed.trajectory[0], [
    a.projections.unprobed.pc1[17],
    a.projections.unprobed.pc2[17],
  ]);
  assert.deepEqual(a.field.probed.trajectory[2], [
    a.projections.probed.pc1[19],
    a.projections.probed.pc2[19],
  ]);
  assert.equal(project([traj[20]], c)[0], a.projections.unprobed.outputDirection[20]);
});

Deno.test("weights: ml-matrix singular values equal the Jacobi ones; histogram equals Fig 5's", () => {
  for (const w of [startingNetwork(6), prunedNetwork(6)]) {
    const s = weightSummary(w);
    const A = toMatrices(DMS_SHAPE, w).A;
    const jacobi = Array.from(singularValues(A.flat(), 30, 30));
    assertCloseToScale(s.singularValues, jacobi, 1e-10, "singular values");
    assertRel(s.singularCumulative[29], 1, 1e-14, "cumulative ends at 1");
    assert.deepEqual(s.histogram, analyseDmsNetwork(w).histogram);
    assert.equal(s.histogramCentres.length, 61);
  }
  assert.equal(weightSummary(prunedNetwork(6)).zeros, 630);
  assert.deepEqual(singularValuesOf([[3, 0], [0, -4]]), [4, 3]);
});

Deno.test("population record: the same numbers as the network's full example analysis", () => {
  const w = prunedNetwork(2);
  const a = analyseExample(w);
  const d = networkDynamics(w);
  assert.deepEqual(d.contraction, a.contraction.unprobed.values);
  assert.deepEqual(d.spectrum, a.spectrum.code);
  assert.deepEqual(d.spectrumChronological, a.spectrum.chronological);
  assert.equal(d.maxLE, a.scores.maxLE);
  assert.equal(d.probeScore, a.scores.probeScore);
  assertRel(d.probeScore, 1 - Math.abs(a.trials.probed[3].response + 1), 1e-15, "score");
  assert.deepEqual(d.singularCumulative, a.weightSummary.singularCumulative);
  assert.deepEqual(d.divergence, a.divergence);
  // Fig 5's stored max LE (window 16..36) of the same network, from its own analysis.
  assert.equal(d.maxLEFig5Window, analyseDmsNetwork(w).maxLE);
  // Divergence recomputed from the forward pass of the probed and unprobed condition-4 trials.
  const probed = dmsTrials({ probe: EXAMPLE_PROBE });
  const plain = dmsTrials();
  const xp = sequenceTrajectory(forward(DMS_SHAPE, w, probed), DMS_SHAPE, probed, 3);
  const xu = sequenceTrajectory(forward(DMS_SHAPE, w, plain), DMS_SHAPE, plain, 3);
  const n = DMS_SHAPE.n;
  for (let k = 1; k <= 58; k++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (xp[(k - 1) * n + i] - xu[(k - 1) * n + i]) ** 2;
    assertRel(d.divergence[k - 1], Math.sqrt(ss), 1e-12, `divergence at k = ${k}`);
    if (k < EXAMPLE_PROBE.onset) assert.equal(d.divergence[k - 1], 0, "no divergence yet");
  }
});

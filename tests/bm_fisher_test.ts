import assert from "node:assert/strict";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { Rng } from "../core/util/rng.ts";
import {
  exactFim,
  heuristicFi,
  sampleFim,
  sampleMoments,
  varianceFi,
  weightIndex,
} from "../core/bm/fisher.ts";
import { leadingEigenvector, symmetricEigenvalues } from "../core/util/linalg.ts";
import { exactSamples, type RbmSamples } from "../core/bm/sampler.ts";
import { initRbm, logPartition, type Rbm } from "../core/bm/rbm.ts";

function randomRbm(nv: number, nh: number, seed: number): Rbm {
  const rng = new Rng(seed);
  const m = initRbm(nh, rng, { pixelRates: Array.from({ length: nv }, () => 0.5) });
  for (let k = 0; k < m.w.length; k++) m.w[k] = rng.normal();
  for (let j = 0; j < nh; j++) m.bh[j] = 0.5 * rng.normal();
  return m;
}

function stats(m: Rbm, v: number, h: number): number[] {
  const s: number[] = [];
  for (let i = 0; i < m.nv; i++) s.push((v >> i) & 1);
  for (let j = 0; j < m.nh; j++) s.push((h >> j) & 1);
  for (let i = 0; i < m.nv; i++) {
    for (let j = 0; j < m.nh; j++) s.push(((v >> i) & 1) * ((h >> j) & 1));
  }
  return s;
}

function bruteFim(m: Rbm): number[][] {
  const lz = logPartition(m);
  const d = m.nv + m.nh + m.nv * m.nh;
  const e1 = new Array(d).fill(0);
  const e2 = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let v = 0; v < 1 << m.nv; v++) {
    for (let h = 0; h < 1 << m.nh; h++) {
      const s = stats(m, v, h);
      let e = 0;
      for (let i = 0; i < m.nv; i++) e += m.bv[i] * s[i];
      for (let j = 0; j < m.nh; j++) e += m.bh[j] * s[m.nv + j];
      for (let k = 0; k < m.nv * m.nh; k++) e += m.w[k] * s[m.nv + m.nh + k];
      const p = Math.exp(e - lz);
      for (let a = 0; a < d; a++) {
        e1[a] += p * s[a];
        for (let b = 0; b < d; b++) e2[a][b] += p * s[a] * s[b];
      }
    }
  }
  return e2.map((row, a) => row.map((x, b) => x - e1[a] * e1[b]));
}

Deno.test("exact FIM equals the brute-force covariance of the sufficient statistics", () => {
  for (const [nv, nh] of [[4, 3], [3, 4]]) {
    const m = randomRbm(nv, nh, 31 + nv);
    const f = exactFim(m);
    const ref = bruteFim(m);
    assert.equal(f.dim, nv + nh + nv * nh);
    for (let a = 0; a < f.dim; a++) {
      for (let b = 0; b < f.dim; b++) {
        assert.ok(Math.abs(f.values[a * f.dim + b] - ref[a][b]) < 1e-12, `F[${a}][${b}]`);
      }
    }
  }
});

function naiveCovariance(s: RbmSamples): Float64Array {
  const d = s.nv + s.nh + s.nv * s.nh;
  const rows: number[][] = [];
  for (let k = 0; k < s.n; k++) {
    const r: number[] = [];
    for (let i = 0; i < s.nv; i++) r.push(s.v[k * s.nv + i]);
    for (let j = 0; j < s.nh; j++) r.push(s.h[k * s.nh + j]);
    for (let i = 0; i < s.nv; i++) {
      for (let j = 0; j < s.nh; j++) r.push(s.v[k * s.nv + i] * s.h[k * s.nh + j]);
    }
    rows.push(r);
  }
  const mean = new Array(d).fill(0).map((_, a) => rows.reduce((t, r) => t + r[a], 0) / s.n);
  const out = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let c = 0;
      for (const r of rows) c += (r[a] - mean[a]) * (r[b] - mean[b]);
      out[a * d + b] = c / (s.n - 1);
    }
  }
  return out;
}

Deno.test("sample FIM equals the naive unbiased covariance S'S/(N-1)", () => {
  const m = randomRbm(4, 3, 5);
  const s = exactSamples(m, 3000, new Rng(3));
  const f = sampleFim(s);
  const ref = naiveCovariance(s);
  for (let k = 0; k < ref.length; k++) assert.ok(Math.abs(f.values[k] - ref[k]) < 1e-12);
});

Deno.test("Monte-Carlo FIM from 10^6 exact samples agrees with the exact FIM; both symmetric PSD", () => {
  const m = randomRbm(4, 3, 77);
  const exact = exactFim(m);
  const s = exactSamples(m, 1_000_000, new Rng(9));
  const mc = sampleFim(s);
  let maxDiff = 0;
  for (let a = 0; a < exact.dim; a++) {
    for (let b = 0; b < exact.dim; b++) {
      const e = exact.values[a * exact.dim + b];
      assert.equal(e, exact.values[b * exact.dim + a]);
      // Entries are covariances of binary statistics: MC sd <= 0.5 / sqrt(N) = 5e-4.
      maxDiff = Math.max(maxDiff, Math.abs(mc.values[a * exact.dim + b] - e));
    }
  }
  assert.ok(maxDiff < 3e-3, `max |MC - exact| = ${maxDiff}`);
  const ev = symmetricEigenvalues(exact.values, exact.dim);
  assert.ok(ev[ev.length - 1] > -1e-12, `smallest eigenvalue ${ev[ev.length - 1]}`);
  const evMc = symmetricEigenvalues(mc.values, mc.dim);
  assert.ok(Math.abs(evMc[0] - ev[0]) < 0.01 * ev[0]);
});

Deno.test("variance FI is N/(N-1) m(1-m) of each binary statistic", () => {
  const m = randomRbm(3, 2, 4);
  const s = exactSamples(m, 500, new Rng(1));
  const mom = sampleMoments(s);
  const vf = varianceFi(mom);
  const f = sampleFim(s);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      const k = weightIndex(3, 2, i, j);
      assert.ok(Math.abs(vf.w[i * 2 + j] - f.values[k * f.dim + k]) < 1e-12);
    }
    assert.ok(Math.abs(vf.bv[i] - f.values[i * f.dim + i]) < 1e-12);
  }
});

Deno.test("heuristic FI: formula and edge cases <v>=0, <v>=1, <h>=0 stay finite", () => {
  const mom = {
    n: 10,
    vMean: Float64Array.from([0.3, 0, 1]),
    hMean: Float64Array.from([0.4, 0]),
    vhMean: new Float64Array(6),
  };
  const w = Float64Array.from([0.5, -1, 2, 3, -4, 5]);
  const heu = heuristicFi(mom, w);
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const q = 0.4 * sig(Math.log(0.3 / 0.7) + 0.5 * 0.6);
  assert.ok(Math.abs(heu[0] - q * (1 - q)) < 1e-15);
  for (const x of heu) assert.ok(Number.isFinite(x));
  assert.equal(heu[1], 0); // <h> = 0
  assert.equal(heu[2], 0); // <v> = 0: sigma(-inf) = 0
  const q1 = 0.4 * 1; // <v> = 1: sigma(+inf) = 1
  assert.ok(Math.abs(heu[4] - q1 * (1 - q1)) < 1e-15);
  assert.equal(heu[5], 0);
});

Deno.test("symmetric eigenvalues match ml-matrix; power iteration finds the leading pair", () => {
  const rng = new Rng(4);
  const n = 40;
  const a = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = r; c < n; c++) {
      const x = rng.normal();
      a[r * n + c] = x;
      a[c * n + r] = x;
    }
  }
  const ours = symmetricEigenvalues(a, n);
  const mat = new Matrix(
    Array.from({ length: n }, (_, r) => Array.from(a.subarray(r * n, (r + 1) * n))),
  );
  const ref = new EigenvalueDecomposition(mat, { assumeSymmetric: true }).realEigenvalues.sort((
    x,
    y,
  ) => y - x);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(ours[k] - ref[k]) < 1e-9, `eigenvalue ${k}`);
  // PSD matrix with a dominant direction.
  const psd = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[r * n + k] * a[c * n + k];
      psd[r * n + c] = s;
    }
  }
  const top = leadingEigenvector(psd, n);
  const evs = symmetricEigenvalues(psd, n);
  assert.ok(Math.abs(top.value - evs[0]) < 1e-8 * evs[0]);
  let sum = 0;
  for (const x of top.vector) sum += x;
  assert.ok(sum > 0);
});

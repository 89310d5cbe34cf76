/**
 * The second WebAssembly build of the float64 kernels (register tiles, tanh inside the module) keeps
 * the arithmetic of the first (arithmetic id cpu-wasm): its tanh equals Math.tanh, its loss,
 * gradient and forward pass equal the first build's bit for bit on random networks (pruned masks,
 * odd S and odd n, the remainder rows and sequences of a tile), and it agrees with the TypeScript
 * reference kernels and with finite differences.
 *
 * The first build is tools/bench/first_wasm_build.ts. Bit equality with Math.tanh and with the
 * first build (which imported Math.tanh) is asserted on Linux x86-64, where Math.tanh is glibc's
 * tanh, the function the build reproduces; elsewhere those two tests are skipped with a notice.
 */
import assert from "node:assert/strict";
import { forward, lossAndGrad } from "../core/rnn/kernels.ts";
import { forwardWasm, lossAndGradWasm, tanhWasm } from "../core/engine/cpu/wasm_kernels.ts";
import type { SequenceSet } from "../core/engine/engine.ts";
import { DMS_SHAPE, paramLayout, RL_SHAPE, type RnnShape } from "../core/rnn/network.ts";
import { emptySequenceSet } from "../core/rnn/kernels.ts";
import { Rng } from "../core/util/rng.ts";
import { firstBuildForward, firstBuildLossAndGrad } from "../tools/bench/first_wasm_build.ts";

const glibcTanh = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
const skipNotice = `skipped: Math.tanh is glibc's only on Linux x86-64 (here ${Deno.build.target})`;

// ---------------------------------------------------------------------------------------------
// Random cases

interface Case {
  label: string;
  shape: RnnShape;
  w: Float64Array;
  data: SequenceSet;
}

const SHAPES: readonly [string, RnnShape][] = [
  ["DMS", DMS_SHAPE],
  ["RL", RL_SHAPE],
  ["n = 7 (tiles 4 + 2 + 1)", { n: 7, ni: 3, no: 2, outputBias: true }],
  ["n = 5", { n: 5, ni: 2, no: 1, outputBias: false }],
  ["n = 1", { n: 1, ni: 1, no: 1, outputBias: true }],
  ["n = 13", { n: 13, ni: 4, no: 3, outputBias: true }],
  ["n = 6", { n: 6, ni: 6, no: 1, outputBias: false }],
];

/** A random network and sequence set: input density, weight scale and pruning vary per case. */
function randomCase(rng: Rng, i: number, maxS = 19, maxT = 17): Case {
  const [name, shape] = SHAPES[i % SHAPES.length];
  const s = 1 + Math.floor(rng.uniform() * maxS);
  const t = 1 + Math.floor(rng.uniform() * maxT);
  const data = emptySequenceSet(shape, s, t);
  const density = rng.uniform();
  for (let m = 0; m < data.inputs.length; m++) {
    data.inputs[m] = rng.uniform() < density ? rng.normal() : 0;
  }
  for (let m = 0; m < data.targets.length; m++) data.targets[m] = rng.normal();
  const L = paramLayout(shape);
  // up to large weights, so that tanh saturates (|x| > 22 included) in some cases
  const scale = i % 11 === 0 ? 8 : 0.2 + 1.5 * rng.uniform();
  const w = new Float64Array(L.size).map(() => scale * rng.normal());
  const prune = i % 5 === 0 ? 0 : 1.05 * rng.uniform(); // some cases lose all of A
  for (let m = L.a; m < L.a + shape.n * shape.n; m++) if (rng.uniform() < prune) w[m] = 0;
  if (i % 7 === 0) {
    for (let m = L.b; m < L.b + shape.n * shape.ni; m++) if (rng.uniform() < 0.5) w[m] = 0;
  }
  return { label: `${name}, S = ${s}, T = ${t}, pruned ${prune.toFixed(2)}`, shape, w, data };
}

function sameBits(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  for (let m = 0; m < a.length; m++) if (!Object.is(a[m], b[m])) diff++;
  return diff;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let d = 0;
  for (let m = 0; m < a.length; m++) {
    scale = Math.max(scale, Math.abs(a[m]));
    d = Math.max(d, Math.abs(a[m] - b[m]));
  }
  return d / (scale || 1);
}

// ---------------------------------------------------------------------------------------------
// tanh

function fromBits(bits: bigint): number {
  return new Float64Array(BigInt64Array.of(bits).buffer)[0];
}

/** Doubles around x: the 400 neighbours on each side, both signs. */
function around(x: number): number[] {
  const f = new Float64Array(1);
  const bits = new BigInt64Array(f.buffer);
  const out: number[] = [];
  for (let d = -400; d <= 400; d++) {
    f[0] = x;
    bits[0] += BigInt(d);
    out.push(f[0], -f[0]);
  }
  return out;
}

Deno.test("cpu-wasm build: its tanh is Math.tanh bit for bit", () => {
  if (!glibcTanh) {
    console.warn(skipNotice);
    return;
  }
  const rng = new Rng(11);
  const xs: number[] = [];
  for (let m = 0; m < 300_000; m++) xs.push(8 * rng.uniform() - 4);
  for (let m = 0; m < 100_000; m++) xs.push(0.4 * rng.uniform() - 0.2);
  for (let m = 0; m < 100_000; m++) xs.push(50 * rng.uniform() - 25);
  for (let m = 0; m < 200_000; m++) {
    xs.push((rng.uniform() < 0.5 ? -1 : 1) * 2 ** (-70 + 76 * rng.uniform()));
  }
  // every branch boundary of glibc's tanh and expm1 (|2x| at 0.5 ln2, 1.5 ln2, (k + 0.5) ln2)
  const halfLn2 = fromBits(0x3FD62E4300000000n); // glibc's thresholds on |2x|, as high words
  const threeHalvesLn2 = fromBits(0x3FF0A2B200000000n);
  for (const b of [2 ** -55, halfLn2 / 2, threeHalvesLn2 / 2, 0.5, 1, 19.4, 22, 2 ** -28]) {
    xs.push(...around(b));
  }
  for (let k = 1; k < 64; k++) xs.push(...around((k + 0.5) * Math.LN2 / 2));
  xs.push(0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2.2250738585072014e-308, 1e300);
  const got = tanhWasm(Float64Array.from(xs));
  let bad = 0;
  for (let m = 0; m < xs.length; m++) {
    if (!Object.is(got[m], Math.tanh(xs[m]))) {
      if (bad < 5) console.error(`tanh(${xs[m]}): ${got[m]} vs Math.tanh ${Math.tanh(xs[m])}`);
      bad++;
    }
  }
  assert.equal(bad, 0, `${bad} of ${xs.length} values differ from Math.tanh`);
});

// ---------------------------------------------------------------------------------------------
// Bit identity with the first build

Deno.test("cpu-wasm build: loss, gradient and forward pass equal the first build bit for bit", () => {
  if (!glibcTanh) {
    console.warn(skipNotice);
    return;
  }
  const rng = new Rng(2026);
  const cases = Array.from({ length: 420 }, (_, i) => randomCase(rng, i));
  // full DMS sets (S = 16 and 32, T = 58), where the bench and fig5 spend their time
  for (const s of [16, 32, 15]) {
    const c = randomCase(rng, 0, 1, 1);
    const data = emptySequenceSet(DMS_SHAPE, s, 58);
    for (let m = 0; m < data.inputs.length; m++) {
      data.inputs[m] = rng.uniform() < 0.2 ? 1 : 0;
    }
    for (let m = 0; m < data.targets.length; m++) data.targets[m] = rng.normal();
    cases.push({ ...c, label: `DMS, S = ${s}, T = 58`, data });
  }
  for (const c of cases) {
    const K = paramLayout(c.shape).size;
    const grad = new Float64Array(K);
    const loss = lossAndGradWasm(c.shape, c.w, c.data, grad);
    const oldGrad = new Float64Array(K);
    const oldLoss = firstBuildLossAndGrad(c.shape, c.w, c.data, oldGrad);
    assert.ok(Object.is(loss, oldLoss), `${c.label}: loss ${loss} vs ${oldLoss}`);
    assert.equal(sameBits(grad, oldGrad), 0, `${c.label}: gradient entries differ`);
    const fwd = forwardWasm(c.shape, c.w, c.data);
    const old = firstBuildForward(c.shape, c.w, c.data);
    assert.equal(sameBits(fwd.x, old.x), 0, `${c.label}: pre-activations differ`);
    assert.equal(sameBits(fwd.y, old.y), 0, `${c.label}: outputs differ`);
  }
});

// ---------------------------------------------------------------------------------------------
// Against the reference kernels and finite differences

Deno.test("cpu-wasm build: agrees with the TypeScript reference kernels", () => {
  const rng = new Rng(5);
  for (let i = 0; i < 140; i++) {
    const c = randomCase(rng, i);
    const K = paramLayout(c.shape).size;
    const g1 = new Float64Array(K);
    const g2 = new Float64Array(K);
    const e1 = lossAndGrad(c.shape, c.w, c.data, g1);
    const e2 = lossAndGradWasm(c.shape, c.w, c.data, g2);
    assert.ok(Math.abs(e1 - e2) <= 1e-13 * Math.abs(e1), `${c.label}: loss ${e1} vs ${e2}`);
    assert.ok(maxRelDiff(g1, g2) < 1e-12, `${c.label}: gradient ${maxRelDiff(g1, g2)}`);
    const f1 = forward(c.shape, c.w, c.data);
    const f2 = forwardWasm(c.shape, c.w, c.data);
    assert.ok(maxRelDiff(f1.x, f2.x) < 1e-13, `${c.label}: x`);
    assert.ok(maxRelDiff(f1.y, f2.y) < 1e-13, `${c.label}: y`);
  }
});

Deno.test("cpu-wasm build: gradient matches central finite differences (pruned, odd S and n)", () => {
  const rng = new Rng(17);
  for (let i = 1; i < 36; i++) {
    if (i % 11 === 0) continue; // saturated networks have flat, ill-conditioned losses
    const c = randomCase(rng, i, 9, 12);
    const L = paramLayout(c.shape);
    const grad = new Float64Array(L.size);
    lossAndGradWasm(c.shape, c.w, c.data, grad);
    const scale = Math.max(...grad.map(Math.abs));
    const wp = c.w.slice();
    const sink = new Float64Array(L.size);
    for (let probe = 0; probe < 12; probe++) {
      const m = Math.floor(rng.uniform() * L.size);
      const h = 1e-5 * Math.max(1, Math.abs(c.w[m]));
      wp[m] = c.w[m] + h;
      const up = lossAndGradWasm(c.shape, wp, c.data, sink);
      wp[m] = c.w[m] - h;
      const down = lossAndGradWasm(c.shape, wp, c.data, sink);
      wp[m] = c.w[m];
      const fd = (up - down) / (2 * h);
      assert.ok(
        Math.abs(fd - grad[m]) <= 1e-6 * scale + 1e-7 * Math.abs(grad[m]),
        `${c.label}: parameter ${m}: analytic ${grad[m]}, finite difference ${fd}`,
      );
    }
  }
});

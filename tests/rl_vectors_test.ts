import assert from "node:assert/strict";
import { fromMatrices, paramLayout, RL_SHAPE } from "../core/rnn/network.ts";
import { forward, lossAndGrad, sequenceTrajectory } from "../core/rnn/kernels.ts";
import { maxLyapunov } from "../core/rnn/lyapunov.ts";
import { RL_LE_WINDOW } from "../core/rl/evaluate.ts";
import { blockFromHistory, RlStepper, toSequenceSet } from "../core/rl/block.ts";
import { BLOCK_STEPS, INPUTS } from "../core/rl/bandit.ts";

// Spec 12.3: deterministic weights from h(q) = 2 frac(q * golden) - 1.
function h(q: number): number {
  const z = q * 0.6180339887498949;
  return 2 * (z - Math.floor(z)) - 1;
}

function vectorWeights(): Float64Array {
  const B = Array.from(
    { length: 20 },
    (_, i) => Array.from({ length: 10 }, (_, j) => 0.4 * h(1 + i + 20 * j)),
  );
  const A = Array.from(
    { length: 20 },
    (_, i) => Array.from({ length: 20 }, (_, j) => 0.3 * h(1001 + i + 20 * j)),
  );
  const C = Array.from(
    { length: 4 },
    (_, i) => Array.from({ length: 21 }, (_, j) => 0.4 * h(2001 + i + 4 * j)),
  );
  return fromMatrices(RL_SHAPE, { B, A, C });
}

/** The fixed history of spec 12.3, as 0-based options. */
function vectorHistory(): { choices: number[]; rewards: number[] } {
  const choices: number[] = [], rewards: number[] = [];
  for (let k = 1; k <= BLOCK_STEPS; k++) {
    const n = Math.ceil(k / 2);
    let c: number, r: number;
    if (k % 2 === 1) {
      c = n % 7 === 0 ? 2 : 1;
      r = c !== 1 ? -1 : 0;
    } else if (n === 10) {
      c = 4;
      r = 0;
    } else if (n === 20) {
      c = 1;
      r = 0;
    } else {
      c = n % 3 !== 0 ? 2 : 3;
      r = n % 2 === 1 ? 1 : 0;
    }
    choices.push(c - 1);
    rewards.push(r);
  }
  return { choices, rewards };
}

function norm(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("spec 12.3: history, targets at k = 59, 60", () => {
  const { choices, rewards } = vectorHistory();
  assert.deepEqual(choices.slice(0, 20).map((c) => c + 1), [
    1,
    2,
    1,
    2,
    1,
    3,
    1,
    2,
    1,
    2,
    1,
    3,
    2,
    2,
    1,
    2,
    1,
    3,
    1,
    4,
  ]);
  assert.deepEqual(rewards.slice(0, 20), [
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    -1,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
  ]);
  const block = blockFromHistory(choices, rewards);
  const t59 = Array.from(block.targets.subarray(58 * 4, 59 * 4));
  const t60 = Array.from(block.targets.subarray(59 * 4, 60 * 4));
  close(t59[0], 0, 1e-13, "t59[0]");
  close(t59[1], -0.98785, 1e-12, "t59[1]");
  close(t59[2], 0.5, 0, "t59[2]");
  close(t59[3], 0.5, 0, "t59[3]");
  const want60 = [0.15, 0.72523891, 0.76923607, 0.15];
  want60.forEach((v, o) => close(t60[o], v, 5e-9, `t60[${o}]`));
  // Inputs: channel 1 always 1; step 2 carries choice 1 one-hot and reward 0 of step 1.
  assert.equal(block.inputs[0], 1);
  assert.equal(block.inputs[INPUTS + 5], 1);
  assert.equal(block.inputs[2 * INPUTS + 9], 1, "reward of step 2 appears at step 3");
});

Deno.test("spec 12.3: loss, gradient norms, y(2) with the engine kernels", () => {
  const w = vectorWeights();
  const { choices, rewards } = vectorHistory();
  const data = toSequenceSet([blockFromHistory(choices, rewards)]);
  const grad = new Float64Array(w.length);
  const E = lossAndGrad(RL_SHAPE, w, data, grad);
  close(E, 2.337332817, 1e-8, "E");
  const L = paramLayout(RL_SHAPE);
  close(norm(grad.subarray(L.b, L.a)), 1.881170274, 1e-8, "|dB|");
  close(norm(grad.subarray(L.a, L.c)), 1.759164488, 1e-8, "|dA|");
  close(norm(grad.subarray(L.c, L.size)), 4.378946247, 1e-8, "|dC|");
  close(grad[L.c + 0 + 4 * 20], -0.9160725998, 1e-9, "dC(1,21)");
  const fwd = forward(RL_SHAPE, w, data);
  const want = [0.1836129976, -0.1878844034, -0.7521840663, 0.8318440997];
  want.forEach((v, o) => close(fwd.y[(1 * 4 + o) * 1 + 0], v, 1e-9, `y(2)[${o}]`));
});

Deno.test("the single-step simulator matches the engine's forward pass", () => {
  const w = vectorWeights();
  const { choices, rewards } = vectorHistory();
  const block = blockFromHistory(choices, rewards);
  const fwd = forward(RL_SHAPE, w, toSequenceSet([block]));
  const net = new RlStepper(w);
  for (let k = 0; k < BLOCK_STEPS; k++) {
    net.step(block.inputs.subarray(k * INPUTS, (k + 1) * INPUTS));
    for (let o = 0; o < 4; o++) close(net.y[o], fwd.y[k * 4 + o], 1e-12, `y(${k + 1})[${o}]`);
    for (let i = 0; i < 20; i++) close(net.x[i], fwd.x[k * 20 + i], 1e-12, `x(${k + 1})[${i}]`);
  }
});

Deno.test("spec 12.3: max LE over k = 2..60 (code order, divisor 116)", () => {
  const w = vectorWeights();
  const { choices, rewards } = vectorHistory();
  const data = toSequenceSet([blockFromHistory(choices, rewards)]);
  const traj = sequenceTrajectory(forward(RL_SHAPE, w, data), RL_SHAPE, data, 0);
  const le = maxLyapunov(RL_SHAPE, w, traj, { ...RL_LE_WINDOW, order: "code" });
  assert.ok(le !== null);
  close(le, -0.2417127263, 1e-9, "max LE");
});

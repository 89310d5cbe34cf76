import assert from "node:assert/strict";
import { pairedChoice, QAgent, sampleIndex, softmax } from "../core/rl/agent.ts";
import {
  bestChoiceOption,
  choiceRewardProbability,
  drawReward,
  stateFromInputs,
  writeStimulusChannels,
} from "../core/rl/bandit.ts";
import { meanSummary, simulateBlocks, summarizeBlock } from "../core/rl/block.ts";
import { initWeights, RL_INIT, RL_SHAPE } from "../core/rnn/network.ts";
import { Rng } from "../core/util/rng.ts";

Deno.test("Q update: only the chosen entry moves, by rho (R - Q)", () => {
  const a = new QAgent();
  a.update(1, 2, 1);
  assert.equal(a.q[1 * 4 + 2], 0.5 + 0.7 * 0.5);
  a.update(1, 2, 0);
  assert.ok(Math.abs(a.q[1 * 4 + 2] - 0.85 * 0.3) < 1e-15);
  a.update(0, 3, -1);
  assert.ok(Math.abs(a.q[3] - (0.5 - 0.7 * 1.5)) < 1e-15);
  const untouched = Array.from(a.q).filter((_, i) => i !== 6 && i !== 3);
  assert.ok(untouched.every((v) => v === 0.5));
});

Deno.test("softmax with beta 3 and the cumulative choice rule", () => {
  assert.deepEqual(Array.from(softmax([0, 0, 0, 0])), [0.25, 0.25, 0.25, 0.25]);
  const p = softmax([1, 0, 0, 0]);
  const e3 = Math.exp(3);
  assert.ok(Math.abs(p[0] - e3 / (e3 + 3)) < 1e-15);
  assert.ok(Math.abs(p[1] - 1 / (e3 + 3)) < 1e-15);
  const pol = [0.1, 0.2, 0.3, 0.4];
  assert.equal(sampleIndex(pol, 0.05), 0);
  assert.equal(sampleIndex(pol, 0.1), 0, "smallest j with cumsum >= v");
  assert.equal(sampleIndex(pol, 0.25), 1);
  assert.equal(sampleIndex(pol, 0.95), 3);
  assert.equal(sampleIndex(pol, 1), 3);
});

Deno.test("paired choices: common random number and epsilon branch", () => {
  // Exploring: both uniform, v = 0.6 falls in the third quarter.
  const c = pairedChoice([5, 0, 0, 0], [0, 0, 0, 5], { epsilon: 0.15, uExplore: 0.1, v: 0.6 });
  assert.deepEqual(c, { network: 2, model: 2, explored: true });
  // Not exploring: the network strongly prefers option 0, the model option 3.
  const d = pairedChoice([5, 0, 0, 0], [0, 0, 0, 5], { epsilon: 0.15, uExplore: 0.2, v: 0.6 });
  assert.deepEqual(d, { network: 0, model: 3, explored: false });
  // Equal preferences give equal choices for every v (common random numbers).
  for (const v of [0.01, 0.3, 0.55, 0.99]) {
    const e = pairedChoice([0.2, 0.9, 0.1, 0.4], [0.2, 0.9, 0.1, 0.4], {
      epsilon: 0,
      uExplore: 0.5,
      v,
    });
    assert.equal(e.network, e.model);
  }
});

Deno.test("bandit: schedule, states and rewards", () => {
  assert.equal(bestChoiceOption("standard", 1), 2, "odd blocks favour target 2");
  assert.equal(bestChoiceOption("standard", 2), 1);
  assert.equal(bestChoiceOption("newOption", 1), 3);
  assert.equal(choiceRewardProbability("newOption", 2, 2), 0, "target 2 is never rewarded");
  assert.ok(Math.abs(choiceRewardProbability("newOption", 2, 3) - 0.2) < 1e-15);
  const rng = new Rng(1);
  assert.equal(drawReward("standard", 1, 0, 0, rng), 0);
  assert.equal(drawReward("standard", 1, 0, 2, rng), -1);
  assert.equal(drawReward("standard", 1, 1, 3, rng), 0);
  const u = new Float64Array(10);
  writeStimulusChannels("standard", 0, u);
  assert.equal(stateFromInputs(u), 0);
  writeStimulusChannels("standard", 1, u);
  assert.equal(stateFromInputs(u), 1);
  writeStimulusChannels("newOption", 1, u);
  assert.equal(stateFromInputs(u), 2);
  assert.throws(() => stateFromInputs(new Float64Array(10)));
});

Deno.test("simulation: deterministic with a seed, invariants of the summaries", () => {
  const w = initWeights(RL_SHAPE, RL_INIT, new Rng(3));
  const a = simulateBlocks(w, { blocks: 4, epsilon: 0.15, noiseVariance: 0.1, rng: new Rng(9) });
  const b = simulateBlocks(w, { blocks: 4, epsilon: 0.15, noiseVariance: 0.1, rng: new Rng(9) });
  assert.deepEqual(a.map((x) => Array.from(x.targets)), b.map((x) => Array.from(x.targets)));
  assert.deepEqual(a.map((x) => Array.from(x.choices)), b.map((x) => Array.from(x.choices)));
  // Shared noise: target - q is the same for all 4 outputs at each step.
  for (let k = 0; k < 60; k++) {
    const d0 = a[0].targets[k * 4] - a[0].q[k * 4];
    for (let o = 1; o < 4; o++) {
      assert.ok(Math.abs(a[0].targets[k * 4 + o] - a[0].q[k * 4 + o] - d0) < 1e-12);
    }
  }
  // Always exploring: both choices come from the same uniform draw, so they always agree.
  const all = simulateBlocks(w, { blocks: 3, epsilon: 1, noiseVariance: 0, rng: new Rng(2) });
  assert.equal(meanSummary(all).agreement, 1);
  const s = summarizeBlock(all[0]);
  const fixPenalties = Array.from(all[0].choices).filter((c, k) => k % 2 === 0 && c !== 0).length;
  assert.ok(s.reward >= -fixPenalties && s.reward <= 30 - fixPenalties);
  assert.throws(() =>
    simulateBlocks(w, { blocks: 0, epsilon: 0, noiseVariance: 0, rng: new Rng(1) })
  );
  assert.throws(() =>
    simulateBlocks(w, { blocks: 1, epsilon: 2, noiseVariance: 0, rng: new Rng(1) })
  );
  assert.throws(() =>
    simulateBlocks(new Float64Array(5), {
      blocks: 1,
      epsilon: 0,
      noiseVariance: 0,
      rng: new Rng(1),
    })
  );
});

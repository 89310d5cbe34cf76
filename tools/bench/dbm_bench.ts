/**
 * Benchmark of the DBM kernels and of the reduced bm-fig4 default (docs/dbm_design.md):
 *
 *   deno run -A tools/bench/dbm_bench.ts [--engine cpu|webgpu] [--quick] [--references]
 *     [--run [--sweeps N] [--digits N]] [--population 1,6,60 [--out FILE]]
 *
 * Prints the machine load (uptime) and per-kernel throughput (useful FLOP: multiply-adds x 2, or
 * adds for binary operands, of the work actually needed; and dense-equivalent FLOP). With
 * --references it measures the substitute's reference numbers (spec 7.2). With --run it
 * runs the reduced default end to end (one seed, all six criteria, through runDbmPruning) and prints
 * the references, every checkpoint's counts, quality and entropy, and wall and CPU time per phase.
 * With --population it times the two operations that dominate the paper's protocol for populations
 * of P paper-size DBMs (one per seed x criterion): retraining updates (mini-batches of 10, 100
 * persistent chains, 10 mean-field iterations) and sampler sweeps (1,000 chains), per model and in
 * total, which is what a GPU is for (docs/gpu.md).
 *
 * @module
 */
import process from "node:process";
import type { DbmKernels } from "../../core/engine/dbm.ts";
import { CpuDbmKernels } from "../../core/engine/cpu/dbm_kernels.ts";
import { loadMnistSubstitute } from "../../core/data/mnist.ts";
import { Rng } from "../../core/util/rng.ts";
import { reducedProtocol } from "../../core/bm/dbm/protocol.ts";
import { runDbmPruning } from "../../core/bm/dbm/run.ts";
import { rawReferences } from "../../core/bm/dbm/evaluate.ts";
import { maskedNormal, receptiveFieldMask } from "../../core/bm/dbm/model.ts";
import { stack } from "../../core/bm/dbm/pretrain.ts";
import { DbmPopulation } from "../../core/bm/dbm/population.ts";
import { SlotStreams } from "../../core/bm/dbm/streams.ts";

const args = Deno.args;
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const engineName = flag("engine", "cpu");
const quick = args.includes("--quick");

async function makeKernels(): Promise<DbmKernels> {
  if (engineName === "webgpu") {
    const mod = await import("../../core/engine/webgpu/dbm_kernels.ts");
    return await mod.createWebGpuDbmKernels();
  }
  return new CpuDbmKernels();
}

function uptime(): string {
  try {
    return new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim();
  } catch {
    return "(uptime unavailable)";
  }
}

/** User + system CPU seconds of this process. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall and user+system CPU seconds of an async phase. */
async function timed<T>(label: string, fn: () => Promise<T>): Promise<{ value: T; wall: number }> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  console.log(
    `${label.padEnd(44)} wall ${wall.toFixed(2).padStart(8)} s   cpu ${
      cpu.toFixed(2).padStart(8)
    } s`,
  );
  return { value, wall };
}

function randomBits(n: number, p: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let q = 0; q < n; q++) out[q] = rng.uniform() < p ? 1 : 0;
  return out;
}

async function kernelBench(k: DbmKernels): Promise<void> {
  const rng = new Rng(1);
  const nv = 400;
  const n1 = 400;
  const n2 = 676;
  const C = 1000;
  const w2 = k.alloc({ slots: 1, rows: n1, cols: n2 });
  k.write(w2, { slot: 0, data: Float32Array.from({ length: n1 * n2 }, () => 0.1 * rng.normal()) });
  const h1 = k.alloc({ slots: 1, rows: C, cols: n1 });
  k.write(h1, { slot: 0, data: randomBits(C * n1, 0.4, rng) });
  const h2 = k.alloc({ slots: 1, rows: C, cols: n2 });
  k.write(h2, { slot: 0, data: randomBits(C * n2, 0.01, rng) });
  const out2 = k.alloc({ slots: 1, rows: C, cols: n2 });
  const out1 = k.alloc({ slots: 1, rows: C, cols: n1 });
  const mu = k.alloc({ slots: 1, rows: 10, cols: n1 });
  k.write(mu, { slot: 0, data: Float32Array.from({ length: 10 * n1 }, () => rng.uniform()) });
  const mu2 = k.alloc({ slots: 1, rows: 10, cols: n2 });
  const g = k.alloc({ slots: 1, rows: n1, cols: n2 });
  const sync = k.alloc({ slots: 1, rows: 1, cols: 1 });
  const run = async (
    label: string,
    flops: number,
    dense: number,
    fn: () => void,
  ): Promise<void> => {
    fn();
    await k.read(sync, 0);
    let reps = 0;
    const t0 = performance.now();
    // At least 0.3 s (0.1 s with --quick) of repetitions; the read waits for a device queue.
    while (performance.now() - t0 < (quick ? 100 : 300)) {
      fn();
      reps++;
      if (reps % 4 === 0) await k.read(sync, 0);
    }
    await k.read(sync, 0);
    const s = (performance.now() - t0) / 1000 / reps;
    console.log(
      `${label.padEnd(44)} ${(s * 1e3).toFixed(2).padStart(8)} ms  useful ${
        (flops / s / 1e9).toFixed(2)
      } GFLOP/s  dense-equiv ${(dense / s / 1e9).toFixed(2)} GFLOP/s`,
    );
  };
  const dense = 2 * C * n1 * n2;
  await run("h1 (binary, 40%) x W2, 1000 x 400 x 676", 0.4 * C * n1 * n2, dense, () => {
    k.linear(out2, h1, { w: w2 });
  });
  await run("h2 (binary, 1%) x W2', 1000 x 676 x 400", 0.01 * C * n1 * n2, dense, () => {
    k.linear(out1, h2, { w: w2, transpose: true });
  });
  await run("mu1 (dense) x W2, 10 x 400 x 676", 2 * 10 * n1 * n2, 2 * 10 * n1 * n2, () => {
    k.linear(mu2, mu, { w: w2 });
  });
  await run("outer mu1' mu2, 10 rows, 400 x 676", 2 * 10 * n1 * n2, 2 * 10 * n1 * n2, () => {
    k.outer(g, mu, { b: mu2, alpha: 0.1, beta: 0 });
  });
  const h1s = k.alloc({ slots: 1, rows: 50, cols: n1 });
  k.write(h1s, { slot: 0, data: randomBits(50 * n1, 0.4, rng) });
  const h2s = k.alloc({ slots: 1, rows: 50, cols: n2 });
  k.write(h2s, { slot: 0, data: randomBits(50 * n2, 0.01, rng) });
  await run(
    "outer H1' H2 (binary), 50 rows",
    2 * 50 * 0.4 * n1 * 0.01 * n2,
    2 * 50 * n1 * n2,
    () => {
      k.outer(g, h1s, { b: h2s, alpha: -0.02, beta: 1 });
    },
  );
  const d = k.alloc({ slots: 1, rows: n1, cols: n2 });
  await run("momentum step + max-norm, 400 x 676", 6 * n1 * n2, 6 * n1 * n2, () => {
    k.momentumStep(w2, g, { buffer: d, lr: 0.01, momentum: 0.5, maxNorm: 6 });
  });
  await run("sigmoid + Bernoulli, 1000 x 676", 2 * C * n2, 2 * C * n2, () => {
    k.sigmoid(out2, out2);
    k.bernoulli(out2, out2, { keys: new Uint32Array([1, 2]) });
  });
  void nv;
  for (const t of [w2, h1, h2, out2, out1, mu, mu2, g, h1s, h2s, d, sync]) k.free(t);
}

/** The substitute's references: raw-digit baseline error, test-digit and random-pattern quality. */
async function referencesBench(): Promise<void> {
  const data = loadMnistSubstitute();
  const p = reducedProtocol();
  const { value: r } = await timed(
    "raw-digit classifier and references",
    () =>
      rawReferences(data.train, data.test, {
        c: p.classifier.cRaw,
        tolerance: p.classifier.tolerance,
        maxIterations: p.classifier.maxIterations,
        randomPatterns: p.referencePatterns,
        rng: new Rng(1),
      }),
  );
  console.log(data.source);
  console.log(
    `baseline error ${r.baselineError.toFixed(4)}; test digits: quality ${
      r.testDigits.quality.toFixed(3)
    } (per class ${r.testDigits.qualityPerClass.toFixed(3)}), entropy ${
      r.testDigits.entropy.toFixed(3)
    }; random patterns: quality ${r.randomPatterns.quality.toFixed(3)} (per class ${
      r.randomPatterns.qualityPerClass.toFixed(3)
    }); L-BFGS iterations ${r.iterations}`,
  );
}

/** Runs the reduced default end to end (all six criteria) and reports time per phase. */
async function runBench(k: DbmKernels): Promise<void> {
  const protocol = reducedProtocol();
  const digits = flag("digits", "");
  if (digits) protocol.trainDigits = Number(digits);
  const sweeps = flag("sweeps", "");
  if (sweeps) protocol.sampler.sweeps = Number(sweeps);
  const data = loadMnistSubstitute();
  const wall = new Map<string, number>();
  const cpu = new Map<string, number>();
  let phase = "start";
  let t = performance.now();
  let c = cpuSeconds();
  const account = (next: string): void => {
    const now = performance.now();
    const cn = cpuSeconds();
    wall.set(phase, (wall.get(phase) ?? 0) + (now - t) / 1000);
    cpu.set(phase, (cpu.get(phase) ?? 0) + (cn - c));
    t = now;
    c = cn;
    phase = next;
  };
  const t0 = performance.now();
  const c0 = cpuSeconds();
  let checkpoints = 0;
  let last = "";
  await runDbmPruning(k, { train: data.train, test: data.test }, {
    protocol,
    seeds: [0],
    onProgress: (p) => {
      const name = `${p.phase}${p.iteration > 0 ? ` (iteration ${p.iteration})` : ""}`;
      if (name !== phase) account(name);
    },
    onReferences: (r) => {
      console.log(
        `references: baseline error ${r.baselineError.toFixed(4)}, test quality ${
          r.testDigits.quality.toFixed(3)
        } (per class ${r.testDigits.qualityPerClass.toFixed(3)}), random quality ${
          r.randomPatterns.quality.toFixed(3)
        }`,
      );
    },
    onCheckpoint: (ck) => {
      checkpoints++;
      const m = ck.measures;
      const line = `${
        ck.criterion ?? "initial"
      } it ${ck.iteration}: nw ${m.counts.nw1}+${m.counts.nw2}, units ${m.counts.n1}/${m.counts.n2}, quality ${
        m.generative.qualityPerClass.toFixed(3)
      }, entropy ${m.generative.entropy.toFixed(3)}`;
      if (line !== last) console.log(`  ${line}`);
      last = line;
    },
  });
  account("end");
  const total = (performance.now() - t0) / 1000;
  console.log(`\nphase times (wall / cpu, seconds):`);
  for (const [name, w] of wall) {
    if (name === "start") continue;
    console.log(
      `  ${name.padEnd(28)} ${w.toFixed(1).padStart(7)} ${
        (cpu.get(name) ?? 0).toFixed(1).padStart(7)
      }`,
    );
  }
  console.log(
    `reduced bm-fig4 default, 1 seed, 6 criteria, ${checkpoints} checkpoints: wall ${
      total.toFixed(0)
    } s, cpu ${
      (cpuSeconds() - c0).toFixed(0)
    } s (sampler ${protocol.sampler.samples} samples = ${protocol.sampler.chains} chains x ${protocol.sampler.sweeps} sweeps per record)`,
  );
}

/** Retraining updates and sampler sweeps per second for populations of paper-size DBMs. */
async function populationBench(k: DbmKernels, sizes: number[]): Promise<void> {
  const data = loadMnistSubstitute();
  const mask1 = receptiveFieldMask(20, 2);
  const rows: Record<string, number>[] = [];
  for (const P of sizes) {
    const models = Array.from({ length: P }, (_, p) => {
      const rng = new Rng(100 + p);
      return stack({
        nv: 400,
        nh: 400,
        w: maskedNormal(mask1, { sd: 0.3, rng }),
        bv: new Float32Array(400).fill(-1),
        bh: new Float32Array(400).fill(-1),
        mask: mask1,
      }, {
        nv: 400,
        nh: 676,
        w: maskedNormal(new Uint8Array(400 * 676).fill(1), { sd: 0.1, rng }),
        bv: new Float32Array(400).fill(-1),
        // About the paper's h2 activity (0.01-0.02).
        bh: new Float32Array(676).fill(-5),
        mask: null,
      });
    });
    const pop = new DbmPopulation(k, models, {
      particles: 100,
      streams: SlotStreams.fromSeeds(models.map((_, p) => p + 1)),
    });
    try {
      const digits = { n: 200, width: 400, bits: data.train.bits.subarray(0, 200 * 400) };
      pop.initParticlesFromData(digits);
      const train = async (): Promise<void> =>
        await pop.train(digits, {
          schedule: { epochs: 1, batch: 10, lr: [0, 0.01], momentum: [0, 0.5] },
          meanField: { maxIterations: 10, tolerance: 0 },
          maxNorm: 6,
        });
      await train(); // warm-up (pipelines, caches)
      const ta = performance.now();
      await train();
      await pop.getParticles(0);
      const updates = 20 / ((performance.now() - ta) / 1000);
      const sweeps = quick ? 10 : 40;
      const tb = performance.now();
      await pop.sample({ chains: 1000, sweeps, samples: 1000, onRecord: () => {} });
      const sweepRate = sweeps / ((performance.now() - tb) / 1000);
      rows.push({ models: P, updatesPerSecond: updates, sweepsPerSecond: sweepRate });
      console.log(
        `population ${String(P).padStart(3)}: ${updates.toFixed(1)} retraining updates/s ` +
          `(${(updates * P).toFixed(0)} model-updates/s), ${sweepRate.toFixed(2)} sweeps/s of ` +
          `1000 chains (${(sweepRate * P).toFixed(1)} model-sweeps/s)`,
      );
    } finally {
      pop.free();
    }
  }
  const out = flag("out", "");
  if (out) {
    Deno.writeTextFileSync(
      out,
      JSON.stringify({ engine: k.description, load: uptime(), rows }, null, 1),
    );
  }
}

console.log(`load: ${uptime()}`);
const kernels = await makeKernels();
console.log(`engine: ${kernels.description}`);
const population = flag("population", "");
if (population) {
  await populationBench(kernels, population.split(",").map(Number));
} else {
  await kernelBench(kernels);
}
if (args.includes("--references")) await referencesBench();
if (args.includes("--run")) await runBench(kernels);
await kernels.close();

/**
 * `deno run -A tools/bench/kernel_cpu_time.ts [--reps R] [--evals N] [--prune L] [--shape rl]`:
 * the float64 gradient kernels on one thread, before and after: the first WebAssembly build
 * (tools/bench/first_wasm_build.ts), the current one, and the TypeScript reference, on the bench's
 * 16 DMS networks (16 sequences x 58 steps; `--prune L`: A pruned by magnitude at level L), beside
 * the NumPy baseline (tools/bench/numpy_baseline.py, one BLAS thread, 16 unpruned networks of the
 * same size) when python3 has NumPy; `--shape rl`: 16 networks of the RL shape (20 units, spec
 * initialisation) on synthetic sets of RL size (24 blocks x 60 steps, 30% of inputs 1), no NumPy. Each build runs N
 * evaluations per repetition, builds interleaved, and the least CPU time (user + system of the
 * process, `process.cpuUsage`; NumPy: `time.process_time` of one call of 16 evaluations) per
 * evaluation counts: on a machine shared with other work, CPU time is less disturbed than wall
 * time, and the minimum least of all. Prints the load average with the results, and the fraction of
 * the core's measured WebAssembly SIMD peak (tools/bench/cpu_peak.ts).
 *
 * @module
 */
import process from "node:process";
import { loadavg } from "node:os";
import { lossAndGradWasm } from "../../core/engine/cpu/wasm_kernels.ts";
import { lossAndGrad } from "../../core/rnn/kernels.ts";
import {
  DMS_SHAPE,
  initWeights,
  paramLayout,
  RL_INIT,
  RL_SHAPE,
  type RnnShape,
} from "../../core/rnn/network.ts";
import { emptySequenceSet } from "../../core/rnn/kernels.ts";
import { magnitudePrune } from "../../core/rnn/prune.ts";
import { Rng } from "../../core/util/rng.ts";
import { parseFlags, stringFlag } from "../../core/app/args.ts";
import { parseIntFlag, parseNumberFlag } from "../../core/app/flags.ts";
import { UsageError } from "../../core/util/errors.ts";
import { benchJobs, DMS_EVAL_FLOPS, numpyAvailable } from "./bench.ts";
import { gradFlops, type GradJob } from "../../core/engine/engine.ts";
import { firstBuildLossAndGrad } from "./first_wasm_build.ts";
import { measureWasmSimdPeak } from "./cpu_peak.ts";
import type { GradKernel } from "../../core/engine/cpu/kernel_builds.ts";

/** One kernel's best CPU time per evaluation. */
export interface KernelTime {
  /** Which build. */
  build: string;
  /** Least CPU milliseconds per evaluation over the repetitions. */
  cpuMsPerEval: number;
}

/** The 16 networks measured: the bench's DMS set (A optionally pruned), or RL-sized ones. */
export function kernelJobs(shape: "dms" | "rl", prune: number): GradJob[] {
  if (shape === "dms") {
    const jobs = benchJobs(16);
    if (prune === 0) return jobs;
    return jobs.map((j) => ({ ...j, w: magnitudePrune(DMS_SHAPE, j.w, prune).w }));
  }
  const rng = new Rng(3);
  return Array.from({ length: 16 }, () => {
    const data = emptySequenceSet(RL_SHAPE, 24, 60);
    for (let m = 0; m < data.inputs.length; m++) data.inputs[m] = rng.uniform() < 0.3 ? 1 : 0;
    for (let m = 0; m < data.targets.length; m++) data.targets[m] = rng.normal();
    return { data, w: initWeights(RL_SHAPE, RL_INIT, rng) };
  });
}

/** Best CPU time per evaluation of each kernel on `jobs`, interleaved over `reps` repetitions. */
export function kernelCpuTimes(
  kernels: readonly [string, GradKernel][],
  jobs: readonly GradJob[],
  options: { reps: number; evals: number },
): KernelTime[] {
  const shape: RnnShape = jobs[0].data.shape;
  const grad = new Float64Array(paramLayout(shape).size);
  const run = (f: GradKernel, count: number): void => {
    for (let i = 0; i < count; i++) {
      const j = jobs[i % jobs.length];
      f(shape, j.w, j.data, grad);
    }
  };
  for (const [, f] of kernels) run(f, Math.min(options.evals, 100)); // compile and tier up
  const best = kernels.map(() => Infinity);
  for (let r = 0; r < options.reps; r++) {
    kernels.forEach(([, f], i) => {
      const before = process.cpuUsage();
      run(f, options.evals);
      const used = process.cpuUsage(before);
      best[i] = Math.min(best[i], (used.user + used.system) / 1000 / options.evals);
    });
  }
  return kernels.map(([build], i) => ({ build, cpuMsPerEval: best[i] }));
}

/** NumPy's least CPU time per evaluation (ms), from `seconds` of tools/bench/numpy_baseline.py. */
export async function numpyCpuTime(seconds: number): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: [new URL("./numpy_baseline.py", import.meta.url).pathname, "16", String(seconds)],
    env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`numpy baseline failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const r: { cpuSecondsPerEval: number } = JSON.parse(new TextDecoder().decode(out.stdout));
  return 1000 * r.cpuSecondsPerEval;
}

async function main(args: string[]): Promise<number> {
  let reps = 9;
  let evals = 200;
  let prune = 0;
  let shape: "dms" | "rl" = "dms";
  try {
    const { flags } = parseFlags([
      { name: "prune", type: "string", value: "L", help: "prune A by magnitude", default: "0" },
      { name: "shape", type: "string", value: "dms|rl", help: "network shape", default: "dms" },
      { name: "reps", type: "string", value: "R", help: "repetitions", default: "9" },
      {
        name: "evals",
        type: "string",
        value: "N",
        help: "evaluations per repetition",
        default: "200",
      },
    ], args);
    const r = stringFlag(flags, "reps");
    const n = stringFlag(flags, "evals");
    if (r !== undefined) reps = parseIntFlag("reps", r, { min: 1, max: 1000 });
    if (n !== undefined) evals = parseIntFlag("evals", n, { min: 1, max: 100000 });
    const l = stringFlag(flags, "prune");
    if (l !== undefined) prune = parseNumberFlag("prune", l, { min: 0, max: 0.99 });
    const sh = stringFlag(flags, "shape");
    if (sh !== undefined && sh !== "dms" && sh !== "rl") {
      throw new UsageError(`--shape must be dms or rl, got '${sh}'`);
    }
    if (sh === "rl") shape = "rl";
    if (shape === "rl" && prune > 0) throw new UsageError("--prune applies to the DMS shape");
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(", ");
  console.log(`load average before: ${load()}`);
  const peak = measureWasmSimdPeak();
  const times = kernelCpuTimes(
    [
      ["wasm, first build", firstBuildLossAndGrad],
      ["wasm, current build", lossAndGradWasm],
      ["js (TypeScript reference)", lossAndGrad],
    ],
    kernelJobs(shape, prune),
    { reps, evals },
  );
  console.log(shape === "rl" ? "RL shape" : `DMS shape, A pruned at ${prune}`);
  if (shape === "dms" && prune === 0 && await numpyAvailable()) {
    times.push({ build: "numpy (1 BLAS thread)", cpuMsPerEval: await numpyCpuTime(3) });
  } else if (shape === "dms" && prune === 0) {
    console.log("numpy: python3 with NumPy not found; baseline row skipped");
  }
  console.log(
    `WebAssembly SIMD float64 peak of one core: ${peak.peak.toFixed(1)} GFLOP/s ` +
      `(mul + add ${peak.mulAdd.toFixed(1)}, relaxed multiply-add ${peak.relaxedMadd.toFixed(1)})`,
  );
  // dense FLOP counts (gradFlops): pruned networks are credited with the work they skip
  const flops = shape === "dms" ? DMS_EVAL_FLOPS : gradFlops(RL_SHAPE, 24, 60);
  for (const t of times) {
    const gflops = flops / (t.cpuMsPerEval * 1e6);
    console.log(
      `${t.build.padEnd(26)} ${t.cpuMsPerEval.toFixed(3)} ms CPU/eval  ` +
        `${(1000 / t.cpuMsPerEval).toFixed(0).padStart(5)} evals/s per core  ` +
        `${gflops.toFixed(2)} GFLOP/s  ${(100 * gflops / peak.peak).toFixed(1)}% of peak`,
    );
  }
  console.log(`load average after: ${load()}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno run -A tools/bench/kernel_cpu_time.ts [--reps R] [--evals N]`: the float64 gradient
 * kernels on one thread, before and after: the first WebAssembly build
 * (tools/bench/first_wasm_build.ts), the current one, and the TypeScript reference, on the bench's
 * 16 DMS networks (16 sequences x 58 steps), beside the NumPy baseline (tools/bench/numpy_baseline.py,
 * one BLAS thread, 16 networks of the same size) when python3 has NumPy. Each build runs N
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
import { DMS_SHAPE, paramLayout } from "../../core/rnn/network.ts";
import { parseFlags, stringFlag } from "../../core/app/args.ts";
import { parseIntFlag } from "../../core/app/flags.ts";
import { UsageError } from "../../core/util/errors.ts";
import { benchJobs, DMS_EVAL_FLOPS, numpyAvailable } from "./bench.ts";
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

/** Best CPU time per evaluation of each kernel, interleaved over `reps` repetitions. */
export function kernelCpuTimes(
  kernels: readonly [string, GradKernel][],
  options: { reps: number; evals: number },
): KernelTime[] {
  const jobs = benchJobs(16);
  const grad = new Float64Array(paramLayout(DMS_SHAPE).size);
  const run = (f: GradKernel, count: number): void => {
    for (let i = 0; i < count; i++) f(DMS_SHAPE, jobs[i % 16].w, jobs[i % 16].data, grad);
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
  try {
    const { flags } = parseFlags([
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
  const times = kernelCpuTimes([
    ["wasm, first build", firstBuildLossAndGrad],
    ["wasm, current build", lossAndGradWasm],
    ["js (TypeScript reference)", lossAndGrad],
  ], { reps, evals });
  if (await numpyAvailable()) {
    times.push({ build: "numpy (1 BLAS thread)", cpuMsPerEval: await numpyCpuTime(3) });
  } else {
    console.log("numpy: python3 with NumPy not found; baseline row skipped");
  }
  console.log(
    `WebAssembly SIMD float64 peak of one core: ${peak.peak.toFixed(1)} GFLOP/s ` +
      `(mul + add ${peak.mulAdd.toFixed(1)}, relaxed multiply-add ${peak.relaxedMadd.toFixed(1)})`,
  );
  for (const t of times) {
    const gflops = DMS_EVAL_FLOPS / (t.cpuMsPerEval * 1e6);
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

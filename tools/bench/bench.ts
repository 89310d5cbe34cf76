/**
 * Gradient-evaluation throughput of the engines on populations of DMS networks (16 sequences x 58
 * steps each), either of bare batched gradient evaluations (`--mode grad`) or inside whole SCG
 * calls (`--mode scg`, where the WebGPU engine's SCG bookkeeping and read-backs count too): flag
 * parsing, the measurement loops, the NumPy baseline and the table. A benchmark,
 * never a test: nothing here asserts a speed.
 *
 * @module
 */
import process from "node:process";
import type { Engine, GradJob } from "../../core/engine/engine.ts";
import { gradFlops } from "../../core/engine/engine.ts";
import { DMS_INIT, DMS_SHAPE, initWeights } from "../../core/rnn/network.ts";
import { dmsTrainingSet } from "../../core/dms/task.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { UsageError } from "../../core/util/errors.ts";
import {
  cpuSpec,
  ENGINE_NAMES,
  type EngineSpec,
  formatEngineSpec,
  parseEngineSpecText,
  webGpuSpec,
} from "../../core/engine/engine_spec.ts";
import { flagHelp, type FlagSpec, parseFlags, stringFlag } from "../../core/app/args.ts";
import { formatTable } from "../../core/app/text_table.ts";
import { parseIntFlag, parseNumberFlag } from "../../core/app/flags.ts";

/**
 * Baselines the bench measures beside the engines (no SCG): `numpy` is the float64 NumPy +
 * OpenBLAS baseline (python3); `webgpu-tfjs` is the gradient written with generic tfjs ops on the
 * webgpu backend (the "before" of the fused kernels).
 */
export const BENCH_BASELINES = ["numpy", "webgpu-tfjs"] as const;
/** One of {@link BENCH_BASELINES}. */
export type BenchBaseline = typeof BENCH_BASELINES[number];

/**
 * What one `--engines` entry names: an engine value in its compact form (`cpu`, `cpu:js`,
 * `cpu-f32`, `cpu-f32:host`, `webgpu`, `webgpu:host`; core/engine/engine_spec.ts), or a baseline.
 */
export type BenchTarget = EngineSpec | BenchBaseline;

/** Parses one `--engines` entry. */
export function parseBenchTarget(text: string): BenchTarget {
  const t = text.trim();
  const baseline = BENCH_BASELINES.find((b) => b === t);
  if (baseline) return baseline;
  const name = t.split(":")[0];
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(
      `--engines: unknown engine '${t}' (engines: ${ENGINE_NAMES.join(", ")}, each with an ` +
        `optional :SETTING; baselines: ${BENCH_BASELINES.join(", ")})`,
    );
  }
  return parseEngineSpecText(t, { flag: "engines" });
}

/** The row label of a target. */
export function targetLabel(target: BenchTarget): string {
  return typeof target === "string" ? target : formatEngineSpec(target);
}

/** Parsed `deno task bench` flags. */
export interface BenchConfig {
  /** Engines and baselines in table order. */
  engines: BenchTarget[];
  /** Population sizes; null = default (1, 16, 100, 400, plus 1000, 4000 on a hardware GPU). */
  networks: number[] | null;
  /** Measuring time per row, seconds. */
  seconds: number;
  /** JSON output file. */
  out: string | null;
  /** What is timed: bare gradient evaluations, or whole SCG calls. */
  mode: "grad" | "scg";
  /** SCG steps per timed call (scg mode). */
  steps: number;
  /** `--help` was given. */
  help: boolean;
}

/** One row of the table and of the `--out` JSON array. */
export interface BenchRow {
  /** Engine id. */
  engine: string;
  /** Population size P. */
  networks: number;
  /** Gradient evaluations (one network on its 16 x 58 set) per second. */
  gradEvalsPerSecond: number;
  /** GFLOP/s at {@link gradFlops} per evaluation. */
  gflops: number;
  /** CPU cores the row keeps busy (CPU engines, NumPy), for the per-core rate; null on a GPU. */
  cores?: number | null;
  /** Gradient evaluations per second and core (CPU rows). */
  evalsPerCore?: number | null;
  /** Fraction of the peak, when known. */
  fractionOfPeak: number | null;
  /**
   * Peak used for the fraction (GFLOP/s), when known: a GPU's nominal float32 peak; for float64 CPU
   * rows the measured WebAssembly SIMD peak of one core (tools/bench/cpu_peak.ts) times `cores`.
   */
  peakGflops: number | null;
  /** Arithmetic. */
  precision: string;
  /** Engine / device description. */
  device: string;
  /** Batched calls timed. */
  calls: number;
  /** Seconds timed. */
  seconds: number;
  /** What was timed ("grad" or "scg"). */
  mode: "grad" | "scg";
  /** Scg mode: network-steps of SCG per second (P x steps per call). */
  scgStepsPerSecond?: number;
  /**
   * Mean CPU time per evaluation over the timed calls, milliseconds: user + system of the whole
   * process (every thread: the engine's workers, the main thread, V8's helpers; for NumPy the
   * Python process), so on a shared machine it is the per-core cost that wall time cannot show.
   */
  cpuMsPerEval?: number | null;
}

/** Default population sizes. */
export const DEFAULT_NETWORKS: readonly number[] = [1, 16, 100, 400];
/** Extra sizes measured when a hardware GPU is present. */
export const GPU_EXTRA_NETWORKS: readonly number[] = [1000, 4000];

/** Flags of `deno task bench`. */
export const BENCH_FLAGS: readonly FlagSpec[] = [
  {
    name: "engines",
    type: "string",
    value: "LIST",
    help: "engines (cpu, cpu:js, cpu-f32, cpu-f32:host, webgpu, webgpu:host) and baselines " +
      "(numpy, webgpu-tfjs)",
    default: "cpu,webgpu",
  },
  {
    name: "networks",
    type: "string",
    value: "LIST",
    help: "population sizes",
    default: "1,16,100,400 (+1000,4000 on a hardware GPU)",
  },
  { name: "seconds", type: "string", value: "S", help: "measuring time per row", default: "3" },
  { name: "out", type: "string", value: "FILE", help: "write the rows as a JSON array" },
  {
    name: "mode",
    type: "string",
    help: "grad (bare gradients) or scg (whole SCG calls)",
    default: "grad",
  },
  { name: "steps", type: "string", value: "N", help: "SCG steps per timed call", default: "50" },
  { name: "help", type: "boolean", help: "show this help" },
];

/** Usage text. */
export function benchUsage(): string {
  return `usage: deno task bench [flags]\n${flagHelp(BENCH_FLAGS)}`;
}

/** Parses the bench's flags; throws {@link UsageError} on bad input. */
export function parseBenchArgs(args: readonly string[]): BenchConfig {
  const { flags } = parseFlags(BENCH_FLAGS, args);
  const cfg: BenchConfig = {
    engines: [cpuSpec(), webGpuSpec()],
    networks: null,
    seconds: 3,
    out: null,
    mode: "grad",
    steps: 50,
    help: flags.help === true,
  };
  const engines = stringFlag(flags, "engines");
  if (engines !== undefined) cfg.engines = engines.split(",").map(parseBenchTarget);
  const networks = stringFlag(flags, "networks");
  if (networks !== undefined) {
    cfg.networks = networks.split(",").map((s) => s.trim()).map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < 1 || n > 100000) {
        throw new UsageError(`--networks must be whole numbers between 1 and 100000, got '${s}'`);
      }
      return n;
    });
  }
  const seconds = stringFlag(flags, "seconds");
  if (seconds !== undefined) {
    cfg.seconds = parseNumberFlag("seconds", seconds, { min: 0.01, max: 3600 });
  }
  cfg.out = stringFlag(flags, "out") ?? null;
  const mode = stringFlag(flags, "mode");
  if (mode !== undefined) {
    if (mode !== "grad" && mode !== "scg") {
      throw new UsageError(`--mode must be grad or scg, got '${mode}'`);
    }
    cfg.mode = mode;
  }
  const steps = stringFlag(flags, "steps");
  if (steps !== undefined) cfg.steps = parseIntFlag("steps", steps, { min: 1, max: 100000 });
  return cfg;
}

/** A population of P DMS networks with their own training sets (deterministic). */
export function benchJobs(p: number, seed = 1): GradJob[] {
  return Array.from({ length: p }, (_, i) => {
    const rng = new Rng(deriveSeed(seed, i));
    return { data: dmsTrainingSet(rng), w: initWeights(DMS_SHAPE, DMS_INIT, rng) };
  });
}

/** FLOPs of one DMS gradient evaluation on 16 x 58. */
export const DMS_EVAL_FLOPS: number = gradFlops(DMS_SHAPE, 16, 58);

/** Times `engine.lossAndGrad` on P networks for about `seconds` (after one warm-up call). */
export async function measureEngine(
  engine: Pick<Engine, "lossAndGrad" | "precision" | "description">,
  p: number,
  options: { seconds: number; label: string; peakGflops: number | null; cores?: number | null },
): Promise<BenchRow> {
  const jobs = benchJobs(p);
  await engine.lossAndGrad(jobs); // warm-up: kernel compilation, uploads, worker start
  const t = await timeCalls(options.seconds, async () => {
    await engine.lossAndGrad(jobs);
    return p;
  });
  return engineRow(engine, p, t, options);
}

/**
 * Times whole SCG calls (`steps` steps, no stopping rule) on P networks for about `seconds`, after
 * one warm-up call of the same length; throughput counts the gradient evaluations SCG reports.
 */
export async function measureScg(
  engine: Pick<Engine, "scg" | "precision" | "description">,
  p: number,
  options: {
    seconds: number;
    label: string;
    peakGflops: number | null;
    steps: number;
    cores?: number | null;
  },
): Promise<BenchRow> {
  const jobs = benchJobs(p).map((j) => ({ ...j, mask: null }));
  const opts = { stopRule: "none" as const, kMax: options.steps };
  await engine.scg(jobs, opts);
  const t = await timeCalls(options.seconds, async () => {
    const rs = await engine.scg(jobs, opts);
    return rs.reduce((n, r) => n + r.gradEvals, 0);
  });
  return {
    ...engineRow(engine, p, t, options),
    mode: "scg",
    scgStepsPerSecond: (t.calls * p * options.steps) / t.seconds,
  };
}

/** What {@link timeCalls} measured. */
interface Timed {
  calls: number;
  evals: number;
  seconds: number;
  /** CPU milliseconds of this process, all threads, over the timed calls. */
  cpuMs: number;
}

/** Repeats `call` (which returns the evaluations it made) until `seconds` have passed. */
async function timeCalls(seconds: number, call: () => Promise<number>): Promise<Timed> {
  let calls = 0;
  let evals = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  do {
    evals += await call();
    calls++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  const cpu = process.cpuUsage(cpu0);
  return { calls, evals, seconds: elapsed, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function engineRow(
  engine: Pick<Engine, "precision" | "description">,
  p: number,
  t: Timed,
  options: { label: string; peakGflops: number | null; cores?: number | null },
): BenchRow {
  return {
    ...row(options.label, p, t.evals / t.seconds, {
      peak: options.peakGflops,
      cores: options.cores ?? null,
      precision: engine.precision,
      device: engine.description,
      calls: t.calls,
      seconds: t.seconds,
    }),
    cpuMsPerEval: t.cpuMs / t.evals,
  };
}

function row(
  engine: string,
  networks: number,
  evalsPerSecond: number,
  o: {
    peak: number | null;
    cores: number | null;
    precision: string;
    device: string;
    calls: number;
    seconds: number;
  },
): BenchRow {
  const gflops = (evalsPerSecond * DMS_EVAL_FLOPS) / 1e9;
  return {
    engine,
    networks,
    gradEvalsPerSecond: evalsPerSecond,
    gflops,
    cores: o.cores,
    evalsPerCore: o.cores ? evalsPerSecond / o.cores : null,
    fractionOfPeak: o.peak ? gflops / o.peak : null,
    peakGflops: o.peak,
    precision: o.precision,
    device: o.device,
    calls: o.calls,
    seconds: o.seconds,
    mode: "grad",
  };
}

const NUMPY_SCRIPT = new URL("./numpy_baseline.py", import.meta.url).pathname;

/** Whether python3 with NumPy and the baseline script are available. */
export async function numpyAvailable(): Promise<boolean> {
  try {
    await Deno.stat(NUMPY_SCRIPT);
    const out = await new Deno.Command("python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Runs `tools/bench/numpy_baseline.py` (float64 NumPy, one BLAS thread) for P networks;
 * `corePeakGflops` is one core's peak for the fraction.
 */
export async function measureNumpy(
  p: number,
  seconds: number,
  corePeakGflops: number | null = null,
): Promise<BenchRow> {
  const env = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  const out = await new Deno.Command("python3", {
    args: [NUMPY_SCRIPT, String(p), String(seconds)],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`numpy baseline failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    evalsPerSecond: number;
    calls: number;
    seconds: number;
    numpy: string;
    cpuSecondsPerEvalMean?: number;
  };
  return {
    ...row("numpy", p, r.evalsPerSecond, {
      peak: corePeakGflops,
      cores: 1,
      precision: "float64",
      device: `NumPy ${r.numpy} (OpenBLAS, 1 thread), batched over the 16 sequences`,
      calls: r.calls,
      seconds: r.seconds,
    }),
    cpuMsPerEval: r.cpuSecondsPerEvalMean === undefined ? null : 1000 * r.cpuSecondsPerEvalMean,
  };
}

/** Nominal float32 peaks (GFLOP/s, dense FMA, boost clock) of GPUs the bench may meet. */
const GPU_PEAKS: readonly [RegExp, number][] = [
  [/H200/i, 66900],
  [/H100.*PCIe/i, 51200],
  [/H100/i, 66900],
  [/A100/i, 19500],
];

/** Nominal float32 peak of a GPU from its adapter description, or null. */
export function gpuPeakGflops(description: string): number | null {
  for (const [re, peak] of GPU_PEAKS) if (re.test(description)) return peak;
  return null;
}

/** Formats rows as an aligned text table. */
export function benchTable(rows: readonly BenchRow[]): string {
  const head = [
    "engine",
    "mode",
    "networks",
    "evals/s",
    "GFLOP/s",
    "% of peak",
    "per core",
    "calls",
    "s",
    "CPU ms/eval",
  ];
  const body = rows.map((r) => [
    r.engine,
    r.mode,
    String(r.networks),
    r.gradEvalsPerSecond.toFixed(1),
    r.gflops.toFixed(2),
    r.fractionOfPeak === null ? "-" : (100 * r.fractionOfPeak).toFixed(2),
    r.evalsPerCore ? r.evalsPerCore.toFixed(1) : "-",
    String(r.calls),
    r.seconds.toFixed(1),
    r.cpuMsPerEval ? r.cpuMsPerEval.toFixed(3) : "-",
  ]);
  return formatTable(head, body, {
    align: head.map((_, i) => (i === 0 ? "left" : "right")),
    rule: true,
  });
}

/**
 * The `precision-check` command (`deno task precision-check`, `prunelab precision-check`):
 * `precision-check --from RUN_ID [--engine cpu-f32|webgpu|cpu] [--scg-state device|host]
 * [--cpu-kernel wasm|js] [--levels 0,1] [--store PATH] [--out FILE] [--workers N]`: replays every level retraining of a finished fig5 run
 * on another engine from identical inputs (experiments/fig5_replay.ts) and prints, per level and
 * lineage, the stored and replayed means of outer iterations, final loss, probe accuracy and
 * maximal LE with paired t-test p-values, and how many retrainings met the stopping rule. Use it
 * to check that the float32 engines do not change what a float64 run found; `--out` writes every
 * row and the summary as JSON.
 *
 * @module
 */
import {
  flagHelp,
  type FlagSpec,
  type FlagValue,
  parseFlags,
  stringFlag,
} from "../../core/app/args.ts";
import { parseIntFlag } from "../../core/app/flags.ts";
import { outPathProblem } from "../../core/app/fs.ts";
import { Progress } from "../../core/app/progress.ts";
import { formatTable } from "../../core/app/text_table.ts";
import { type EngineSpec, parseEngineSpec } from "../../core/engine/engine_spec.ts";
import { createEngine } from "../../core/engine/select.ts";
import {
  openStore,
  resolveStoreLocation,
  type ResultStore,
  StoreError,
} from "../../core/store/store.ts";
import { UsageError } from "../../core/util/errors.ts";
import { replayFig5Levels, summarizeReplay } from "./fig5_replay.ts";

/** Flags of `precision-check`. */
export const PRECISION_CHECK_FLAGS: readonly FlagSpec[] = [
  { name: "from", type: "string", value: "RUN_ID", help: "the finished fig5 run to replay" },
  {
    name: "engine",
    type: "string",
    help: "engine to replay on: cpu-f32, webgpu or cpu",
    default: "cpu-f32",
  },
  {
    name: "scg-state",
    type: "string",
    help: "float32 engines: SCG as on the device or the host",
    default: "device",
  },
  {
    name: "cpu-kernel",
    type: "string",
    help: "float64 kernel build (engine cpu)",
    default: "wasm",
  },
  { name: "levels", type: "string", value: "0,1", help: "level indices to replay", default: "all" },
  {
    name: "store",
    type: "string",
    value: "PATH",
    help: "results store",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  { name: "out", type: "string", value: "FILE", help: "write every row and the summary as JSON" },
  { name: "workers", type: "string", value: "N", help: "CPU worker threads", default: "all cores" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "help", type: "boolean", help: "show this help" },
];

/** The usage text of `precision-check --help`. */
export function precisionCheckUsage(): string {
  return `usage: deno task precision-check --from RUN_ID [flags]
Replays every level retraining of a finished fig5 run on another engine from identical inputs and
compares stored with replayed outcomes (paired t-tests). The default engine, cpu-f32, is the CPU
float32 twin of the WebGPU engine (SCG as on the device); --engine cpu --cpu-kernel js is a
float64 replay with another rounding order: the chaos control. See docs/benchmarks.md.
${flagHelp(PRECISION_CHECK_FLAGS)}`;
}

function fail(message: string): number {
  console.error(`error: ${message.split("\n")[0]}`);
  return 2;
}

/** One `error:` line for any error: exit 2 for bad input or a store problem, else 1. */
function report(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || err instanceof StoreError) return fail(message);
  console.error(`error: precision-check failed: ${message.split("\n")[0]}`);
  return 1;
}

/** Runs `precision-check` with the given arguments; returns the exit code (2 for bad input). */
export async function runPrecisionCheckCli(args: string[]): Promise<number> {
  let values: Record<string, FlagValue>;
  try {
    values = parseFlags(PRECISION_CHECK_FLAGS, args).flags;
  } catch (err) {
    return report(err);
  }
  if (values.help) {
    console.log(precisionCheckUsage());
    return 0;
  }
  const from = stringFlag(values, "from");
  const outPath = stringFlag(values, "out");
  if (!from) return fail("--from RUN_ID (a finished fig5 run) is required");
  let levelIndices: number[] | undefined;
  let spec: EngineSpec;
  try {
    spec = parseEngineSpec({
      engine: values.engine,
      cpuKernel: values["cpu-kernel"],
      scgState: values["scg-state"],
      workers: values.workers,
    }, { default: "cpu-f32" });
    levelIndices = stringFlag(values, "levels")?.split(",").map((v) =>
      parseIntFlag("levels", v, { min: 0 })
    );
  } catch (err) {
    return report(err);
  }
  if (outPath) {
    const problem = await outPathProblem(outPath);
    if (problem) return fail(problem);
  }
  const storePath = resolveStoreLocation(stringFlag(values, "store"));
  let store: ResultStore;
  try {
    // Read-only: the check never writes, and a missing store is reported, not created.
    store = await openStore(storePath, { readOnly: true });
  } catch (err) {
    return report(err);
  }
  let engine;
  try {
    const run = await store.getRun(from);
    if (!run) return fail(`no run '${from}' in ${storePath}`);
    if (run.figure !== "fig5") return fail(`run '${from}' is ${run.figure}, not fig5`);
    if (run.status !== "done") return fail(`run '${from}' is ${run.status}, not finished`);
    const levels = Reflect.get(run.config, "levels");
    const count = Array.isArray(levels) ? levels.length : 0;
    const bad = levelIndices?.find((li) => li >= count);
    if (bad !== undefined) {
      return fail(`--levels: run '${from}' has level indices 0 to ${count - 1}, not ${bad}`);
    }
    try {
      engine = await createEngine(spec);
    } catch (err) {
      return report(err);
    }
    console.log(`replaying ${from} (${run.engineDescription}) on ${engine.description}`);
    const progress = new Progress(1, { quiet: values.quiet === true });
    // Work in network-outer-iterations at the run's cap, as fig5 counts it: an upper-bound ETA.
    const c = run.config as { levels: number[]; networks: number; maxOuterRetrain: number };
    const order = levelIndices ?? c.levels.map((_, li) => li);
    const perLevel = 2 * c.networks * c.maxOuterRetrain;
    const rows = await replayFig5Levels(store, from, {
      engine,
      levelIndices,
      onOuter: (li, outer, active, total) =>
        progress.setWork(
          order.indexOf(li) * perLevel + (total - active) * c.maxOuterRetrain + active * outer,
          order.length * perLevel,
          `level ${c.levels[li]}: outer ${outer}, ${active}/${total} still training`,
        ),
    }).catch((err: Error) => {
      progress.finish();
      throw err;
    });
    progress.tick(1);
    progress.finish();
    const summary = summarizeReplay(rows);
    const f = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : "-");
    const p = (v: number | null): string => (v === null ? "-" : v.toFixed(3));
    const head = [
      "level",
      "lineage",
      "n",
      "converged S/R",
      "iterations S/R (p)",
      "final loss S/R (p)",
      "probe acc S/R (p)",
      "max LE S/R (p)",
    ];
    const table = summary.map((s) => [
      s.level.toFixed(2),
      s.lineage,
      String(s.n),
      `${s.converged.stored}/${s.converged.replayed}`,
      `${f(s.iterations.stored, 2)}/${f(s.iterations.replayed, 2)} (${p(s.iterations.p)})`,
      `${f(s.finalLoss.stored, 4)}/${f(s.finalLoss.replayed, 4)} (${p(s.finalLoss.p)})`,
      `${f(s.probeAccuracy.stored)}/${f(s.probeAccuracy.replayed)} (${p(s.probeAccuracy.p)})`,
      `${f(s.maxLE.stored)}/${f(s.maxLE.replayed)} (${p(s.maxLE.p)})`,
    ]);
    console.log("\n" + formatTable(head, table, { align: ["left", "left", "right"] }));
    console.log("S = stored run, R = replay from identical inputs; p = paired t-test");
    if (outPath) {
      const tmp = `${outPath}.tmp`;
      await Deno.writeTextFile(
        tmp,
        JSON.stringify({ from, engine: engine.description, summary, rows }, null, 1),
      );
      await Deno.rename(tmp, outPath);
      console.log(`wrote ${outPath}`);
    }
    return 0;
  } catch (err) {
    return report(err);
  } finally {
    await engine?.close();
    await store.close();
  }
}

/**
 * The command line shared by every figure task: common flags, run creation or resumption, engine
 * selection, progress bar, interruption handling, `--out` JSON and the closing summary. Tasks in
 * `tasks/` are one-line entries that hand an {@link Experiment} and the arguments to
 * {@link runExperimentCli}.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type BaseConfig,
  type Experiment,
  experimentRun,
  type FlagSpec,
  type FlagValue,
  jsonRecord,
  type RunContext,
  UsageError,
} from "./experiment.ts";
import { parseIntFlag } from "./flags.ts";
import { outPathProblem, pathExists } from "./fs.ts";
import { Progress } from "./progress.ts";
import { selectEngine } from "../engine/select.ts";
import { EngineUnavailableError } from "../engine/engine.ts";
import { parseEngineRequest } from "../engine/engine_spec.ts";
import {
  isPostgresLocation,
  newRunId,
  openStore,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  type RunRecord,
  StoreError,
} from "../store/store.ts";
import { runtimeVersions } from "./version.ts";

/** Flags every figure task accepts. */
export const COMMON_FLAGS: readonly { name: string; type: "string" | "boolean"; help: string }[] =
  Object.freeze([
    { name: "preset", type: "string", help: "default (fast, reduced protocol) or paper" },
    { name: "networks", type: "string", help: "number of networks (lineage pairs / seeds)" },
    {
      name: "levels",
      type: "string",
      help: "prune levels, e.g. 0.1,0.3,0.5 (increasing, in (0,1))",
    },
    { name: "seed", type: "string", help: "master seed (whole number, default 1)" },
    {
      name: "engine",
      type: "string",
      help:
        "auto, cpu, webgpu or cpu-f32 (CPU float32 twin of the webgpu arithmetic); default auto",
    },
    {
      name: "scg-state",
      type: "string",
      help: "float32 engines: SCG state on the device (default) or the host (as before)",
    },
    { name: "workers", type: "string", help: "CPU worker threads (default: all cores)" },
    { name: "cpu-kernel", type: "string", help: "CPU kernel build: wasm (default) or js" },
    {
      name: "store",
      type: "string",
      help:
        "results store: a Deno KV file or a postgres:// URL (default $PRUNELAB_STORE or prunelab.kv)",
    },
    { name: "out", type: "string", help: "write a JSON summary to this file" },
    { name: "resume", type: "string", help: "finish an interrupted run by id" },
    { name: "max-outer", type: "string", help: "cap on outer SCG iterations per training call" },
    { name: "scg-steps", type: "string", help: "SCG steps per outer iteration (default K)" },
    { name: "quiet", type: "boolean", help: "no progress bar" },
    { name: "help", type: "boolean", help: "show this help" },
  ]);

/** Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

/** Usage text of a figure task. */
export function usage(experiment: Pick<Experiment, "id" | "title" | "flags">): string {
  const lines = [`prunelab ${experiment.id}: ${experiment.title}`, "", "Flags:"];
  for (const f of [...COMMON_FLAGS, ...experiment.flags]) {
    lines.push(`  --${f.name}${f.type === "string" ? " VALUE" : ""}`.padEnd(30) + " " + f.help);
  }
  return lines.join("\n");
}

interface Parsed {
  flags: Record<string, FlagValue>;
}

function parse(flags: readonly FlagSpec[], args: string[]): Parsed {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const f of [...COMMON_FLAGS, ...flags]) options[f.name] = { type: f.type };
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return { flags: values as Record<string, FlagValue> };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) throw new UsageError(`unknown flag ${unknown[1]} (see --help)`);
    const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      const name = ambiguous[1].split(",").pop()?.trim();
      throw new UsageError(`${name}: a value starting with '-' must be written ${name}=VALUE`);
    }
    const needs = /Option '([^']+)' argument missing/.exec(msg);
    if (needs) throw new UsageError(`flag ${needs[1].split(",").pop()?.trim()} needs a value`);
    throw new UsageError(msg.split("\n")[0]);
  }
}

async function checkOutPath(path: string): Promise<void> {
  const problem = await outPathProblem(path);
  if (problem) throw new UsageError(problem);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 1) + "\n");
  await Deno.rename(tmp, path);
}

/** Options of {@link runExperimentCli} (tests inject output streams). */
export interface CliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
}

/**
 * Runs a figure task from command-line arguments; returns the process exit code. Bad input prints
 * one line `error: ...` and returns 2 before anything is written.
 */
export async function runExperimentCli<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  args: string[],
  options: CliOptions = {},
): Promise<number> {
  const print = options.print ?? ((l: string) => console.log(l));
  const printError = options.printError ?? ((l: string) => console.error(l));
  let store: ResultStore | null = null;
  try {
    const { flags } = parse(experiment.flags, args);
    if (flags.help) {
      print(usage(experiment));
      return EXIT.ok;
    }
    const engineRequest = parseEngineRequest({
      engine: flags.engine,
      cpuKernel: flags["cpu-kernel"],
      scgState: flags["scg-state"],
      workers: flags.workers,
    });
    if (typeof flags.out === "string") await checkOutPath(flags.out);
    const storePath = resolveStoreLocation(
      typeof flags.store === "string" ? flags.store : undefined,
    );

    let config: C;
    let seed: number;
    let runId: string;
    let resumed: RunRecord | null = null;
    if (typeof flags.resume === "string") {
      const id = flags.resume;
      if (!RUN_ID_PATTERN.test(id)) throw new UsageError(`--resume: '${id}' is not a run id`);
      const conflicting = ["preset", "networks", "levels", "seed", "max-outer", "scg-steps"]
        .concat(experiment.flags.map((f) => f.name))
        .filter((f) => flags[f] !== undefined);
      if (conflicting.length > 0) {
        throw new UsageError(`--resume takes the run's stored config; drop --${conflicting[0]}`);
      }
      if (!isPostgresLocation(storePath) && !(await pathExists(storePath))) {
        throw new UsageError(`--resume: no run '${id}': store '${storePath}' does not exist`);
      }
      store = await openStore(storePath, { create: false });
      resumed = await store.getRun(id);
      if (!resumed) throw new UsageError(`--resume: no run '${id}' in store '${storePath}'`);
      if (resumed.figure !== experiment.id) {
        throw new UsageError(
          `--resume: run '${id}' is a ${resumed.figure} run, not ${experiment.id}`,
        );
      }
      if (resumed.status === "done") throw new UsageError(`--resume: run '${id}' is already done`);
      config = experimentRun<C>(resumed).config;
      seed = resumed.seed;
      runId = id;
    } else {
      const presetName = String(flags.preset ?? "default");
      if (presetName !== "default" && presetName !== "paper") {
        throw new UsageError(`--preset must be default or paper, got '${presetName}'`);
      }
      const base = structuredClone(experiment.presets[presetName]);
      config = experiment.configure(base, flags);
      seed = flags.seed !== undefined
        ? parseIntFlag("seed", String(flags.seed), { min: 0, max: 4294967295 })
        : 1;
      runId = newRunId(experiment.id);
      store = await openStore(storePath);
    }

    const { engine, reason } = await selectEngine(engineRequest);
    try {
      print(`${experiment.id}: ${experiment.title}`);
      print(
        `config: ${experiment.describe(config)}${config.reduced ? "  [REDUCED PROTOCOL]" : ""}`,
      );
      print(`engine: ${engine.name} (${engine.description}); ${reason}`);
      const total = experiment.totalUnits(config);
      const finished = new Set<string>();
      if (resumed) {
        for (const u of await store.listUnits(runId)) finished.add(u.key.join("/"));
        await store.updateRun(runId, {
          status: "running",
          progress: { done: finished.size, total },
          message: undefined,
        });
        print(`resuming run ${runId}: ${finished.size}/${total} units already stored`);
      } else {
        const now = new Date().toISOString();
        await store.createRun({
          id: runId,
          figure: experiment.id,
          preset: config.preset,
          reduced: config.reduced,
          config: jsonRecord(config),
          seed,
          engine: engine.name,
          engineDescription: engine.description,
          versions: runtimeVersions(),
          startedAt: now,
          updatedAt: now,
          status: "running",
          progress: { done: 0, total },
        });
        print(`run id: ${runId} (store: ${storePath})`);
      }

      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new Error("interrupted"));
      options.signal?.addEventListener("abort", onSignal);
      const signals: Deno.Signal[] = Deno.build.os === "windows"
        ? ["SIGINT"]
        : ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, onSignal);
      const progress = new Progress(total, {
        alreadyDone: finished.size,
        quiet: Boolean(flags.quiet),
      });
      const ctx: RunContext<C> = {
        runId,
        config,
        seed,
        engine,
        store,
        finished,
        progress,
        signal: controller.signal,
        log: (m) => progress.log(m),
      };
      let status: "done" | "failed" | "interrupted" = "done";
      let message: string | undefined;
      try {
        await experiment.run(ctx);
        progress.finish();
      } catch (err) {
        progress.finish();
        if (controller.signal.aborted) {
          status = "interrupted";
          message = "interrupted; finished units are kept";
        } else {
          status = "failed";
          message = err instanceof Error ? err.message : String(err);
        }
      } finally {
        for (const s of signals) Deno.removeSignalListener(s, onSignal);
        options.signal?.removeEventListener("abort", onSignal);
      }
      const run = await store.updateRun(runId, {
        status,
        ...(status === "done" ? { endedAt: new Date().toISOString() } : {}),
        ...(message ? { message } : {}),
      });
      if (status === "interrupted") {
        printError(
          `interrupted: ${run.progress.done}/${run.progress.total} units kept. ` +
            `Finish with: deno task ${experiment.id} --resume ${runId}` +
            (flags.store ? ` --store ${flags.store}` : ""),
        );
        return EXIT.interrupted;
      }
      if (status === "failed") {
        printError(`error: run ${runId} failed: ${message}`);
        return EXIT.failed;
      }
      const summary = await experiment.summarize(experimentRun<C>(run), store);
      if (typeof flags.out === "string") {
        await writeJsonAtomic(flags.out, summary);
      }
      print("");
      print(experiment.table(summary));
      print("");
      print(
        `results: run ${runId} in ${storePath}` +
          (typeof flags.out === "string" ? `; JSON summary in ${flags.out}` : ""),
      );
      print(
        `next: deno task serve${flags.store ? ` --store ${flags.store}` : ""}  ` +
          `(dashboard at http://127.0.0.1:8000/#/run/${runId})`,
      );
      return EXIT.ok;
    } finally {
      await engine.close();
    }
  } catch (err) {
    if (
      err instanceof UsageError || err instanceof StoreError ||
      err instanceof EngineUnavailableError
    ) {
      printError(`error: ${err.message}`);
      return EXIT.usage;
    }
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    printError(`error: ${msg}`);
    return EXIT.failed;
  } finally {
    await store?.close();
  }
}

/**
 * The command line shared by every figure task: common flags, run creation or resumption, engine
 * selection, progress bar, interruption handling, `--out` JSON and the closing summary. Tasks in
 * `tasks/` are one-line entries that hand an {@link Experiment} and the arguments to
 * {@link runExperimentCli}, which runs the phases below in order, each from its own module: read
 * the invocation (all bad input is found here, before anything is written) and plan the run (new,
 * or resumed from the store) in `plan_run.ts`; start it (run record, header) and execute it
 * (signals, progress) in `execute_run.ts`; finish it (status, summary, table, `--out`) in
 * `finish_run.ts`. The flags and usage text are in `common_flags.ts`, the exit codes and the one
 * `error:` line in `cli_output.ts`.
 *
 * Reliability (docs/reliability.md): every flag, path and store is checked before anything is
 * written; a run records the arithmetic it is computed in and `--resume` refuses any other; a
 * run is leased while a process works on it; Ctrl-C stops within a second or two at any phase
 * (a second press exits at once) and prints a shell-quoted resume command.
 *
 * @module
 */
import { parseFlags, stringFlag } from "./args.ts";
import { EXIT, type Output, outputOf, reportError } from "./cli_output.ts";
import { COMMON_FLAGS, usage } from "./common_flags.ts";
import type { BaseConfig, Experiment } from "./experiment.ts";
import { executeRun, startRun } from "./execute_run.ts";
import { detachRun, exitNow, finishRun } from "./finish_run.ts";
import { type InterruptWatch, watchInterrupts } from "./interrupt.ts";
import { planNew, planResume, readInvocation } from "./plan_run.ts";
import { checkResumedEngine } from "./provenance.ts";
import { selectEngine } from "../engine/select.ts";
import type { HeldLease, ResultStore } from "../store/store.ts";

/** Exit codes of {@link runExperimentCli}: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
export { EXIT } from "./cli_output.ts";

/** Options of {@link runExperimentCli} (tests inject output streams). */
export interface CliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
  /** Aborts the run as SIGINT would. */
  signal?: AbortSignal;
  /**
   * Whether this run watches the process's SIGINT / SIGTERM (Ctrl-C stops it, a second press
   * exits the process). Default: "watch" for the process's own command line (no options given),
   * "ignore" for a caller that embeds the CLI (passes output printers or a signal: tests sharing
   * a process, a worker loop), which must not swallow the process's signals.
   */
  signals?: "watch" | "ignore";
  /**
   * How a user runs this experiment, for the commands the CLI prints (how to resume):
   * default `deno task <id>`; the single binary passes `prunelab <id>`.
   */
  command?: string;
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
  const out: Output = outputOf(options);
  let store: ResultStore | null = null;
  try {
    const { flags } = parseFlags([...COMMON_FLAGS, ...experiment.flags], args);
    if (flags.help) {
      out.print(usage(experiment));
      return EXIT.ok;
    }
    const inv = await readInvocation(flags);
    const resume = stringFlag(flags, "resume");
    const plan = resume !== undefined
      ? await planResume(experiment, inv, resume)
      : await planNew(experiment, inv);
    store = plan.store;
    if (inv.detach) {
      return await detachRun(experiment, plan, { inv, out, ...inv.detach });
    }
    const { engine, spec, reason } = await selectEngine(plan.engine ?? inv.engine);
    let lease: HeldLease | null = null;
    let interrupts: InterruptWatch | null = null;
    try {
      if (plan.resumed) checkResumedEngine(plan.resumed, engine);
      const { config } = plan;
      out.print(`${experiment.id}: ${experiment.title}`);
      out.print(
        `config: ${experiment.describe(config)}${config.reduced ? "  [REDUCED PROTOCOL]" : ""}`,
      );
      out.print(
        `engine: ${engine.name} (${engine.description}); ` +
          (plan.resumed ? `the run's own arithmetic (${engine.arithmetic})` : reason),
      );
      const notices = plan.resumed
        ? []
        : await experiment.notices?.(config, { seed: plan.seed, store: plan.store, engine });
      for (const notice of notices ?? []) out.printError(`notice: ${notice}`);
      const started = await startRun(experiment, plan, {
        engine,
        spec,
        out,
        storePath: inv.storePath,
      });
      lease = started.lease;
      const held = started.lease;
      const signals = options.signals ??
        (options.print || options.printError || options.signal ? "ignore" : "watch");
      // Watched until the outcome is recorded: a second press while finishing still exits.
      interrupts = signals === "watch"
        ? await watchInterrupts({
          onExitNow: () =>
            exitNow(experiment, plan, { lease: held, inv, out, command: options.command }),
        })
        : null;
      const outcome = await executeRun(experiment, plan, {
        engine,
        finished: started.finished,
        quiet: Boolean(flags.quiet),
        signal: options.signal,
        signals: "ignore",
        ...(interrupts ? { interrupts } : {}),
        lease: held,
        workers: spec.engine === "webgpu" ? undefined : spec.workers,
      });
      await held.release();
      lease = null;
      return await finishRun(experiment, plan, { outcome, inv, out, command: options.command });
    } finally {
      await lease?.release().catch(() => {});
      await engine.close();
      interrupts?.stop();
    }
  } catch (err) {
    return reportError(err, out.printError);
  } finally {
    await store?.close();
  }
}

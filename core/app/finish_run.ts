/**
 * Finishing a figure task's run: {@link finishRun} records how it ended and prints the resume
 * command, the failure or the summary table (and writes `--out`); {@link detachRun} writes a
 * `--detach` run's record and work units for workers; {@link exitNow} is the best-effort cleanup
 * of a second Ctrl-C.
 *
 * @module
 */
import { stringFlag } from "./args.ts";
import { EXIT, type Output } from "./cli_output.ts";
import type { BaseConfig, Experiment } from "./experiment.ts";
import type { Outcome } from "./execute_run.ts";
import type { Invocation, RunPlan } from "./plan_run.ts";
import { writeRunSummary } from "./run_summary.ts";
import { formatClaims, runClaims } from "./scorecard.ts";
import { commandLine } from "./shell.ts";
import { detachedEngine, detachedRunRecord, planWork } from "./work_units.ts";
import { type HeldLease, redactLocation } from "../store/store.ts";

/** The command that resumes run `runId` (shell-quoted: a store path may hold spaces). */
function resumeCommand(
  experiment: Pick<Experiment, "id">,
  at: { runId: string; inv: Invocation; command?: string },
): string {
  const store = stringFlag(at.inv.flags, "store");
  return commandLine(at.command ?? `deno task ${experiment.id}`, [
    "--resume",
    at.runId,
    ...(store !== undefined ? ["--store", store] : []),
  ]);
}

/** Records the outcome; prints how to resume, the failure, or the summary table. */
export async function finishRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { outcome: Outcome; inv: Invocation; out: Output; command?: string },
): Promise<number> {
  const { store, runId } = plan;
  const { outcome, out } = at;
  const { flags, storePath } = at.inv;
  if (outcome.leaseLost) {
    out.printError(`error: run ${runId} ${outcome.message}`);
    return EXIT.failed;
  }
  const run = await store.updateRun(runId, {
    status: outcome.status,
    ...(outcome.status === "done" ? { endedAt: new Date().toISOString() } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
    // The live status is for running runs only.
    phase: undefined,
    eta: undefined,
    liveLoss: undefined,
  });
  if (outcome.status === "interrupted") {
    out.printError(
      `interrupted: ${run.progress.done}/${run.progress.total} units kept. Finish with: ` +
        resumeCommand(experiment, { runId, inv: at.inv, command: at.command }),
    );
    return EXIT.interrupted;
  }
  if (outcome.status === "failed") {
    out.printError(`error: run ${runId} failed: ${outcome.message}`);
    return EXIT.failed;
  }
  const outPath = stringFlag(flags, "out");
  const summary = await writeRunSummary(experiment, run, { store, out: outPath });
  out.print("");
  out.print(experiment.table(summary));
  // The papers' findings this run tests, judged by the scorecard's one rule (deno task claims).
  const claims = formatClaims(runClaims(experiment, summary, { run }));
  if (claims) out.print(`\n${claims}`);
  out.print("");
  out.print(
    `results: run ${runId} in ${redactLocation(storePath)}` +
      (outPath !== undefined ? `; JSON summary in ${outPath}` : ""),
  );
  const storeFlag = stringFlag(flags, "store");
  out.print(
    `next: ${
      commandLine("deno task serve", storeFlag !== undefined ? ["--store", storeFlag] : [])
    }  ` +
      `(dashboard at http://127.0.0.1:8000/#/run/${runId})`,
  );
  return EXIT.ok;
}
/**
 * `--detach`: writes the run record with its work units (nothing is computed here), prints the
 * run id (alone with `--quiet`, for scripts) and how workers compute it.
 */
export async function detachRun<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { inv: Invocation; out: Output; networksPerUnit: number },
): Promise<number> {
  const { out, inv } = at;
  const engine = await detachedEngine(inv.engine);
  const work = planWork(experiment, plan.config, { networksPerUnit: at.networksPerUnit });
  const run = detachedRunRecord(experiment, { ...plan, engine, units: work.length });
  await plan.store.createRun(run, { work });
  if (inv.flags.quiet) {
    out.print(plan.runId);
    return EXIT.ok;
  }
  const where = redactLocation(inv.storePath);
  out.print(`${experiment.id}: ${experiment.title}`);
  out.print(`config: ${experiment.describe(plan.config)}`);
  out.print(`run id: ${plan.runId} (store: ${where})`);
  out.print(
    `detached: ${work.length} work unit(s), arithmetic ${run.arithmetic}; nothing is computed ` +
      `until workers run, on any number of machines:`,
  );
  out.print(`  deno task worker --store ${where} --run ${plan.runId}`);
  out.print(`progress: deno task runs show ${plan.runId} --store ${where}`);
  return EXIT.ok;
}
/**
 * A second Ctrl-C: marks the run interrupted, releases its lease and prints how to resume, each
 * step best effort (the process exits right after, whatever is left).
 */
export async function exitNow<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
  plan: RunPlan<C>,
  at: { lease: HeldLease; inv: Invocation; out: Output; command?: string },
): Promise<void> {
  at.out.printError(
    `interrupted again: exiting now; units stored so far are kept. Finish with: ` +
      resumeCommand(experiment, { runId: plan.runId, inv: at.inv, command: at.command }),
  );
  await plan.store.updateRun(plan.runId, {
    status: "interrupted",
    message: "interrupted; finished units are kept",
    phase: undefined,
    eta: undefined,
    liveLoss: undefined,
  }).catch(() => {});
  await at.lease.release().catch(() => {});
}

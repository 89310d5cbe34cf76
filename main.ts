/**
 * The single-binary entry point (`deno task compile` builds `dist/prunelab` from it; it also runs
 * as `deno run -A main.ts ...`). The first argument picks an experiment (`prunelab fig5 ...`, the
 * same flags as `deno task fig5`) or the dashboard (`prunelab serve ...`).
 *
 * @module
 */
import { runExperimentCli } from "./core/app/cli.ts";
import { formatTable } from "./core/app/text_table.ts";
import { PRUNELAB_VERSION } from "./core/app/version.ts";
import { EXPERIMENTS } from "./experiments/registry.ts";
import { CLAIMS_CATALOGUE, UNSTATED_PANELS } from "./experiments/claims_catalogue.ts";
import { runClaimsCli } from "./core/app/scorecard_cli.ts";
import { experimentMap } from "./server/experiment_map.ts";
import { runServeCli } from "./server/serve_cli.ts";
import { runPrecisionCheckCli } from "./tools/verify/precision_check.ts";
import { runWorkerCli } from "./core/app/worker.ts";
import { runRunsCli } from "./core/app/runs_cli.ts";

const experiments = experimentMap(EXPERIMENTS);

/** The top-level help text. */
function help(): string {
  const ids = Object.keys(experiments);
  const lines = [
    `prunelab ${PRUNELAB_VERSION}: pruning experiments and their live dashboard`,
    "",
    "Usage: prunelab <command> [flags]     (prunelab <command> --help for its flags)",
    "",
    "Commands:",
    formatTable(null, [
      ...ids.map((id) => ["", id, experiments[id].title]),
      ["", "serve", "live results dashboard on http://127.0.0.1:8000/"],
      ["", "precision-check", "replay a fig5 run's retrainings on another engine"],
      ["", "claims", "which findings of both papers the store's runs reproduce (scorecard)"],
      ["", "worker", "compute the work units of detached runs (<figure> --detach), on any machine"],
      ["", "runs", "list, show, export, delete and copy the runs of a store"],
    ]),
    "",
    "Results go to the store given by --store, $PRUNELAB_STORE or ./prunelab.kv.",
  ];
  return lines.join("\n");
}

/** Dispatches on the first argument; returns the exit code. */
async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(help());
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-V") {
    console.log(`prunelab ${PRUNELAB_VERSION} (deno ${Deno.version.deno})`);
    return 0;
  }
  if (command === "serve") return await runServeCli(rest, experiments);
  if (command === "precision-check") return await runPrecisionCheckCli(rest);
  if (command === "worker") return await runWorkerCli(rest, EXPERIMENTS);
  if (command === "runs") return await runRunsCli(rest, EXPERIMENTS);
  if (command === "claims") {
    return await runClaimsCli(rest, {
      catalogue: CLAIMS_CATALOGUE,
      experiments: EXPERIMENTS,
      unstated: UNSTATED_PANELS,
    });
  }
  if (Object.hasOwn(experiments, command)) {
    return await runExperimentCli(experiments[command], rest, { command: `prunelab ${command}` });
  }
  console.error(`error: unknown command '${command}' (see prunelab --help)`);
  return 2;
}

Deno.exit(await main(Deno.args));

import { runExperimentCli } from "../core/app/cli.ts";
import { bmFig3 } from "../experiments/dbm/experiment.ts";

Deno.exit(await runExperimentCli(bmFig3, Deno.args));

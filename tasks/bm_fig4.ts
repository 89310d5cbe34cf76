import { runExperimentCli } from "../core/app/cli.ts";
import { bmFig4 } from "../experiments/dbm/experiment.ts";

Deno.exit(await runExperimentCli(bmFig4, Deno.args));

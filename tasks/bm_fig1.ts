import { runExperimentCli } from "../core/app/cli.ts";
import { bmFig1 } from "../experiments/bm/bm_fig1.ts";

Deno.exit(await runExperimentCli(bmFig1, Deno.args));

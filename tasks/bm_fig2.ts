import { runExperimentCli } from "../core/app/cli.ts";
import { bmFig2 } from "../experiments/bm/bm_fig2.ts";

Deno.exit(await runExperimentCli(bmFig2, Deno.args));

import { runExperimentCli } from "../core/app/cli.ts";
import { bmTable1 } from "../experiments/bm/bm_table1.ts";

Deno.exit(await runExperimentCli(bmTable1, Deno.args));

/** `deno run -A tasks/dms_new_problem.ts`: DMS new problems on fig5's level-0.7 networks. */
import { runExperimentCli } from "../core/app/cli.ts";
import { dmsNewProblem } from "../experiments/dms_new_problem/dms_new_problem.ts";

Deno.exit(await runExperimentCli(dmsNewProblem, Deno.args));

/**
 * `deno task fig2`: Averbeck 2022 Figs 1C-F and 2 from the example networks of a fig5 run
 * (see experiments/dms_examples/dms_examples.ts).
 *
 * @module
 */
import { runExperimentCli } from "../core/app/cli.ts";
import { fig2 } from "../experiments/dms_examples/dms_examples.ts";

Deno.exit(await runExperimentCli(fig2, Deno.args));

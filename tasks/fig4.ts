/**
 * `deno task fig4`: Averbeck 2022 Fig 4 from the example networks of a fig5 run
 * (see experiments/dms_examples/dms_examples.ts).
 *
 * @module
 */
import { runExperimentCli } from "../core/app/cli.ts";
import { fig4 } from "../experiments/dms_examples/dms_examples.ts";

Deno.exit(await runExperimentCli(fig4, Deno.args));

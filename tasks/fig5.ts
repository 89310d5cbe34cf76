/**
 * `deno task fig5`: Averbeck 2022 Fig 5 / Fig 1H-I (see experiments/fig5/fig5.ts).
 *
 * @module
 */
import { runExperimentCli } from "../core/app/cli.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";

Deno.exit(await runExperimentCli(fig5, Deno.args));

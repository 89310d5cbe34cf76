/** `deno task fig7`: the RL population experiment (Averbeck 2022 Fig 7). */
import { runExperimentCli } from "../core/app/cli.ts";
import { fig7 } from "../experiments/rl/fig7.ts";

Deno.exit(await runExperimentCli(fig7, Deno.args));

/** `deno task fig6`: example RL networks (Averbeck 2022 Fig 6). */
import { runExperimentCli } from "../core/app/cli.ts";
import { fig6 } from "../experiments/rl/fig6.ts";

Deno.exit(await runExperimentCli(fig6, Deno.args));

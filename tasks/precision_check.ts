/**
 * `deno task precision-check`: replays a finished fig5 run's retrainings on another engine and
 * compares them pairwise (see experiments/fig5_replay_cli.ts).
 *
 * @module
 */
import { runPrecisionCheckCli } from "../experiments/fig5_replay_cli.ts";

Deno.exit(await runPrecisionCheckCli(Deno.args));

/**
 * `deno task precision-check`: replays a finished fig5 run's retrainings on another engine and
 * compares them pairwise (see tools/verify/precision_check.ts).
 *
 * @module
 */
import { runPrecisionCheckCli } from "../tools/verify/precision_check.ts";

Deno.exit(await runPrecisionCheckCli(Deno.args));

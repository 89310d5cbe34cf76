/**
 * `deno task serve [--port N] [--host ADDR] [--store PATH]`: the live results dashboard.
 *
 * @module
 */
import { EXPERIMENTS } from "../experiments/registry.ts";
import { experimentMap } from "../server/experiment_map.ts";
import { runServeCli } from "../server/serve_cli.ts";

Deno.exit(await runServeCli(Deno.args, experimentMap(EXPERIMENTS)));

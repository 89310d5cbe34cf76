/**
 * `deno task runs list|show|export|delete|copy`: the runs of a results store on either backend
 * (see core/app/runs_cli.ts).
 *
 * @module
 */
import { runRunsCli } from "../core/app/runs_cli.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";

Deno.exit(await runRunsCli(Deno.args, EXPERIMENTS));

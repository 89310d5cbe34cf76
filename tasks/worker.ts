/**
 * `deno task worker --store postgres://... [--run ID] [--workers N]`: computes the work units of
 * detached runs (see core/app/worker.ts and docs/cluster.md).
 *
 * @module
 */
import { runWorkerCli } from "../core/app/worker.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";

Deno.exit(await runWorkerCli(Deno.args, EXPERIMENTS));

/**
 * `deno task claims`: the reproduction scorecard (see core/app/scorecard_cli.ts): every claim of
 * both papers (experiments/claims_catalogue.ts) judged on the store's runs.
 *
 * @module
 */
import { runClaimsCli } from "../core/app/scorecard_cli.ts";
import { CLAIMS_CATALOGUE, UNSTATED_PANELS } from "../experiments/claims_catalogue.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";

Deno.exit(
  await runClaimsCli(Deno.args, {
    catalogue: CLAIMS_CATALOGUE,
    experiments: EXPERIMENTS,
    unstated: UNSTATED_PANELS,
  }),
);

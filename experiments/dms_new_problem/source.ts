/**
 * Where dms-new-problem takes its networks from, checked before anything is written (the
 * experiment's `prepare`): the fig5 run (`--from`, else the newest finished one) must exist, be a
 * fig5 run and hold level-0.7 networks; `--networks` may not exceed its lineage pairs. The config
 * leaves `prepare` with `from` set to the run's id and `networks` to a number, so the run, a
 * resume and every worker use the same networks.
 *
 * @module
 */
import type { ResultStore } from "../../core/store/store.ts";
import { resolveNetworks } from "../dms_examples/source.ts";
import type { DmsNewProblemConfig } from "./config.ts";

/** The lineage pairs a config trains (0 before `prepare` resolved them). */
export function pairsOf(c: Pick<DmsNewProblemConfig, "networks">): number {
  return c.networks ?? 0;
}

/** Resolves `from` and `networks` against the store, or throws a one-line `UsageError`. */
export async function prepareDnp(
  c: DmsNewProblemConfig,
  store: ResultStore | null,
): Promise<DmsNewProblemConfig> {
  const { src, networks } = await resolveNetworks(store, c);
  return { ...c, from: src.run.id, networks, reduced: c.reduced || src.run.reduced };
}

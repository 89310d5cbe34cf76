/**
 * Normalises the experiment registry (a record by id, or a list) into the id -> experiment map the
 * server and the binary's dispatcher use.
 *
 * @module
 */
import type { Experiment } from "../core/app/experiment.ts";
import type { ExperimentMap } from "./run_data.ts";

/** Registry shapes accepted by {@link experimentMap}. */
export type Registry = Readonly<Record<string, Experiment>> | readonly Experiment[];

/** Builds an id -> experiment map, keyed by each experiment's own `id`. */
export function experimentMap(registry: Registry): ExperimentMap {
  const list = Array.isArray(registry) ? registry : Object.values(registry);
  const out: Record<string, Experiment> = {};
  for (const e of list) out[e.id] = e;
  return Object.freeze(out);
}

/**
 * Version information recorded with every run.
 *
 * @module
 */

/** prunelab's version (keep in step with deno.json). */
export const PRUNELAB_VERSION = "0.1.0";

/** Versions of prunelab and the runtime, for run records. */
export function runtimeVersions(): Record<string, string> {
  return {
    prunelab: PRUNELAB_VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  };
}

/**
 * The RL starting networks shipped with the workbench: networks 0..n-1 of seed 1 trained to
 * criterion by the paper's initial protocol (spec 7.4 step 1), made by `deno task fig7-starts`
 * (provenance inside the file). Network 0 is the shared starting network of the default (spec D6);
 * all of them serve `--initial-networks independent` with up to n lineage pairs.
 *
 * @module
 */
import type { EmbeddedStartsFile } from "../../core/rnn/starting_networks.ts";
import startsFile from "../data/fig7_starts.json" with { type: "json" };

/** The embedded RL starting networks (cache key -> network after initial training). */
export const FIG7_EMBEDDED_STARTS: EmbeddedStartsFile = startsFile;

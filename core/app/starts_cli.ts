/**
 * What the starting-network tasks (`deno task fig5-starts`, `deno task fig7-starts`) share: their
 * flags and reading them before any work starts (bad input is one `error:` line and exit 2, with
 * nothing written). Each task keeps its own training and the provenance of its file.
 *
 * @module
 */
import { flagHelp, type FlagSpec, parseFlags, stringFlag } from "./args.ts";
import { parseIntFlag } from "./flags.ts";
import { outPathProblem } from "./fs.ts";
import { openStore, resolveStoreLocation, type ResultStore, StoreError } from "../store/store.ts";
import { UsageError } from "../util/errors.ts";

/** How one starting-network task words its flags. */
export interface StartsTaskSpec {
  /** The `deno task` name, for the usage line. */
  task: string;
  /** `--networks`: its help and the number used when it is not given. */
  networks: { help: string; default: number };
  /** `--store`: its help. */
  storeHelp: string;
  /** `--out`: its help and the default as shown. */
  out: { help: string; default: string };
}

/** A starting-network task's flags as read; the store is open and the caller closes it. */
export interface StartsTaskArgs {
  /** Starting networks 0..networks-1. */
  networks: number;
  /** Master seed. */
  seed: number;
  /** `--out` when given (already checked to be writable). */
  out: string | undefined;
  /** No progress bar. */
  quiet: boolean;
  /** The results store, the cache of finished rounds. */
  store: ResultStore;
}

/** The flags of a starting-network task. */
export function startsTaskFlags(spec: StartsTaskSpec): FlagSpec[] {
  return [
    {
      name: "networks",
      type: "string",
      value: "N",
      help: spec.networks.help,
      default: String(spec.networks.default),
    },
    { name: "seed", type: "string", value: "N", help: "master seed", default: "1" },
    {
      name: "store",
      type: "string",
      value: "PATH",
      help: spec.storeHelp,
      default: "$PRUNELAB_STORE or prunelab.kv",
    },
    { name: "out", type: "string", value: "FILE", help: spec.out.help, default: spec.out.default },
    { name: "quiet", type: "boolean", help: "no progress bar" },
    { name: "help", type: "boolean", help: "show this help" },
  ];
}

/**
 * Reads a starting-network task's flags, checks `--out` and opens the store, in that order, so
 * that bad input stops before anything is written. Returns the task's exit code instead where it
 * ends here: 0 after `--help` (printed), 2 after one `error:` line for bad input or a store that
 * does not open, 1 after one for anything else.
 */
export async function readStartsTaskArgs(
  args: string[],
  spec: StartsTaskSpec,
): Promise<StartsTaskArgs | number> {
  const flags = startsTaskFlags(spec);
  try {
    const values = parseFlags(flags, args).flags;
    if (values.help) {
      console.log(`usage: deno task ${spec.task} [flags]\n${flagHelp(flags)}`);
      return 0;
    }
    const n = stringFlag(values, "networks");
    const s = stringFlag(values, "seed");
    const networks = n === undefined
      ? spec.networks.default
      : parseIntFlag("networks", n, { min: 1, max: 1000 });
    const seed = s === undefined ? 1 : parseIntFlag("seed", s, { min: 0, max: 4294967295 });
    const out = stringFlag(values, "out");
    const problem = out !== undefined ? await outPathProblem(out) : null;
    if (problem) throw new UsageError(problem);
    const store = await openStore(resolveStoreLocation(stringFlag(values, "store")));
    return { networks, seed, out, quiet: values.quiet === true, store };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    console.error(`error: ${message}`);
    return err instanceof UsageError || err instanceof StoreError ? 2 : 1;
  }
}

/**
 * Trained starting networks of any RNN task: the most expensive reusable artefact of an experiment
 * (DMS: 5 rounds to criterion, spec 7.1; RL: up to 1,000 outer iterations to criterion, spec 7.4).
 * A task describes its initial training as a {@link StartRecipe} (how many rounds, how network i is
 * initialised, how a round is trained, the cache key of a round's result); this module runs it:
 * every round's result is looked up in the cache across runs (any {@link StartCache}; the results
 * store is one), then in read-only tables of networks shipped with the workbench
 * (`experiments/data/`), and trained only where neither holds it. One mechanism for fig5 and fig7.
 *
 * @module
 */
import { copyOutcome, type TrainOutcome } from "./train.ts";

/** What one initial-training round did (stored with the starting network). */
export interface RoundRecord {
  /** Round number, 1-based. */
  round: number;
  /** Outer iterations run. */
  outer: number;
  /** Whether the round met the stopping rule. */
  converged: boolean;
  /** Loss at the start of the last outer iteration. */
  finalLoss: number;
  /** Loss at the start of every outer iteration. */
  lossHistory: number[];
  /** Reason, when the round produced NaN/Inf (the weights of the previous round are kept). */
  failed?: string;
}

/** A starting network after some rounds. */
export interface StartingNetwork {
  /** Parameters `[vec(B); vec(A); vec(C)]`. */
  w: Float64Array;
  /** Records of the rounds run so far. */
  rounds: RoundRecord[];
  /** Where its first `rounds` rounds were found instead of trained, if anywhere. */
  reused?: { from: "cache" | "embedded"; rounds: number };
}

/** Where finished rounds may already exist: key -> network after that round, or null. */
export type StartSource = (key: string) => StartingNetwork | null;

/**
 * A cache of trained rounds across runs, keyed by the recipe's keys: the results store is one (its
 * `getCache` / `putCache`), so a later run with the same protocol finds them.
 */
export interface StartCache {
  /** The cached entry of a key, or null. */
  getCache(
    key: string,
    options?: { onDiscarded?: (reason: string) => void },
  ): Promise<{ metrics: Record<string, unknown>; blobs: Record<string, unknown> } | null>;
  /** Caches an entry. */
  putCache(
    key: string,
    entry: { metrics: Record<string, unknown>; blobs: Record<string, Float64Array> },
  ): Promise<void>;
}

/** One network to train in a round: its index and its weights after the previous round. */
export interface RoundJob {
  /** Network index. */
  network: number;
  /** Weights to start the round from (not modified). */
  w: Float64Array;
  /**
   * Where an interrupted run left this round (its checkpoint after some outer iterations): the
   * recipe hands it to `trainPopulation` as `TrainJob.from`, which continues it bit for bit.
   */
  from?: TrainOutcome;
}

/** Options a recipe's round receives from {@link prepareStartingNetworks}. */
export interface RoundOptions {
  /** Abort, within an SCG call (see `trainPopulation`). */
  signal?: AbortSignal;
  /** Called after every outer iteration. */
  onOuter?: (outer: number, active: number, total: number) => void;
  /** To pass on as `trainPopulation`'s `afterOuter` (checkpoints, live losses). */
  afterOuter?: (
    state: { outer: number; outcomes: readonly TrainOutcome[]; trained: readonly number[] },
  ) => Promise<void>;
}

/** How a task trains its starting networks. */
export interface StartRecipe {
  /** Rounds of initial training (DMS 5, RL 1). */
  rounds: number;
  /**
   * Cache key of network `network` after `round` rounds: it must hold everything that determines
   * the result (seed, protocol, arithmetic).
   */
  key(network: number, round: number): string;
  /** Initial weights of network `network`. */
  init(network: number): Float64Array;
  /** Trains round `round` (1-based) for the jobs as one population. */
  trainRound(round: number, jobs: RoundJob[], options: RoundOptions): Promise<TrainOutcome[]>;
  /**
   * True when `trainRound` honours {@link RoundJob.from} and {@link RoundOptions.afterOuter}: the
   * round is then checkpointed after every outer iteration, so an interrupted run continues a long
   * round instead of restarting it.
   */
  checkpoints?: boolean;
}

/** Options of {@link prepareStartingNetworks}. */
export interface PrepareStartsOptions {
  /** Cache that receives every finished round (the results store); null = no caching. */
  store: StartCache | null;
  /** Read-only sources tried after the store's cache (e.g. embedded networks). */
  sources?: StartSource[];
  /** Ignore cached and embedded rounds and train from the initialisation. */
  fresh?: boolean;
  /** Abort between outer iterations. */
  signal?: AbortSignal;
  /** Called before each round that trains `networks` networks. */
  onRound?: (round: number, networks: number) => void;
  /** Called after every outer iteration of a round. */
  onOuter?: (round: number, outer: number, active: number, total: number) => void;
  /** Called after each round that trained networks. */
  onRoundDone?: (round: number) => void;
  /** Called when a round is skipped for `networks` networks that already had it. */
  onSkip?: (round: number, networks: number) => void;
  /** Called with a one-line notice, e.g. a damaged cache entry that was discarded (and retrained). */
  onNotice?: (message: string) => void;
  /**
   * The run that trains them. With `fresh`, a round's checkpoints are kept under this id, so only
   * this run's resume continues them (without it, a fresh round is not checkpointed); otherwise
   * they are shared like the finished rounds, because they are the same bits whoever trains them.
   */
  runId?: string;
  /** Loss per outer iteration so far of every network training now, after each outer iteration. */
  onLoss?: (round: number, losses: { network: number; loss: readonly number[] }[]) => void;
}

/** Cache key of the checkpoint of an unfinished round, or null when rounds are not checkpointed. */
function checkpointKey(
  recipe: StartRecipe,
  at: { network: number; round: number },
  options: PrepareStartsOptions,
): string | null {
  if (!recipe.checkpoints || !options.store) return null;
  if (options.fresh && !options.runId) return null;
  const scope = options.fresh ? `/run=${options.runId}` : "";
  return `${recipe.key(at.network, at.round)}/partial${scope}`;
}

/** The outcome an interrupted round reached, from its checkpoint (null: none, or damaged). */
async function readCheckpoint(
  key: string | null,
  options: PrepareStartsOptions,
): Promise<TrainOutcome | null> {
  if (key === null || !options.store) return null;
  const hit = await options.store.getCache(key, { onDiscarded: options.onNotice });
  const m = hit?.metrics.outcome;
  if (!hit || !(hit.blobs.w instanceof Float64Array) || !isOutcomeRecord(m)) return null;
  return { ...m, w: hit.blobs.w };
}

/** Whether a checkpoint's JSON is an outcome without its weights (as {@link writeCheckpoints} wrote). */
function isOutcomeRecord(m: unknown): m is Omit<TrainOutcome, "w"> {
  if (typeof m !== "object" || m === null) return false;
  const numbers = ["endLoss", "outerIterations", "gradEvals", "scgSteps", "emergencySteps"];
  return numbers.every((k) => typeof Reflect.get(m, k) === "number") &&
    typeof Reflect.get(m, "converged") === "boolean" &&
    Array.isArray(Reflect.get(m, "lossHistory"));
}

/** Writes the checkpoint of every network that ran outer iteration `outer` of a round. */
async function writeCheckpoints(
  keys: (string | null)[],
  state: { outcomes: readonly TrainOutcome[]; trained: readonly number[] },
  store: StartCache,
): Promise<void> {
  for (const k of state.trained) {
    const key = keys[k];
    if (key === null) continue;
    const { w, ...outcome } = copyOutcome(state.outcomes[k]);
    await store.putCache(key, { metrics: { outcome }, blobs: { w } });
  }
}

type Current = StartingNetwork & { round: number };

/** The latest round of network `i` found in the cache or a source, else its initialisation. */
async function latestKnown(
  i: number,
  recipe: StartRecipe,
  options: PrepareStartsOptions,
): Promise<Current> {
  const init: Current = { w: recipe.init(i), rounds: [], round: 0 };
  if (options.fresh) return init;
  for (let r = recipe.rounds; r >= 1; r--) {
    const key = recipe.key(i, r);
    const hit = options.store
      ? await options.store.getCache(key, { onDiscarded: options.onNotice })
      : null;
    if (hit && hit.blobs.w instanceof Float64Array) {
      return {
        w: hit.blobs.w,
        rounds: (hit.metrics.rounds as RoundRecord[]) ?? [],
        round: r,
        reused: { from: "cache", rounds: r },
      };
    }
    for (const source of options.sources ?? []) {
      const found = source(key);
      if (found) {
        return {
          w: Float64Array.from(found.w),
          rounds: structuredClone(found.rounds),
          round: r,
          reused: { from: "embedded", rounds: r },
        };
      }
    }
  }
  return init;
}

/**
 * Trains (or reuses) the starting networks `indices` by `recipe`. Returns them in the order of
 * `indices`. A network whose round fails keeps the previous round's weights; the failure is in its
 * records (`failed`).
 */
export async function prepareStartingNetworks(
  indices: readonly number[],
  recipe: StartRecipe,
  options: PrepareStartsOptions,
): Promise<{ networks: StartingNetwork[] }> {
  const cur = new Map<number, Current>();
  for (const i of indices) cur.set(i, await latestKnown(i, recipe, options));
  for (let r = 1; r <= recipe.rounds; r++) {
    const todo = indices.filter((i) => cur.get(i)!.round < r);
    if (indices.length > todo.length) options.onSkip?.(r, indices.length - todo.length);
    if (todo.length === 0) continue;
    options.onRound?.(r, todo.length);
    const keys = todo.map((network) => checkpointKey(recipe, { network, round: r }, options));
    const jobs: RoundJob[] = [];
    for (let k = 0; k < todo.length; k++) {
      const from = await readCheckpoint(keys[k], options);
      jobs.push({ network: todo[k], w: cur.get(todo[k])!.w, ...(from ? { from } : {}) });
    }
    const store = options.store;
    const outcomes = await recipe.trainRound(r, jobs, {
      signal: options.signal,
      onOuter: (outer, active, total) => options.onOuter?.(r, outer, active, total),
      afterOuter: async (state) => {
        options.onLoss?.(
          r,
          state.trained.map((k) => ({
            network: todo[k],
            loss: state.outcomes[k].lossHistory,
          })),
        );
        if (store) await writeCheckpoints(keys, state, store);
      },
    });
    options.onRoundDone?.(r);
    for (let k = 0; k < todo.length; k++) {
      const st = cur.get(todo[k])!;
      const o = outcomes[k];
      st.rounds.push({
        round: r,
        outer: o.outerIterations,
        converged: o.converged,
        finalLoss: o.lossHistory[o.lossHistory.length - 1],
        lossHistory: o.lossHistory,
        ...(o.failure ? { failed: o.failure } : {}),
      });
      if (!o.failure) st.w = o.w;
      st.round = r;
      await options.store?.putCache(recipe.key(todo[k], r), {
        metrics: { rounds: st.rounds },
        blobs: { w: st.w },
      });
    }
  }
  return {
    networks: indices.map((i) => {
      const { w, rounds, reused } = cur.get(i)!;
      return reused ? { w, rounds, reused } : { w, rounds };
    }),
  };
}

/** Serialised form of embedded starting networks (what `deno task fig5-starts` writes). */
export interface EmbeddedStartsFile {
  /** How the networks were made: command, protocol, seed, arithmetic, versions, machine, wall time. */
  provenance: Record<string, unknown>;
  /** Cache key -> network after that round. */
  entries: Record<string, { w: number[]; rounds: RoundRecord[] }>;
}

/** A {@link StartSource} over an embedded file. */
export function embeddedSource(file: EmbeddedStartsFile): StartSource {
  return (key) => {
    const e = file.entries[key];
    return e ? { w: Float64Array.from(e.w), rounds: e.rounds } : null;
  };
}

/**
 * Trained DMS starting networks (spec 7.1 steps 1-2): initialisation, then rounds of SCG "to
 * criterion", each on a fresh training set, continuing from the previous round. They are the most
 * expensive reusable artefact of the DMS experiments, so every round's result is cached under a key
 * that holds everything that determines it, and a read-only table of embedded networks (shipped
 * with the workbench, see `experiments/data/`) can stand in for the cache. The cache is any
 * {@link StartCache} (the results store is one), so this module needs no store of its own.
 *
 * @module
 */
import { deriveSeed, Rng } from "../util/rng.ts";
import { DMS_INIT, DMS_SHAPE, initWeights, paramLayout } from "../rnn/network.ts";
import type { Engine, ScgOptions } from "../engine/engine.ts";
import { trainPopulation } from "../rnn/train.ts";
import { dmsTrainingSet } from "./task.ts";

/** The initial-training protocol. */
export interface StartProtocol {
  /** Rounds, each on a fresh training set (paper: 5). */
  initialRounds: number;
  /** Outer-iteration cap per round (paper: 100). */
  maxOuterInitial: number;
  /** SCG steps per outer iteration; null = K (paper). */
  scgSteps: number | null;
  /** Target-noise sd (0.1). */
  sigmaY: number;
}

/** What one initial round did (stored with the starting network). */
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

/** The identity of one round's result. */
export interface StartKey {
  /** Master seed. */
  seed: number;
  /** Network index. */
  network: number;
  /** Rounds completed. */
  round: number;
  /**
   * Arithmetic that produced it (engine and kernel build): results are bit-for-bit reproducible
   * only within one.
   */
  arithmetic: string;
}

/** SCG options of the DMS protocol. */
export function dmsScgOptions(p: Pick<StartProtocol, "scgSteps" | "sigmaY">): ScgOptions {
  return { stopRule: "dms", sigmaY: p.sigmaY, ...(p.scgSteps ? { kMax: p.scgSteps } : {}) };
}

/** Cache key of a starting network after `key.round` rounds: everything that determines it. */
export function startCacheKey(p: StartProtocol, key: StartKey): string {
  // The step count is resolved, so "K" and an explicit 1110 name the same protocol.
  const kMax = p.scgSteps ?? paramLayout(DMS_SHAPE).size;
  return `dms-start/v2/seed=${key.seed}/net=${key.network}/round=${key.round}` +
    `/maxOuter=${p.maxOuterInitial}/kMax=${kMax}/sigmaY=${p.sigmaY}/arith=${key.arithmetic}`;
}

/**
 * A cache of trained rounds across runs, keyed by {@link startCacheKey}: the results store is one
 * (its `getCache` / `putCache`), so a later run with the same protocol finds them.
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

/** Options of {@link trainStartingNetworks}. */
export interface TrainStartsOptions {
  /** Initial-training protocol. */
  protocol: StartProtocol;
  /** Master seed: network i's initial weights come from stream (seed, i, 0), round r's data from (seed, i, 1, r). */
  seed: number;
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
}

/**
 * Trains (or reuses) the starting networks `indices`. Returns them in the order of `indices`.
 * A network whose round fails keeps the previous round's weights; the failure is in its records.
 */
export async function trainStartingNetworks(
  engine: Engine,
  indices: readonly number[],
  options: TrainStartsOptions,
): Promise<{ networks: StartingNetwork[] }> {
  const p = options.protocol;
  const key = (network: number, round: number): string =>
    startCacheKey(p, { seed: options.seed, network, round, arithmetic: engine.arithmetic });
  const cur = new Map<number, StartingNetwork & { round: number }>();
  for (const i of indices) {
    const init: StartingNetwork & { round: number } = {
      w: initWeights(DMS_SHAPE, DMS_INIT, new Rng(deriveSeed(options.seed, i, 0))),
      rounds: [],
      round: 0,
    };
    cur.set(i, init);
    if (options.fresh) continue;
    search: for (let r = p.initialRounds; r >= 1; r--) {
      const hit = options.store
        ? await options.store.getCache(key(i, r), { onDiscarded: options.onNotice })
        : null;
      if (hit && hit.blobs.w instanceof Float64Array) {
        cur.set(i, {
          w: hit.blobs.w,
          rounds: (hit.metrics.rounds as RoundRecord[]) ?? [],
          round: r,
          reused: { from: "cache", rounds: r },
        });
        break;
      }
      for (const source of options.sources ?? []) {
        const found = source(key(i, r));
        if (found) {
          cur.set(i, {
            w: Float64Array.from(found.w),
            rounds: structuredClone(found.rounds),
            round: r,
            reused: { from: "embedded", rounds: r },
          });
          break search;
        }
      }
    }
  }
  const scg = dmsScgOptions(p);
  for (let r = 1; r <= p.initialRounds; r++) {
    const todo = indices.filter((i) => cur.get(i)!.round < r);
    if (indices.length > todo.length) options.onSkip?.(r, indices.length - todo.length);
    if (todo.length === 0) continue;
    options.onRound?.(r, todo.length);
    const outcomes = await trainPopulation(
      engine,
      todo.map((i) => ({
        data: dmsTrainingSet(new Rng(deriveSeed(options.seed, i, 1, r)), p.sigmaY),
        w: cur.get(i)!.w,
        mask: null,
      })),
      {
        maxOuter: p.maxOuterInitial,
        untilConverged: true,
        scg,
        signal: options.signal,
        onOuter: (outer, active, total) => options.onOuter?.(r, outer, active, total),
      },
    );
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
      await options.store?.putCache(key(todo[k], r), {
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

/**
 * `deno task fig5-starts`: trains the starting networks of the fig5 default preset with the
 * paper's initial protocol (spec 7.1 step 2) on the CPU engine and writes them to
 * `experiments/data/fig5_starts.json`, the networks `deno task fig5` embeds so that its default
 * fits in a few minutes. The file records how it was made; for the replay test it also keeps the
 * round before the last of the network whose last round was shortest.
 *
 * Flags: `--networks N` (default: the preset's), `--seed N` (1), `--store PATH` (cache of finished
 * rounds; default as for fig5), `--out FILE`, `--quiet`. With a seed other than the embedded one's
 * and no `--out`, nothing but the store's cache is written: `deno task fig5 --seed N` with the same
 * store then reuses the networks, and the embedded file stays as shipped.
 *
 * @module
 */
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { Progress } from "../core/app/progress.ts";
import { watchInterrupts } from "../core/app/interrupt.ts";
import { writeJsonAtomic } from "../core/app/fs.ts";
import { readStartsTaskArgs } from "../core/app/starts_cli.ts";
import { runtimeVersions } from "../core/app/version.ts";
import {
  type EmbeddedStartsFile,
  startCacheKey,
  type StartingNetwork,
  trainStartingNetworks,
} from "../core/dms/starting_networks.ts";
import { FIG5_DEFAULT } from "../experiments/fig5/config.ts";

const DEFAULT_OUT = new URL("../experiments/data/fig5_starts.json", import.meta.url);
/** The seed of the networks embedded in fig5 (see docs/fig5.md). */
const EMBEDDED_SEED = 1;

async function main(args: string[]): Promise<number> {
  const read = await readStartsTaskArgs(args, {
    task: "fig5-starts",
    networks: { help: "starting networks", default: FIG5_DEFAULT.networks },
    storeHelp: "cache of finished rounds",
    out: {
      help: "file to write (the embedded networks' file is rewritten only for their seed)",
      default: "experiments/data/fig5_starts.json for seed 1, else none",
    },
  });
  if (typeof read === "number") return read;
  const { networks, seed, store } = read;
  // Only the embedded networks' own seed rewrites their file by default.
  const out = read.out ?? (seed === EMBEDDED_SEED ? DEFAULT_OUT.pathname : null);
  const protocol = FIG5_DEFAULT;
  const engine = new CpuEngine();
  const arithmetic = engine.arithmetic;
  const indices = Array.from({ length: networks }, (_, i) => i);
  const progress = new Progress(protocol.initialRounds * networks, { quiet: read.quiet });
  const t0 = performance.now();
  const train = (fresh: boolean, which: number[]) =>
    trainStartingNetworks(engine, which, {
      protocol,
      seed,
      store,
      fresh,
      signal: watch.signal,
      onNotice: (m) => progress.log(`notice: ${m}`),
      onRound: (r, n) => progress.update(`round ${r}/${protocol.initialRounds}: ${n} networks`),
      onOuter: (r, outer, active, total) =>
        progress.update(`round ${r}/${protocol.initialRounds}: outer ${outer}, ${active}/${total}`),
      onRoundDone: () => progress.tick(networks),
      onSkip: (_r, n) => progress.tick(n),
    });
  // Ctrl-C stops within a second; finished rounds and outer iterations stay cached in the store.
  const watch = await watchInterrupts();
  try {
    const { networks: nets } = await train(false, indices);
    progress.finish();
    const entries: EmbeddedStartsFile["entries"] = {};
    const put = (i: number, round: number, net: StartingNetwork): void => {
      entries[startCacheKey(protocol, { seed, network: i, round, arithmetic })] = {
        w: Array.from(net.w),
        rounds: net.rounds,
      };
    };
    nets.forEach((net, i) => put(i, protocol.initialRounds, net));
    // The replay test retrains one last round from the round before it: pick the shortest.
    const outerOfLast = nets.map((n) => n.rounds[n.rounds.length - 1]?.outer ?? Infinity);
    const replay = outerOfLast.indexOf(Math.min(...outerOfLast));
    const before = await store.getCache(
      startCacheKey(protocol, {
        seed,
        network: replay,
        round: protocol.initialRounds - 1,
        arithmetic,
      }),
    );
    if (!(before?.blobs.w instanceof Float64Array)) {
      throw new Error(`the cache lost round ${protocol.initialRounds - 1} of network ${replay}`);
    }
    put(replay, protocol.initialRounds - 1, {
      w: before.blobs.w,
      rounds: before.metrics.rounds as StartingNetwork["rounds"],
    });
    const file: EmbeddedStartsFile = {
      provenance: {
        command: `deno task fig5-starts --networks ${networks} --seed ${seed}`,
        protocol: {
          initialRounds: protocol.initialRounds,
          maxOuterInitial: protocol.maxOuterInitial,
          scgSteps: protocol.scgSteps ?? "K",
          sigmaY: protocol.sigmaY,
        },
        seed,
        networks,
        arithmetic,
        engine: engine.description,
        versions: runtimeVersions(),
        replayNetwork: replay,
        wallSeconds: Math.round((performance.now() - t0) / 1000),
        made: new Date().toISOString(),
      },
      entries,
    };
    if (out === null) {
      console.log(
        `cached ${networks} starting networks (seed ${seed}, ${arithmetic}) in the store: ` +
          `deno task fig5 --seed ${seed} with this store reuses them`,
      );
      return 0;
    }
    await writeJsonAtomic(out, file, { compact: true });
    console.log(`wrote ${networks} starting networks (seed ${seed}, ${arithmetic}) to ${out}`);
    return 0;
  } catch (err) {
    progress.finish({ stopped: true });
    if (watch.signal.aborted) {
      console.error(
        "interrupted: finished rounds and outer iterations are cached in the store; run the " +
          "same command again to continue",
      );
      return 130;
    }
    console.error(`error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 1;
  } finally {
    watch.stop();
    await engine.close();
    await store.close();
  }
}

Deno.exit(await main(Deno.args));

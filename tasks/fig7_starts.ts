/**
 * `deno task fig7-starts`: trains the RL starting networks 0..N-1 of a seed with the paper's
 * initial protocol (spec 7.4 step 1: noise-free, to criterion, up to 1,000 outer iterations of
 * K = 684 SCG steps, refresh every 20, tau 100) on the CPU engine, through the same
 * starting-network mechanism as fig5 (core/rnn/starting_networks.ts), and writes them to
 * `experiments/data/fig7_starts.json`, the networks fig6 and fig7 embed so that their defaults
 * start from networks trained to criterion. The file records how it was made.
 *
 * Flags: `--networks N` (8), `--seed N` (1), `--store PATH` (cache of finished networks; default as
 * for fig7), `--out FILE`, `--quiet`.
 *
 * @module
 */
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import { Progress } from "../core/app/progress.ts";
import { writeJsonAtomic } from "../core/app/fs.ts";
import { readStartsTaskArgs } from "../core/app/starts_cli.ts";
import { runtimeVersions } from "../core/app/version.ts";
import { type EmbeddedStartsFile, prepareStartingNetworks } from "../core/rnn/starting_networks.ts";
import { rlStartCacheKey, rlStartRecipe } from "../core/rl/starting_networks.ts";
import { DEFAULT_RL } from "../experiments/rl/config.ts";

const DEFAULT_OUT = new URL("../experiments/data/fig7_starts.json", import.meta.url);

async function main(args: string[]): Promise<number> {
  const read = await readStartsTaskArgs(args, {
    task: "fig7-starts",
    networks: { help: "starting networks 0..N-1", default: 8 },
    storeHelp: "cache of finished networks",
    out: { help: "file to write", default: "experiments/data/fig7_starts.json" },
  });
  if (typeof read === "number") return read;
  const { networks, seed, store } = read;
  const out = read.out ?? DEFAULT_OUT.pathname;
  const protocol = DEFAULT_RL;
  const engine = new CpuEngine();
  const indices = Array.from({ length: networks }, (_, i) => i);
  const progress = new Progress(networks, { quiet: read.quiet });
  const t0 = performance.now();
  try {
    const { networks: nets } = await prepareStartingNetworks(
      indices,
      rlStartRecipe(engine, { protocol, seed }),
      {
        store,
        onOuter: (_r, outer, active, total) =>
          progress.update(`outer ${outer}: ${active}/${total} still training`),
        onRoundDone: () => progress.tick(networks),
        onSkip: (_r, n) => progress.tick(n),
      },
    );
    progress.finish();
    const entries: EmbeddedStartsFile["entries"] = {};
    nets.forEach((net, i) => {
      const key = rlStartCacheKey(protocol, { seed, network: i, arithmetic: engine.arithmetic });
      entries[key] = { w: Array.from(net.w), rounds: net.rounds };
    });
    const file: EmbeddedStartsFile = {
      provenance: {
        command: `deno task fig7-starts --networks ${networks} --seed ${seed}`,
        protocol: {
          initialOuter: protocol.initialOuter,
          initialTau: protocol.initialTau,
          initialRefresh: protocol.initialRefresh,
          scgSteps: protocol.scgSteps ?? "K",
          trainBlocks: protocol.trainBlocks,
          noiseVariance: 0,
        },
        seed,
        networks,
        arithmetic: engine.arithmetic,
        engine: engine.description,
        versions: runtimeVersions(),
        outerIterations: nets.map((n) => n.rounds.at(-1)?.outer ?? null),
        converged: nets.map((n) => n.rounds.at(-1)?.converged ?? null),
        wallSeconds: Math.round((performance.now() - t0) / 1000),
        made: new Date().toISOString(),
      },
      entries,
    };
    await writeJsonAtomic(out, file, { compact: true });
    console.log(
      `wrote ${networks} RL starting networks (seed ${seed}, ${engine.arithmetic}) to ${out}`,
    );
    return 0;
  } finally {
    await engine.close();
    await store.close();
  }
}

Deno.exit(await main(Deno.args));

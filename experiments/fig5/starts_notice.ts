/**
 * The notice a fig5 run prints before it starts when its starting networks must be trained first
 * (issue 18): only seed 1's networks of the default protocol are embedded, so any other seed or
 * initial protocol trains them unless this store's cache already holds them from an earlier run
 * or from `deno task fig5-starts`. The notice says how many, what it costs (scaled from the
 * embedded networks' own training time) and how to avoid it.
 *
 * @module
 */
import type { Engine } from "../../core/engine/engine.ts";
import { startCacheKey } from "../../core/dms/starting_networks.ts";
import { embeddedSource } from "../../core/dms/starting_networks.ts";
import { formatDuration } from "../../core/app/progress.ts";
import { DMS_SHAPE, paramLayout } from "../../core/rnn/network.ts";
import type { ResultStore } from "../../core/store/store.ts";
import { FIG5_DEFAULT, type Fig5Config } from "./config.ts";
import { FIG5_EMBEDDED_STARTS } from "./protocol.ts";

/** Seconds per network of the embedded networks' training, per unit of its work at the caps. */
function embeddedRate(): { seconds: number; work: number; networks: number } | null {
  const p = FIG5_EMBEDDED_STARTS.provenance;
  const protocol = p.protocol;
  const seconds = Number(p.wallSeconds);
  const networks = Number(p.networks);
  if (typeof protocol !== "object" || protocol === null || !(seconds > 0 && networks > 0)) {
    return null;
  }
  const rounds = Number(Reflect.get(protocol, "initialRounds"));
  const cap = Number(Reflect.get(protocol, "maxOuterInitial"));
  const steps = Reflect.get(protocol, "scgSteps");
  const kMax = typeof steps === "number" ? steps : paramLayout(DMS_SHAPE).size;
  return { seconds, networks, work: rounds * cap * kMax };
}

/** The notices of a new fig5 run: whether its starting networks must be trained, and the cost. */
export async function fig5Notices(
  c: Fig5Config,
  at: { seed: number; store: ResultStore; engine: Engine },
): Promise<string[]> {
  const embedded = embeddedSource(FIG5_EMBEDDED_STARTS);
  let missing = 0;
  for (let i = 0; i < c.networks; i++) {
    const key = startCacheKey(c, {
      seed: at.seed,
      network: i,
      round: c.initialRounds,
      arithmetic: at.engine.arithmetic,
    });
    if (c.trainStarts || (!embedded(key) && !(await at.store.getCache(key)))) missing++;
  }
  if (missing === 0) return [];
  const rate = embeddedRate();
  const kMax = c.scgSteps ?? paramLayout(DMS_SHAPE).size;
  const cost = rate
    ? `about ${
      formatDuration(Math.max(
        1,
        rate.seconds / rate.networks * missing * (c.initialRounds * c.maxOuterInitial * kMax) /
          rate.work,
      ))
    } at the pace the embedded networks were trained (${rate.networks} in ` +
      `${formatDuration(rate.seconds)}, 2 cores), less when rounds converge before their cap`
    : "a while";
  const why = c.trainStarts
    ? "--train-starts asks for it"
    : `only seed ${FIG5_EMBEDDED_STARTS.provenance.seed}'s networks of the default initial ` +
      `protocol are embedded, and this store's cache does not hold them for seed ${at.seed}`;
  const d = FIG5_DEFAULT;
  const defaultProtocol = c.initialRounds === d.initialRounds &&
    c.maxOuterInitial === d.maxOuterInitial && c.scgSteps === d.scgSteps && c.sigmaY === d.sigmaY;
  const ahead =
    defaultProtocol && at.engine.arithmetic === FIG5_EMBEDDED_STARTS.provenance.arithmetic
      ? `, or train them ahead once with deno task fig5-starts --seed ${at.seed} --networks ` +
        `${c.networks} (same --store)`
      : "";
  return [
    `${missing} starting network(s) will be trained first (${c.initialRounds} round(s) to ` +
    `criterion, at most ${c.maxOuterInitial} outer iterations each): ${why}; ${cost}. They are ` +
    `cached in the store, so later runs with this seed reuse them. To skip this, use --seed ` +
    `${FIG5_EMBEDDED_STARTS.provenance.seed} with the default protocol (the embedded ` +
    `networks)${ahead}.`,
  ];
}

/**
 * Running (or resuming) a Fig 5 run, in its two phases: the starting networks (from the run's own
 * units, the store's cache, the embedded networks, or trained now), then the lineages level by
 * level, every network's pair retrained as one population and stored as soon as it is done.
 * Store layout: `protocol.ts`.
 *
 * @module
 */
import { networkIndices, type RunContext } from "../../core/app/experiment.ts";
import type { Progress } from "../../core/app/progress.ts";
import { analyseDmsNetwork } from "../../core/dms/analysis.ts";
import { embeddedSource, trainStartingNetworks } from "../../core/dms/starting_networks.ts";
import { DMS_SHAPE, paramLayout } from "../../core/rnn/network.ts";
import type { TrainOutcome } from "../../core/rnn/train.ts";
import { nonFiniteReason } from "../../core/util/finite.ts";
import type { Fig5Config } from "./config.ts";
import {
  FIG5_EMBEDDED_STARTS,
  type LevelJob,
  levelJob,
  type Lineage,
  type LineageMetrics,
  lineageMetrics,
  LINEAGES,
  requireBlob,
  retrainLevel,
} from "./protocol.ts";

/**
 * Progress in network-outer-iterations at their caps, one phase for the starting networks and one
 * per level (a bar each). A network that meets its stopping rule before the cap takes its unused
 * iterations out of the total as early savings, so the ETA expects the rest to stop early alike
 * and says how long it would take at the caps. Work that is not needed (reused starting networks,
 * units finished before a resume) leaves the total rather than counting as done, so the bar and
 * the ETA describe what this process has to do.
 */
class WorkMeter {
  #progress: Progress;
  /** Work done in the current phase. */
  #done = 0;

  constructor(progress: Progress, at: { config: Fig5Config; networks: number }) {
    const c = at.config;
    const P = at.networks;
    this.#progress = progress;
    progress.plan([
      { label: "starting networks", work: P * c.initialRounds * c.maxOuterInitial },
      ...c.levels.map((l) => ({ label: `level ${l}`, work: 2 * P * c.maxOuterRetrain })),
    ], { unit: "network-iterations", capped: true });
  }

  /** Starts phase `i` (0: starting networks, 1 + li: level li). */
  enter(i: number): void {
    this.#progress.enter(i);
    this.#done = 0;
  }

  /** Removes work of the current phase that will not be done. */
  skip(n: number): void {
    this.#progress.skip(n);
  }

  /** Accounting of one training call of `jobs` networks capped at `cap` outer iterations. */
  call(jobs: number, cap: number): {
    onOuter(outer: number, active: number, label: string): void;
    finish(): void;
  } {
    let running = jobs;
    return {
      onOuter: (outer, active, label) => {
        this.#done += running;
        // Networks that left now met the stopping rule (or failed) before the cap.
        if (active < running && outer < cap) {
          this.#progress.skip((running - active) * (cap - outer), { early: true });
        }
        running = active;
        this.#progress.advance(this.#done, label);
      },
      finish: () => {
        running = 0;
      },
    };
  }
}

/** Each lineage's weights after the latest level, and why a lineage stopped, per network. */
interface LineageState {
  /** Weights after the latest level (null once failed). */
  prev: Record<Lineage, (Float64Array | null)[]>;
  /** Failure reason per network (null while it trains). */
  failed: Record<Lineage, (string | null)[]>;
}

/** Runs (or resumes) a Fig 5 run, or the networks `ctx.networks` of it (a worker's unit). */
export async function runFig5(ctx: RunContext<Fig5Config>): Promise<void> {
  const c = ctx.config;
  const P = networkIndices(ctx, c.networks).length;
  const meter = new WorkMeter(ctx.progress, { config: c, networks: P });
  const start = await startingNetworks(ctx, meter);
  const state = await initialLineages(ctx, start);
  for (let li = 0; li < c.levels.length; li++) {
    ctx.signal.throwIfAborted();
    await runLevel(ctx, li, { state, meter });
  }
}

/**
 * Phase 1: the starting networks, from this run's units (resume), else the cache or the embedded
 * networks, else trained now; each stored as unit ["start", i].
 */
async function startingNetworks(
  ctx: RunContext<Fig5Config>,
  meter: WorkMeter,
): Promise<(Float64Array | null)[]> {
  const { config: c, store, runId, progress } = ctx;
  const P = c.networks;
  const nets = networkIndices(ctx, P);
  const start: (Float64Array | null)[] = new Array(P).fill(null);
  for (const i of nets) {
    if (ctx.finished.has(`start/${i}`)) {
      start[i] = await requireBlob(store, runId, ["start", i], "w");
    }
  }
  const need = nets.filter((i) => !start[i]);
  meter.enter(0);
  meter.skip((nets.length - need.length) * c.initialRounds * c.maxOuterInitial);
  if (need.length === 0) return start;
  const round = { acct: meter.call(0, 0) };
  const { networks } = await trainStartingNetworks(ctx.engine, need, {
    protocol: c,
    seed: ctx.seed,
    store,
    sources: [embeddedSource(FIG5_EMBEDDED_STARTS)],
    fresh: c.trainStarts,
    runId: ctx.runId,
    signal: ctx.signal,
    onNotice: (m) => ctx.log(`notice: ${m}`),
    onLoss: (_r, losses) =>
      progress.liveLoss(losses.map((l) => ({ lineage: "starting", ...l, loss: [...l.loss] }))),
    onSkip: (_r, n) => meter.skip(n * c.maxOuterInitial),
    onRound: (r, n) => {
      progress.update(`initial training round ${r}/${c.initialRounds} (${n} networks)`);
      round.acct = meter.call(n, c.maxOuterInitial);
    },
    onRoundDone: () => round.acct.finish(),
    onOuter: (r, outer, active, total) =>
      round.acct.onOuter(
        outer,
        active,
        `initial training round ${r}/${c.initialRounds}: outer ${outer}, ${active}/${total} still training`,
      ),
  });
  const fromStore = networks.filter((n) => n.reused?.from === "cache").length;
  const embedded = networks.filter((n) => n.reused?.from === "embedded").length;
  if (fromStore > 0) {
    ctx.log(`reusing cached initial training for ${fromStore} of ${need.length} networks`);
  }
  if (embedded > 0) {
    ctx.log(
      `using ${embedded} embedded starting networks (trained by this protocol; see docs/fig5.md; ` +
        `--train-starts retrains them)`,
    );
  }
  for (let k = 0; k < need.length; k++) {
    const i = need[k];
    start[i] = networks[k].w;
    await store.putUnit(runId, ["start", i], {
      metrics: {
        rounds: networks[k].rounds,
        ...(networks[k].reused ? { reused: networks[k].reused } : {}),
        ...analyseDmsNetwork(networks[k].w),
      },
      blobs: { w: networks[k].w },
    });
    progress.tick(1, `starting network ${i + 1}/${P} ready`);
  }
  return start;
}

/**
 * Both lineages start from the starting networks; a starting network whose initial training hit
 * NaN/Inf cannot seed either lineage.
 */
async function initialLineages(
  ctx: RunContext<Fig5Config>,
  start: (Float64Array | null)[],
): Promise<LineageState> {
  const P = ctx.config.networks;
  const state: LineageState = {
    prev: { pruned: [...start], unpruned: [...start] },
    failed: { pruned: new Array(P).fill(null), unpruned: new Array(P).fill(null) },
  };
  for (const i of networkIndices(ctx, P)) {
    const unit = await ctx.store.getUnit(ctx.runId, ["start", i]);
    const rounds = (unit?.metrics.rounds as { failed?: string }[] | undefined) ?? [];
    const bad = rounds.find((r) => r.failed);
    if (bad) {
      state.failed.pruned[i] = state.failed.unpruned[i] = `initial training failed: ${bad.failed}`;
    }
    const w = start[i];
    const nonFinite = w ? nonFiniteReason({ "starting weights": w }) : null;
    if (nonFinite) state.failed.pruned[i] = state.failed.unpruned[i] = nonFinite;
  }
  return state;
}

/**
 * Phase 2, one level: carries stored units forward (resume), prunes and retrains the rest as one
 * population, stores each network's pair.
 */
async function runLevel(
  ctx: RunContext<Fig5Config>,
  li: number,
  at: { state: LineageState; meter: WorkMeter },
): Promise<void> {
  const { config: c, progress } = ctx;
  const { state, meter } = at;
  const level = c.levels[li];
  meter.enter(1 + li);
  const todo = await carryStoredLevel(ctx, li, state);
  meter.skip(2 * (networkIndices(ctx, c.networks).length - todo.length) * c.maxOuterRetrain);
  if (todo.length === 0) return;
  const jobs: LevelJob[] = [];
  for (const i of todo) {
    for (const lineage of LINEAGES) {
      const before = state.prev[lineage][i];
      if (before && !state.failed[lineage][i]) {
        jobs.push(levelJob({ network: i, lineage, level }, before));
      }
    }
  }
  meter.skip((2 * todo.length - jobs.length) * c.maxOuterRetrain);
  progress.update(`level ${level}: retraining ${jobs.length} networks`);
  const acct = meter.call(jobs.length, c.maxOuterRetrain);
  const outcomes = await retrainLevel(ctx.engine, jobs, {
    config: c,
    seed: ctx.seed,
    levelIndex: li,
    signal: ctx.signal,
    afterOuter: ({ outcomes, trained }) =>
      progress.liveLoss(trained.map((k) => ({
        lineage: jobs[k].lineage,
        network: jobs[k].network,
        loss: outcomes[k].lossHistory,
      }))),
    onOuter: (outer, active, total) =>
      acct.onOuter(
        outer,
        active,
        `level ${level}: outer ${outer}, ${active}/${total} still training`,
      ),
  });
  acct.finish();
  await storeLevel(ctx, li, { todo, jobs, outcomes, state });
}

/**
 * Reads the units of level `li` this run already stored (resume) into the lineage state; returns
 * the networks still to do.
 */
async function carryStoredLevel(
  ctx: RunContext<Fig5Config>,
  li: number,
  state: LineageState,
): Promise<number[]> {
  const todo: number[] = [];
  for (const i of networkIndices(ctx, ctx.config.networks)) {
    if (!ctx.finished.has(`level/${i}/${li}`)) {
      todo.push(i);
      continue;
    }
    const unit = await ctx.store.getUnit(ctx.runId, ["level", i, li]);
    for (const l of LINEAGES) {
      const m = unit?.metrics[l] as LineageMetrics | undefined;
      if (m?.failed) {
        state.failed[l][i] = m.failed;
        state.prev[l][i] = null;
      } else {
        state.prev[l][i] = await requireBlob(ctx.store, ctx.runId, ["level", i, li], `${l}W`);
      }
    }
  }
  return todo;
}

/** Stores unit ["level", i, li] of every network retrained at this level. */
async function storeLevel(
  ctx: RunContext<Fig5Config>,
  li: number,
  done: { todo: number[]; jobs: LevelJob[]; outcomes: TrainOutcome[]; state: LineageState },
): Promise<void> {
  const { state } = done;
  const level = ctx.config.levels[li];
  const L = paramLayout(DMS_SHAPE);
  const byNet = new Map<
    number,
    Partial<Record<Lineage, { o: TrainOutcome; mask: Uint8Array | null }>>
  >();
  done.jobs.forEach((j, k) => {
    const e = byNet.get(j.network) ?? {};
    e[j.lineage] = { o: done.outcomes[k], mask: j.mask };
    byNet.set(j.network, e);
  });
  for (const i of done.todo) {
    const e = byNet.get(i) ?? {};
    const metrics: Record<string, unknown> = { level };
    const blobs: Record<string, Float64Array | Uint8Array> = {};
    for (const l of LINEAGES) {
      const r = e[l];
      if (!r) {
        metrics[l] = {
          failed: state.failed[l][i] ?? "lineage failed at an earlier level",
        } satisfies LineageMetrics;
        continue;
      }
      const m = lineageMetrics(r.o, r.o.w);
      metrics[l] = m;
      if (m.failed) {
        state.failed[l][i] = m.failed;
        state.prev[l][i] = null;
        ctx.log(`network ${i} ${l} lineage failed at level ${level}: ${m.failed}`);
        continue;
      }
      state.prev[l][i] = r.o.w;
      blobs[`${l}W`] = r.o.w;
      if (l === "pruned" && r.mask) blobs.prunedMask = r.mask.subarray(L.a, L.c).slice();
    }
    await ctx.store.putUnit(ctx.runId, ["level", i, li], { metrics, blobs });
    ctx.progress.tick(1, `level ${level}: network ${i + 1}/${ctx.config.networks} stored`);
  }
}

/**
 * Running a fig2 / fig3 / fig4 run: the population record of every lineage pair of the fig5 run
 * at the level (one unit per pair, so an interrupted run resumes), then spec 9's selection over
 * those records (or the picks by hand), then the full analysis of the two chosen networks. All
 * of it runs on the float64 reference kernels of core/dms/examples (no engine: a network costs
 * tens of milliseconds). Store layout: `records.ts`.
 *
 * @module
 */
import { jsonRecord, type RunContext } from "../../core/app/experiment.ts";
import { type Lineage, LINEAGES } from "../../core/app/paired_lineages.ts";
import { analyseExample, networkDynamics } from "../../core/dms/examples/analyse.ts";
import { type PairCandidates, selectExamples } from "../../core/dms/examples/selection.ts";
import type { ResultStore } from "../../core/store/store.ts";
import type { DmsExamplesConfig } from "./config.ts";
import { exampleUnit, type LineageRecord, networksOf, type NetworkUnit } from "./records.ts";
import { failureOf, fig5LevelKey, type Fig5Source, findSource, lineageOf } from "./source.ts";

/** The weights of one lineage of network `i` in the fig5 run, or null. */
async function fig5Weights(
  store: ResultStore,
  src: Fig5Source,
  at: { network: number; lineage: Lineage },
): Promise<Float64Array | null> {
  const w = await store.getBlob(
    src.run.id,
    fig5LevelKey(at.network, src.levelIndex),
    `${at.lineage}W`,
  );
  return w instanceof Float64Array ? w : null;
}

/** The population record of network `i`: both lineages' dynamics from the fig5 run. */
async function networkUnit(
  store: ResultStore,
  src: Fig5Source,
  network: number,
): Promise<NetworkUnit> {
  const unit = await store.getUnit(src.run.id, fig5LevelKey(network, src.levelIndex));
  const record = async (lineage: Lineage): Promise<LineageRecord> => {
    if (!unit) return { dynamics: null, fig5MaxLE: null, missing: "no unit in the fig5 run" };
    const m = lineageOf(unit.metrics, lineage);
    if (!m) {
      const why = failureOf(unit.metrics, lineage);
      return { dynamics: null, fig5MaxLE: null, missing: `failed in fig5: ${why}` };
    }
    const w = await fig5Weights(store, src, { network, lineage });
    if (!w) return { dynamics: null, fig5MaxLE: null, missing: "weights missing in the fig5 run" };
    return { dynamics: networkDynamics(w), fig5MaxLE: m.maxLE ?? null };
  };
  return { network, pruned: await record("pruned"), unpruned: await record("unpruned") };
}

/** Selection candidates from the stored population records. */
export function candidatesOf(units: readonly NetworkUnit[]): PairCandidates[] {
  const scores = (r: LineageRecord): PairCandidates["pruned"] =>
    r.dynamics ? { maxLE: r.dynamics.maxLE, probeScore: r.dynamics.probeScore } : null;
  return units.map((u) => ({
    network: u.network,
    pruned: scores(u.pruned),
    unpruned: scores(u.unpruned),
  }));
}

/** Runs (or resumes) an example-figure run. */
export async function runExamples(ctx: RunContext<DmsExamplesConfig>): Promise<void> {
  const c = ctx.config;
  const src = await findSource(ctx.store, c);
  const networks = c.networks ?? src.networks;
  ctx.log(`networks: fig5 run ${src.run.id} at level ${c.level} (${networks} lineage pairs)`);
  for (let i = 0; i < networks; i++) {
    if (ctx.finished.has(`network/${i}`)) continue;
    ctx.signal.throwIfAborted();
    const unit = await networkUnit(ctx.store, src, i);
    for (const l of LINEAGES) {
      const r = unit[l];
      if (r.missing) ctx.log(`network ${i} ${l}: ${r.missing}`);
      const d = r.dynamics;
      // Both numbers come from the same float64 code for the same network and window, so a
      // difference means the fig5 run was analysed by another version: say so.
      if (d && r.fig5MaxLE !== null && d.maxLEFig5Window !== r.fig5MaxLE) {
        ctx.log(
          `note: network ${i} ${l}: max LE over 16..36 is ${d.maxLEFig5Window} here, ` +
            `${r.fig5MaxLE} in the fig5 run`,
        );
      }
    }
    await ctx.store.putUnit(ctx.runId, ["network", i], { metrics: jsonRecord(unit) });
    ctx.progress.tick(1, `network ${i + 1}/${networks}`);
  }
  const todo = LINEAGES.filter((l) => !ctx.finished.has(`example/${l}`));
  if (todo.length === 0) return;
  const stored = networksOf(await ctx.store.listUnits(ctx.runId, ["network"]));
  const chosen = selectExamples(candidatesOf(stored), {
    ...(c.pruned !== null ? { pruned: c.pruned } : {}),
    ...(c.unpruned !== null ? { unpruned: c.unpruned } : {}),
  });
  for (const lineage of todo) {
    ctx.signal.throwIfAborted();
    const pick = chosen[lineage];
    ctx.log(`${lineage} example: ${pick.reason}`);
    const w = await fig5Weights(ctx.store, src, { network: pick.network, lineage });
    if (!w) throw new Error(`fig5 run ${src.run.id} lost the ${lineage} network ${pick.network}`);
    const a = analyseExample(w);
    const fig5MaxLE = stored.find((u) => u.network === pick.network)?.[lineage].fig5MaxLE ?? null;
    await ctx.store.putUnit(ctx.runId, ["example", lineage], {
      metrics: jsonRecord(exampleUnit(pick, a, { fig5MaxLE })),
      blobs: { w },
    });
    ctx.progress.tick(1, `${lineage} example analysed`);
  }
}

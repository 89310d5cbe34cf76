/**
 * The dashboard API additions of issue 18 (server/run_data.ts, server/app.ts): the config
 * endpoint, the run phase and ETA read from optional run-record fields or estimated from units,
 * live loss, and training-loss stages built from unit `lossHistory`.
 */
import assert from "node:assert/strict";
import { ResultStore } from "../core/store/kv_store.ts";
import type { RunRecord } from "../core/store/kv_store.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { createApp } from "../server/app.ts";
import { memoryAssets } from "../server/assets.ts";
import {
  curveBand,
  etaOf,
  liveLossOf,
  liveStage,
  phaseOf,
  trainingStages,
} from "../server/run_data.ts";
import type { RunConfigBody, RunDetail } from "../core/app/api_types.ts";
import {
  showcaseExperiment,
  showcaseMetrics,
  showcaseRun,
} from "../server/testing/showcase_experiment.ts";
import { assertRel } from "./fixtures/helpers.ts";

Deno.test("GET /api/runs/:id/config returns config, seed and versions; 400 and 404", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-api-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  const { app, watcher } = createApp({
    store,
    assets: memoryAssets({}),
    experiments: { showcase: showcaseExperiment as unknown as Experiment },
  });
  try {
    await store.createRun(showcaseRun("showcase-a", { seed: 7, config: { networks: 2 } }));
    await store.putUnit("showcase-a", [0, 0], { metrics: showcaseMetrics(0, 0, { level: 0 }) });
    let res = await app.request("/api/runs/showcase-a/config");
    assert.equal(res.status, 200);
    const body = await res.json() as RunConfigBody;
    assert.equal(body.seed, 7);
    assert.equal(body.figure, "showcase");
    assert.equal(body.config.networks, 2);
    assert.deepEqual(body.versions, { prunelab: "test" });
    res = await app.request("/api/runs/NOPE!/config");
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await app.request("/api/runs/showcase-zz/config");
    assert.equal(res.status, 404);
    await res.body?.cancel();
    // The run detail carries the training stages of the units' loss histories.
    res = await app.request("/api/runs/showcase-a");
    const detail = await res.json() as RunDetail;
    assert.deepEqual(detail.training?.map((t) => t.stage), ["level 0"]);
    assert.deepEqual(detail.training?.[0].series.map((s) => s.label), ["pruned", "unpruned"]);
    assert.equal(detail.run.eta?.source, "units");
    assert.equal(detail.run.phase, null);
  } finally {
    watcher.stop();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

function record(extra: Record<string, unknown>): RunRecord {
  const base = showcaseRun("showcase-x");
  return { ...base, ...extra };
}

Deno.test("phase, ETA and live loss: CLI-written fields win, malformed ones are ignored", () => {
  const r = record({
    phase: { label: "starting networks", done: 2, total: 6 },
    eta: { remainingMs: 60_000, at: "2026-01-01T00:00:00.000Z", note: "capped" },
    liveLoss: [
      { lineage: "starting", network: 0, loss: [1, 0.5] },
      { lineage: "starting", network: "x", loss: [1] },
    ],
  });
  assert.deepEqual(phaseOf(r), { label: "starting networks", done: 2, total: 6 });
  assert.deepEqual(etaOf(r), {
    remainingMs: 60_000,
    at: "2026-01-01T00:00:00.000Z",
    source: "cli",
    note: "capped",
  });
  assert.deepEqual(liveLossOf(r), [{ lineage: "starting", network: 0, loss: [1, 0.5] }]);
  const live = liveStage(liveLossOf(r));
  assert.equal(live?.series[0].label, "starting (1 network)");
  assert.deepEqual(live?.series[0].y, [1, 0.5]);
  assert.equal(liveStage([]), null);
  assert.equal(phaseOf(record({ phase: { label: 3 } })), null);
  // No CLI estimate: elapsed per finished unit times units left (10 s for 2 units, 6 left).
  const est = etaOf(record({
    eta: undefined,
    startedAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:10.000Z",
    progress: { done: 2, total: 8 },
  }));
  assert.equal(est?.source, "units");
  assert.equal(est?.remainingMs, 30_000);
  assert.equal(est?.at, "2026-01-01T00:00:10.000Z");
  assert.equal(etaOf(record({ progress: { done: 0, total: 8 } })), null);
});

Deno.test("training stages: lossHistory grouped by key names and level, mean ± SEM per lineage", () => {
  const units = [
    {
      key: ["level", 0, 1],
      record: { metrics: { level: 0.7, pruned: { lossHistory: [4, 2] } }, blobs: [] },
    },
    {
      key: ["level", 1, 1],
      record: { metrics: { level: 0.7, pruned: { lossHistory: [6, 4, 1] } }, blobs: [] },
    },
    {
      key: ["level", 0, 0],
      record: { metrics: { level: 0.3, pruned: { lossHistory: [1] } }, blobs: [] },
    },
    { key: ["initial", 0], record: { metrics: { lossHistory: [9, 8] }, blobs: [] } },
    { key: ["other", 0], record: { metrics: { accuracy: 1 }, blobs: [] } },
  ];
  const stages = trainingStages(units);
  assert.deepEqual(stages.map((s) => s.stage), ["initial", "level 0.3", "level 0.7"]);
  const s = stages[2].series[0];
  assert.equal(s.label, "pruned");
  assert.deepEqual(s.x, [1, 2, 3]);
  assert.deepEqual(s.y, [5, 3, 1]);
  assert.deepEqual(s.n, [2, 2, 1]);
  assertRel(s.err![0]!, Math.SQRT2 / Math.SQRT2, 1e-15, "SEM of 4 and 6");
  assert.equal(s.err![2], null);
  assert.equal(s.band, true);
  assert.equal(stages[0].series[0].label, "network");
  assert.deepEqual(curveBand("x", []).x, []);
});

/**
 * The scorecard on the dashboard (server/claims_data.ts through server/app.ts): `GET /api/claims`
 * has one row per catalogued claim and judges fig5's claims on a crafted fig5 run;
 * `GET /api/runs/:id/claims` judges the run's own claims (400 malformed id, 404 unknown run).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunClaimsBody, ScorecardBody } from "../core/app/api_types.ts";
import { openStore } from "../core/store/store.ts";
import { CLAIMS_CATALOGUE } from "../experiments/claims_catalogue.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";
import { createApp } from "../server/app.ts";
import { memoryAssets } from "../server/assets.ts";
import { CRAFTED, craftFig5Run } from "./fixtures/crafted_fig5.ts";
import { withTempDir } from "./fixtures/helpers.ts";

Deno.test("GET /api/claims and /api/runs/:id/claims judge the crafted fig5 run", async () => {
  await withTempDir(async (dir) => {
    const store = await openStore(join(dir, "s.kv"));
    const { app, watcher } = createApp({
      store,
      assets: memoryAssets({}),
      experiments: EXPERIMENTS,
    });
    try {
      await craftFig5Run(store);
      let res = await app.request("/api/claims");
      assert.equal(res.status, 200);
      const card = await res.json() as ScorecardBody;
      assert.equal(card.claims.length, CLAIMS_CATALOGUE.length);
      const a = card.claims.find((c) => c.id === "averbeck2022/5A/probe-accuracy")!;
      assert.equal(a.runId, CRAFTED.id);
      assert.equal(a.verdict, "direction");
      assert.equal(a.n, 3);
      assert.equal(card.claims.find((c) => c.experiment === "fig2")?.verdict, "not-run");

      res = await app.request(`/api/runs/${CRAFTED.id}/claims`);
      assert.equal(res.status, 200);
      const mine = await res.json() as RunClaimsBody;
      assert.deepEqual(
        mine.claims.map((c) => c.id),
        CLAIMS_CATALOGUE.filter((c) => c.experiment === "fig5").map((c) => c.id),
      );
      assert.equal(mine.notice, null);
      res = await app.request("/api/runs/NOPE!/claims");
      assert.equal(res.status, 400);
      await res.body?.cancel();
      res = await app.request("/api/runs/fig5-zz/claims");
      assert.equal(res.status, 404);
      await res.body?.cancel();
    } finally {
      watcher.stop();
      await store.close();
    }
  });
});

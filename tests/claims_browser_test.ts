/**
 * The scorecard in the browser: `#/claims` lists every catalogued claim with its verdict (the
 * crafted fig5 run's 5A as "direction", linked to the run), and the run page shows the card of
 * the claims that run tests. With PRUNELAB_SCREENSHOTS=docs/img it also writes the screenshots of
 * docs/dashboard.md. Skipped (with a notice) without Debian's chromium.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { openStore } from "../core/store/store.ts";
import { CLAIMS_CATALOGUE } from "../experiments/claims_catalogue.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { startServer } from "../server/listen.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../server/testing/chromium.ts";
import { chromiumMissing } from "./fixtures/browser.ts";
import { CRAFTED, craftFig5Run } from "./fixtures/crafted_fig5.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const missing = chromiumMissing("the scorecard browser test");
const SHOTS = Deno.env.get("PRUNELAB_SCREENSHOTS");

Deno.test({
  name: "dashboard: #/claims lists every claim; a run page shows the claims it tests",
  ignore: missing,
  async fn() {
    await ensureUiBuilt();
    await withTempDir(async (dir) => {
      const store = await openStore(join(dir, "s.kv"));
      await craftFig5Run(store);
      const server = startServer(
        { store, assets: fileAssets(), experiments: EXPERIMENTS },
        { port: 0, pollMs: 250, verbose: false },
      );
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`${server.url}#/claims`);
        await page.waitForSelector("tr[data-claim]");
        assert.equal(await page.locator("tr[data-claim]").count(), CLAIMS_CATALOGUE.length);
        const a = page.locator('tr[data-claim="averbeck2022/5A/probe-accuracy"]');
        assert.equal(await a.getAttribute("data-verdict"), "direction");
        assert.equal(await a.locator(`a[href="#/run/${CRAFTED.id}"]`).count(), 1);
        if (SHOTS) await page.screenshot({ path: join(SHOTS, "claims_page.png"), fullPage: false });

        await page.goto(`${server.url}#/run/${CRAFTED.id}`);
        await page.waitForSelector("#run-claims tr[data-claim]");
        assert.equal(
          await page.locator("#run-claims tr[data-claim]").count(),
          CLAIMS_CATALOGUE.filter((c) => c.experiment === "fig5").length,
        );
        if (SHOTS) {
          await page.locator("#run-claims").screenshot({ path: join(SHOTS, "run_claims.png") });
        }
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await server.close();
        await store.close();
      }
    });
  },
});

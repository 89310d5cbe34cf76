/**
 * The dashboard under its own Content-Security-Policy (issue 14 item 6), in headless Chromium
 * without any CSP bypass: a run page with every panel kind draws, a comparison of two runs draws,
 * the CSV, SVG, PNG and whole-run exports download, and the browser reports no CSP violation, no
 * page error and no console error. Waits use selectors only: the CSP forbids evaluating strings
 * in the page, which is what string predicates would do.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { ResultStore } from "../core/store/kv_store.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { startServer } from "../server/listen.ts";
import { CONTENT_SECURITY_POLICY } from "../server/security.ts";
import {
  showcaseExperiment,
  showcaseMetrics,
  showcaseRun,
} from "../server/testing/showcase_experiment.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../server/testing/chromium.ts";
import { chromiumMissing } from "./fixtures/browser.ts";

const missing = chromiumMissing("the dashboard CSP test");
const LEVELS = [0, 0.3, 0.7];
const NETWORKS = 4;

async function fillRun(store: ResultStore, id: string, seed: number): Promise<void> {
  await store.createRun(showcaseRun(id, { seed, config: { networks: NETWORKS, shift: 0 } }));
  for (let n = 0; n < NETWORKS; n++) {
    for (let l = 0; l < LEVELS.length; l++) {
      const metrics = showcaseMetrics(n, l, { level: LEVELS[l], shift: 0, seed });
      await store.putUnit(id, [n, l], { metrics });
    }
  }
  await store.updateRun(id, { status: "done" });
}

/** Waits until at least `n` elements match `selector` (polled from the test, not in the page). */
async function waitForCount(page: Page, selector: string, n: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (await page.locator(selector).count() >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`fewer than ${n} elements match ${selector}`);
}

async function download(page: Page, selector: string): Promise<number> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return (await Deno.stat(await dl.path())).size;
}

Deno.test({
  name: "dashboard under its CSP: panels, comparison and exports work without a violation",
  ignore: missing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await ensureUiBuilt();
    const dir = await Deno.makeTempDir({ prefix: "prunelab-csp-" });
    const store = await ResultStore.open(`${dir}/store.kv`);
    await fillRun(store, "showcase-a", 1);
    await fillRun(store, "showcase-b", 2);
    const server = startServer(
      {
        store,
        assets: fileAssets(),
        experiments: { showcase: showcaseExperiment as unknown as Experiment },
      },
      { port: 0, pollMs: 250, verbose: false, prewarm: false },
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
      });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e}`));
      page.on("console", (m) => {
        if (m.type() === "error" && !/Failed to load resource/.test(m.text())) {
          problems.push(`console: ${m.text()}`);
        }
      });
      // Reported by the browser for every blocked load, script, style or connection.
      await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
        console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`);

      const first = await page.goto(`${server.url}#/run/showcase-a`);
      assert.equal(first?.headers()["content-security-policy"], CONTENT_SECURITY_POLICY);
      await waitForCount(page, '[data-panel][data-state="drawn"]', 7);
      assert.ok(await download(page, '[data-panel="accuracy"] button[data-export="csv"]') > 0);
      assert.ok(await download(page, '[data-panel="accuracy"] button[data-export="svg"]') > 0);
      assert.ok(await download(page, '[data-panel="accuracy"] button[data-export="png"]') > 0);
      assert.ok(await download(page, "button#run-archive") > 0);

      await page.goto(`${server.url}#/compare/showcase-a/showcase-b`);
      await waitForCount(page, '.compare [data-panel][data-state="drawn"]', 6);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
      store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

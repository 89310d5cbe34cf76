import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { ResultStore } from "../core/store/kv_store.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { startServer } from "../server/listen.ts";
import { demoExperiment, demoMetrics, demoRun } from "../server/testing/demo_experiment.ts";

import { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from "../server/testing/chromium.ts";
import { chromiumMissing } from "./fixtures/browser.ts";

const missing = chromiumMissing("the dashboard browser test");

const LEVELS = [0, 0.3, 0.7];
const NETWORKS = 4;

/** Writes one unit from a separate Deno process, as a running figure task would. */
async function writeFromAnotherProcess(storePath: string, key: number[]): Promise<void> {
  const mod = new URL("../core/store/kv_store.ts", import.meta.url).href;
  const metrics = demoMetrics(key[0], key[1], LEVELS[key[1]]);
  const code = `import { ResultStore } from ${JSON.stringify(mod)};
    const s = await ResultStore.open(${JSON.stringify(storePath)});
    await s.putUnit("demo-e2e", ${JSON.stringify(key)}, { metrics: ${JSON.stringify(metrics)} });
    s.close();`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--unstable-kv", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** Counts drawn (non-white, non-transparent) pixels of every panel canvas on the page. */
const COUNT_INK = `(() => Array.from(document.querySelectorAll("[data-panel] canvas")).map((c) => {
  const ctx = c.getContext("2d");
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
  }
  return { panel: c.closest("[data-panel]").dataset.panel, ink, w: c.width, h: c.height };
}))()`;

Deno.test({
  name: "dashboard in headless Chromium: panels draw and another process's writes appear live",
  ignore: missing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await ensureUiBuilt();
    const dir = await Deno.makeTempDir({ prefix: "prunelab-e2e-" });
    const storePath = `${dir}/store.kv`;
    const store = await ResultStore.open(storePath);
    await store.createRun(demoRun("demo-e2e", { networks: NETWORKS, levels: LEVELS }));
    await store.createRun(demoRun("demo-other", { networks: 2, levels: LEVELS }));
    for (let n = 0; n < NETWORKS; n++) {
      for (let l = 0; l < LEVELS.length; l++) {
        if (l === 2 && n >= 2) continue; // levels still to come
        await store.putUnit("demo-e2e", [n, l], { metrics: demoMetrics(n, l, LEVELS[l]) });
      }
    }
    for (let l = 0; l < LEVELS.length; l++) {
      await store.putUnit("demo-other", [0, l], { metrics: demoMetrics(5, l, LEVELS[l]) });
    }
    const server = startServer(
      {
        store,
        assets: fileAssets(),
        experiments: { demo: demoExperiment as unknown as Experiment },
      },
      { port: 0, pollMs: 250, verbose: false },
    );
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    try {
      // The test's string predicates are evaluated in the page, which the dashboard's CSP forbids
      // (tests/server_csp_browser_test.ts checks the page under its CSP).
      const page = await browser.newPage({
        viewport: { width: 1280, height: 1100 },
        bypassCSP: true,
      });
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));

      await page.goto(`${server.url}#/`);
      await page.waitForSelector('tr[data-run="demo-e2e"]');
      assert.match(await page.textContent('tr[data-run="demo-e2e"]') ?? "", /10 \/ 12/);

      await page.goto(`${server.url}#/run/demo-e2e`);
      await page.waitForFunction(
        `document.querySelectorAll('[data-panel] canvas[data-drawn="1"]').length === 4`,
      );
      await page.waitForSelector("#live.on");
      const ink = await page.evaluate(COUNT_INK) as { panel: string; ink: number }[];
      assert.deepEqual(ink.map((p) => p.panel), ["accuracy", "counts", "scatter", "grid"]);
      for (const p of ink) assert.ok(p.ink > 300, `panel ${p.panel} looks blank (${p.ink} px)`);
      assert.equal(await page.getAttribute(".run [data-done]", "data-done"), "10");

      const shot = Deno.env.get("PRUNELAB_SCREENSHOT");
      if (shot) await page.screenshot({ path: shot, fullPage: true });

      const t0 = performance.now();
      await writeFromAnotherProcess(storePath, [2, 2]);
      const written = performance.now();
      await page.waitForFunction(
        `document.querySelector(".run [data-done]")?.getAttribute("data-done") === "11"`,
        undefined,
        { timeout: 15_000 },
      );
      const seen = performance.now();
      console.log(
        `live update: written by another process in ${(written - t0).toFixed(0)} ms, ` +
          `shown ${(seen - written).toFixed(0)} ms after the write finished`,
      );
      const scatterPoints = await page.textContent('[data-panel="scatter"] h2');
      assert.match(scatterPoints ?? "", /0\.7/);

      // Overlay: three chart panels on shared axes, the heat map once per run.
      await page.goto(`${server.url}#/compare/demo-e2e/demo-other?level=0.3`);
      await page.waitForFunction(
        `document.querySelectorAll('.compare [data-panel] canvas[data-drawn="1"]').length === 5`,
      );
      const both = await page.evaluate(COUNT_INK) as { panel: string; ink: number }[];
      for (const p of both) assert.ok(p.ink > 300, `compare: panel ${p.panel} looks blank`);
      assert.equal(await page.inputValue(".compare select[name=level]"), "0.3");
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      await server.close();
      store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * The dashboard's issue-18 views in headless Chromium, on the showcase experiment
 * (server/testing/showcase_experiment.ts): every panel kind draws; a table shows the paper's
 * column; CSV, SVG, high-resolution PNG and the whole-run zip download with the promised content;
 * three runs overlay on shared axes with a config diff and a grouping kept in the URL; runs of
 * different figures are refused; a running run's empty panels wait. With
 * PRUNELAB_SCREENSHOTS=docs/img it also writes the screenshots used in docs/dashboard.md.
 */
import assert from "node:assert/strict";
import { chromium, type Download, type Page } from "playwright-core";
import { unzipSync } from "fflate";
import { ResultStore, type RunRecord } from "../core/store/kv_store.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { startServer } from "../server/listen.ts";
import { demoExperiment, demoMetrics, demoRun } from "../server/testing/demo_experiment.ts";
import {
  showcaseExperiment,
  showcaseMetrics,
  showcaseRun,
} from "../server/testing/showcase_experiment.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../server/testing/chromium.ts";
import { chromiumMissing } from "./fixtures/browser.ts";

const missing = chromiumMissing("the dashboard view test");

const LEVELS = [0, 0.3, 0.7];
const NETWORKS = 6;
const SHOTS = Deno.env.get("PRUNELAB_SCREENSHOTS");

/** Counts drawn (non-white) pixels of every panel canvas on the page. */
const COUNT_INK = `(() => Array.from(document.querySelectorAll("[data-panel] canvas")).map((c) => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
  }
  return { panel: c.closest("[data-panel]").dataset.panel, ink };
}))()`;

async function fillRun(
  store: ResultStore,
  id: string,
  options: { seed: number; shift: number; units?: number },
): Promise<void> {
  await store.createRun(
    showcaseRun(id, { seed: options.seed, config: { networks: NETWORKS, shift: options.shift } }),
  );
  let left = options.units ?? Infinity;
  for (let n = 0; n < NETWORKS; n++) {
    for (let l = 0; l < LEVELS.length; l++) {
      if (left-- <= 0) return;
      const metrics = showcaseMetrics(n, l, {
        level: LEVELS[l],
        shift: options.shift,
        seed: options.seed,
      });
      await store.putUnit(id, [n, l], { metrics });
    }
  }
  if (options.units === undefined) await store.updateRun(id, { status: "done" });
}

async function downloadText(page: Page, click: () => Promise<void>): Promise<[string, Download]> {
  const [dl] = await Promise.all([page.waitForEvent("download"), click()]);
  const path = await dl.path();
  return [await Deno.readTextFile(path), dl];
}

async function downloadBytes(page: Page, click: () => Promise<void>): Promise<Uint8Array> {
  const [dl] = await Promise.all([page.waitForEvent("download"), click()]);
  return await Deno.readFile(await dl.path());
}

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  if (!SHOTS) return;
  await Deno.mkdir(SHOTS, { recursive: true });
  if (selector) await page.locator(selector).first().screenshot({ path: `${SHOTS}/${name}` });
  else await page.screenshot({ path: `${SHOTS}/${name}`, fullPage: false });
}

Deno.test({
  name:
    "dashboard views: panels, tables, exports, archive, compare of three runs, refusal, waiting",
  ignore: missing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await ensureUiBuilt();
    const dir = await Deno.makeTempDir({ prefix: "prunelab-views-" });
    const store = await ResultStore.open(`${dir}/store.kv`);
    const ids = ["showcase-seed-1", "showcase-seed-2", "showcase-seed-3"];
    await fillRun(store, ids[0], { seed: 1, shift: 0 });
    await fillRun(store, ids[1], { seed: 2, shift: 0.02 });
    await fillRun(store, ids[2], { seed: 3, shift: 0.04 });
    await fillRun(store, "showcase-running", { seed: 4, shift: 0, units: 0 });
    await store.createRun(demoRun("demo-other", { networks: 2, levels: LEVELS }));
    for (let l = 0; l < LEVELS.length; l++) {
      await store.putUnit("demo-other", [0, l], { metrics: demoMetrics(0, l, LEVELS[l]) });
    }
    const server = startServer(
      {
        store,
        assets: fileAssets(),
        experiments: {
          showcase: showcaseExperiment as unknown as Experiment,
          demo: demoExperiment as unknown as Experiment,
        },
      },
      { port: 0, pollMs: 250, verbose: false },
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
    try {
      // The test's string predicates are evaluated in the page, which the dashboard's CSP forbids
      // (tests/server_csp_browser_test.ts checks the page under its CSP).
      const page = await browser.newPage({
        viewport: { width: 1280, height: 900 },
        acceptDownloads: true,
        bypassCSP: true,
      });
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      // Console errors count as failures (svgcanvas reports drawing it cannot record this way);
      // the browser's own favicon request is the one expected miss.
      const consoleErrors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" && !/Failed to load resource/.test(m.text())) {
          consoleErrors.push(m.text());
        }
      });

      // A run page: every declared panel draws, the table is a real table with the paper column.
      await page.goto(`${server.url}#/run/${ids[0]}`);
      await page.waitForFunction(
        `document.querySelectorAll('[data-panel][data-state="drawn"]').length >= 7`,
      );
      const ink = await page.evaluate(COUNT_INK) as { panel: string; ink: number }[];
      for (const p of ink) assert.ok(p.ink > 300, `panel ${p.panel} looks blank (${p.ink} px)`);
      const heads = await page.locator('[data-panel="table"] th').allTextContents();
      assert.deepEqual(heads, ["level", "pruned", "unpruned", "paper (pruned)", "n", "p (Holm)"]);
      assert.equal(await page.locator('[data-panel="table"] td.role-paper').count(), 3);
      assert.match(
        await page.textContent('[data-panel="accuracy"] .stats') ?? "",
        /p < 0\.01, paired t-test, Holm-corrected over 3 tests; error bars: SEM/,
      );
      assert.match(
        await page.textContent('[data-panel="reward"]') ?? "",
        /Wilcoxon signed-rank test \(exact\)/,
      );
      // The training card draws the units' loss histories.
      await page.waitForSelector('#training [data-panel="training"][data-state="drawn"]');
      await shot(page, "run_page.png");
      await shot(page, "table_panel.png", '[data-panel="table"]');
      await shot(page, "training.png", "#training");

      // CSV: n, SEM, p and Holm-adjusted p columns with correct headers.
      const [csv] = await downloadText(
        page,
        () => page.click('[data-panel="accuracy"] button[data-export="csv"]'),
      );
      const header = csv.split("\n")[0];
      assert.equal(
        header,
        "series,prune fraction,accuracy,sem,n,p,p_holm,effect,effect_ci_low,effect_ci_high,significant",
      );
      assert.equal(csv.trim().split("\n").length, 1 + 2 * LEVELS.length);
      assert.match(csv.split("\n")[1], /^pruned,0,[0-9.]+,[0-9.e-]+,6,[0-9.e-]+,[0-9.e-]+,/);
      const [tableCsv] = await downloadText(
        page,
        () => page.click('[data-panel="table"] button[data-export="csv"]'),
      );
      assert.equal(
        tableCsv.split("\n")[0],
        "level,pruned,pruned sd,unpruned,unpruned sd,paper (pruned),n,p (Holm)",
      );

      // SVG: a vector figure with title, run id, n and the significance rule in it.
      const [svg, svgFile] = await downloadText(
        page,
        () => page.click('[data-panel="accuracy"] button[data-export="svg"]'),
      );
      assert.equal(svgFile.suggestedFilename(), `${ids[0]}-accuracy.svg`);
      if (Deno.env.get("DEBUG_SVG")) await Deno.writeTextFile("/tmp/out.svg", svg);
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      for (const want of ["Accuracy vs prune level", `run ${ids[0]}`, "n = 6 per point"]) {
        assert.ok(svg.includes(want), `SVG lacks '${want}'`);
      }
      assert.ok(svg.includes("Holm-corrected over 3 tests"), "SVG lacks the significance rule");
      assert.ok((svg.match(/<path/g) ?? []).length > 10, "SVG has no drawn paths");
      for (const id of ["table", "grid", "trajectory"]) {
        const [s] = await downloadText(
          page,
          () => page.click(`[data-panel="${id}"] button[data-export="svg"]`),
        );
        assert.match(s, /^<svg/, `SVG of ${id}`);
      }

      // PNG: three times the 760 px export width, with the title drawn in.
      const png = await downloadBytes(
        page,
        () => page.click('[data-panel="reward"] button[data-export="png"]'),
      );
      const view = new DataView(png.buffer, png.byteOffset);
      assert.equal(view.getUint32(0), 0x89504e47, "PNG signature");
      assert.equal(view.getUint32(16), 760 * 3, "PNG width");
      assert.ok(view.getUint32(20) >= 500 * 3, "PNG height");

      // Whole-run archive: run.json with the config, panels.json, CSVs, training curves.
      const zip = unzipSync(
        await downloadBytes(page, () => page.click("#run-archive")),
      );
      const names = Object.keys(zip).sort();
      for (const f of ["run.json", "panels.json", "csv/accuracy.csv", "csv/table.csv"]) {
        assert.ok(names.includes(f), `archive lacks ${f}: ${names.join(", ")}`);
      }
      // The trajectory panel depends on the level: one CSV per level.
      assert.ok(names.includes("csv/trajectory_level-0.3.csv"), names.join(", "));
      assert.ok(names.includes("csv/training.csv"));
      const runJson = JSON.parse(new TextDecoder().decode(zip["run.json"]));
      assert.equal(runJson.config.seed, 1);
      assert.equal(runJson.config.config.networks, NETWORKS);

      // Compare three runs: overlay on shared axes, config diff, grouping in the URL.
      await page.goto(`${server.url}#/compare/${ids.join("/")}`);
      await page.waitForSelector("#config-diff");
      const differ = await page.locator("#config-diff tr.differs").evaluateAll((rows) =>
        rows.map((r) => r.getAttribute("data-field"))
      );
      assert.deepEqual(differ.sort(), ["config.shift", "seed"]);
      await page.waitForFunction(
        `document.querySelectorAll('.compare [data-panel][data-state="drawn"]').length >= 6`,
      );
      const compareInk = await page.evaluate(COUNT_INK) as { panel: string; ink: number }[];
      for (const p of compareInk) assert.ok(p.ink > 300, `compare: ${p.panel} looks blank`);
      const [overlayCsv] = await downloadText(
        page,
        () => page.click('.compare [data-panel="accuracy"] button[data-export="csv"]'),
      );
      for (const s of ["seed 1", "seed 2", "seed 3"]) {
        assert.ok(overlayCsv.includes(`pruned · ${s}`), `overlay CSV lacks ${s}`);
      }
      await shot(page, "compare_runs.png");
      await page.selectOption("select[name=by]", "all");
      await page.waitForFunction(`location.hash.includes("by=all")`);
      const [groupCsv] = await downloadText(
        page,
        () => page.click('.compare [data-panel="accuracy"] button[data-export="csv"]'),
      );
      assert.match(groupCsv, /^series,prune fraction,accuracy,sem,n\n/);
      assert.match(groupCsv, /pruned \(mean of 3 runs\),0,[0-9.]+,[0-9.e-]+,3\n/);
      await page.waitForFunction(
        `document.querySelectorAll('.compare [data-panel][data-state="drawn"]').length >= 6`,
      );
      await shot(page, "compare_grouped.png", '.compare [data-panel="accuracy"]');
      await page.selectOption("select[name=by]", "config.shift");
      await page.waitForFunction(`location.hash.includes("by=config.shift")`);
      await page.waitForFunction(
        `document.querySelectorAll('.compare [data-panel][data-state="drawn"]').length >= 6`,
      );
      await shot(page, "config_diff.png", "#config-diff");

      // The URL alone restores the comparison (shareable).
      await page.goto(`${server.url}#/compare/${ids.join("/")}?level=0.3&by=all`);
      await page.waitForFunction(
        `document.querySelector("select[name=level]")?.value === "0.3" &&
          document.querySelector('.compare [data-panel="trajectory"] h2')?.textContent.includes("0.3")`,
      );
      assert.equal(await page.inputValue("select[name=by]"), "all");

      // Different figures are refused, in the list and in the URL.
      await page.goto(`${server.url}#/compare/${ids[0]}/demo-other`);
      await page.waitForSelector("#compare-refused");
      assert.match(
        await page.textContent("#compare-refused") ?? "",
        /different figures \(showcase, demo\)/,
      );
      await page.goto(`${server.url}#/`);
      await page.waitForSelector(`tr[data-run="${ids[0]}"]`);
      await page.check(`tr[data-run="${ids[0]}"] input`);
      await page.check(`tr[data-run="demo-other"] input`);
      await page.waitForSelector("#compare-refused");
      await page.uncheck(`tr[data-run="demo-other"] input`);
      await page.check(`tr[data-run="${ids[1]}"] input`);
      await page.check(`tr[data-run="${ids[2]}"] input`);
      assert.equal(
        await page.getAttribute("#compare-link", "href"),
        `#/compare/${ids[0]}/${ids[1]}/${ids[2]}`,
      );

      // A running run without data: waiting placeholders, not empty axes; ETA line present.
      await page.goto(`${server.url}#/run/showcase-running`);
      await page.waitForSelector("#run-phase");
      await page.waitForFunction(
        `document.querySelectorAll('[data-panel][data-state="waiting"]').length >= 4`,
      );
      assert.match(
        await page.textContent("#run-phase") ?? "",
        /ETA: after the first finished unit/,
      );
      assert.equal(await page.locator('[data-state="waiting"] canvas').count(), 0);
      await shot(page, "waiting.png", '[data-panel="accuracy"]');

      // What a CLI writes into the run record while it trains: phase, ETA, live loss.
      const patch: Partial<RunRecord> = {};
      Object.assign(patch, {
        phase: { label: "starting networks", done: 2, total: 6 },
        eta: { remainingMs: 600_000, at: new Date().toISOString(), note: "capped iterations" },
        liveLoss: [0, 1, 2].map((network) => ({
          lineage: "starting",
          network,
          loss: [1, 0.6, 0.4 + 0.05 * network, 0.3],
        })),
      });
      await store.updateRun("showcase-running", patch);
      await page.waitForFunction(
        `document.querySelector("#run-phase")?.textContent.includes("starting networks")`,
        undefined,
        { timeout: 15_000 },
      );
      assert.match(
        await page.textContent("#run-phase") ?? "",
        /phase: starting networks .*2 \/ 6 · about (9|10)m \d\ds left \(capped iterations\)/,
      );
      await page.waitForSelector('#training [data-panel="training-live"][data-state="drawn"]');
      assert.match(
        await page.textContent('#training [data-panel="training-live"]') ?? "",
        /starting \(3 networks\)/,
      );
      await page.evaluate("window.scrollTo(0, 0)");
      await shot(page, "running.png");
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(consoleErrors, []);
    } catch (err) {
      // Leave evidence of what the page showed (and any script errors) before failing.
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages[0]) {
        const path = `${await Deno.makeTempDir({ prefix: "prunelab-failure-" })}/page.png`;
        await pages[0].screenshot({ path, fullPage: true });
        console.error(`dashboard test failed; the page is in ${path}`);
        console.error(
          await pages[0].evaluate(
            `Array.from(document.querySelectorAll("[data-panel]")).map((e) => e.dataset.panel + ":" + e.dataset.state).join(" ")`,
          ),
        );
      }
      throw err;
    } finally {
      await browser.close();
      await server.close();
      store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

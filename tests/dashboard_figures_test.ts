/**
 * Visual regression check of every figure (issue 18 item 6): each experiment of the registry runs
 * for real with its default preset shrunk to seconds (the flags in TINY), through the CLI entry
 * `main.ts` as a user would, into one temporary store; the dashboard then opens each run's page
 * in headless Chromium, screenshots every declared panel and fails on a panel that is missing,
 * blank (too few non-white pixels in its screenshot), shows no data for a finished run, or on any
 * script error. Three fig5 seeds are then overlaid on the compare page (config diff, SVG and CSV
 * downloads). PRUNELAB_PANEL_SHOTS=DIR keeps the screenshots.
 *
 * A new figure must add its tiny flags below; the test fails until it does, so no figure goes
 * unchecked.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { decode } from "fast-png";
import { ResultStore } from "../core/store/kv_store.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { experimentMap } from "../server/experiment_map.ts";
import { startServer } from "../server/listen.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../server/testing/chromium.ts";
import { chromiumMissing } from "./fixtures/browser.ts";

/** The DBM figures (bm-fig3, bm-fig4): 100 training digits, one epoch, 200 samples, one round. */
const DBM_TINY = ["--digits", "100", "--epochs", "1", "--samples", "200", "--chains", "50"]
  .concat(["--sweeps", "2", "--rounds", "1"]);

/**
 * Per figure: flags that keep the default preset's panels but cut the work to seconds. Order
 * matters: dms-new-problem, fig2, fig3 and fig4 read the newest finished fig5 run.
 */
const TINY: [string, string[]][] = [
  ["fig5", [
    "--networks",
    "2",
    "--levels",
    "0.5,0.7",
    "--max-outer",
    "1",
    "--max-outer-initial",
    "1",
    "--scg-steps",
    "2",
  ]],
  ["fig6", ["--max-outer", "1", "--initial-outer", "1", "--scg-steps", "2"]],
  ["fig7", [
    "--networks",
    "2",
    "--levels",
    "0.7",
    "--noise-levels",
    "0.1",
    "--new-option-networks",
    "1",
    // The new-option panel plots from the second outer iteration on.
    "--max-outer",
    "3",
    "--initial-outer",
    "1",
    "--scg-steps",
    "2",
  ]],
  // Its loss panels plot from the second outer iteration on.
  ["dms-new-problem", ["--networks", "2", "--max-outer", "3", "--scg-steps", "2"]],
  // The example figures analyse the newest finished fig5 run; they train nothing.
  ["fig2", []],
  ["fig3", []],
  ["fig4", []],
  ["bm-fig1", ["--networks", "2", "--samples", "2000", "--patches", "2000"]],
  ["bm-fig2", ["--networks", "2", "--samples", "2000", "--patches", "2000"]],
  ["bm-table1", ["--networks", "2", "--samples", "2000", "--patches", "2000"]],
  ["bm-fig3", DBM_TINY],
  ["bm-fig4", DBM_TINY],
];

const missing = chromiumMissing("the figure panel check");

/** Non-white pixels of a PNG screenshot. */
function ink(png: Uint8Array): number {
  const img = decode(png);
  const ch = img.channels;
  let n = 0;
  for (let i = 0; i < img.data.length; i += ch) {
    const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
    if (r < 235 || g < 235 || b < 235) n++;
  }
  return n;
}

async function runFigure(id: string, flags: string[], store: string): Promise<void> {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, id, ...flags, "--workers", "1", "--store", store, "--quiet"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
  assert.ok(out.success, `${id} failed:\n${text}`);
}

Deno.test({
  name: "every figure's panels draw on the dashboard (tiny real runs, one screenshot per panel)",
  ignore: missing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const unlisted = Object.keys(EXPERIMENTS).filter((id) => !TINY.some(([t]) => t === id));
    assert.deepEqual(unlisted, [], `add tiny flags for ${unlisted.join(", ")} to TINY`);
    await ensureUiBuilt();
    const dir = await Deno.makeTempDir({ prefix: "prunelab-figures-" });
    const shots = Deno.env.get("PRUNELAB_PANEL_SHOTS") ?? `${dir}/shots`;
    await Deno.mkdir(shots, { recursive: true });
    const storePath = `${dir}/store.kv`;
    for (const [id, flags] of TINY) await runFigure(id, flags, storePath);
    // Two more fig5 seeds (their starting networks are trained, capped like the rest), so the
    // comparison of three seeds is checked on real runs.
    const fig5Flags = TINY.find(([id]) => id === "fig5")?.[1] ?? [];
    for (const seed of ["2", "3"]) {
      await runFigure("fig5", [...fig5Flags, "--seed", seed], storePath);
    }
    const store = await ResultStore.open(storePath);
    const server = startServer(
      { store, assets: fileAssets(), experiments: experimentMap(EXPERIMENTS) },
      { port: 0, pollMs: 1000, verbose: false },
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
    const problems: string[] = [];
    try {
      // The test's string predicates are evaluated in the page, which the dashboard's CSP forbids
      // (tests/server_csp_browser_test.ts checks the page under its CSP).
      const page = await browser.newPage({
        viewport: { width: 1280, height: 1000 },
        bypassCSP: true,
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const runs = await store.listRuns();
      for (const [figure] of TINY) {
        const run = runs.find((r) => r.figure === figure && r.status === "done" && r.seed === 1);
        if (!run) {
          problems.push(`${figure}: no finished run`);
          continue;
        }
        const res = await fetch(`${server.url}api/runs/${run.id}`);
        const detail = await res.json() as { panels: { id: string; kind: string }[] };
        assert.ok(detail.panels.length > 0, `${figure} declares no panels`);
        await page.goto(`${server.url}#/run/${run.id}`);
        await page.waitForFunction(
          `document.querySelectorAll('.panels > [data-panel]').length === ${detail.panels.length}`,
          undefined,
          { timeout: 60_000 },
        );
        for (const p of detail.panels) {
          const card = page.locator(`.panels > [data-panel="${p.id}"]`);
          const state = await card.getAttribute("data-state");
          if (state !== "drawn") {
            problems.push(`${figure}/${p.id}: ${state} (no data in a finished run)`);
            continue;
          }
          const target = p.kind === "table" ? card.locator("table") : card.locator("canvas");
          const png = await target.screenshot({ path: `${shots}/${figure}-${p.id}.png` });
          const px = ink(png);
          // An empty chart (axes and legend only) has a few thousand pixels; data adds more.
          if (px < 1500) problems.push(`${figure}/${p.id}: looks blank (${px} px)`);
        }
      }
      // Three fig5 seeds overlaid: every panel draws, the config diff names the seed, and a
      // panel downloads as SVG with the three run ids in the figure.
      const fig5Ids = runs.filter((r) => r.figure === "fig5").map((r) => r.id).sort();
      assert.equal(fig5Ids.length, 3);
      await page.goto(`${server.url}#/compare/${fig5Ids.join("/")}`);
      await page.waitForSelector('#config-diff tr[data-field="seed"].differs', { timeout: 60_000 });
      await page.waitForFunction(
        `document.querySelectorAll('.compare .panels > [data-panel]').length > 0 &&
          Array.from(document.querySelectorAll('.compare .panels > [data-panel]'))
            .every((e) => e.dataset.state === "drawn")`,
        undefined,
        { timeout: 60_000 },
      );
      await page.screenshot({ path: `${shots}/compare-fig5.png` });
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click('.compare [data-panel="fig5a"] button[data-export="svg"]'),
      ]);
      const svg = await Deno.readTextFile(await download.path());
      assert.match(svg, /^<svg/);
      assert.ok(svg.includes(`runs ${fig5Ids.join(", ")}`), "the SVG names the three runs");
      const [csvDownload] = await Promise.all([
        page.waitForEvent("download"),
        page.click('.compare [data-panel="fig5a"] button[data-export="csv"]'),
      ]);
      const csv = await Deno.readTextFile(await csvDownload.path());
      assert.match(
        csv.split("\n")[0],
        /^series,prune fraction,fraction correct \(probe trials\),sem/,
      );
      assert.equal(csv.trim().split("\n").length, 1 + 3 * 2 * 2, "3 runs x 2 lineages x 2 levels");
      if (errors.length) problems.push(...errors.map((e) => `script error: ${e}`));
      assert.deepEqual(problems, [], `panels that failed (screenshots in ${shots}):`);
    } finally {
      await browser.close();
      await server.close();
      store.close();
      if (!Deno.env.get("PRUNELAB_PANEL_SHOTS")) await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * `deno run -A tasks/bench_dashboard.ts [--networks 400] [--levels 18] [--repeat 5] [--browser]`:
 * times the dashboard's run page for a paper-scale Fig 5 run. It fills a temporary store with
 * synthetic Fig 5 units (the real unit layout `["level", network, levelIndex]` with metrics for
 * both lineages, as experiments/fig5/fig5.ts writes them; no blobs, which the dashboard never reads),
 * serves it on a free loopback port and times `GET /api/runs/:id` over HTTP: cold (fresh server,
 * so no cache), warm (cached), another level (cold for that parameter) and after a new unit
 * (cache invalidated). With `--browser` it also times a headless Chromium page load until every
 * panel has drawn. Prints a markdown table.
 *
 * @module
 */
import { ResultStore, type RunRecord } from "../core/store/kv_store.ts";
import { jsonRecord } from "../core/app/experiment.ts";
import {
  flagHelp,
  type FlagSpec,
  type FlagValue,
  parseFlags,
  stringFlag,
} from "../core/app/args.ts";
import { parseIntFlag } from "../core/app/flags.ts";
import { FIG5_PAPER, type Fig5Config } from "../experiments/fig5/config.ts";
import type { LineageMetrics } from "../experiments/fig5/protocol.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";
import { DMS_HIST_CENTRES } from "../core/util/histogram.ts";
import { Rng } from "../core/util/rng.ts";
import { fileAssets } from "../server/assets.ts";
import { ensureUiBuilt } from "../server/build_ui.ts";
import { experimentMap } from "../server/experiment_map.ts";
import { startServer } from "../server/listen.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../server/testing/chromium.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "networks", type: "string", value: "N", help: "networks of the run", default: "400" },
  { name: "levels", type: "string", value: "N", help: "prune levels", default: "18" },
  { name: "repeat", type: "string", value: "N", help: "timed requests per case", default: "5" },
  { name: "browser", type: "boolean", help: "also time a headless Chromium page load" },
  { name: "help", type: "boolean", help: "show this help" },
];

let parsed: Record<string, FlagValue>;
try {
  parsed = parseFlags(FLAGS, Deno.args).flags;
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  Deno.exit(2);
}
if (parsed.help) {
  console.log(`usage: deno run -A tasks/bench_dashboard.ts [flags]\n${flagHelp(FLAGS)}`);
  Deno.exit(0);
}

function flag(name: string, def: number): number {
  const v = stringFlag(parsed, name);
  if (v === undefined) return def;
  try {
    return parseIntFlag(name, v, { min: 1 });
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(2);
  }
}

const networks = flag("networks", 400);
const levelCount = flag("levels", 18);
const repeat = flag("repeat", 5);
const browser = parsed.browser === true;

const levels = FIG5_PAPER.levels.slice(0, levelCount);
while (levels.length < levelCount) levels.push(Number((levels.at(-1)! + 0.01).toFixed(2)));
const config: Fig5Config = { ...FIG5_PAPER, networks, levels };

function lineage(rng: Rng, level: number, pruned: boolean): LineageMetrics {
  const drop = pruned ? 0.3 * level * level : 0.05 * level;
  const acc = (): number => Math.min(1, Math.max(0, 0.95 - drop + 0.05 * rng.normal()));
  const probeTable = Array.from({ length: 6 }, () => Array.from({ length: 6 }, acc));
  const iterations = 1 + rng.int(40);
  const hist = DMS_HIST_CENTRES.map(() => rng.uniform());
  const hs = hist.reduce((s, v) => s + v, 0);
  return {
    probeTable,
    probeAccuracy: acc(),
    cleanAccuracy: acc(),
    exampleCorrect: rng.int(5),
    maxLE: -0.05 + 0.02 * rng.normal(),
    maxLEChronological: -0.06 + 0.02 * rng.normal(),
    histogram: hist.map((v) => v / hs),
    zerosA: Math.round(level * 2500),
    finalLoss: 0.01 * (1 + rng.uniform()),
    iterations,
    converged: rng.uniform() < 0.9,
    lossHistory: Array.from({ length: iterations }, (_, k) => 0.5 / (k + 1)),
    gradEvals: iterations * 1110,
    emergencySteps: 0,
  };
}

const dir = await Deno.makeTempDir({ prefix: "prunelab-bench-dash-" });
const store = await ResultStore.open(`${dir}/store.kv`);
const runId = "fig5-bench-dashboard";
const now = new Date().toISOString();
const run: RunRecord = {
  id: runId,
  figure: "fig5",
  preset: "paper",
  reduced: false,
  config: jsonRecord(config),
  seed: 1,
  engine: "cpu",
  engineDescription: "synthetic (bench_dashboard)",
  versions: {},
  startedAt: now,
  updatedAt: now,
  status: "running",
  progress: { done: 0, total: networks * levels.length },
};
await store.createRun(run);
const rng = new Rng(7);
const fillStart = performance.now();
for (let li = 0; li < levels.length; li++) {
  for (let i = 0; i < networks; i++) {
    if (li === levels.length - 1 && i === networks - 1) continue; // written later, timed
    await store.putUnit(runId, ["level", i, li], {
      metrics: {
        level: levels[li],
        pruned: lineage(rng, levels[li], true),
        unpruned: lineage(rng, levels[li], false),
      },
    });
  }
}
const fillMs = performance.now() - fillStart;
const experiments = experimentMap(EXPERIMENTS);

async function timeGet(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t, bytes: body.byteLength, status: res.status };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows: { name: string; ms: number[]; bytes: number }[] = [];
function record(name: string, r: { ms: number; bytes: number; status: number }): void {
  if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status}`);
  let row = rows.find((x) => x.name === name);
  if (!row) rows.push(row = { name, ms: [], bytes: r.bytes });
  row.ms.push(r.ms);
}

const browserCold: number[] = [];
const browserWarm: number[] = [];
const serverFor = (prewarm: boolean): ReturnType<typeof startServer> =>
  startServer({ store, assets: fileAssets(), experiments }, { port: 0, verbose: false, prewarm });
for (let k = 0; k < repeat; k++) {
  // A fresh server per repetition: its caches are empty, as on a first load.
  const server = serverFor(false);
  const api = `${server.url}api/runs/${runId}`;
  try {
    record("GET /api/runs/:id, cold (fresh server, nothing cached)", await timeGet(api));
    record("GET /api/runs/:id, warm (same stamp, cached)", await timeGet(api));
    record(
      "GET /api/runs/:id?level=0.5 (units cached, re-aggregated)",
      await timeGet(`${api}?level=0.5`),
    );
    record("GET /api/runs (list)", await timeGet(`${server.url}api/runs`));
  } finally {
    await server.close();
  }
}
{
  const server = serverFor(false);
  const api = `${server.url}api/runs/${runId}`;
  await timeGet(api);
  await store.putUnit(runId, ["level", networks - 1, levels.length - 1], {
    metrics: {
      level: levels.at(-1),
      pruned: lineage(rng, levels.at(-1)!, true),
      unpruned: lineage(rng, levels.at(-1)!, false),
    },
  });
  record("GET /api/runs/:id after a new unit (re-read and re-aggregated)", await timeGet(api));
  await server.close();
}
if (browser) {
  await ensureUiBuilt();
  const { chromium } = await import("playwright-core");
  const b = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
  });
  try {
    // One throw-away load so Chromium's own start-up is not counted.
    {
      const s = serverFor(true);
      await s.ready;
      const page = await b.newPage();
      await page.goto(`${s.url}#/run/${runId}`);
      await page.waitForFunction(
        `document.querySelectorAll('[data-panel] canvas[data-drawn="1"]').length >= 8`,
      );
      await page.close();
      await s.close();
    }
    for (const [prewarm, out] of [[false, browserCold], [true, browserWarm]] as const) {
      for (let k = 0; k < repeat; k++) {
        const s = serverFor(prewarm);
        await s.ready;
        const page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
        const t = performance.now();
        await page.goto(`${s.url}#/run/${runId}`);
        await page.waitForFunction(
          `document.querySelectorAll('[data-panel] canvas[data-drawn="1"]').length >= 8`,
        );
        out.push(performance.now() - t);
        const shot = Deno.env.get("PRUNELAB_SCREENSHOT");
        if (shot && k === 0 && prewarm) await page.screenshot({ path: shot, fullPage: true });
        await page.close();
        await s.close();
      }
    }
  } finally {
    await b.close();
  }
}
store.close();
await Deno.remove(dir, { recursive: true });

const units = networks * levels.length;
console.log(
  `Dashboard bench: synthetic fig5 run, ${networks} lineage pairs x ${levels.length} levels = ` +
    `${units} unit records (both lineages per unit); store filled in ${
      (fillMs / 1000).toFixed(1)
    } s.`,
);
console.log(
  `Machine: ${Deno.build.target}, ${navigator.hardwareConcurrency} cores; ${repeat} repeats, median (min-max).`,
);
console.log("");
console.log("| request | median ms | min-max ms | response bytes |");
console.log("|---|---|---|---|");
for (const r of rows) {
  const lo = Math.min(...r.ms), hi = Math.max(...r.ms);
  console.log(
    `| ${r.name} | ${median(r.ms).toFixed(1)} | ${lo.toFixed(1)}-${hi.toFixed(1)} | ${r.bytes} |`,
  );
}
for (
  const [name, ms] of [
    [
      "headless Chromium: open the run page until all 8 panels drew, fresh server (cold)",
      browserCold,
    ],
    ["headless Chromium: same, server prepared at start (default)", browserWarm],
  ] as const
) {
  if (ms.length === 0) continue;
  console.log(
    `| ${name} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)}-${
      Math.max(...ms).toFixed(0)
    } | |`,
  );
}

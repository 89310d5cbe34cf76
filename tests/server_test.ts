import assert from "node:assert/strict";
import { ResultStore } from "../core/store/kv_store.ts";
import { createApp } from "../server/app.ts";
import { memoryAssets, safeAssetPath } from "../server/assets.ts";
import { parseServeArgs } from "../server/serve_cli.ts";
import { isLoopback } from "../server/listen.ts";
import { demoExperiment, demoMetrics, demoRun } from "../server/testing/demo_experiment.ts";
import type { RunDetail, RunSummary } from "../core/app/api_types.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { panelCsv } from "../ui/csv.ts";
import { firstUpdate, readEventStream, UPDATE_EVENT } from "./fixtures/event_stream.ts";

const experiments = { demo: demoExperiment as unknown as Experiment };
const assets = memoryAssets({
  "index.html": "<!doctype html><title>x</title>",
  "app.js": "console.log(1)",
  "style.css": "body{}",
});

async function withApp(
  fn: (
    ctx: { store: ResultStore; request: (p: string, init?: RequestInit) => Promise<Response> },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-server-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  const { app, watcher } = createApp({ store, assets, experiments, pollMs: 20 });
  try {
    await fn({ store, request: async (p, init) => await app.request(p, init) });
  } finally {
    watcher.stop();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function fill(store: ResultStore, id: string, networks = 3): Promise<void> {
  const run = demoRun(id, { networks, levels: [0, 0.3, 0.7] });
  await store.createRun(run);
  for (let n = 0; n < networks; n++) {
    for (let l = 0; l < 3; l++) {
      await store.putUnit(id, [n, l], {
        metrics: demoMetrics(n, l, [0, 0.3, 0.7][l]),
        blobs: { weights: new Float64Array([1, 2, 3]) },
      });
    }
  }
}

Deno.test("GET /api/runs lists runs with summaries", async () => {
  await withApp(async ({ store, request }) => {
    let res = await request("/api/runs");
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).runs, []);
    await fill(store, "demo-a");
    res = await request("/api/runs");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const body = await res.json() as { version: string; runs: RunSummary[] };
    assert.equal(body.runs.length, 1);
    const r = body.runs[0];
    assert.equal(r.id, "demo-a");
    assert.equal(r.figure, "demo");
    assert.equal(r.title, demoExperiment.title);
    assert.deepEqual(r.progress, { done: 9, total: 9 });
    assert.equal(r.summary, "3 networks x 3 levels (0, 0.3, 0.7)");
    assert.ok(typeof r.durationMs === "number" && r.durationMs >= 0);
    assert.match(body.version, /^\d+$/);
  });
});

Deno.test("GET /api/runs/:id returns panels and parameters, never blobs", async () => {
  await withApp(async ({ store, request }) => {
    await fill(store, "demo-a");
    const res = await request("/api/runs/demo-a");
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes("weights"), "no blob names or weights in the API");
    const d = JSON.parse(text) as RunDetail;
    assert.deepEqual(d.params, { level: 0.7 });
    assert.equal(d.parameters[0].name, "level");
    assert.deepEqual(d.panels.map((p) => p.kind), ["line", "bar", "scatter", "heatmap"]);
    assert.equal(d.units, 9);
    const acc = d.panels[0].series[0];
    assert.deepEqual(acc.x, [0, 0.3, 0.7]);
    const expected = [0, 1, 2].map((n) => demoMetrics(n, 2, 0.7).pruned);
    const mean = expected.reduce((s, v) => s + v, 0) / 3;
    assert.ok(Math.abs((acc.y[2] as number) - mean) < 1e-12);
    assert.equal(d.panels[2].series[0].x.length, 3, "scatter uses the selected level");

    const at03 = await (await request("/api/runs/demo-a?level=0.3")).json() as RunDetail;
    assert.deepEqual(at03.params, { level: 0.3 });
    assert.equal(at03.panels[2].title, "Pruned vs unpruned at level 0.3");
  });
});

Deno.test("run detail cache follows new units", async () => {
  await withApp(async ({ store, request }) => {
    await store.createRun(demoRun("demo-b", { networks: 2 }));
    await store.putUnit("demo-b", [0, 0], { metrics: demoMetrics(0, 0, 0) });
    const first = await (await request("/api/runs/demo-b")).json() as RunDetail;
    assert.equal(first.units, 1);
    const again = await (await request("/api/runs/demo-b")).json() as RunDetail;
    assert.deepEqual(again.panels, first.panels);
    await store.putUnit("demo-b", [1, 0], { metrics: demoMetrics(1, 0, 0) });
    const later = await (await request("/api/runs/demo-b")).json() as RunDetail;
    assert.equal(later.units, 2);
    assert.equal(later.run.progress.done, 2);
  });
});

Deno.test("bad ids, unknown runs and bad parameters", async () => {
  await withApp(async ({ store, request }) => {
    await fill(store, "demo-a", 1);
    for (const bad of ["Demo-A", "-x", "a_b", "a".repeat(81), "a%20b", "a%2Fb", "..."]) {
      const res = await request(`/api/runs/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(typeof (await res.json()).error, "string");
    }
    // URL parsing turns an encoded dot segment into a parent step: no run route at all.
    assert.equal((await request("/api/runs/%2e%2e")).status, 404);
    const res = await request("/api/runs/fig5-nope");
    assert.equal(res.status, 404);
    assert.match((await res.json()).error, /no run/);
    for (const q of ["level=0.5", "level=abc", "level=Infinity"]) {
      const r = await request(`/api/runs/demo-a?${q}`);
      assert.equal(r.status, 400, q);
      assert.match((await r.json()).error, /parameter 'level'/);
    }
    assert.equal((await request("/api/nothing")).status, 404);
  });
});

Deno.test("unknown experiment: run detail with a notice and no panels", async () => {
  await withApp(async ({ store, request }) => {
    await store.createRun({ ...demoRun("zz-1"), figure: "zz" });
    const d = await (await request("/api/runs/zz-1")).json() as RunDetail;
    assert.deepEqual(d.panels, []);
    assert.match(d.notice ?? "", /does not know the experiment 'zz'/);
    const list = await (await request("/api/runs")).json() as { runs: RunSummary[] };
    assert.equal(list.runs[0].title, "zz");
  });
});

Deno.test("the API is read-only: non-GET methods get 405", async () => {
  await withApp(async ({ store, request }) => {
    await fill(store, "demo-a", 1);
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      for (const path of ["/api/runs", "/api/runs/demo-a", "/", "/app.js"]) {
        const res = await request(path, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
        await res.body?.cancel();
      }
    }
    assert.ok(await store.getRun("demo-a"), "nothing deleted");
    const head = await request("/app.js", { method: "HEAD" });
    assert.equal(head.status, 200);
  });
});

Deno.test("static files: served from the asset folder only", async () => {
  await withApp(async ({ request }) => {
    let res = await request("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await res.text(), /<title>x/);
    res = await request("/app.js");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /javascript/);
    await res.body?.cancel();
    res = await request("/missing.js");
    assert.equal(res.status, 404);
    await res.body?.cancel();
    // Hono normalises nothing for app.request, so raw traversal reaches the handler.
    for (
      const p of [
        "/../deno.json",
        "/%2e%2e/deno.json",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/..%2fdeno.json",
        "/%2e%2e%2fdeno.json",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/..\\deno.json",
        "/%5c..%5cdeno.json",
        "/.hidden",
        "/a/%00",
        "/%E0%A4%A",
      ]
    ) {
      res = await request(p);
      assert.ok(res.status === 400 || res.status === 404, `${p} -> ${res.status}`);
      const text = await res.text();
      assert.ok(!text.includes("prunelab"), `${p} leaked a file`);
    }
  });
});

Deno.test("safeAssetPath accepts plain files and rejects escapes", () => {
  assert.equal(safeAssetPath("/"), "index.html");
  assert.equal(safeAssetPath("/app.js"), "app.js");
  assert.equal(safeAssetPath("/sub/x.css"), "sub/x.css");
  for (
    const p of [
      "/..",
      "/../x",
      "/%2e%2e/x",
      "/a/../../x",
      "//x",
      "/C:/x",
      "/a\\b",
      "/%00",
      "x",
      "/a//b",
    ]
  ) {
    assert.equal(safeAssetPath(p), null, p);
  }
});

Deno.test("errors never leak stack traces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prunelab-server-" });
  const store = await ResultStore.open(`${dir}/store.kv`);
  const broken = {
    ...demoExperiment,
    panels(): never {
      throw new Error("secret internal detail at /home/user/file.ts:12");
    },
  } as unknown as Experiment;
  const { app, watcher } = createApp({ store, assets, experiments: { demo: broken } });
  const origError = console.error;
  console.error = () => {};
  try {
    await store.createRun(demoRun("demo-x"));
    const res = await app.request("/api/runs/demo-x");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { error: "internal error" });
  } finally {
    console.error = origError;
    watcher.stop();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GET /api/events announces writes with the changed run ids", async () => {
  await withApp(async ({ store, request }) => {
    await store.createRun(demoRun("demo-e"));
    const res = await request("/api/events");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const events = readEventStream(res);
    await events.until(/event: hello/);
    // Let the watcher take its baseline before writing.
    await new Promise((r) => setTimeout(r, 80));
    await store.putUnit("demo-e", [0, 0], { metrics: demoMetrics(0, 0, 0) });
    const all = await events.until(UPDATE_EVENT);
    const data = firstUpdate(all);
    assert.deepEqual(data.runs, ["demo-e"]);
    assert.match(data.version, /^\d+$/);
    await events.cancel();
  });
});

Deno.test("serve flags and loopback detection", () => {
  assert.deepEqual(parseServeArgs([]), { port: 8000, host: "127.0.0.1", help: false });
  assert.equal(parseServeArgs(["-h"]).help, true);
  assert.deepEqual(parseServeArgs(["--port", "0", "--host=::1", "--store", "x.kv"]), {
    port: 0,
    host: "::1",
    store: "x.kv",
    help: false,
  });
  assert.throws(() => parseServeArgs(["--port", "abc"]), /--port must be/);
  assert.throws(() => parseServeArgs(["--port", "70000"]), /--port must be/);
  assert.throws(() => parseServeArgs(["--bogus"]), /unknown flag --bogus/);
  assert.throws(() => parseServeArgs(["--prot", "80"]), /did you mean --port/);
  assert.throws(() => parseServeArgs(["--store"]), /needs a value/);
  for (const h of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]) {
    assert.ok(isLoopback(h), h);
  }
  for (const h of ["0.0.0.0", "192.168.1.4", "::", "example.org"]) assert.ok(!isLoopback(h), h);
});

Deno.test("panel CSV has one row per point and quotes labels", () => {
  const csv = panelCsv({
    id: "a",
    title: "t",
    kind: "line",
    xLabel: "prune fraction",
    yLabel: "accuracy",
    series: [{
      label: "pruned, 5A",
      x: [0, 0.5],
      y: [1, null],
      err: [0.1, null],
      significant: [true, false],
    }],
  });
  assert.equal(
    csv,
    'series,prune fraction,accuracy,sem,significant\n"pruned, 5A",0,1,0.1,1\n"pruned, 5A",0.5,,,0\n',
  );
  const heat = panelCsv({
    id: "h",
    title: "t",
    kind: "heatmap",
    xLabel: "x",
    yLabel: "y",
    series: [],
    heatmap: { rows: 1, cols: 2, values: [3, 4], colLabels: ["a", "b"] },
  });
  assert.equal(heat, "row,col,row_label,col_label,value\n0,0,,a,3\n0,1,,b,4\n");
});

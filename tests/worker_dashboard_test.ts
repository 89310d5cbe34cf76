/**
 * The dashboard sees what worker processes write (issue 15, item 4): `/api/events` announces a
 * unit that another process stored. On PostgreSQL the announcement is pushed by LISTEN/NOTIFY, so
 * it arrives although the watcher's poll interval is set far beyond the test's patience; on a KV
 * file it comes from polling one key. Runs on a KV file always, on PostgreSQL when PRUNELAB_TEST_PG
 * names a server (CI).
 *
 * @module
 */
import assert from "node:assert/strict";
import { openStore } from "../core/store/store.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { createApp } from "../server/app.ts";
import { memoryAssets } from "../server/assets.ts";
import { demoExperiment, demoRun } from "../server/testing/demo_experiment.ts";
import { backend, noticePgSkipped, type TestBackend } from "./fixtures/store_backends.ts";
import { firstUpdate, readEventStream, UPDATE_EVENT } from "./fixtures/event_stream.ts";

noticePgSkipped();

const STORE_MODULE = new URL("../core/store/store.ts", import.meta.url).href;

/** Stores one unit of `runId` from a separate Deno process, as a worker would. */
async function writeFromAnotherProcess(location: string, runId: string): Promise<void> {
  const code = `
    const { openStore } = await import(${JSON.stringify(STORE_MODULE)});
    const store = await openStore(Deno.args[0], { create: false });
    await store.putUnit(Deno.args[1], [0, 0], { metrics: { level: 0, pruned: 1, unpruned: 1 } });
    await store.close();`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-kv", code, location, runId],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function announcesAnotherProcessWrite(b: TestBackend): Promise<void> {
  const loc = await b.fresh();
  const store = await openStore(loc.location);
  // PostgreSQL: a poll could not deliver within the test, so the update must be pushed.
  const pollMs = b.name === "postgres" ? 600_000 : 50;
  const { app, watcher } = createApp({
    store,
    assets: memoryAssets({ "index.html": "<!doctype html><title>x</title>" }),
    experiments: { demo: demoExperiment as unknown as Experiment },
    pollMs,
  });
  try {
    await store.createRun(demoRun("demo-w"));
    const res = await app.request("/api/events");
    assert.equal(res.status, 200);
    const events = readEventStream(res);
    await events.until(/event: hello/);
    // Let the watcher take its baseline (and LISTEN) before the other process writes.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await writeFromAnotherProcess(loc.location, "demo-w");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no update within 30 s of the write")), 30_000);
    });
    try {
      const all = await Promise.race([events.until(UPDATE_EVENT), late]);
      const data = firstUpdate(all);
      assert.deepEqual(data.runs, ["demo-w"]);
      assert.ok(performance.now() - t0 < 30_000);
    } finally {
      clearTimeout(timer);
      await events.cancel();
    }
  } finally {
    watcher.stop();
    await store.close();
    await loc.cleanup();
  }
}

Deno.test("dashboard [kv]: /api/events announces a unit written by another process", () =>
  announcesAnotherProcessWrite(backend("kv")));

Deno.test({
  name: "dashboard [postgres]: /api/events announces another process's unit by LISTEN/NOTIFY",
  ignore: !backend("postgres").available,
  fn: () => announcesAnotherProcessWrite(backend("postgres")),
});

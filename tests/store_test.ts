/**
 * The results store over Deno KV: run records, units with chunked typed-array blobs, listing,
 * cache, the version counter, idempotent unit writes and the progress counter.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { newRunId, resolveStorePath, ResultStore, RUN_ID_PATTERN } from "../core/store/kv_store.ts";
import { withTempDir } from "./fixtures/helpers.ts";
import { runRecord } from "./fixtures/store_backends.ts";

Deno.test("run ids match the pattern and are unique", () => {
  const when = new Date(Date.UTC(2026, 10, 21, 10, 15, 0));
  const a = newRunId("Fig5", when);
  const b = newRunId("Fig5", when);
  assert.match(a, /^fig5-20261121-101500-[a-z0-9]+$/);
  assert.ok(RUN_ID_PATTERN.test(a));
  assert.notEqual(a, b);
  assert.equal(resolveStorePath("x.kv"), "x.kv");
});

Deno.test("store: run records, units with large chunked blobs, cache, version counter", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "results.kv");
    const store = await ResultStore.open(path);
    try {
      const v0 = await store.version();
      const id = newRunId("fig5");
      await store.createRun(runRecord(id, 3));
      const v1 = await store.version();
      assert.ok(v1 > v0, "createRun bumps the version");
      await assert.rejects(() => store.createRun(runRecord(id, 3)), /already exists/);
      assert.equal((await store.getRun(id))!.seed, 7);
      assert.equal(await store.getRun("fig5-unknown"), null);

      // 20,000 doubles = 160,000 bytes: three 60 KiB chunks.
      const big = Float64Array.from({ length: 20_000 }, (_, i) => Math.sin(i) * 1e3 + i / 7);
      const mask = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 3 === 0 ? 0 : 1);
      const small = new Float64Array([1.5, -0, NaN, Infinity]);
      await store.putUnit(id, ["level", 0, 0], {
        metrics: { level: 0.5, loss: 0.01, nested: { a: [1, 2] } },
        blobs: { w: big, mask, small },
      });
      const v2 = await store.version();
      assert.ok(v2 > v1, "putUnit bumps the version");
      assert.equal((await store.getRun(id))!.progress.done, 1);

      const unit = await store.getUnit(id, ["level", 0, 0]);
      assert.deepEqual(unit!.metrics, { level: 0.5, loss: 0.01, nested: { a: [1, 2] } });
      const wDesc = unit!.blobs.find((b) => b.name === "w")!;
      assert.equal(wDesc.type, "Float64Array");
      assert.equal(wDesc.length, 20_000);
      assert.equal(wDesc.chunks, 3);
      const w = await store.getBlob(id, ["level", 0, 0], "w");
      assert.ok(w instanceof Float64Array);
      assert.deepEqual(w, big);
      const m = await store.getBlob(id, ["level", 0, 0], "mask");
      assert.ok(m instanceof Uint8Array);
      assert.deepEqual(m, mask);
      const s = await store.getBlob(id, ["level", 0, 0], "small");
      assert.ok(s instanceof Float64Array);
      assert.ok(Object.is(s[1], -0));
      assert.ok(Number.isNaN(s[2]));
      assert.equal(s[3], Infinity);
      assert.equal(await store.getBlob(id, ["level", 0, 0], "nope"), null);
      assert.equal(await store.getBlob(id, ["level", 9, 9], "w"), null);

      // A subarray view is stored by its own bytes, not its whole buffer.
      const view = big.subarray(100, 110);
      await store.putUnit(id, ["level", 1, 0], { metrics: {}, blobs: { view } });
      assert.deepEqual(await store.getBlob(id, ["level", 1, 0], "view"), big.slice(100, 110));

      // Idempotent: writing an existing unit changes nothing and does not count twice.
      await store.putUnit(id, ["level", 0, 0], { metrics: { level: 99 } });
      assert.equal((await store.getUnit(id, ["level", 0, 0]))!.metrics.level, 0.5);
      assert.equal((await store.getRun(id))!.progress.done, 2);

      await store.putUnit(id, ["start", 0], { metrics: { rounds: [] }, blobs: { w: big } });
      const units = await store.listUnits(id);
      assert.deepEqual(units.map((u) => u.key), [["level", 0, 0], ["level", 1, 0], ["start", 0]]);
      assert.deepEqual((await store.listUnits(id, ["level"])).length, 2);
      assert.equal((await store.getRun(id))!.progress.done, 3);

      // Units of an unknown run are refused.
      await assert.rejects(() => store.putUnit("fig5-nope", ["x"], { metrics: {} }), /unknown run/);

      // Run updates.
      const before = await store.version();
      const upd = await store.updateRun(id, { status: "done", endedAt: "2026-01-01T00:00:00Z" });
      assert.equal(upd.status, "done");
      assert.equal(upd.progress.done, 3);
      assert.ok((await store.version()) > before);
      await assert.rejects(() => store.updateRun("fig5-nope", { status: "done" }), /unknown run/);

      // Cache: artefacts with blobs, replaced by a same-size entry.
      assert.equal(await store.getCache("k"), null);
      await store.putCache("k", { metrics: { round: 1 }, blobs: { w: big } });
      const big2 = big.map((v) => v + 1);
      await store.putCache("k", { metrics: { round: 2 }, blobs: { w: big2 } });
      const hit = await store.getCache("k");
      assert.equal(hit!.metrics.round, 2);
      assert.deepEqual(hit!.blobs.w, big2);

      const second = newRunId("fig7");
      await store.createRun({ ...runRecord(second, 1), figure: "fig7" });
      assert.equal((await store.listRuns()).length, 2);
      await store.deleteRun(second);
      assert.equal(await store.getRun(second), null);
      assert.equal((await store.listRuns()).length, 1);
    } finally {
      store.close();
    }

    // Everything survives closing and reopening the file.
    const again = await ResultStore.open(path);
    try {
      const runs = await again.listRuns();
      assert.equal(runs.length, 1);
      const w = await again.getBlob(runs[0].id, ["start", 0], "w");
      assert.equal((w as Float64Array).length, 20_000);
    } finally {
      again.close();
    }
  });
});

Deno.test("store: putCache replaces an entry whose blob had more chunks", async () => {
  // Documented as "replacing any previous one"; stale chunks of the old blob must not survive.
  await withTempDir(async (dir) => {
    const store = await ResultStore.open(join(dir, "cache.kv"));
    try {
      const big = Float64Array.from({ length: 20_000 }, (_, i) => i);
      await store.putCache("k", { metrics: { round: 1 }, blobs: { w: big } });
      await store.putCache("k", { metrics: { round: 2 }, blobs: { w: big.subarray(0, 5) } });
      const hit = await store.getCache("k");
      assert.equal(hit!.metrics.round, 2);
      assert.deepEqual(hit!.blobs.w, big.slice(0, 5));
    } finally {
      store.close();
    }
  });
});

Deno.test("store: putUnit on an existing unit leaves its blobs unchanged", async () => {
  // Documented: "If the unit already exists, nothing changes (idempotent resume)".
  await withTempDir(async (dir) => {
    const store = await ResultStore.open(join(dir, "idem.kv"));
    try {
      const id = newRunId("fig5");
      await store.createRun(runRecord(id, 1));
      const w1 = new Float64Array([1, 2, 3]);
      await store.putUnit(id, ["level", 0, 0], { metrics: { v: 1 }, blobs: { w: w1 } });
      await store.putUnit(id, ["level", 0, 0], {
        metrics: { v: 2 },
        blobs: { w: new Float64Array([7, 8, 9]) },
      });
      assert.equal((await store.getUnit(id, ["level", 0, 0]))!.metrics.v, 1);
      assert.deepEqual(await store.getBlob(id, ["level", 0, 0], "w"), w1);
      assert.equal((await store.getRun(id))!.progress.done, 1);
    } finally {
      store.close();
    }
  });
});

Deno.test("store: a second handle (another reader) sees the version counter move", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "shared.kv");
    const writer = await ResultStore.open(path);
    const reader = await ResultStore.open(path);
    try {
      const v0 = await reader.version();
      const id = newRunId("fig5");
      await writer.createRun(runRecord(id, 1));
      assert.ok((await reader.version()) > v0);
      assert.equal((await reader.getRun(id))!.id, id);
    } finally {
      writer.close();
      reader.close();
    }
  });
});

Deno.test("store: opening a path in a missing folder fails with a one-line error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "no", "such", "folder", "x.kv");
    await assert.rejects(
      () => ResultStore.open(path),
      (err: Error) => /cannot open the results store/.test(err.message) && !/\n/.test(err.message),
    );
  });
});

/**
 * The results store contract, run against every backend (a Deno KV file always; PostgreSQL when
 * PRUNELAB_TEST_PG is set): runs, units with chunked blobs and values plain JSON loses, key order,
 * idempotent and concurrent unit writes, verified cache entries, the change counter and feed,
 * leases, read-only handles, whole-run import and export.
 */
import assert from "node:assert/strict";
import {
  type FullUnit,
  holdRunLease,
  newRunId,
  openStore,
  type ResultStore,
  StoreError,
} from "../core/store/store.ts";
import { BACKENDS, noticePgSkipped, runRecord, withStore } from "./fixtures/store_backends.ts";

noticePgSkipped();

function isKind(kind: StoreError["kind"], pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) =>
    err instanceof StoreError && err.kind === kind && !err.message.includes("\n") &&
    (pattern === undefined || pattern.test(err.message));
}

function contract(name: string, fn: (store: ResultStore, location: string) => Promise<void>): void {
  for (const b of BACKENDS) {
    Deno.test({
      name: `store contract [${b.name}]: ${name}`,
      ignore: !b.available,
      fn: () => withStore(b, fn),
    });
  }
}

contract("run records: create, conflict, get, list with filters, update, delete", async (s) => {
  const a = newRunId("fig5", new Date(Date.UTC(2026, 0, 1)));
  const b = newRunId("fig7", new Date(Date.UTC(2026, 0, 2)));
  const ra = { ...runRecord(a, 3), startedAt: "2026-01-01T00:00:00.000Z" };
  await s.createRun(ra);
  await s.createRun({ ...runRecord(b, 1), startedAt: "2026-01-02T00:00:00.000Z" });
  await assert.rejects(() => s.createRun(ra), isKind("conflict", /already exists/));
  const got = await s.getRun(a);
  assert.deepEqual(got, ra);
  assert.equal(await s.getRun("fig5-unknown"), null);
  assert.deepEqual((await s.listRuns()).map((r) => r.id), [b, a], "newest first");
  assert.deepEqual((await s.listRuns({ figure: "fig5" })).map((r) => r.id), [a]);
  assert.deepEqual((await s.listRuns({ status: "done" })).map((r) => r.id), []);

  const upd = await s.updateRun(a, { status: "done", endedAt: "2026-01-01T01:00:00Z" });
  assert.equal(upd.status, "done");
  assert.equal(upd.arithmetic, "cpu-f64-wasm");
  assert.deepEqual(await s.getRun(a), upd);
  assert.deepEqual((await s.listRuns({ status: "done" })).map((r) => r.id), [a]);
  // A cleared field stays cleared (undefined), as Deno KV's structured clone keeps it.
  const cleared = await s.updateRun(a, { message: "x" }).then(() =>
    s.updateRun(a, { message: undefined })
  );
  assert.equal(cleared.message, undefined);
  assert.deepEqual(await s.getRun(a), cleared);
  await assert.rejects(() => s.updateRun("fig5-nope", { status: "done" }), isKind("not-found"));

  await s.deleteRun(b);
  assert.equal(await s.getRun(b), null);
  assert.deepEqual((await s.listRuns()).map((r) => r.id), [a]);
});

contract(
  "units: chunked blobs bit for bit, special values, views, idempotence, progress",
  async (s) => {
    const id = newRunId("fig5");
    await s.createRun(runRecord(id, 4));
    // 20,000 doubles = 160,000 bytes: three 60 KiB chunks in the KV layout.
    const big = Float64Array.from({ length: 20_000 }, (_, i) => Math.sin(i) * 1e3 + i / 7);
    const mask = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 3 === 0 ? 0 : 1);
    const f32 = Float32Array.from({ length: 1000 }, (_, i) => Math.fround(i / 3));
    const ints = Int32Array.from([-(2 ** 31), -1, 0, 1, 2 ** 31 - 1]);
    const special = new Float64Array([1.5, -0, NaN, Infinity, -Infinity, 5e-324]);
    const metrics = {
      level: 0.5,
      loss: NaN,
      gain: -Infinity,
      zero: -0,
      missing: undefined,
      nested: { a: [1, 2, undefined, null], s: "x\u0000y" },
      $prunelab: "not a tag",
      history: new Float64Array([0.25, NaN]),
    };
    await s.putUnit(id, ["level", 0, 0], {
      metrics,
      blobs: { w: big, mask, f32, ints, special, empty: new Float64Array(0) },
    });
    assert.equal((await s.getRun(id))!.progress.done, 1);

    const unit = await s.getUnit(id, ["level", 0, 0]);
    assert.deepEqual(unit!.metrics, metrics);
    assert.ok(Object.is(unit!.metrics.zero, -0));
    assert.ok("missing" in unit!.metrics);
    const w = unit!.blobs.find((b) => b.name === "w")!;
    assert.deepEqual(w, { name: "w", type: "Float64Array", length: 20_000, chunks: 3 });
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "w"), big);
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "mask"), mask);
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "f32"), f32);
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "ints"), ints);
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "empty"), new Float64Array(0));
    const sp = await s.getBlob(id, ["level", 0, 0], "special");
    assert.deepEqual(new Uint8Array(sp!.buffer), new Uint8Array(special.buffer), "bit for bit");
    assert.equal(await s.getBlob(id, ["level", 0, 0], "nope"), null);
    assert.equal(await s.getBlob(id, ["level", 9, 9], "w"), null);

    // A subarray view is stored by its own bytes, not its whole buffer.
    await s.putUnit(id, ["level", 1, 0], { metrics: {}, blobs: { view: big.subarray(100, 110) } });
    assert.deepEqual(await s.getBlob(id, ["level", 1, 0], "view"), big.slice(100, 110));

    // Idempotent: an existing unit keeps its metrics and blobs and is not counted twice.
    await s.putUnit(id, ["level", 0, 0], { metrics: { level: 99 }, blobs: { w: f32 } });
    assert.equal((await s.getUnit(id, ["level", 0, 0]))!.metrics.level, 0.5);
    assert.deepEqual(await s.getBlob(id, ["level", 0, 0], "w"), big);
    assert.equal((await s.getRun(id))!.progress.done, 2);

    await assert.rejects(() => s.putUnit("fig5-nope", ["x"], { metrics: {} }), isKind("not-found"));
    assert.equal(await s.getUnit("fig5-nope", ["x"]), null);
  },
);

contract("units list in Deno KV key order, under a prefix", async (s) => {
  const id = newRunId("fig5");
  await s.createRun(runRecord(id, 0));
  const keys: (string | number)[][] = [
    ["level", 10, 0],
    ["level", 2, 1],
    ["level", 2, 0],
    ["level", -1.5, 0],
    ["start", 0],
    ["data"],
    ["levelx", 0],
    ["a\u0000b"],
    ["a"],
    [3],
  ];
  for (const k of keys) await s.putUnit(id, k, { metrics: { k } });
  const expected = [
    ["a"],
    ["a\u0000b"],
    ["data"],
    ["level", -1.5, 0],
    ["level", 2, 0],
    ["level", 2, 1],
    ["level", 10, 0],
    ["levelx", 0],
    ["start", 0],
    [3],
  ];
  assert.deepEqual((await s.listUnits(id)).map((u) => u.key), expected);
  assert.deepEqual((await s.listUnits(id, ["level"])).map((u) => u.key), expected.slice(3, 7));
  assert.deepEqual((await s.listUnits(id, ["level", 2])).map((u) => u.key), expected.slice(4, 6));
  assert.deepEqual((await s.listUnits(id, ["data"])).map((u) => u.key), []);
  assert.equal((await s.getRun(id))!.progress.done, keys.length);
});

contract(
  "two handles racing on the same units: each stored once, whole, never mixed",
  async (s, loc) => {
    const other = await openStore(loc);
    try {
      const id = newRunId("fig5");
      await s.createRun(runRecord(id, 40));
      // 9,000 doubles: two KV chunks, so a mix of two writers' chunks would show.
      const mine = new Float64Array(9000).fill(1);
      const theirs = new Float64Array(9000).fill(2);
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        writes.push(s.putUnit(id, ["u", i], { metrics: { by: 1 }, blobs: { blob: mine } }));
        writes.push(other.putUnit(id, ["u", i], { metrics: { by: 2 }, blobs: { blob: theirs } }));
      }
      await Promise.all(writes);
      assert.equal((await s.getRun(id))!.progress.done, 20);
      const units = await other.listUnits(id);
      assert.equal(units.length, 20);
      for (const u of units) {
        const blob = await s.getBlob(id, u.key, "blob");
        assert.deepEqual(blob, u.record.metrics.by === 1 ? mine : theirs, u.key.join("/"));
      }
    } finally {
      await other.close();
    }
  },
);

contract("cache: replace (also by a shorter blob), verified read", async (s) => {
  let discarded = "";
  const onDiscarded = (why: string): void => {
    discarded = why;
  };
  assert.equal(await s.getCache("k", { onDiscarded }), null);
  const big = Float64Array.from({ length: 20_000 }, (_, i) => i);
  await s.putCache("k", { metrics: { round: 1 }, blobs: { w: big, m: new Uint8Array([1, 0]) } });
  await s.putCache("k", { metrics: { round: 2 }, blobs: { w: big.subarray(0, 5) } });
  const hit = await s.getCache("k", { onDiscarded });
  assert.deepEqual(hit, { metrics: { round: 2 }, blobs: { w: big.slice(0, 5) } });
  await s.putCache("other", { metrics: { x: NaN } });
  assert.ok(Number.isNaN((await s.getCache("other"))!.metrics.x));
  assert.equal(discarded, "");
});

contract("version counter and change feed see another handle's writes", async (s, loc) => {
  const other = await openStore(loc);
  const controller = new AbortController();
  try {
    const v0 = await s.version();
    const feed = s.changes({ signal: controller.signal, intervalMs: 20 });
    const first = feed.next();
    // Give the feed time to take its baseline (KV) or start listening (PostgreSQL).
    await new Promise((r) => setTimeout(r, 200));
    const id = newRunId("fig5");
    await other.createRun(runRecord(id, 1));
    const change = await first;
    assert.equal(change.done, false);
    assert.ok(change.value!.version > v0, "the feed reports the new version");
    if (change.value!.runs !== null) assert.deepEqual(change.value!.runs, [id]);
    assert.ok((await s.version()) > v0);
    const v1 = await s.version();
    await other.putUnit(id, ["u"], { metrics: {} });
    assert.ok((await s.version()) > v1, "a unit write moves the counter");
    controller.abort();
    // An aborted feed ends.
    for (;;) {
      const r = await feed.next();
      if (r.done) break;
    }
  } finally {
    controller.abort();
    await other.close();
  }
});

contract("leases: exclusive, renewable, released, expiring, gone with the run", async (s, loc) => {
  const id = newRunId("fig5");
  await s.createRun(runRecord(id, 1));
  await assert.rejects(
    () => s.acquireLease("fig5-nope", { holder: "x", ttlMs: 1000 }),
    isKind("not-found"),
  );
  assert.equal(await s.getLease(id), null);
  const a = await s.acquireLease(id, { holder: "pid 1 on a", ttlMs: 60_000 });
  assert.ok(a.acquired);
  const other = await openStore(loc);
  try {
    const b = await other.acquireLease(id, { holder: "pid 2 on b", ttlMs: 60_000 });
    assert.equal(b.acquired, false);
    if (!b.acquired) {
      assert.equal(b.heldBy.holder, "pid 1 on a");
      assert.equal(b.heldBy.expired, false);
    }
    const renewed = await s.renewLease(a.lease, { ttlMs: 120_000 });
    assert.ok(Date.parse(renewed.expiresAt) > Date.parse(a.lease.expiresAt));
    await s.releaseLease(renewed);
    assert.equal(await s.getLease(id), null);
    await s.releaseLease(renewed); // releasing twice is harmless

    // A dead holder's lease expires and is taken over; the old holder learns it lost it.
    const short = await other.acquireLease(id, { holder: "pid 3 (dies)", ttlMs: 50 });
    assert.ok(short.acquired);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await s.getLease(id))!.expired, true);
    const taken = await s.acquireLease(id, { holder: "pid 4", ttlMs: 60_000 });
    assert.ok(taken.acquired);
    if (short.acquired) {
      await assert.rejects(() => other.renewLease(short.lease), isKind("conflict", /pid 4/));
      await other.releaseLease(short.lease); // a lost lease's release leaves the new holder alone
    }
    assert.equal((await s.getLease(id))!.holder, "pid 4");
    await s.deleteRun(id);
    assert.equal(await s.getLease(id), null);
  } finally {
    await other.close();
  }
});

contract("read-only handles refuse writes; a missing store is not created", async (s, loc) => {
  const id = newRunId("fig5");
  await s.createRun(runRecord(id, 1));
  await s.putUnit(id, ["u"], { metrics: { a: 1 }, blobs: { w: new Float64Array([1, 2]) } });
  const ro = await openStore(loc, { readOnly: true });
  try {
    assert.equal(ro.readOnly, true);
    assert.equal((await ro.getRun(id))!.progress.done, 1);
    assert.deepEqual(await ro.getBlob(id, ["u"], "w"), new Float64Array([1, 2]));
    await assert.rejects(() => ro.createRun(runRecord(newRunId("fig5"), 1)), isKind("read-only"));
    await assert.rejects(() => ro.putUnit(id, ["v"], { metrics: {} }), isKind("read-only"));
    await assert.rejects(() => ro.updateRun(id, { status: "done" }), isKind("read-only"));
    await assert.rejects(() => ro.putCache("k", { metrics: {} }), isKind("read-only"));
    await assert.rejects(
      () => ro.acquireLease(id, { holder: "x", ttlMs: 10 }),
      isKind("read-only"),
    );
  } finally {
    await ro.close();
  }
});

contract("whole runs: unitsWithBlobs streams what importRun writes", async (s, loc) => {
  const id = newRunId("fig5");
  const run = { ...runRecord(id, 3), status: "done" as const, progress: { done: 3, total: 3 } };
  const units: FullUnit[] = [0, 1, 2].map((i) => ({
    key: ["level", i, 0],
    metrics: { i, nan: NaN },
    blobs: { w: Float64Array.from({ length: 9000 * (i + 1) }, (_, k) => k * i + 0.1) },
  }));
  async function* feed(): AsyncIterable<FullUnit> {
    yield* units;
  }
  await s.importRun(run, feed());
  assert.deepEqual(await s.getRun(id), run);
  const back: FullUnit[] = [];
  for await (const u of s.unitsWithBlobs(id)) back.push(u);
  assert.deepEqual(back, units);
  await assert.rejects(() => s.importRun(run, feed()), isKind("conflict"));
  const other = await openStore(loc);
  try {
    assert.equal((await other.listUnits(id)).length, 3);
  } finally {
    await other.close();
  }
});

contract(
  "holdRunLease: renewed while held, refused to others by name, lost when taken",
  async (s, loc) => {
    const id = newRunId("fig5");
    await s.createRun(runRecord(id, 1));
    const held = await holdRunLease(s, id, { holder: "pid 10 on a", ttlMs: 300 });
    const other = await openStore(loc);
    try {
      // Well past the time to live: renewals keep it.
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(held.lost.aborted, false);
      await assert.rejects(
        () => holdRunLease(other, id, { holder: "pid 11 on b", ttlMs: 300 }),
        isKind("conflict", /run .* is being worked on by pid 10 on a \(its lease runs until/),
      );
      await held.release();
      const second = await holdRunLease(other, id, { holder: "pid 11 on b", ttlMs: 300 });
      // Simulate the second holder stalling past its expiry while a third takes over.
      await other.releaseLease(second.lease);
      const third = await holdRunLease(s, id, { holder: "pid 12 on c", ttlMs: 60_000 });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(second.lost.aborted, true);
      assert.match(String(second.lost.reason), /was lost \(now held by pid 12 on c\)/);
      await second.release(); // harmless
      assert.equal((await s.getLease(id))!.holder, "pid 12 on c");
      await third.release();
      assert.equal(await s.getLease(id), null);
    } finally {
      await held.release();
      await other.close();
    }
  },
);

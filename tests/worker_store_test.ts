/**
 * The store's work units (detached runs, leased by workers), against every backend (a Deno KV file
 * always; PostgreSQL when PRUNELAB_TEST_PG is set): created with their run, leased in order and by
 * phase, never to two holders at once (also when many lease concurrently from two handles),
 * renewed, taken over after expiry, finished, counted, skipped when their run is not running,
 * deleted with their run. PostgreSQL also: a version-1 store is migrated (and read as it is by a
 * read-only handle); a newer version is refused.
 */
import assert from "node:assert/strict";
import {
  newRunId,
  openStore,
  type ResultStore,
  StoreError,
  type WorkPlanUnit,
} from "../core/store/store.ts";
import {
  BACKENDS,
  noticePgSkipped,
  runRecord,
  TEST_PG,
  withPgAdmin,
  withPgSchema,
  withStore,
} from "./fixtures/store_backends.ts";

noticePgSkipped();

function contract(name: string, fn: (store: ResultStore, location: string) => Promise<void>): void {
  for (const b of BACKENDS) {
    Deno.test({
      name: `work units [${b.name}]: ${name}`,
      ignore: !b.available,
      fn: () => withStore(b, fn),
    });
  }
}

const lost = (err: unknown): boolean =>
  err instanceof StoreError && err.kind === "conflict" && /was lost/.test(err.message);

function plan(phases: number[]): WorkPlanUnit[] {
  return phases.map((phase, i) => ({ phase, spec: { networks: { start: i, end: i + 1 } } }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

contract("created with the run, leased in order and by phase, finished, counted", async (s) => {
  const id = newRunId("fig7");
  await s.createRun(runRecord(id, 3), { work: plan([0, 1, 1]) });
  const listed = await s.listWork(id);
  assert.deepEqual(listed.map((u) => [u.index, u.phase, u.state, u.attempts]), [
    [0, 0, "open", 0],
    [1, 1, "open", 0],
    [2, 1, "open", 0],
  ]);
  assert.deepEqual(listed[1].spec, { networks: { start: 1, end: 2 } });
  const a = await s.leaseWork({ holder: "a", ttlMs: 60_000 });
  assert.ok(a);
  assert.equal(a.index, 0);
  assert.equal(a.attempts, 1);
  // Phase 1 waits for phase 0.
  assert.equal(await s.leaseWork({ holder: "b", ttlMs: 60_000 }), null);
  const renewed = await s.renewWork(a, { ttlMs: 120_000 });
  assert.ok(Date.parse(renewed.expiresAt) > Date.parse(a.expiresAt));
  let counts = await s.finishWork(renewed, { state: "done" });
  assert.deepEqual(counts, { open: 2, leased: 0, done: 1, failed: 0, total: 3 });
  const b = await s.leaseWork({ holder: "b", ttlMs: 60_000, runId: id });
  const c = await s.leaseWork({ holder: "c", ttlMs: 60_000 });
  assert.deepEqual([b?.index, c?.index], [1, 2]);
  assert.equal(await s.leaseWork({ holder: "d", ttlMs: 60_000 }), null);
  const info = (await s.listWork(id))[1];
  assert.equal(info.state, "leased");
  assert.equal(info.holder, "b");
  // Given back with a reason, then failed: neither is lost work.
  counts = await s.finishWork(b!, { state: "open", error: "interrupted" });
  assert.deepEqual(counts, { open: 1, leased: 1, done: 1, failed: 0, total: 3 });
  assert.equal((await s.listWork(id))[1].error, "interrupted");
  counts = await s.finishWork(c!, { state: "failed", error: "boom" });
  assert.equal(counts.failed, 1);
  // The given-back unit is leased again, its attempts counted.
  const again = await s.leaseWork({ holder: "e", ttlMs: 60_000 });
  assert.deepEqual([again?.index, again?.attempts], [1, 2]);
  // A run without work units lists none.
  const plain = newRunId("fig5");
  await s.createRun(runRecord(plain, 1));
  assert.deepEqual(await s.listWork(plain), []);
});

contract(
  "an expired lease is taken over; the old holder can neither renew nor finish",
  async (s) => {
    const id = newRunId("fig5");
    await s.createRun(runRecord(id, 1), { work: plan([0]) });
    const dead = await s.leaseWork({ holder: "dead", ttlMs: 150 });
    assert.ok(dead);
    assert.equal(await s.leaseWork({ holder: "x", ttlMs: 60_000 }), null, "held while alive");
    await sleep(400);
    assert.equal((await s.listWork(id))[0].state, "open", "an expired lease lists as open");
    const heir = await s.leaseWork({ holder: "heir", ttlMs: 60_000 });
    assert.deepEqual([heir?.index, heir?.attempts, heir?.holder], [0, 2, "heir"]);
    await assert.rejects(() => s.renewWork(dead), lost);
    await assert.rejects(() => s.finishWork(dead, { state: "done" }), lost);
    // Giving back a lost lease changes nothing.
    await s.finishWork(dead, { state: "open" });
    assert.equal((await s.listWork(id))[0].holder, "heir");
    const counts = await s.finishWork(heir!, { state: "done" });
    assert.deepEqual(counts, { open: 0, leased: 0, done: 1, failed: 0, total: 1 });
  },
);

contract(
  "oldest running run first; runs not running are skipped; delete removes units",
  async (s) => {
    const older = { ...runRecord(newRunId("fig5"), 1), startedAt: "2026-01-01T00:00:00.000Z" };
    const newer = { ...runRecord(newRunId("fig7"), 1), startedAt: "2026-01-02T00:00:00.000Z" };
    await s.createRun(newer, { work: plan([0]) });
    await s.createRun(older, { work: plan([0]) });
    await s.updateRun(older.id, { status: "failed" });
    const got = await s.leaseWork({ holder: "a", ttlMs: 60_000 });
    assert.equal(got?.runId, newer.id, "the failed run is skipped");
    await s.updateRun(older.id, { status: "running" });
    await s.finishWork(got!, { state: "open" });
    const skipping = await s.leaseWork({ holder: "a", ttlMs: 60_000, excludeRuns: [older.id] });
    assert.equal(skipping?.runId, newer.id, "an excluded run is skipped");
    await s.finishWork(skipping!, { state: "open" });
    assert.equal((await s.leaseWork({ holder: "a", ttlMs: 60_000 }))?.runId, older.id);
    await s.deleteRun(older.id);
    assert.deepEqual(await s.listWork(older.id), []);
    assert.equal((await s.leaseWork({ holder: "a", ttlMs: 60_000 }))?.runId, newer.id);
    assert.equal(await s.leaseWork({ holder: "a", ttlMs: 60_000 }), null);
  },
);

contract(
  "many concurrent leases from two handles: every unit to exactly one holder",
  async (s, location) => {
    const id = newRunId("fig5");
    const n = 24;
    await s.createRun(runRecord(id, n), { work: plan(new Array(n).fill(0)) });
    const other = await openStore(location);
    try {
      const takers = Array.from({ length: 8 }, async (_, t) => {
        const mine: number[] = [];
        const handle = t % 2 === 0 ? s : other;
        for (;;) {
          const l = await handle.leaseWork({ holder: `t${t}`, ttlMs: 60_000, runId: id });
          if (!l) return mine;
          mine.push(l.index);
          await handle.finishWork(l, { state: "done" });
        }
      });
      const all = (await Promise.all(takers)).flat().sort((a, b) => a - b);
      assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
      const units = await s.listWork(id);
      assert.ok(units.every((u) => u.state === "done" && u.attempts === 1));
    } finally {
      await other.close();
    }
  },
);

contract("unitKeys lists the keys of stored units in key order", async (s) => {
  const id = newRunId("fig5");
  await s.createRun(runRecord(id, 3));
  await s.putUnit(id, ["level", 1, 0], { metrics: { a: 1 } });
  await s.putUnit(id, ["start", 0], { metrics: {} });
  await s.putUnit(id, ["level", 0, 1], { metrics: {}, blobs: { w: new Float64Array(3) } });
  assert.deepEqual(await s.unitKeys(id), [["level", 0, 1], ["level", 1, 0], ["start", 0]]);
});

contract("a read-only handle leases nothing", async (s, location) => {
  const id = newRunId("fig5");
  await s.createRun(runRecord(id, 1), { work: plan([0]) });
  const ro = await openStore(location, { readOnly: true });
  try {
    await assert.rejects(
      () => ro.leaseWork({ holder: "r", ttlMs: 1000 }),
      (err: unknown) => err instanceof StoreError && err.kind === "read-only",
    );
    assert.equal((await ro.listWork(id)).length, 1);
  } finally {
    await ro.close();
  }
});

Deno.test({
  name: "work units [postgres]: a version-1 store is migrated; read-only reads it as it is",
  ignore: !TEST_PG,
  fn: () =>
    withPgSchema(async (location, schema) => {
      // A store as the first PostgreSQL release left it: schema version 1, no work units.
      const id = newRunId("fig5");
      const first = await openStore(location);
      await first.createRun(runRecord(id, 1));
      await first.close();
      await withPgAdmin(async (sql) => {
        await sql`DROP TABLE ${sql(schema)}.work_units`;
        await sql`UPDATE ${sql(schema)}.meta SET schema_version = 1`;
      });
      const ro = await openStore(location, { readOnly: true });
      try {
        assert.equal((await ro.getRun(id))?.id, id);
        assert.deepEqual(await ro.listWork(id), []);
      } finally {
        await ro.close();
      }
      const rw = await openStore(location);
      try {
        assert.equal((await rw.getRun(id))?.id, id, "the run survives the migration");
        const other = newRunId("fig5");
        await rw.createRun(runRecord(other, 1), { work: plan([0]) });
        assert.equal((await rw.leaseWork({ holder: "m", ttlMs: 1000 }))?.runId, other);
      } finally {
        await rw.close();
      }
      const version = await withPgAdmin((sql) =>
        sql`SELECT schema_version FROM ${sql(schema)}.meta`
      );
      assert.equal(version[0].schema_version, 2);
    }),
});

/**
 * Copying runs between stores: KV -> PostgreSQL -> KV gives back the same run record, unit records
 * and blob bytes (KV -> KV without a PostgreSQL server); an interrupted copy shows no run and can be
 * retried; copying onto an existing id or from a missing run is refused.
 */
import assert from "node:assert/strict";
import {
  type BlobArray,
  copyRun,
  type FullUnit,
  newRunId,
  openStore,
  type ResultStore,
  StoreError,
} from "../core/store/store.ts";
import {
  backend,
  noticePgSkipped,
  runRecord,
  TEST_PG,
  type TestLocation,
} from "./fixtures/store_backends.ts";

noticePgSkipped();

function bytesOf(a: BlobArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function fillRun(store: ResultStore): Promise<string> {
  const id = newRunId("fig5");
  await store.createRun(runRecord(id, 6));
  for (let i = 0; i < 3; i++) {
    for (let l = 0; l < 2; l++) {
      const w = Float64Array.from({ length: 5000 + 3000 * i }, (_, k) => Math.sin(k * (i + 1)) / 3);
      w[7] = NaN;
      w[8] = -0;
      await store.putUnit(id, ["level", i, l], {
        metrics: { i, l, loss: i === 2 ? NaN : 1 / (i + 1), rounds: [1, 2, 3] },
        blobs: {
          prunedW: w,
          prunedMask: Uint8Array.from(w, (v) => (v > 0 ? 1 : 0)),
          f32: Float32Array.from(w),
          idx: Int32Array.from({ length: 17 }, (_, k) => k - 8),
        },
      });
    }
  }
  await store.updateRun(id, { status: "done", endedAt: "2026-02-02T00:00:00.000Z" });
  return id;
}

/** Asserts two stores hold the same run, unit records and blob bytes. */
async function assertSameRun(a: ResultStore, b: ResultStore, id: string): Promise<void> {
  assert.deepEqual(await b.getRun(id), await a.getRun(id));
  const ua = await a.listUnits(id);
  assert.deepEqual(await b.listUnits(id), ua);
  for (const u of ua) {
    for (const d of u.record.blobs) {
      const x = await a.getBlob(id, u.key, d.name);
      const y = await b.getBlob(id, u.key, d.name);
      assert.equal(y!.constructor.name, x!.constructor.name);
      assert.deepEqual(bytesOf(y!), bytesOf(x!), `${u.key.join("/")} ${d.name}`);
    }
  }
}

async function withLocations(
  names: ("kv" | "postgres")[],
  fn: (stores: ResultStore[]) => Promise<void>,
): Promise<void> {
  const locs: TestLocation[] = [];
  const stores: ResultStore[] = [];
  try {
    for (const n of names) {
      const loc = await backend(n).fresh();
      locs.push(loc);
      stores.push(await openStore(loc.location));
    }
    await fn(stores);
  } finally {
    for (const s of stores) await s.close();
    for (const l of locs) await l.cleanup();
  }
}

Deno.test("copyRun KV -> KV: same records and bytes; conflicts and missing runs refused", async () => {
  await withLocations(["kv", "kv"], async ([a, b]) => {
    const id = await fillRun(a);
    const copied = await copyRun(id, { from: a, to: b });
    assert.equal(copied.id, id);
    await assertSameRun(a, b, id);
    await assert.rejects(
      () => copyRun(id, { from: a, to: b }),
      (e) => e instanceof StoreError && e.kind === "conflict",
    );
    await assert.rejects(
      () => copyRun("fig5-none", { from: a, to: b }),
      (e) =>
        e instanceof StoreError && e.kind === "not-found" && /no run 'fig5-none'/.test(e.message),
    );
  });
});

Deno.test({
  name: "copyRun KV -> PostgreSQL -> KV: bit-identical blobs and metrics",
  ignore: !TEST_PG,
  fn: async () => {
    await withLocations(["kv", "postgres", "kv"], async ([kv, pg, back]) => {
      const id = await fillRun(kv);
      await copyRun(id, { from: kv, to: pg });
      await assertSameRun(kv, pg, id);
      await copyRun(id, { from: pg, to: back });
      await assertSameRun(kv, back, id);
    });
  },
});

for (const target of ["kv", "postgres"] as const) {
  Deno.test({
    name: `an interrupted copy into ${target} shows no run and can be retried`,
    ignore: !backend(target).available,
    fn: async () => {
      await withLocations(["kv", target], async ([from, to]) => {
        const id = await fillRun(from);
        async function* failing(): AsyncIterable<FullUnit> {
          let n = 0;
          for await (const u of from.unitsWithBlobs(id)) {
            if (++n === 4) throw new Error("connection lost");
            yield u;
          }
        }
        const run = (await from.getRun(id))!;
        await assert.rejects(() => to.importRun(run, failing()), /connection lost/);
        assert.equal(await to.getRun(id), null);
        assert.deepEqual(await to.listRuns(), []);
        await copyRun(id, { from, to });
        await assertSameRun(from, to, id);
      });
    },
  });
}

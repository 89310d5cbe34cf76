/**
 * Faults of the Deno KV store: a file written by the first store layout opens and reads unchanged;
 * damaged cache entries are discarded with a notice (the state a kill between chunk writes and the
 * record commit left behind); a damaged unit blob is a one-line error; and a store file with
 * damaged bytes (header, Deno KV's own queue and expiry pages, data pages) is reported in one line
 * naming the file, never a Deno panic, and is refused for writing but readable read-only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { newRunId, openStore, StoreError } from "../core/store/store.ts";
import { whileLocked } from "../core/store/kv_backend.ts";
import { withTempDir } from "./fixtures/helpers.ts";
import { runRecord } from "./fixtures/store_backends.ts";

const PROBE = new URL("./fixtures/store_probe.ts", import.meta.url).pathname;

function oneLine(kind: StoreError["kind"], pattern: RegExp): (err: unknown) => boolean {
  return (err) =>
    err instanceof StoreError && err.kind === kind && !err.message.includes("\n") &&
    pattern.test(err.message);
}

Deno.test("kv store: a file in the first layout (no cache generations) opens and reads", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "old.kv");
    // Exactly the keys the first store wrote.
    const kv = await Deno.openKv(path);
    const id = "fig5-20250101-000000-abcde";
    const w = Float64Array.from({ length: 9000 }, (_, i) => i / 3);
    const bytes = new Uint8Array(w.buffer);
    await kv.set(["run", id], { ...runRecord(id, 1), progress: { done: 1, total: 1 } });
    await kv.set(["unit", id, "level", 0, 0], {
      metrics: { loss: 0.5 },
      blobs: [{ name: "w", type: "Float64Array", length: 9000, chunks: 2 }],
    });
    await kv.set(["blob", id, "level", 0, 0, "w", 0], bytes.slice(0, 61440));
    await kv.set(["blob", id, "level", 0, 0, "w", 1], bytes.slice(61440));
    await kv.set(["cache", "start"], {
      metrics: { round: 3 },
      blobs: [{ name: "w", type: "Float64Array", length: 9000, chunks: 2 }],
    });
    await kv.set(["cacheblob", "start", "w", 0], bytes.slice(0, 61440));
    await kv.set(["cacheblob", "start", "w", 1], bytes.slice(61440));
    await kv.set(["version"], new Deno.KvU64(5n));
    kv.close();

    const store = await openStore(path);
    try {
      assert.equal(await store.version(), 5n);
      assert.equal((await store.getRun(id))!.progress.done, 1);
      assert.deepEqual(await store.getBlob(id, ["level", 0, 0], "w"), w);
      const hit = await store.getCache("start");
      assert.deepEqual(hit, { metrics: { round: 3 }, blobs: { w } });
      // Replacing the old entry removes its chunks.
      await store.putCache("start", { metrics: { round: 4 }, blobs: { w: w.subarray(0, 3) } });
      assert.deepEqual((await store.getCache("start"))!.blobs.w, w.slice(0, 3));
    } finally {
      await store.close();
    }
    const raw = await Deno.openKv(path);
    try {
      const left: Deno.KvKey[] = [];
      for await (const e of raw.list({ prefix: ["cacheblob", "start"] })) left.push(e.key);
      assert.equal(left.length, 1, "only the new entry's one chunk remains");
      assert.notEqual(left[0][2], "w", "the new entry lives under a generation");
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store: a cache entry with a missing or short chunk is discarded with a notice", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "cache.kv");
    const w = Float64Array.from({ length: 20_000 }, (_, i) => i);
    let store = await openStore(path);
    await store.putCache("a", { metrics: { round: 1 }, blobs: { w } });
    await store.putCache("b", { metrics: { round: 1 }, blobs: { w } });
    await store.close();
    // Damage: "a" loses a chunk (a kill mid-write in the first layout), "b" gets a short chunk.
    const raw = await Deno.openKv(path);
    for await (const e of raw.list<Uint8Array>({ prefix: ["cacheblob", "a"] })) {
      if (e.key[e.key.length - 1] === 1) await raw.delete(e.key);
    }
    for await (const e of raw.list<Uint8Array>({ prefix: ["cacheblob", "b"] })) {
      if (e.key[e.key.length - 1] === 2) await raw.set(e.key, e.value.slice(0, 8));
    }
    raw.close();

    store = await openStore(path);
    try {
      const notices: string[] = [];
      const onDiscarded = (why: string): void => void notices.push(why);
      assert.equal(await store.getCache("a", { onDiscarded }), null);
      assert.equal(await store.getCache("b", { onDiscarded }), null);
      assert.equal(notices.length, 2);
      assert.match(notices[0], /cache entry a was damaged \(blob 'w' is missing chunk 1\)/);
      assert.match(notices[1], /cache entry b was damaged \(blob 'w' has \d+ of 160000 bytes\)/);
      // Discarded: gone for good, and the caller can recompute and store it again.
      assert.equal(await store.getCache("a", { onDiscarded }), null);
      assert.equal(notices.length, 2);
      await store.putCache("a", { metrics: { round: 2 }, blobs: { w } });
      assert.deepEqual((await store.getCache("a"))!.blobs.w, w);
    } finally {
      await store.close();
    }
  });
});

Deno.test("kv store: a unit blob with a missing chunk is a one-line damage error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "unit.kv");
    const id = newRunId("fig5");
    let store = await openStore(path);
    await store.createRun(runRecord(id, 1));
    await store.putUnit(id, ["level", 0, 0], {
      metrics: {},
      blobs: { w: new Float64Array(20_000) },
    });
    await store.close();
    const raw = await Deno.openKv(path);
    // Chunk 0 of blob w, wherever the unit's generation put it.
    for await (const e of raw.list({ prefix: ["blob", id, "level", 0, 0] })) {
      if (e.key[e.key.length - 2] === "w" && e.key[e.key.length - 1] === 0) await raw.delete(e.key);
    }
    raw.close();
    store = await openStore(path);
    try {
      await assert.rejects(
        () => store.getBlob(id, ["level", 0, 0], "w"),
        oneLine("damaged", /unit.kv' is damaged: unit level\/0\/0 of run .*missing chunk 0/),
      );
    } finally {
      await store.close();
    }
  });
});

/** Writes a store with a few runs and large blobs, closed cleanly (WAL checkpointed). */
async function makeStore(path: string): Promise<void> {
  const store = await openStore(path);
  try {
    for (let r = 0; r < 3; r++) {
      const id = `fig5-20260101-00000${r}-aaaaa`;
      await store.createRun(runRecord(id, 20));
      for (let u = 0; u < 20; u++) {
        const w = Float64Array.from({ length: 8000 }, (_, i) => Math.sin(i + u + r));
        await store.putUnit(id, ["level", u, 0], { metrics: { u }, blobs: { w } });
      }
    }
  } finally {
    await store.close();
  }
}

/** Overwrites SQLite page `page` (1-based) of the file with garbage. */
async function garblePage(path: string, page: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  const pageSize = ((bytes[16] << 8) | bytes[17]) === 1 ? 65536 : (bytes[16] << 8) | bytes[17];
  for (let i = (page - 1) * pageSize; i < page * pageSize; i++) bytes[i] = (i * 13 + 7) & 0xff;
  await Deno.writeFile(path, bytes);
}

/** Root page of a table or index of the KV file. */
function rootPage(path: string, name: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").get(name);
    return Number(row?.rootpage);
  } finally {
    db.close();
  }
}

interface Probe {
  code: number;
  stderr: string;
  opened: boolean;
  notice: string | null;
  errors: { kind: string; message: string }[];
  runs: number;
  blobs: number;
}

async function probe(path: string, mode: "ro" | "rw"): Promise<Probe> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", PROBE, path, mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(!/panicked/.test(stderr), `Deno panicked:\n${stderr}`);
  assert.equal(out.code, 0, `probe exited ${out.code}: ${stderr}`);
  return { code: out.code, stderr, ...JSON.parse(stdout.split("\n").pop()!) };
}

Deno.test("kv store: damaged files are reported in one line naming the file, never a panic", async () => {
  await withTempDir(async (dir) => {
    const good = join(dir, "good.kv");
    await makeStore(good);
    const healthy = await probe(good, "rw");
    assert.deepEqual([healthy.opened, healthy.runs, healthy.blobs, healthy.errors], [
      true,
      3,
      60,
      [],
    ]);

    // Garbage header: not a database any more.
    const header = join(dir, "header.kv");
    await Deno.copyFile(good, header);
    await garblePage(header, 1);
    for (const mode of ["rw", "ro"] as const) {
      const p = await probe(header, mode);
      assert.equal(p.opened, false);
      assert.equal(p.errors.length, 1);
      assert.equal(p.errors[0].kind, "damaged");
      assert.match(
        p.errors[0].message,
        /the results store '.*header\.kv' is damaged and cannot be opened/,
      );
      assert.match(p.errors[0].message, /move it aside/);
    }

    // Pages Deno KV's background tasks read right after opening (these made Deno panic:
    // "KV queue_next_ready failed", "KV collect expired failed").
    for (const index of ["sqlite_autoindex_queue_1", "queue", "kv_expiration_ms_idx"]) {
      const path = join(dir, `${index}.kv`);
      await Deno.copyFile(good, path);
      await garblePage(path, rootPage(path, index));
      const rw = await probe(path, "rw");
      assert.equal(rw.opened, false, index);
      assert.equal(rw.errors[0].kind, "damaged");
      assert.ok(!rw.errors[0].message.includes("\n"));
      assert.match(rw.errors[0].message, new RegExp(`'.*${index}\\.kv' (is damaged|has damaged)`));
      // Read-only: refused where Deno itself would stumble, else opened with a notice.
      const ro = await probe(path, "ro");
      if (ro.opened) assert.match(ro.notice ?? "", /has damaged pages/, index);
      else assert.match(ro.errors[0].message, /is damaged and cannot be opened/, index);
    }

    // A data page in the middle of the file: no writes; read-only opens with a notice, and reads
    // that meet the damage fail with the same one-line kind of error.
    const data = join(dir, "data.kv");
    await Deno.copyFile(good, data);
    const pages = (await Deno.stat(data)).size / 4096;
    await garblePage(data, Math.floor(pages / 2));
    const rw = await probe(data, "rw");
    assert.equal(rw.opened, false);
    assert.equal(rw.errors[0].kind, "damaged");
    assert.match(
      rw.errors[0].message,
      /data\.kv' has damaged pages .*takes no new writes.*read-only/,
    );
    const ro = await probe(data, "ro");
    assert.equal(ro.opened, true);
    assert.match(ro.notice ?? "", /data\.kv' has damaged pages/);
    assert.ok(ro.errors.length > 0 || ro.blobs < 60, "the damage is met by some read");
    for (const e of ro.errors) {
      assert.equal(e.kind, "damaged", e.message);
      assert.match(e.message, /data\.kv' is damaged/);
    }
  });
});

Deno.test("kv store: missing stores are not created when create is false or read-only", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "none.kv");
    for (const options of [{ create: false }, { readOnly: true }]) {
      await assert.rejects(
        () => openStore(path, options),
        oneLine("missing", /no results store at '.*none\.kv'/),
      );
    }
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
    await assert.rejects(() => openStore(dir), oneLine("location", /is not a file/));
    await assert.rejects(() => openStore(""), oneLine("location", /empty/));
    // A text file is not a store.
    const text = join(dir, "notes.txt");
    await Deno.writeTextFile(text, "hello, this is not a database\n".repeat(10));
    await assert.rejects(() => openStore(text), oneLine("damaged", /notes\.txt' is damaged/));
  });
});

Deno.test("kv store: handles racing on the same units leave no unreferenced chunks", async () => {
  // Losers delete their own chunks, also when SQLite's "database is locked" made them retry.
  await withTempDir(async (dir) => {
    const path = join(dir, "race.kv");
    const a = await openStore(path);
    const b = await openStore(path);
    const id = newRunId("fig5");
    try {
      await a.createRun(runRecord(id, 20));
      const w = new Float64Array(9000).fill(1); // two chunks
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => [
          a.putUnit(id, ["u", i], { metrics: {}, blobs: { w } }),
          b.putUnit(id, ["u", i], { metrics: {}, blobs: { w } }),
        ]).flat(),
      );
    } finally {
      await a.close();
      await b.close();
    }
    const raw = await Deno.openKv(path);
    try {
      let chunks = 0;
      for await (const _ of raw.list({ prefix: ["blob", id] })) chunks++;
      assert.equal(chunks, 40);
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store: 'database is locked' is retried (opening included), other errors are not", async () => {
  // Seen once in a loop of the full suite: a process creating a store got "database is locked"
  // from Deno.openKv while another polled the new file read-only.
  let calls = 0;
  const value = await whileLocked(() => {
    calls++;
    if (calls < 3) return Promise.reject(new Error("database is locked"));
    return Promise.resolve(7);
  });
  assert.equal(value, 7);
  assert.equal(calls, 3);
  let other = 0;
  await assert.rejects(
    whileLocked(() => {
      other++;
      return Promise.reject(new Error("disk I/O error"));
    }),
    /disk I\/O error/,
  );
  assert.equal(other, 1);
  // Opening waits for a writer that holds a brand-new file while another process reads it.
  await withTempDir(async (dir) => {
    const path = join(dir, "busy.kv");
    const readers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 20; i++) {
        try {
          const s = await openStore(path, { readOnly: true });
          await s.listRuns();
          await s.close();
        } catch (err) {
          assert.ok(err instanceof StoreError && err.kind === "missing", String(err));
        }
      }
    });
    const writer = (async () => {
      const s = await openStore(path);
      try {
        await s.createRun(runRecord(newRunId("fig5"), 1));
      } finally {
        await s.close();
      }
    })();
    await Promise.all([writer, ...readers]);
    // A database with no tables yet (a store being set up) opens; one with foreign tables does not.
    const empty = join(dir, "empty.kv");
    const e = new DatabaseSync(empty);
    e.exec("PRAGMA user_version = 1");
    e.close();
    assert.ok(Deno.statSync(empty).size > 0);
    await (await openStore(empty)).close();
    const foreign = join(dir, "foreign.kv");
    const f = new DatabaseSync(foreign);
    f.exec("CREATE TABLE notes(a)");
    f.close();
    await assert.rejects(openStore(foreign), oneLine("damaged", /not a Deno KV file/));
  });
});

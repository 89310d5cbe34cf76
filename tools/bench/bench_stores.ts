/**
 * The throw-away stores and runs of the store and worker benches: a location per measurement (a
 * KV file beside the given prefix, or a fresh PostgreSQL `schema=`), its removal, and the bench's
 * run record.
 *
 * @module
 */
import { isPostgresLocation, type RunRecord } from "../../core/store/store.ts";

/** The store of one measurement: `BASE.TAG.kv`, or BASE with `schema=bench_TAG` on PostgreSQL. */
export function benchLocation(base: string, tag: string): string {
  if (!isPostgresLocation(base)) return `${base}.${tag}.kv`;
  const u = new URL(base);
  u.searchParams.set("schema", `bench_${tag}`);
  return u.toString();
}

/** Removes a measurement's store: its KV files, or its PostgreSQL schema. */
export async function dropBenchStore(loc: string, tag: string): Promise<void> {
  if (isPostgresLocation(loc)) {
    const { default: postgres } = await import("postgres");
    const u = new URL(loc);
    u.searchParams.delete("schema");
    const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
    await sql`DROP SCHEMA ${sql(`bench_${tag}`)} CASCADE`;
    await sql.end();
  } else {
    for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(loc + suffix).catch(() => {});
  }
}

/** A running bench run of `total` units, started now. */
export function benchRun(id: string, options: { description: string; total: number }): RunRecord {
  const now = new Date().toISOString();
  return {
    id,
    figure: "bench",
    preset: "bench",
    reduced: true,
    config: {},
    seed: 0,
    engine: "none",
    engineDescription: options.description,
    versions: {},
    startedAt: now,
    updatedAt: now,
    status: "running",
    progress: { done: 0, total: options.total },
  };
}

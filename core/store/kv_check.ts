/**
 * Checks a Deno KV file for damage before Deno opens it. Deno KV runs background tasks (queue
 * delivery, expiry collection) that query its own tables right after `Deno.openKv`, and when one of
 * those queries meets a damaged page Deno panics ("KV queue_next_ready failed: database disk image
 * is malformed") and the process dies with no chance to report anything. A damaged data page only
 * makes the reads that touch it fail, but a half-readable store should not take new writes. So the
 * file is first read through SQLite directly (`node:sqlite`, read-only): the queries those
 * background tasks make, then SQLite's `quick_check` over the whole file when it is not huge.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { firstLine } from "./errors.ts";

/** Files up to this size get a full `quick_check` at open (about 0.4 s for 300 MB here). */
export const FULL_CHECK_MAX_BYTES = 1024 * 1024 * 1024;

/** What the check found. */
export interface KvCheckResult {
  /**
   * "ok"; "fatal" when Deno itself cannot safely open the file (not a database, damaged header,
   * schema or background-task pages); "damaged" when some data pages are damaged but the file
   * opens.
   */
  state: "ok" | "fatal" | "damaged";
  /** SQLite's first complaint, when not ok. */
  detail?: string;
  /** Whether the whole file was checked (false when it was larger than the full-check limit). */
  full: boolean;
}

/** The queries of Deno KV's own background tasks (denokv_sqlite 0.14). */
const BACKGROUND_QUERIES = [
  "SELECT ts, id FROM queue ORDER BY ts LIMIT 1",
  "SELECT deadline, id FROM queue_running ORDER BY deadline LIMIT 1",
  "SELECT k FROM kv WHERE expiration_ms >= 0 ORDER BY expiration_ms LIMIT 1",
  "SELECT version FROM data_version LIMIT 1",
  "SELECT version FROM migration_state LIMIT 1",
];

/** True for SQLite messages that mean the file's content is damaged (not, e.g., "busy"). */
export function isCorruptionMessage(message: string): boolean {
  return /malformed|not a database|corrupt|Query returned no rows|btreeInitPage|database disk image/i
    .test(message);
}

/** Whether the database has no tables, indexes or views yet. */
function schemaIsEmpty(db: DatabaseSync): boolean {
  const [row] = db.prepare("SELECT count(*) AS n FROM sqlite_master").all();
  return Number(row?.n ?? 0) === 0;
}

/**
 * Checks the KV file at `path` (which must exist). `full` forces or skips the whole-file check
 * (default: only for files up to {@link FULL_CHECK_MAX_BYTES}).
 */
export function checkKvFile(path: string, options: { full?: boolean } = {}): KvCheckResult {
  let size = 0;
  try {
    size = Deno.statSync(path).size;
  } catch {
    // Unreadable metadata: let the open itself report it.
  }
  const full = options.full ?? size <= FULL_CHECK_MAX_BYTES;
  // An empty file is what `touch` or a temp-file helper leaves: Deno KV initialises it.
  if (size === 0) return { state: "ok", full };
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err) {
    const why = firstLine(err);
    // A file SQLite cannot open for reading (permissions, a WAL file it cannot map) is not proof
    // of damage; Deno's own open will report it.
    return isCorruptionMessage(why) ? { state: "fatal", detail: why, full } : { state: "ok", full };
  }
  try {
    // A writer setting the file up or committing holds it locked for a moment: wait for it rather
    // than fail (node:sqlite does not wait by default).
    db.exec("PRAGMA busy_timeout = 5000");
    for (const q of BACKGROUND_QUERIES) {
      try {
        db.prepare(q).all();
      } catch (err) {
        const why = firstLine(err);
        if (isCorruptionMessage(why)) return { state: "fatal", detail: why, full };
        if (/no such table/.test(why)) {
          // No tables at all: a file another process is setting up right now (Deno KV writes the
          // header before its tables), which its open will finish, not a foreign database.
          if (schemaIsEmpty(db)) return { state: "ok", full };
          return { state: "fatal", detail: `not a Deno KV file (${why})`, full };
        }
        throw err;
      }
    }
    if (!full) return { state: "ok", full };
    try {
      const rows = db.prepare("PRAGMA quick_check(1)").all();
      const first = rows.length > 0 ? Object.values(rows[0])[0] : "ok";
      if (first === "ok") return { state: "ok", full };
      return {
        state: "damaged",
        detail: firstLine(String(first).replace(/^\*\*\*.*\*\*\*\s*/, "")),
        full,
      };
    } catch (err) {
      const why = firstLine(err);
      if (isCorruptionMessage(why)) return { state: "damaged", detail: why, full };
      throw err;
    }
  } finally {
    db.close();
  }
}

/**
 * PostgreSQL failures as one-line `StoreError`s that name the server and what to do (unreachable,
 * login refused, no such database, read-only), and a timeout for an unanswered connection.
 *
 * @module
 */
import { firstLine, StoreError } from "./errors.ts";
import type { PgLocation } from "./pg_location.ts";

/** The `code` of a driver or server error (a PostgreSQL SQLSTATE or a Node socket code). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = err.code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** Turns a driver error into a one-line `StoreError` naming the server. */
export function pgError(err: unknown, loc: PgLocation): StoreError {
  if (err instanceof StoreError) return err;
  const code = errorCode(err);
  const why = firstLine(err);
  const at = `the PostgreSQL server at ${loc.server}`;
  switch (code) {
    case "ECONNREFUSED":
      return new StoreError(
        "unreachable",
        `cannot reach ${at} (connection refused): is it running?`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StoreError("unreachable", `cannot reach ${at}: unknown host`);
    case "ENOENT":
      return new StoreError("unreachable", `cannot reach ${at}: no server socket there`);
    case "ETIMEDOUT":
    case "CONNECT_TIMEOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ECONNRESET":
    case "CONNECTION_CLOSED":
    case "CONNECTION_ENDED":
    case "CONNECTION_DESTROYED":
      return new StoreError("unreachable", `cannot reach ${at} (${why})`);
    case "28P01":
    case "28000":
      return new StoreError("auth", `${at} refused the login (${why}); check user and password`);
    case "3D000":
      return new StoreError(
        "missing",
        `${at} has no database '${loc.database}': create it (createdb ${loc.database})`,
      );
    case "42501":
      return new StoreError("auth", `${at} refused: ${why}`);
    case "25006":
      return new StoreError("read-only", `the store ${loc.display} is open read-only (${why})`);
  }
  if (/SASL|password must be a string|password authentication/i.test(why)) {
    return new StoreError(
      "auth",
      `${at} asks for a password for this user: put it in the URL or PGPASSWORD (${why})`,
    );
  }
  if (/TLS|SSL|certificate/i.test(why)) {
    return new StoreError("unreachable", `cannot reach ${at} over TLS (${why})`);
  }
  return new StoreError("backend", `PostgreSQL store ${loc.display}: ${why}`, { cause: err });
}

/** Rejects with an "unreachable" error when `work` takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, loc: PgLocation): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreError(
            "unreachable",
            `cannot reach the PostgreSQL server at ${loc.server}: no answer within ${ms / 1000} s`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

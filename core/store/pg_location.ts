/**
 * PostgreSQL store locations: `postgres://user[:password]@host[:port]/database[?options]` (or
 * `postgresql://`). Besides what postgres.js understands (`sslmode`, connection parameters), two
 * options are read here: `schema` (the PostgreSQL schema holding the store's tables, default
 * `prunelab`, so several stores can share a database) and `host=/dir` (a Unix socket folder, the
 * libpq convention that postgres.js does not follow).
 *
 * @module
 */
import { StoreError } from "./errors.ts";

/** The default PostgreSQL schema of a store. */
export const DEFAULT_PG_SCHEMA = "prunelab";

/** A parsed PostgreSQL location. */
export interface PgLocation {
  /** The URL handed to postgres.js (without the options read here). */
  url: string;
  /** The URL for messages: the password replaced by `***`. */
  display: string;
  /** Host (or socket folder) and port, for "cannot reach" messages. */
  server: string;
  /** Database name. */
  database: string;
  /** PostgreSQL schema of the store's tables. */
  schema: string;
  /** Unix socket path, when `host=/dir` was given. */
  socketPath?: string;
}

/** True when `location` names a PostgreSQL server rather than a Deno KV file. */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

/** A location for messages: a URL's password replaced by `***`; a path unchanged. */
export function redactLocation(location: string): string {
  return location.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

/** Parses a PostgreSQL location; a malformed one is a `StoreError` of kind "location". */
export function parsePgLocation(location: string): PgLocation {
  const display = redactLocation(location.trim());
  const bad = (why: string): StoreError =>
    new StoreError("location", `bad PostgreSQL connection string '${display}': ${why}`);
  let url: URL;
  try {
    // libpq allows an empty host before a socket folder (postgres://user@/db?host=/tmp); URL
    // parsing does not, and the host is unused once the socket path is set.
    url = new URL(
      location.trim().replace(/^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[:/?#])/i, "$1localhost"),
    );
  } catch {
    throw bad("not a URL (expected postgres://user@host:port/database)");
  }
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw bad("badly escaped user name or password");
  }
  const schema = url.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw bad(`schema '${schema}' must be lower-case letters, digits and _`);
  }
  url.searchParams.delete("schema");
  const hostParam = url.searchParams.get("host");
  let socketPath: string | undefined;
  if (hostParam !== null) {
    if (!hostParam.startsWith("/")) throw bad(`host=${hostParam} must be a socket folder`);
    url.searchParams.delete("host");
    socketPath = `${hostParam}/.s.PGSQL.${url.port || "5432"}`;
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (database.includes("/")) throw bad(`'${database}' is not a database name`);
  if (
    (url.hostname === "" || url.hostname === "localhost" && /@[:/?#]/.test(location)) &&
    socketPath === undefined
  ) {
    throw bad("no host (expected postgres://user@host:port/database)");
  }
  const server = socketPath ?? `${url.hostname}:${url.port || "5432"}`;
  return {
    url: url.toString(),
    display,
    server,
    database: database || decodeURIComponent(url.username) || "postgres",
    schema,
    socketPath,
  };
}

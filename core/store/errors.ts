/**
 * The one error type the results store throws for conditions a user can act on: a bad location, a
 * server that cannot be reached, a refused login, a schema of another version, a damaged file, a
 * write to a read-only handle, a lease held by someone else. Its message is one line, ready to be
 * printed after `error:`; {@link StoreError.kind} lets callers choose an exit code or a fallback.
 *
 * @module
 */

/** What went wrong, for callers that react differently (e.g. exit code, retry, fallback). */
export type StoreErrorKind =
  /** The location is not a usable path or connection string. */
  | "location"
  /** The store does not exist and creating it was not allowed. */
  | "missing"
  /** The database server could not be reached in time. */
  | "unreachable"
  /** The server refused the credentials or the database. */
  | "auth"
  /** The store was written by another prunelab schema version. */
  | "schema"
  /** The store file (or a stored value) is damaged. */
  | "damaged"
  /** A write on a store opened read-only. */
  | "read-only"
  /** A run, unit or lease that the operation needs does not exist. */
  | "not-found"
  /** The operation conflicts with the stored state (a run id taken, a lease held). */
  | "conflict"
  /** Anything else the backend reported. */
  | "backend";

/** A store failure with a one-line message (no stack trace needed to understand it). */
export class StoreError extends Error {
  /** The class of failure. */
  readonly kind: StoreErrorKind;

  /** Creates a store error; newlines in `message` are folded so it prints as one line. */
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message.replace(/\s*\n\s*/g, " "), options);
    this.name = "StoreError";
    this.kind = kind;
  }
}

/** The first line of any thrown value's message. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0].trim();
}

/**
 * Errors shared by every layer. Domain code (data loaders, configs) throws {@link UsageError} for
 * bad input; the CLI prints its message on one line after `error:` and exits with code 2.
 *
 * @module
 */

/** Error for bad user input (a flag, a file, a data set): one line, exit code 2. */
export class UsageError extends Error {
  /** Creates a usage error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

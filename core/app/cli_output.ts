/**
 * How a command line of prunelab ends and where it writes: the exit codes, the {@link Output}
 * printers, and {@link reportError}, which turns any error into one `error:` line and its exit
 * code (2 for bad input, 1 for a failure). The figure tasks, the worker and `deno task runs`
 * share them.
 *
 * @module
 */
import { UsageError } from "./experiment.ts";
import { EngineUnavailableError } from "../engine/engine.ts";
import { StoreError } from "../store/store.ts";

/** Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

/** Where the CLI writes. */
export interface Output {
  /** Prints a line of normal output. */
  print(line: string): void;
  /** Prints a line of error output. */
  printError(line: string): void;
}

/** The printers of a command's options, console.log and console.error where none is given. */
export function outputOf(options: Partial<Output>): Output {
  return {
    print: options.print ?? ((l: string) => console.log(l)),
    printError: options.printError ?? ((l: string) => console.error(l)),
  };
}

/** The exit code of an error, printed as one `error:` line. */
export function reportError(err: unknown, printError: (line: string) => void): number {
  if (
    err instanceof UsageError || err instanceof StoreError || err instanceof EngineUnavailableError
  ) {
    printError(`error: ${err.message}`);
    return EXIT.usage;
  }
  printError(`error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  return EXIT.failed;
}

/**
 * Command lines the CLI prints for a user to paste back (how to resume a run, how to open its
 * dashboard): every argument is quoted for a POSIX shell when it needs it, so a store path with
 * spaces or quotes survives the copy.
 *
 * @module
 */

/** Characters that never need quoting in a POSIX shell word. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `arg` as one POSIX shell word: unchanged when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  if (PLAIN.test(arg)) return arg;
  // Inside single quotes nothing is special except the quote itself: close, escape, reopen.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed (the command itself may hold spaces). */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args.map(shellQuote)].join(" ");
}

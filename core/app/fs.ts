/**
 * Small file-system helpers shared by the CLI and the server: whether a path exists, whether an
 * output file can be written (checked before long work starts), and writing JSON whole.
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/** Whether a file or folder exists at `path` (symbolic links are followed). */
export async function pathExists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link outPathProblem}. */
export interface OutPathOptions {
  /** How the path was given, for the message (default "--out"). */
  flag?: string;
}

/** The first line of an error's message. */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/**
 * Why an output file cannot be written at `path`, or null when it can: an empty name, a missing
 * folder, a folder in its place, a folder we may not create files in (read-only, no permission,
 * a read-only file system), or an existing file we may not write. Checked before long work
 * starts, so a run never ends unable to save; nothing is left behind (the folder check creates a
 * probe file and removes it at once).
 */
export async function outPathProblem(
  path: string,
  options: OutPathOptions = {},
): Promise<string | null> {
  const flag = options.flag ?? "--out";
  if (path.trim() === "") return `${flag} needs a file name, got an empty string`;
  const dir = dirname(resolve(path));
  try {
    if (!(await Deno.stat(dir)).isDirectory) return `${flag}: '${dir}' is not a folder`;
  } catch {
    return `${flag}: folder '${dir}' does not exist`;
  }
  try {
    const st = await Deno.stat(path);
    if (st.isDirectory) return `${flag}: '${path}' is a folder`;
    // An existing file: opened for writing without truncating, so its content stays.
    const f = await Deno.open(path, { write: true });
    f.close();
    return null;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      return `${flag}: cannot write '${path}' (${reason(err)})`;
    }
  }
  // A new file: the folder must let us create one (permissions alone do not tell, e.g. for root
  // on a read-only file system).
  const probe = `${dir}/.prunelab-write-check-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const f = await Deno.open(probe, { write: true, createNew: true });
    f.close();
    await Deno.remove(probe);
    return null;
  } catch (err) {
    return `${flag}: cannot create files in folder '${dir}' (${reason(err)})`;
  }
}

/**
 * Writes `value` as JSON to `path` through a temporary file in the same folder, so a reader never
 * sees half of it; the temporary file is removed if the write fails. Indented one space a level
 * unless `compact` (one line, for large data files).
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: { compact?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  try {
    await Deno.writeTextFile(
      tmp,
      (options.compact ? JSON.stringify(value) : JSON.stringify(value, null, 1)) + "\n",
    );
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

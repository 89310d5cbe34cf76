/**
 * Small file-system helpers shared by the CLI and the server.
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

/**
 * Why `--out` cannot be written at `path` (its folder is missing, or it is a folder), or null when
 * it can: checked before long work starts, so a run never ends unable to save.
 */
export async function outPathProblem(path: string): Promise<string | null> {
  const dir = dirname(resolve(path));
  try {
    if (!(await Deno.stat(dir)).isDirectory) return `--out: folder '${dir}' does not exist`;
  } catch {
    return `--out: folder '${dir}' does not exist`;
  }
  try {
    if ((await Deno.stat(path)).isDirectory) return `--out: '${path}' is a folder`;
  } catch {
    // A new file.
  }
  return null;
}

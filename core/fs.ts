/**
 * Small file-system helpers shared by the CLI and the server.
 *
 * @module
 */

/** Whether a file or folder exists at `path` (symbolic links are followed). */
export async function pathExists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

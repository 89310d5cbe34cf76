/**
 * Static assets of the dashboard (the bundled UI in `ui/dist/`). One code path for `deno run` and
 * for the compiled binary: the folder is located relative to this module's URL and read with
 * `Deno.readFile`, which under `deno compile --include ui/dist` reads the embedded copy.
 *
 * Request paths are checked before touching the file system so that no request can escape the
 * folder (`..` segments, percent-encoded dots, absolute or drive paths, backslashes, NUL bytes).
 *
 * @module
 */

/** Where the bundled UI lives, relative to this module (works the same when compiled). */
export const DEFAULT_ASSET_ROOT: URL = new URL("../ui/dist/", import.meta.url);

/** A read-only source of static files. */
export interface AssetSource {
  /** Returns the bytes of a relative path such as "app.js", or null when there is no such file. */
  read(path: string): Promise<Uint8Array<ArrayBuffer> | null>;
}

/** Content types of the files the UI build produces. */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  map: "application/json; charset=utf-8",
};

/** Content type for a file name, from its extension. */
export function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}

/**
 * Turns a raw URL path ("/app.js", "/", "/%2e%2e/x") into a safe path relative to the asset folder,
 * or null when it is not acceptable. Percent-encoding is decoded once and the result is checked, so
 * encoded traversal is rejected just like the plain form.
 */
export function safeAssetPath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith("/")) return null;
  const rel = decoded.slice(1);
  if (rel === "") return "index.html";
  if (/[\0\\:]/.test(rel) || rel.startsWith("/")) return null;
  const segments = rel.split("/");
  for (const s of segments) {
    if (s === "" || s === "." || s === ".." || s.startsWith(".")) return null;
  }
  return rel;
}

/** Asset source reading files under a folder URL (the default is {@link DEFAULT_ASSET_ROOT}). */
export function fileAssets(root: URL = DEFAULT_ASSET_ROOT): AssetSource {
  const base = root.href.endsWith("/") ? root : new URL(root.href + "/");
  return {
    async read(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
      const url = new URL(path, base);
      // Belt and braces: whatever the caller passed, never read outside the folder.
      if (!url.href.startsWith(base.href)) return null;
      try {
        const info = await Deno.stat(url);
        if (!info.isFile) return null;
        return await Deno.readFile(url);
      } catch {
        return null;
      }
    },
  };
}

/** Asset source backed by an in-memory map (tests, or a UI embedded some other way). */
export function memoryAssets(files: Record<string, string | Uint8Array<ArrayBuffer>>): AssetSource {
  const enc = new TextEncoder();
  return {
    read(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
      const v = Object.hasOwn(files, path) ? files[path] : undefined;
      if (v === undefined) return Promise.resolve(null);
      return Promise.resolve(typeof v === "string" ? enc.encode(v) : v);
    },
  };
}

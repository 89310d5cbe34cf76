/**
 * Builds the dashboard bundle: `ui/main.ts` (Preact + chart.js) bundled for the browser with
 * `deno bundle --platform browser`, plus `ui/index.html` and `ui/style.css`, into `ui/dist/`
 * (a build output, git-ignored). The build goes to a temporary folder that is renamed into place,
 * so concurrent builders (tests run in parallel) never see a half-written bundle.
 *
 * `ui/dist/source-hash.txt` records a hash of everything the bundle is made of: every module in
 * the import graph of `ui/main.ts` (inside `ui/` or not, e.g. `core/app/panels.ts` and what it
 * imports), the version each npm package it imports is pinned to in deno.json, and the static
 * files. {@link ensureUiBuilt} rebuilds when it differs, so a stale bundle is never served from a
 * source checkout. The compiled binary carries only `ui/dist`, so there it is used as is.
 *
 * @module
 */
import { DEFAULT_ASSET_ROOT } from "./assets.ts";
import { pathExists } from "../core/app/fs.ts";
import { importGraph } from "./import_graph.ts";

/** The UI source folder. */
export const UI_SOURCE: URL = new URL("../ui/", import.meta.url);
const STATIC_FILES = ["index.html", "style.css"];
const HASH_FILE = "source-hash.txt";

/** Where a bare specifier points in an import map (exact name, else the longest `name/` prefix). */
function mapped(spec: string, imports: Record<string, string>): string {
  if (spec in imports) return imports[spec];
  const prefix = Object.keys(imports)
    .filter((k) => k.endsWith("/") && spec.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? spec : imports[prefix] + spec.slice(prefix.length);
}

/**
 * Hash of the bundle's sources: the modules of `main.ts`'s import graph (named by their path
 * relative to the repository root, the folder above `source`), each bare import with its target in
 * the root's deno.json import map, and the static files. Null when `source` has no `main.ts`.
 */
export async function uiSourceHash(source: URL = UI_SOURCE): Promise<string | null> {
  const entry = new URL("main.ts", source);
  if (!(await pathExists(entry))) return null;
  const root = new URL("../", source);
  const graph = await importGraph(entry);
  let imports: Record<string, string> = {};
  try {
    imports = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).imports ?? {};
  } catch {
    // No deno.json: bare specifiers are hashed as written.
  }
  const enc = new TextEncoder();
  const parts: BlobPart[] = [];
  const add = async (name: string, url: URL): Promise<void> => {
    parts.push(enc.encode(`\0${name}\0`), await Deno.readFile(url));
  };
  for (const url of graph.files) {
    const name = url.href.startsWith(root.href) ? url.href.slice(root.href.length) : url.href;
    await add(name, url);
  }
  for (const f of STATIC_FILES) await add(`static:${f}`, new URL(f, source));
  for (const spec of graph.bare) parts.push(enc.encode(`\0bare:${spec}=${mapped(spec, imports)}`));
  const all = await new Blob(parts).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Options of {@link buildUi}. */
export interface BuildOptions {
  /** Minify the bundle (default true). */
  minify?: boolean;
  /** Print what happens (default false). */
  verbose?: boolean;
  /** Replace an existing build (default true; false keeps a concurrent builder's result). */
  replace?: boolean;
}

/** Builds ui/dist from the sources, replacing any previous build. Throws a one-line error. */
export async function buildUi(options: BuildOptions = {}): Promise<void> {
  const hash = await uiSourceHash();
  if (hash === null) throw new Error("the UI sources (ui/main.ts) are not present");
  const distPath = decodeURIComponent(DEFAULT_ASSET_ROOT.pathname).replace(/\/$/, "");
  const tmp = `${distPath}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    const srcPath = decodeURIComponent(UI_SOURCE.pathname);
    const args = ["bundle", "--platform", "browser", "--quiet", "-o", `${tmp}/app.js`];
    if (options.minify ?? true) args.push("--minify");
    args.push(`${srcPath}main.ts`);
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: decodeURIComponent(new URL("../", UI_SOURCE).pathname),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const msg = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
      throw new Error(`deno bundle failed: ${msg}`);
    }
    for (const f of STATIC_FILES) {
      await Deno.copyFile(`${srcPath}${f}`, `${tmp}/${f}`);
    }
    await Deno.writeTextFile(`${tmp}/${HASH_FILE}`, hash + "\n");
    try {
      await Deno.rename(tmp, distPath);
    } catch {
      // A previous build exists (or a concurrent builder just renamed its identical one in).
      if (options.replace ?? true) {
        const old = `${distPath}.old-${crypto.randomUUID().slice(0, 8)}`;
        await Deno.rename(distPath, old).catch(() => {});
        await Deno.rename(tmp, distPath).catch(() => {});
        await Deno.remove(old, { recursive: true }).catch(() => {});
      }
    }
    if (options.verbose) console.log(`built ${distPath}/ (app.js, ${STATIC_FILES.join(", ")})`);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes sure ui/dist holds a bundle of the current sources, building it when it is missing or
 * stale. Returns what it did. Without sources (compiled binary) it only checks the bundle exists.
 */
export async function ensureUiBuilt(options: BuildOptions = {}): Promise<"fresh" | "built"> {
  const hash = await uiSourceHash();
  const index = new URL("index.html", DEFAULT_ASSET_ROOT);
  if (hash === null) {
    if (await pathExists(index)) return "fresh";
    throw new Error("the dashboard bundle (ui/dist) is missing and there are no UI sources");
  }
  let built: string | null = null;
  try {
    built = (await Deno.readTextFile(new URL(HASH_FILE, DEFAULT_ASSET_ROOT))).trim();
  } catch {
    built = null;
  }
  if (
    built === hash && (await pathExists(index)) &&
    (await pathExists(new URL("app.js", DEFAULT_ASSET_ROOT)))
  ) {
    return "fresh";
  }
  await buildUi({ ...options, replace: built !== null });
  return "built";
}

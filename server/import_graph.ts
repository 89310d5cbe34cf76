/**
 * Reads a TypeScript module's imports from its source text, and walks the local import graph of an
 * entry module. The dashboard build hashes the graph of `ui/main.ts` (a change in any module the
 * bundle contains rebuilds it) and the architecture test checks every import against the layer
 * rule; both read imports the same way.
 *
 * Imports are static imports and re-exports, `import("...")` with a literal, and
 * `new URL("...", import.meta.url)` (worker modules), read after removing comments and the contents
 * of template literals (WGSL sources), so a specifier quoted in a comment or a string is not one.
 * A regex reader instead of `deno info`: it needs no subprocess and no module resolution, and the
 * repository's own imports are all written in these forms.
 *
 * @module
 */

/** Source text without comments and with template-literal contents blanked. */
export function codeOnly(src: string): string {
  let out = "";
  let i = 0;
  const depth: number[] = []; // brace depth of each open template expression
  let braces = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === "/" && n === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && n === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i++;
      while (i < src.length && src[i] !== c && src[i] !== "\n") i += src[i] === "\\" ? 2 : 1;
      out += src.slice(start, ++i);
      continue;
    }
    if (c === "`" || (c === "}" && depth.length > 0 && depth[depth.length - 1] === braces)) {
      // Inside a template literal: skip to its end or to the next ${ expression.
      if (c === "}") depth.pop();
      i++;
      while (i < src.length && src[i] !== "`" && !(src[i] === "$" && src[i + 1] === "{")) {
        i += src[i] === "\\" ? 2 : 1;
      }
      if (src[i] === "$") {
        depth.push(braces);
        i += 2;
      } else i++;
      out += "``";
      continue;
    }
    if (c === "{") braces++;
    if (c === "}") braces--;
    out += c;
    i++;
  }
  return out;
}

/** Module specifiers a source imports (relative ones and bare ones alike). */
export function importsOf(src: string): string[] {
  const code = codeOnly(src);
  const patterns = [
    /(?:^|[\s;}])import\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?["']([^"']+)["']/g,
    /(?:^|[\s;}])export\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s+["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\bnew\s+URL\(\s*["']([^"']+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g,
  ];
  const found: string[] = [];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** What {@link importGraph} found. */
export interface ImportGraph {
  /** Every local module reached from the entry (the entry included), sorted by URL. */
  files: URL[];
  /** Every non-relative specifier imported on the way (npm, node, import-map names), sorted. */
  bare: string[];
}

/**
 * The modules `entry` imports, directly or through other local modules: relative specifiers are
 * followed, anything else is collected as bare. Throws when a local module cannot be read.
 */
export async function importGraph(entry: URL): Promise<ImportGraph> {
  const seen = new Map<string, URL>();
  const bare = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const url = queue.pop()!;
    if (seen.has(url.href)) continue;
    seen.set(url.href, url);
    for (const spec of importsOf(await Deno.readTextFile(url))) {
      if (spec.startsWith("./") || spec.startsWith("../")) queue.push(new URL(spec, url));
      else bare.add(spec);
    }
  }
  const files = [...seen.values()].sort((a, b) => a.href < b.href ? -1 : a.href > b.href ? 1 : 0);
  return { files, bare: [...bare].sort() };
}

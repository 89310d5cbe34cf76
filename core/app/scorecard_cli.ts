/**
 * `deno task claims` / `prunelab claims`: the reproduction scorecard of a store in the terminal,
 * as JSON (`--out FILE`: `{claims: [{paper, figure, claim, runId, metric, n, effect, ci99, p,
 * verdict, nFor80Power, ...}]}`) and as Markdown (`--markdown FILE`, how docs/reproduction.md is
 * made). The catalogue and the experiments come from the caller (the framework never imports
 * experiments). Bad input (unknown flag, a missing store named by `--store` or `PRUNELAB_STORE`,
 * unwritable file, unknown `--run`) prints one `error:` line and exits 2 before anything is
 * written; the store is opened read-only. Without a store at the default path (a fresh clone)
 * every claim is judged not-run, with a notice.
 *
 * @module
 */
import { flagHelp, type FlagSpec, parseFlags, stringFlag } from "./args.ts";
import type { ClaimRow, ClaimSpec } from "./claims.ts";
import { type Experiment, UsageError } from "./experiment.ts";
import { outputOf, reportError } from "./cli_output.ts";
import { outPathProblem } from "./fs.ts";
import { buildScorecard, effectText, type Scorecard, verdictCounts } from "./scorecard.ts";
import { scorecardMarkdown } from "./scorecard_markdown.ts";
import { formatTable } from "./text_table.ts";
import { formatP } from "./claims.ts";
import {
  DEFAULT_STORE_PATH,
  openStore,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  StoreError,
} from "../store/store.ts";

/** Flags of `deno task claims`. */
export const CLAIMS_FLAGS: readonly FlagSpec[] = [
  {
    name: "store",
    type: "string",
    value: "PATH",
    help: "results store to judge (a Deno KV file or a postgres:// URL)",
    default: "$PRUNELAB_STORE or prunelab.kv",
  },
  { name: "out", type: "string", value: "FILE", help: "write the scorecard as JSON" },
  {
    name: "markdown",
    type: "string",
    value: "FILE",
    help: "write the scorecard as Markdown (docs/reproduction.md is made so)",
  },
  {
    name: "run",
    type: "string",
    value: "ID[,ID...]",
    help: "judge an experiment's claims on this run (any preset; unfinished: its units so far)",
  },
  { name: "help", type: "boolean", help: "show this help" },
];

/** What the scorecard CLI needs from the layers above it. */
export interface ClaimsCliOptions {
  /** Every claim of both papers. */
  catalogue: readonly ClaimSpec[];
  /** Experiments by id. */
  experiments: Readonly<Record<string, Experiment>>;
  /** Panels whose direction the papers do not state (listed in the Markdown). */
  unstated?: readonly { figure: string; experiment: string; what: string }[];
  /** Line printer (default console.log). */
  print?: (line: string) => void;
  /** Error printer (default console.error). */
  printError?: (line: string) => void;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** The terminal scorecard: a table per paper and the verdict counts. */
export function scorecardText(card: Scorecard, storeLocation: string): string {
  const out: string[] = [`Reproduction scorecard of ${storeLocation}`, `Rule: ${card.rule}.`];
  for (const paper of new Set(card.claims.map((c) => c.paper))) {
    const rows = card.claims.filter((c) => c.paper === paper);
    out.push(
      "",
      `${paper} (alpha ${rows[0].alpha}; effect > 0 = the paper's direction):`,
      formatTable(
        ["figure", "verdict", "effect [99% CI]", "p", "n", "n for 80%", "run", "claim"],
        rows.map((r: ClaimRow) => [
          r.figure,
          r.verdict,
          effectText(r),
          formatP(r.p),
          r.n === null ? "-" : String(r.n),
          r.nFor80Power === null ? "-" : String(r.nFor80Power),
          r.run
            ? `${r.run.id}${r.run.reduced ? " (reduced)" : ""}${
              r.run.status === "done" ? "" : ` (${r.run.progress.done}/${r.run.progress.total})`
            }`
            : "-",
          r.id.split("/").slice(1).join("/"),
        ]),
        { align: ["left", "left", "right", "right", "right", "right", "left", "left"] },
      ),
    );
  }
  out.push("", `${card.claims.length} claims: ${verdictCounts(card.claims)}.`);
  return out.join("\n");
}

/** Runs the scorecard command; returns the exit code (0 ok, 1 failure, 2 bad input). */
export async function runClaimsCli(args: string[], options: ClaimsCliOptions): Promise<number> {
  const { print, printError } = outputOf(options);
  let store: ResultStore | null = null;
  try {
    const { flags } = parseFlags(CLAIMS_FLAGS, args);
    if (flags.help) {
      print(
        "prunelab claims: which findings of both papers the store's runs reproduce\n\n" +
          `Flags:\n${flagHelp(CLAIMS_FLAGS)}`,
      );
      return 0;
    }
    const outPath = stringFlag(flags, "out");
    const mdPath = stringFlag(flags, "markdown");
    for (const [flag, path] of [["out", outPath], ["markdown", mdPath]] as const) {
      if (path === undefined) continue;
      const problem = await outPathProblem(path);
      if (problem) throw new UsageError(problem.replace(/^--out/, `--${flag}`));
    }
    const runs = (stringFlag(flags, "run") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    for (const id of runs) {
      if (!RUN_ID_PATTERN.test(id)) throw new UsageError(`--run: '${id}' is not a run id`);
    }
    const storeFlag = stringFlag(flags, "store");
    const location = resolveStoreLocation(storeFlag);
    try {
      store = await openStore(location, { readOnly: true });
    } catch (err) {
      // A fresh clone has no store yet: that is an answer (nothing run), not bad input. A store
      // named by --store or PRUNELAB_STORE that is missing is most likely a typo: refused.
      const fresh = storeFlag === undefined && location === DEFAULT_STORE_PATH && runs.length === 0;
      if (!(fresh && err instanceof StoreError && err.kind === "missing")) throw err;
      printError(
        `notice: no results store at '${location}' yet, so every claim is not-run: run the ` +
          `figure tasks first (e.g. deno task fig5), or pass --store`,
      );
    }
    const card = await buildScorecard(store, {
      catalogue: options.catalogue,
      experiments: options.experiments,
      runs,
    });
    if (outPath !== undefined) {
      await writeAtomic(outPath, JSON.stringify({ claims: card.claims, rule: card.rule }, null, 1));
    }
    if (mdPath !== undefined) {
      await writeAtomic(
        mdPath,
        scorecardMarkdown(card, {
          store: store?.location ?? `${location} (not created yet)`,
          command: ["deno task claims", ...args].join(" "),
          unstated: options.unstated ?? [],
        }),
      );
    }
    print(scorecardText(card, store?.location ?? `${location} (not created yet)`));
    if (outPath !== undefined) print(`JSON: ${outPath}`);
    if (mdPath !== undefined) print(`Markdown: ${mdPath}`);
    return 0;
  } catch (err) {
    return reportError(err, printError);
  } finally {
    await store?.close();
  }
}

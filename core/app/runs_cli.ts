/**
 * `deno task runs` / `prunelab runs`: the runs of a store, on either backend (a Deno KV file or
 * PostgreSQL): `list` (filtered by figure and status), `show` (record, config, work units and, for
 * a finished run, its summary table), `export` (the figure's own `--out` JSON, and a CSV with one
 * row per stored unit), `delete`, and `copy` between stores (a cluster's PostgreSQL to a laptop's
 * KV file and back). Bad input is one `error:` line and exit 2, found before anything is written.
 *
 * @module
 */
import { flagHelp, type FlagSpec, type FlagValue, parseFlags, stringFlag } from "./args.ts";
import { EXIT, type Output, outputOf, reportError } from "./cli_output.ts";
import { type Experiment, experimentRun, UsageError } from "./experiment.ts";
import { outPathProblem, writeJsonAtomic } from "./fs.ts";
import { formatTable } from "./text_table.ts";
import { describeWork, readWorkSpec } from "./work_units.ts";
import {
  copyRun,
  countWork,
  openStore,
  redactLocation,
  resolveStoreLocation,
  type ResultStore,
  RUN_ID_PATTERN,
  type RunRecord,
  type RunStatus,
  type UnitRecord,
} from "../store/store.ts";

const STATUSES: readonly RunStatus[] = ["running", "done", "failed", "interrupted"];

const STORE_FLAG: FlagSpec = {
  name: "store",
  type: "string",
  help: "results store: a Deno KV file or a postgres:// URL",
  default: "$PRUNELAB_STORE or prunelab.kv",
};
const HELP_FLAG: FlagSpec = { name: "help", type: "boolean", help: "show this help" };

/** A subcommand: its flags, whether it takes run ids, and what it does. */
interface Command {
  /** One line for the overview. */
  summary: string;
  /** Usage line after `runs`. */
  usage: string;
  /** Its flags (besides --help). */
  flags: FlagSpec[];
  /** How many run ids it takes: exactly one, one or more, or none. */
  ids: "one" | "some" | "none";
  /** Does it; returns the exit code. */
  run(at: CommandInput): Promise<number>;
}

/** What a subcommand receives. */
interface CommandInput {
  ids: string[];
  flags: Record<string, FlagValue>;
  experiments: Readonly<Record<string, Experiment>>;
  out: Output;
}

/** Opens the store of `--store` read-only (a missing store is an error, nothing is created). */
function openSource(flags: Record<string, FlagValue>, name = "store"): Promise<ResultStore> {
  return openStore(resolveStoreLocation(stringFlag(flags, name)), { readOnly: true });
}

/** Runs `fn` with a store, closing it afterwards. */
async function withStore<T>(
  store: Promise<ResultStore>,
  fn: (s: ResultStore) => Promise<T>,
): Promise<T> {
  const s = await store;
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** The run, or a usage error naming the store. */
async function requireRun(store: ResultStore, id: string): Promise<RunRecord> {
  const run = await store.getRun(id);
  if (!run) throw new UsageError(`no run '${id}' in ${store.location}`);
  return run;
}

/** The run's experiment, or a usage error (a store written by another prunelab). */
function experimentOf(
  experiments: Readonly<Record<string, Experiment>>,
  run: RunRecord,
): Experiment {
  const e = experiments[run.figure];
  if (!e) {
    throw new UsageError(
      `run ${run.id} is a '${run.figure}' run, which this prunelab does not know`,
    );
  }
  return e;
}

function progressText(run: RunRecord): string {
  return `${run.progress.done}/${run.progress.total}`;
}

const list: Command = {
  summary: "list runs, newest first",
  usage: "list [--figure ID] [--status STATUS] [--store S]",
  flags: [
    STORE_FLAG,
    { name: "figure", type: "string", value: "ID", help: "only runs of this figure (e.g. fig5)" },
    { name: "status", type: "string", help: `only runs with this status: ${STATUSES.join(", ")}` },
  ],
  ids: "none",
  async run({ flags, experiments, out }): Promise<number> {
    const figure = stringFlag(flags, "figure");
    if (figure !== undefined && !Object.hasOwn(experiments, figure)) {
      throw new UsageError(
        `--figure must be one of ${Object.keys(experiments).join(", ")}, got '${figure}'`,
      );
    }
    const status = stringFlag(flags, "status");
    if (status !== undefined && !STATUSES.some((s) => s === status)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got '${status}'`);
    }
    return await withStore(openSource(flags), async (store) => {
      const runs = await store.listRuns({
        ...(figure !== undefined ? { figure } : {}),
        ...(status !== undefined ? { status: STATUSES.find((s) => s === status) } : {}),
      });
      if (runs.length === 0) {
        out.print(`no runs in ${store.location}${figure || status ? " matching the filters" : ""}`);
        return EXIT.ok;
      }
      const rows = runs.map((r) => [
        r.id,
        r.figure,
        r.status,
        progressText(r),
        r.preset + (r.reduced ? "" : " (full protocol)"),
        r.arithmetic ?? r.engine,
        r.startedAt.slice(0, 19).replace("T", " "),
      ]);
      out.print(
        formatTable(
          ["id", "figure", "status", "units", "preset", "arithmetic", "started (UTC)"],
          rows,
          {
            rule: true,
          },
        ),
      );
      return EXIT.ok;
    });
  },
};

const show: Command = {
  summary: "a run's record, config, work units and (when finished) its summary table",
  usage: "show ID [--store S]",
  flags: [STORE_FLAG],
  ids: "one",
  async run({ ids, flags, experiments, out }): Promise<number> {
    return await withStore(openSource(flags), async (store) => {
      const run = await requireRun(store, ids[0]);
      const rows: string[][] = [
        ["run", run.id],
        ["figure", run.figure],
        ["status", run.status + (run.message ? ` (${run.message})` : "")],
        ["units stored", progressText(run)],
        ["preset", `${run.preset}${run.reduced ? " (reduced protocol)" : " (full protocol)"}`],
        ["seed", String(run.seed)],
        ["engine", `${run.engine}: ${run.engineDescription}`],
        ...(run.arithmetic ? [["arithmetic", run.arithmetic]] : []),
        ["started", run.startedAt],
        ...(run.endedAt ? [["ended", run.endedAt]] : []),
        ["versions", Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(", ")],
      ];
      out.print(formatTable(null, rows));
      out.print("");
      out.print("config:");
      for (const [k, v] of Object.entries(run.config)) out.print(`  ${k}: ${JSON.stringify(v)}`);
      const work = await store.listWork(run.id);
      if (work.length > 0) {
        const c = countWork(work);
        out.print("");
        // A run finished by --resume in one process, or failed, leaves units no worker will take.
        const idle = run.status !== "running" && c.open + c.leased > 0
          ? `; the run is ${run.status}, so no worker takes the rest`
          : "";
        out.print(
          `work units: ${c.done} done, ${c.leased} leased, ${c.open} open, ${c.failed} failed ` +
            `(of ${c.total})${idle}`,
        );
        const notable = work.filter((u) => u.state !== "done" || u.attempts > 1);
        if (notable.length > 0) {
          out.print(formatTable(
            ["unit", "what", "state", "attempts", "holder", "note"],
            notable.map((u) => [
              String(u.index),
              describeWork(readWorkSpec(u.spec)),
              u.state,
              String(u.attempts),
              u.holder ?? "",
              u.state === "leased" ? `lease until ${u.expiresAt}` : u.error ?? "",
            ]),
            { rule: true },
          ));
        }
      }
      const experiment = experiments[run.figure];
      if (run.status === "done" && experiment) {
        out.print("");
        out.print(experiment.table(await experiment.summarize(experimentRun(run), store)));
      }
      return EXIT.ok;
    });
  },
};

const exportRun: Command = {
  summary: "write a finished run's --out JSON (and a CSV with one row per stored unit)",
  usage: "export ID --out FILE [--csv FILE] [--store S]",
  flags: [
    STORE_FLAG,
    { name: "out", type: "string", value: "FILE", help: "the figure's --out JSON" },
    {
      name: "csv",
      type: "string",
      value: "FILE",
      help: "one row per stored unit (e.g. per network and level): its key and scalar metrics",
    },
  ],
  ids: "one",
  async run({ ids, flags, experiments, out }): Promise<number> {
    const outPath = stringFlag(flags, "out");
    const csvPath = stringFlag(flags, "csv");
    if (outPath === undefined && csvPath === undefined) {
      throw new UsageError("export needs --out FILE (the figure's JSON) and/or --csv FILE");
    }
    for (const [flag, path] of [["out", outPath], ["csv", csvPath]] as const) {
      if (path === undefined) continue;
      const problem = await outPathProblem(path);
      if (problem) throw new UsageError(problem.replace(/^--out/, `--${flag}`));
    }
    if (outPath !== undefined && outPath === csvPath) {
      throw new UsageError("--out and --csv name the same file");
    }
    return await withStore(openSource(flags), async (store) => {
      const run = await requireRun(store, ids[0]);
      if (run.status !== "done") {
        throw new UsageError(
          `run ${run.id} is not finished (${run.status}, ${progressText(run)} units): ` +
            `finish it first (deno task worker --run ${run.id}, or --resume)`,
        );
      }
      const experiment = experimentOf(experiments, run);
      const summary = outPath !== undefined
        ? await experiment.summarize(experimentRun(run), store)
        : null;
      const csv = csvPath !== undefined ? unitsCsv(await store.listUnits(run.id)) : null;
      if (outPath !== undefined) await writeJsonAtomic(outPath, summary);
      if (csvPath !== undefined && csv !== null) await writeTextAtomic(csvPath, csv);
      out.print(
        `run ${run.id}: ` +
          [outPath && `JSON summary in ${outPath}`, csvPath && `units in ${csvPath}`]
            .filter(Boolean).join(", "),
      );
      return EXIT.ok;
    });
  },
};

const deleteRun: Command = {
  summary: "delete a run with its units, blobs and work units",
  usage: "delete ID [ID...] --yes [--store S]",
  flags: [STORE_FLAG, { name: "yes", type: "boolean", help: "really delete (nothing is kept)" }],
  ids: "some",
  async run({ ids, flags, out }): Promise<number> {
    const location = resolveStoreLocation(stringFlag(flags, "store"));
    return await withStore(openStore(location, { create: false }), async (store) => {
      const runs: RunRecord[] = [];
      for (const id of ids) runs.push(await requireRun(store, id));
      if (!flags.yes) {
        const units = runs.reduce((n, r) => n + r.progress.done, 0);
        throw new UsageError(
          `deleting ${runs.length} run(s) removes ${units} stored unit(s) for good; ` +
            `add --yes to delete`,
        );
      }
      for (const r of runs) {
        await store.deleteRun(r.id);
        out.print(`deleted run ${r.id} (${r.figure}, ${r.status}, ${progressText(r)} units)`);
      }
      return EXIT.ok;
    });
  },
};

const copy: Command = {
  summary: "copy runs, bit for bit, from one store to another (created if missing)",
  usage: "copy ID [ID...] --to S [--store S]",
  flags: [
    { ...STORE_FLAG, help: "the store to copy from" },
    {
      name: "to",
      type: "string",
      value: "S",
      help: "the store to copy to (a KV file or postgres:// URL)",
    },
  ],
  ids: "some",
  async run({ ids, flags, out }): Promise<number> {
    const to = stringFlag(flags, "to");
    if (to === undefined) {
      throw new UsageError("copy needs --to STORE (a KV file or postgres:// URL)");
    }
    const from = resolveStoreLocation(stringFlag(flags, "store"));
    if (from === to) throw new UsageError("--to names the store the runs are in");
    return await withStore(openStore(from, { readOnly: true }), async (source) => {
      // Everything is checked before the target is opened (and perhaps created).
      for (const id of ids) await requireRun(source, id);
      return await withStore(openStore(to), async (target) => {
        for (const id of ids) {
          if (await target.getRun(id)) {
            throw new UsageError(`run ${id} is already in ${redactLocation(to)}`);
          }
        }
        for (const id of ids) {
          const run = await copyRun(id, { from: source, to: target });
          out.print(
            `copied run ${id} (${run.figure}, ${progressText(run)} units) to ${target.location}`,
          );
        }
        return EXIT.ok;
      });
    });
  },
};

/** The subcommands by name. */
const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  list,
  show,
  export: exportRun,
  delete: deleteRun,
  copy,
});

/** Usage text of `runs` or of one subcommand. */
export function runsUsage(name?: string): string {
  const cmd = name !== undefined ? COMMANDS[name] : undefined;
  if (cmd) {
    return [
      `prunelab runs ${cmd.usage}`,
      "",
      cmd.summary,
      "",
      "Flags:",
      flagHelp([...cmd.flags, HELP_FLAG]),
    ]
      .join("\n");
  }
  return [
    "prunelab runs: the runs of a results store (a Deno KV file or PostgreSQL)",
    "",
    "Usage: deno task runs <command> [flags]   (deno task runs <command> --help for its flags)",
    "",
    "Commands:",
    formatTable(null, Object.values(COMMANDS).map((c) => ["", c.usage, c.summary])),
  ].join("\n");
}

/** Splits and checks the run ids a subcommand takes. */
function checkIds(name: string, cmd: Command, ids: string[]): void {
  if (cmd.ids === "none" && ids.length > 0) {
    throw new UsageError(`runs ${name} takes no run id, got '${ids[0]}'`);
  }
  if (cmd.ids !== "none" && ids.length === 0) throw new UsageError(`runs ${name} needs a run id`);
  if (cmd.ids === "one" && ids.length > 1) {
    throw new UsageError(`runs ${name} takes one run id, got ${ids.length}`);
  }
  const bad = ids.find((id) => !RUN_ID_PATTERN.test(id));
  if (bad !== undefined) throw new UsageError(`'${bad}' is not a run id`);
}

/** Options of {@link runRunsCli} (tests inject output). */
export interface RunsCliOptions {
  /** Line printer for normal output (default console.log). */
  print?: (line: string) => void;
  /** Line printer for errors (default console.error). */
  printError?: (line: string) => void;
}

/** Runs `runs <command> ...`; returns the exit code (0 ok, 2 bad input). */
export async function runRunsCli(
  args: string[],
  experiments: Readonly<Record<string, Experiment>>,
  options: RunsCliOptions = {},
): Promise<number> {
  const out: Output = outputOf(options);
  try {
    const [name, ...rest] = args;
    if (name === "--help" || name === "-h" || name === "help") {
      out.print(runsUsage());
      return EXIT.ok;
    }
    if (name === undefined) {
      throw new UsageError(
        `runs needs a command: ${Object.keys(COMMANDS).join(", ")} (see deno task runs --help)`,
      );
    }
    const cmd = COMMANDS[name];
    if (!cmd) {
      throw new UsageError(
        `unknown command 'runs ${name}': one of ${Object.keys(COMMANDS).join(", ")}`,
      );
    }
    const { flags, positionals } = parseFlags([...cmd.flags, HELP_FLAG], rest, {
      positionals: true,
    });
    if (flags.help) {
      out.print(runsUsage(name));
      return EXIT.ok;
    }
    checkIds(name, cmd, positionals);
    return await cmd.run({ ids: positionals, flags, experiments, out });
  } catch (err) {
    return reportError(err, out.printError);
  }
}

/** Writes text through a temporary file, so a reader never sees half of it. */
async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/**
 * A CSV of units: a `unit` column (the key joined by "/"), then one column per scalar metric
 * (nested objects flattened with dots, e.g. `pruned.maxLE`; arrays left out), in first-seen
 * order. Numbers print in full precision (`NaN`, `Infinity` as JavaScript writes them). A CSV
 * writer is a dozen lines (RFC 4180 quoting), so no library.
 */
export function unitsCsv(
  units: readonly { key: (string | number)[]; record: UnitRecord }[],
): string {
  const columns = new Map<string, number>();
  const rows = units.map((u) => {
    const cells = new Map<string, string>();
    flatten(u.record.metrics, "", cells);
    for (const k of cells.keys()) if (!columns.has(k)) columns.set(k, columns.size);
    return { unit: u.key.join("/"), cells };
  });
  const names = [...columns.keys()];
  const lines = [["unit", ...names].map(csvCell).join(",")];
  for (const r of rows) {
    lines.push([r.unit, ...names.map((n) => r.cells.get(n) ?? "")].map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  if (value === null || value === undefined) {
    if (prefix) into.set(prefix, "");
    return;
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
    into.set(prefix, String(value));
    return;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value) || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

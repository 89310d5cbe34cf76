/**
 * The reproduction scorecard: every catalogued claim of both papers judged against the store. The
 * catalogue (experiments/claims_catalogue.ts) and the experiments (experiments/registry.ts) are
 * handed in by the caller (`tasks/claims.ts`, `main.ts`, the server), because the framework never
 * imports experiments.
 *
 * Which run judges a claim: among the finished runs of the claim's experiment that were made with
 * one of its named presets (default, paper, validate, ...; runs whose flags changed the protocol,
 * preset `custom` or `paper (modified)`, are left out unless named with `--run`), the one whose
 * evidence has the largest n; ties go to the newest run. A run that cannot test a claim (its
 * evaluate returns null, e.g. the level is missing) is passed over. `--run ID` replaces the
 * candidates of that run's experiment with that run alone, whatever its status (an unfinished run
 * is judged on the units it has stored so far, and its rows say so). At most `maxCandidates`
 * newest runs per experiment are summarised.
 *
 * @module
 */
import {
  type Claim,
  type ClaimEvidence,
  type ClaimRow,
  type ClaimRun,
  type ClaimSpec,
  formatP,
  judgeClaim,
  type Verdict,
  VERDICTS,
} from "./claims.ts";
import { type Experiment, experimentRun, UsageError } from "./experiment.ts";
import { formatTable } from "./text_table.ts";
import type { ResultStore, RunRecord } from "../store/store.ts";

/** The rule the scorecard uses to pick a claim's run, in words (printed with every scorecard). */
export const RUN_RULE = "each claim is judged on the finished run of its experiment, made with a " +
  "named preset (not custom), whose evidence has the largest n (ties: the newest); --run ID " +
  "names the run of an experiment by hand (an unfinished one is judged on its units so far)";

/** A scorecard: one row per catalogued claim. */
export interface Scorecard {
  /** One row per catalogue entry, in catalogue order. */
  claims: ClaimRow[];
  /** How runs were chosen. */
  rule: string;
}

/** Options of {@link buildScorecard}. */
export interface ScorecardOptions {
  /** Every claim of both papers (experiments/claims_catalogue.ts). */
  catalogue: readonly ClaimSpec[];
  /** The experiments by id (experiments/registry.ts). */
  experiments: Readonly<Record<string, Experiment>>;
  /** Runs named by hand (`--run`): each replaces the candidates of its experiment. */
  runs?: readonly string[];
  /** Newest runs per experiment to consider (default 10). */
  maxCandidates?: number;
}

/** The claim of an experiment that implements a catalogue entry, if any. */
function implementation(exp: Experiment | undefined, id: string): Claim | undefined {
  return exp?.claims?.find((c) => c.id === id);
}

function runInfo(run: RunRecord): ClaimRun {
  return {
    id: run.id,
    preset: run.preset,
    reduced: run.reduced,
    seed: run.seed,
    endedAt: run.endedAt ?? null,
    status: run.status,
    progress: { ...run.progress },
  };
}

/** A row of a claim judged on `evidence` from `run` (or not run, with the reason). */
export function claimRow(
  spec: ClaimSpec,
  evidence: ClaimEvidence | null,
  at: { run: RunRecord | null; notRunNote?: string },
): ClaimRow {
  const result = judgeClaim(spec, evidence, {
    runId: at.run?.id ?? null,
    notRunNote: at.notRunNote,
  });
  return {
    ...result,
    source: spec.source,
    alpha: spec.alpha,
    experiment: spec.experiment,
    measure: spec.measure,
    run: result.verdict !== "not-run" && at.run ? runInfo(at.run) : null,
  };
}

/** Evaluates a claim on a summary; a throwing evaluate counts as "cannot test" with the reason. */
function safeEvaluate(
  claim: Claim,
  summary: object,
): { evidence: ClaimEvidence | null; error?: string } {
  try {
    return { evidence: claim.evaluate(summary) };
  } catch (err) {
    return { evidence: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Judges every catalogued claim against the store (see the module doc for the run rule); with no
 * store (none created yet) every claim is not run. Throws `UsageError` when a run named in `runs`
 * is not in the store.
 */
export async function buildScorecard(
  store: ResultStore | null,
  options: ScorecardOptions,
): Promise<Scorecard> {
  const { experiments, catalogue } = options;
  const max = options.maxCandidates ?? 10;
  const named = new Map<string, RunRecord>();
  for (const id of options.runs ?? []) {
    const run = await store?.getRun(id);
    if (!run) throw new UsageError(`--run: no run '${id}' in store ${store?.location ?? "(none)"}`);
    named.set(run.figure, run);
  }
  const candidates = new Map<string, RunRecord[]>();
  const candidatesOf = async (experiment: string): Promise<RunRecord[]> => {
    const hit = candidates.get(experiment);
    if (hit) return hit;
    const exp = Object.hasOwn(experiments, experiment) ? experiments[experiment] : undefined;
    const byHand = named.get(experiment);
    const runs = byHand
      ? [byHand]
      : exp && store
      ? (await store.listRuns({ figure: experiment, status: "done" }))
        .filter((r) => Object.hasOwn(exp.presets, r.preset)).slice(0, max)
      : [];
    candidates.set(experiment, runs);
    return runs;
  };
  const summaries = new Map<string, Promise<object | null>>();
  const summaryOf = (exp: Experiment, run: RunRecord): Promise<object | null> => {
    let s = summaries.get(run.id);
    if (!s) {
      s = store
        ? exp.summarize(experimentRun(run), store).catch(() => null)
        : Promise.resolve(null);
      summaries.set(run.id, s);
    }
    return s;
  };
  const rows: ClaimRow[] = [];
  for (const spec of catalogue) {
    const exp = Object.hasOwn(experiments, spec.experiment)
      ? experiments[spec.experiment]
      : undefined;
    const impl = implementation(exp, spec.id);
    if (!exp || !impl) {
      rows.push(claimRow(spec, null, {
        run: null,
        notRunNote: !exp
          ? `experiment '${spec.experiment}' is not in the registry`
          : `no evaluate for this claim yet (experiments/<family>/claims.ts of ${spec.experiment})`,
      }));
      continue;
    }
    const runs = await candidatesOf(spec.experiment);
    let best: { run: RunRecord; evidence: ClaimEvidence } | null = null;
    const problems: string[] = [];
    for (const run of runs) {
      const summary = await summaryOf(exp, run);
      if (!summary) {
        problems.push(`${run.id}: its summary could not be read`);
        continue;
      }
      const { evidence, error } = safeEvaluate(impl, summary);
      if (error) problems.push(`${run.id}: ${error}`);
      if (evidence && (!best || evidence.n > best.evidence.n)) best = { run, evidence };
    }
    if (best) {
      rows.push(claimRow(spec, best.evidence, { run: best.run }));
      continue;
    }
    rows.push(claimRow(spec, null, {
      run: null,
      notRunNote: !store
        ? `no results store yet (deno task ${spec.experiment})`
        : runs.length === 0
        ? `no finished ${spec.experiment} run with a named preset in the store ` +
          `(deno task ${spec.experiment})`
        : `no ${spec.experiment} run can test it (${
          problems.length ? problems.join("; ") : `${runs.length} run(s) lack what it needs`
        })`,
    }));
  }
  return { claims: rows, rule: RUN_RULE };
}

/**
 * The claims of one experiment judged on one run's summary (the terminal summary and the
 * dashboard's run page), plus a not-run row for each catalogued claim of the experiment that has
 * no evaluate yet.
 */
export function runClaims(
  experiment: Pick<Experiment, "id" | "claims">,
  summary: object,
  at: { run: RunRecord; catalogue?: readonly ClaimSpec[] },
): ClaimRow[] {
  const rows: ClaimRow[] = [];
  for (const c of experiment.claims ?? []) {
    const { evidence, error } = safeEvaluate(c, summary);
    rows.push(claimRow(c, evidence, {
      run: at.run,
      notRunNote: error ? `evaluate failed: ${error}` : "this run cannot test it",
    }));
  }
  for (const spec of at.catalogue ?? []) {
    if (spec.experiment !== experiment.id || rows.some((r) => r.id === spec.id)) continue;
    rows.push(claimRow(spec, null, { run: null, notRunNote: "no evaluate for this claim yet" }));
  }
  return rows;
}

function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? "-" : v.toFixed(digits);
}

/** Effect with its 99% interval, e.g. "0.082 [-0.05, 0.21]". */
export function effectText(row: Pick<ClaimRow, "effect" | "ci99">): string {
  if (row.effect === null) return "-";
  const ci = row.ci99 && row.ci99[0] !== row.ci99[1]
    ? ` [${num(row.ci99[0])}, ${num(row.ci99[1])}]`
    : "";
  return `${num(row.effect)}${ci}`;
}

/** Verdict counts, e.g. "2 reproduced, 3 direction, 1 not-reproduced, 40 not-run". */
export function verdictCounts(rows: readonly Pick<ClaimRow, "verdict">[]): string {
  return VERDICTS.map((v: Verdict) => `${rows.filter((r) => r.verdict === v).length} ${v}`)
    .join(", ");
}

/**
 * The claims under a figure's terminal table: one line per claim with its verdict, effect and
 * 99% interval, p, n and the n for 80% power, then the sentences. Empty when there are none.
 */
export function formatClaims(rows: readonly ClaimRow[]): string {
  if (rows.length === 0) return "";
  const table = formatTable(
    ["claim", "verdict", "effect [99% CI]", "p", "alpha", "n", "n for 80%"],
    rows.map((r) => [
      r.id.split("/").slice(1).join("/"),
      r.verdict,
      effectText(r),
      formatP(r.p),
      String(r.alpha),
      r.n === null ? "-" : String(r.n),
      r.nFor80Power === null ? "-" : String(r.nFor80Power),
    ]),
    { align: ["left", "left", "right", "right", "right", "right", "right"] },
  );
  const lines = rows.map((r) =>
    `  ${r.id.split("/").slice(1).join("/")} (${r.figure}): ${r.claim}` +
    `${r.metric ? ` [${r.metric}]` : ""}${r.note ? ` (${r.note})` : ""}`
  );
  return [
    `The papers' claims this run tests (effect > 0 = the paper's direction; deno task claims ` +
    `for all):`,
    table,
    ...lines,
  ].join("\n");
}

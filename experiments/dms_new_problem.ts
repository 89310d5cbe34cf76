/**
 * The DMS new-problem ("flexibility") experiment (spec 3.7, 7.2) with the D22 split: the pruned
 * and unpruned networks of a finished `fig5` run at level 0.7 are trained, on one shared training
 * set per network, on (a) the code's combined 8-condition set, (b) the reversed response mapping
 * alone (conditions 1-4) and (c) the new cue channels alone (conditions 5-8), for a fixed number
 * of outer SCG iterations; their learning curves (lossHistory) are compared.
 *
 * Unit key `["problem", problem, network]`; the fig5 networks are read from the fig5 run's
 * `["level", i, li]` units (blobs `prunedW`, `unprunedW`).
 *
 * @module
 */
import {
  type BaseConfig,
  type Experiment,
  type ExperimentRun,
  type FlagValue,
  type UnitEntry,
  unitMetrics,
  UsageError,
} from "../core/app/experiment.ts";
import { parseIntFlag } from "../core/app/flags.ts";
import type { Panel, PanelParameter } from "../core/app/panels.ts";
import { magnitudePrune } from "../core/rnn/prune.ts";
import { deriveSeed, Rng } from "../core/util/rng.ts";
import { DMS_SHAPE } from "../core/rnn/network.ts";
import { DMS_NEW_PROBLEM_CONDITIONS, dmsTrials } from "../core/dms/task.ts";
import { mean, meanSem, pairedTTest } from "../core/util/stats.ts";
import type { ResultStore, RunRecord } from "../core/store/kv_store.ts";
import { RUN_ID_PATTERN } from "../core/store/kv_store.ts";
import { trainPopulation } from "../core/rnn/train.ts";

/** The three new problems (D22). */
export const PROBLEMS = Object.freeze({
  combined: [1, 2, 3, 4, 5, 6, 7, 8],
  reversal: [1, 2, 3, 4],
  newChannels: [5, 6, 7, 8],
});

/** A problem name. */
export type ProblemName = keyof typeof PROBLEMS;

/** Configuration. */
export interface DmsNewProblemConfig extends BaseConfig {
  /** The fig5 run whose level-0.7 networks are used (null = the newest finished fig5 run). */
  from: string | null;
  /** Networks (lineage pairs) taken from the fig5 run. */
  networks: number;
  /** Prune level of the networks (0.7). */
  level: number;
  /** Fixed outer iterations (paper 50). */
  outer: number;
  /** SCG steps per outer iteration (null = K = 1110). */
  scgSteps: number | null;
  /** Repeats of each condition in the training set (paper 4). */
  repeats: number;
  /** Target-noise sd (0.1). */
  sigmaY: number;
  /** Problems to train. */
  problems: ProblemName[];
}

const PAPER: DmsNewProblemConfig = Object.freeze({
  preset: "paper",
  reduced: false,
  from: null,
  networks: 100,
  level: 0.7,
  outer: 50,
  scgSteps: null,
  repeats: 4,
  sigmaY: 0.1,
  problems: ["combined", "reversal", "newChannels"],
}) as DmsNewProblemConfig;

const DEFAULT: DmsNewProblemConfig = Object.freeze({
  ...PAPER,
  preset: "default",
  reduced: true,
  networks: 8,
  outer: 8,
  scgSteps: 60,
}) as DmsNewProblemConfig;

async function sourceRun(store: ResultStore, c: DmsNewProblemConfig): Promise<RunRecord> {
  if (c.from) {
    const run = await store.getRun(c.from);
    if (!run || run.figure !== "fig5") {
      throw new Error(`--from: no fig5 run '${c.from}' in the store`);
    }
    return run;
  }
  const runs = (await store.listRuns()).filter((r) => r.figure === "fig5" && r.status === "done");
  if (runs.length === 0) {
    throw new Error("no finished fig5 run in the store (run deno task fig5 first)");
  }
  return runs[0];
}

interface Curve {
  lossHistory: number[];
  outerIterations: number;
  converged: boolean;
  emergencySteps: number;
  failure?: string;
}

/** The DMS new-problem experiment. */
export const dmsNewProblem: Experiment<DmsNewProblemConfig> = {
  id: "dms-new-problem",
  title: "DMS new problems on fig5's level-0.7 networks (Averbeck 2022 spec 7.2, D22)",
  paper: "averbeck2022",
  presets: { default: DEFAULT, paper: PAPER },
  flags: [
    { name: "from", type: "string", help: "fig5 run id (default: newest finished fig5 run)" },
  ],
  configure(base: DmsNewProblemConfig, flags: Record<string, FlagValue>): DmsNewProblemConfig {
    const c = { ...base, problems: [...base.problems] };
    if (typeof flags.from === "string") {
      if (!RUN_ID_PATTERN.test(flags.from)) {
        throw new UsageError(`--from: '${flags.from}' is not a run id`);
      }
      c.from = flags.from;
    }
    if (typeof flags.networks === "string") {
      c.networks = parseIntFlag("networks", flags.networks, { min: 1, max: 100000 });
    }
    if (typeof flags["max-outer"] === "string") {
      c.outer = parseIntFlag("max-outer", flags["max-outer"], { min: 1, max: 100000 });
    }
    if (typeof flags["scg-steps"] === "string") {
      c.scgSteps = parseIntFlag("scg-steps", flags["scg-steps"], { min: 1, max: 1110 });
    }
    if (flags.levels !== undefined) {
      throw new UsageError("--levels: this experiment uses level 0.7");
    }
    return c;
  },
  describe: (c) =>
    `${c.networks} network pair(s) from ${c.from ?? "the newest fig5 run"} at level ${c.level}, ` +
    `problems ${c.problems.join("/")}, ${c.outer} fixed outer iterations, SCG steps ${
      c.scgSteps ?? "K"
    }`,
  totalUnits: (c) => c.networks * c.problems.length,
  async run(ctx): Promise<void> {
    const c = ctx.config;
    const src = await sourceRun(ctx.store, c);
    const levels = (src.config as { levels: number[] }).levels;
    const li = levels.findIndex((l) => Math.abs(l - c.level) < 1e-9);
    if (li < 0) throw new Error(`fig5 run ${src.id} has no level ${c.level}`);
    ctx.log(`using networks of fig5 run ${src.id}`);
    const nets: { pruned: Float64Array; unpruned: Float64Array }[] = [];
    for (let i = 0; i < c.networks; i++) {
      const p = await ctx.store.getBlob(src.id, ["level", i, li], "prunedW");
      const u = await ctx.store.getBlob(src.id, ["level", i, li], "unprunedW");
      if (!p || !u) {
        throw new Error(`fig5 run ${src.id} has no level-${c.level} networks for network ${i}`);
      }
      nets.push({ pruned: p as Float64Array, unpruned: u as Float64Array });
    }
    for (const [pi, problem] of c.problems.entries()) {
      if (ctx.signal.aborted) throw new Error("interrupted");
      const todo = nets.map((_, i) => i).filter((i) =>
        !ctx.finished.has(`problem/${problem}/${i}`)
      );
      if (todo.length === 0) continue;
      const conditions = DMS_NEW_PROBLEM_CONDITIONS.filter((x) => PROBLEMS[problem].includes(x.id));
      const jobs = todo.flatMap((i) => {
        // One shared training set per network for both lineages (spec 7.2).
        const data = dmsTrials({
          conditions,
          repeats: c.repeats,
          sigmaY: c.sigmaY,
          rng: new Rng(deriveSeed(ctx.seed, 301, pi, i)),
        });
        const p = magnitudePrune(DMS_SHAPE, nets[i].pruned, c.level);
        return [{ data, w: p.w, mask: p.mask }, { data, w: nets[i].unpruned, mask: null }];
      });
      const outcomes = await trainPopulation(ctx.engine, jobs, {
        maxOuter: c.outer,
        untilConverged: false,
        scg: { stopRule: "dms", sigmaY: c.sigmaY, ...(c.scgSteps ? { kMax: c.scgSteps } : {}) },
        signal: ctx.signal,
        onOuter: (outer) =>
          ctx.progress.update(`${problem}: outer ${outer}/${c.outer}`, outer / c.outer),
      });
      for (const [m, i] of todo.entries()) {
        const curve = (k: number): Curve => {
          const o = outcomes[2 * m + k];
          return {
            lossHistory: o.lossHistory,
            outerIterations: o.outerIterations,
            converged: o.converged,
            emergencySteps: o.emergencySteps,
            ...(o.failure ? { failure: o.failure } : {}),
          };
        };
        await ctx.store.putUnit(ctx.runId, ["problem", problem, i], {
          metrics: { problem, network: i, source: src.id, pruned: curve(0), unpruned: curve(1) },
        });
        ctx.progress.tick(1, `${problem} network ${i}`);
      }
    }
  },
  async summarize(
    run: ExperimentRun<DmsNewProblemConfig>,
    store: ResultStore,
  ): Promise<Record<string, unknown>> {
    const c = run.config;
    const units = await store.listUnits(run.id);
    return {
      figure: "dms-new-problem",
      runId: run.id,
      reduced: run.reduced,
      config: c,
      seed: run.seed,
      problems: summarizeProblems(c, units.map((u) => ({ key: u.key, record: u.record }))),
    };
  },
  table(summary: Record<string, unknown>): string {
    const problems = summary.problems as Record<string, ProblemSummary>;
    const lines = [
      `${summary.reduced ? "REDUCED PROTOCOL. " : ""}Loss on the new problem (mean over networks):`,
      "problem        n   loss before   final pruned   final unpruned   p (paired t)",
    ];
    for (const [name, s] of Object.entries(problems)) {
      lines.push(
        `${name.padEnd(13)} ${String(s.n).padStart(2)} ${f(s.initial).padStart(13)} ` +
          `${f(s.final.pruned).padStart(14)} ${f(s.final.unpruned).padStart(16)} ${
            f(s.final.p).padStart(14)
          }`,
      );
    }
    return lines.join("\n");
  },
  parameters: (): PanelParameter[] => [],
  panels(run: ExperimentRun<DmsNewProblemConfig>, units: UnitEntry[]): Panel[] {
    const c = run.config;
    const s = summarizeProblems(c, units);
    return Object.entries(s).map(([name, p]) => ({
      id: `dms-new-problem-${name}`,
      title: `DMS new problem '${name}': training loss (level ${c.level})`,
      kind: "line" as const,
      xLabel: "outer SCG iteration",
      yLabel: "training loss",
      logY: true,
      series: (["pruned", "unpruned"] as const).map((k) => ({
        label: k,
        color: k,
        x: p.iterations.slice(1),
        y: p.curves[k].mean.slice(1),
        err: p.curves[k].sem.slice(1),
      })),
      caption:
        `mean +/- SEM over n = ${p.n} network pairs; lossHistory[2..], entry 1 is before training`,
    }));
  },
};

function f(v: number | null): string {
  return v !== null && Number.isFinite(v) ? v.toFixed(4) : "-";
}

interface ProblemSummary {
  n: number;
  iterations: number[];
  curves: Record<"pruned" | "unpruned", { mean: (number | null)[]; sem: (number | null)[] }>;
  initial: number | null;
  final: { pruned: number | null; unpruned: number | null; p: number | null };
}

function summarizeProblems(
  c: DmsNewProblemConfig,
  units: UnitEntry[],
): Record<string, ProblemSummary> {
  const out: Record<string, ProblemSummary> = {};
  const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
  for (const problem of c.problems) {
    const rows = units.filter((u) => u.key[0] === "problem" && u.key[1] === problem)
      .map((u) => unitMetrics<{ pruned: Curve; unpruned: Curve }>(u));
    if (rows.length === 0) continue;
    const curves = (
      k: "pruned" | "unpruned",
    ): { mean: (number | null)[]; sem: (number | null)[] } => {
      const ms = meanSem(rows.map((r) => r[k].lossHistory));
      return { mean: ms.mean.map(fin), sem: ms.sem.map(fin) };
    };
    const last = (k: "pruned" | "unpruned"): number[] =>
      rows.map((r) => r[k].lossHistory.at(-1) ?? NaN);
    const len = Math.max(...rows.map((r) => r.pruned.lossHistory.length));
    out[problem] = {
      n: rows.length,
      iterations: Array.from({ length: len }, (_, i) => i + 1),
      curves: { pruned: curves("pruned"), unpruned: curves("unpruned") },
      initial: fin(mean(rows.flatMap((r) => [r.pruned.lossHistory[0], r.unpruned.lossHistory[0]]))),
      final: {
        pruned: fin(mean(last("pruned"))),
        unpruned: fin(mean(last("unpruned"))),
        p: fin(pairedTTest(last("pruned"), last("unpruned")).p),
      },
    };
  }
  return out;
}

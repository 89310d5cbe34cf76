/**
 * What the API returns for runs: a summary per run for the list, and a run's aggregated panels
 * (computed by the run's experiment from unit metrics, never blobs or per-network weights). Panel
 * results are cached per run and parameter set, keyed on the store version and the run's own
 * update stamp, so a reload of an unchanged run costs two key reads.
 *
 * @module
 */
import { type Experiment, experimentRun, type UnitEntry } from "../core/app/experiment.ts";
import type {
  LiveLoss,
  RunConfigBody,
  RunDetail,
  RunEta,
  RunList,
  RunPhase,
  RunSummary,
  TrainingStage,
} from "../core/app/api_types.ts";
import type { PanelParameter, PanelSeries } from "../core/app/panels.ts";
import type { ResultStore, RunRecord } from "../core/store/kv_store.ts";
import { meanSem } from "../core/util/stats.ts";

/** Experiments the server knows, by id (the `figure` field of a run). */
export type ExperimentMap = Readonly<Record<string, Experiment>>;

/** Parameter problems are the client's fault: the API answers 400 with this message. */
export class BadParameter extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BadParameter";
  }
}

/** Builds the runs-list line of a run. */
export function summarizeRun(run: RunRecord, experiments: ExperimentMap): RunSummary {
  const exp = Object.hasOwn(experiments, run.figure) ? experiments[run.figure] : undefined;
  let summary = "";
  try {
    summary = exp ? exp.describe(experimentRun(run).config) : "";
  } catch {
    summary = "";
  }
  const start = Date.parse(run.startedAt);
  const end = Date.parse(run.endedAt ?? run.updatedAt);
  return {
    id: run.id,
    figure: run.figure,
    title: exp?.title ?? run.figure,
    status: run.status,
    progress: { ...run.progress },
    engine: run.engine,
    engineDescription: run.engineDescription,
    seed: run.seed,
    preset: run.preset,
    reduced: run.reduced,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    updatedAt: run.updatedAt,
    durationMs: Number.isFinite(end - start) ? Math.max(0, end - start) : 0,
    summary,
    message: run.message ?? null,
    phase: run.status === "running" ? phaseOf(run) : null,
    eta: run.status === "running" ? etaOf(run) : null,
  };
}

/** A field the run record may carry beyond its declared type (written by newer CLIs). */
function extraField(run: RunRecord, name: string): unknown {
  const value: unknown = Reflect.get(run, name);
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The run record's optional `phase` {label, done, total}, when well-formed. */
export function phaseOf(run: RunRecord): RunPhase | null {
  const p = extraField(run, "phase");
  if (
    !isObject(p) || typeof p.label !== "string" || typeof p.done !== "number" ||
    typeof p.total !== "number"
  ) return null;
  return { label: p.label, done: p.done, total: p.total };
}

/**
 * Time left: the run record's optional `eta` {remainingMs, at, note?} when the CLI wrote one;
 * otherwise, once a unit has finished, elapsed time per finished unit times the units left
 * (labelled as such: units differ in cost, so it is rough).
 */
export function etaOf(run: RunRecord): RunEta | null {
  const e = extraField(run, "eta");
  if (isObject(e) && typeof e.remainingMs === "number" && typeof e.at === "string") {
    return {
      remainingMs: e.remainingMs,
      at: e.at,
      source: "cli",
      ...(typeof e.note === "string" ? { note: e.note } : {}),
    };
  }
  const { done, total } = run.progress;
  const elapsed = Date.parse(run.updatedAt) - Date.parse(run.startedAt);
  if (!(done > 0) || !(total > done) || !Number.isFinite(elapsed)) return null;
  return {
    remainingMs: (elapsed / done) * (total - done),
    at: run.updatedAt,
    source: "units",
    note: "rough: time per finished unit so far",
  };
}

/** The run record's optional `liveLoss` list, keeping only well-formed entries. */
export function liveLossOf(run: RunRecord): LiveLoss[] {
  const list = extraField(run, "liveLoss");
  if (!Array.isArray(list)) return [];
  const out: LiveLoss[] = [];
  for (const e of list) {
    if (
      isObject(e) && typeof e.lineage === "string" && typeof e.network === "number" &&
      Array.isArray(e.loss) && e.loss.every((v) => typeof v === "number")
    ) {
      out.push({ lineage: e.lineage, network: e.network, loss: e.loss });
    }
  }
  return out;
}

/** The config-diff body of a run. */
export function runConfigBody(run: RunRecord): RunConfigBody {
  return {
    id: run.id,
    figure: run.figure,
    config: run.config,
    seed: run.seed,
    engine: run.engine,
    engineDescription: run.engineDescription,
    preset: run.preset,
    reduced: run.reduced,
    versions: run.versions,
  };
}

/** Mean and SEM per index over curves of different lengths; n = curves reaching that index. */
export function curveBand(label: string, curves: number[][]): PanelSeries {
  const len = curves.reduce((m, c) => Math.max(m, c.length), 0);
  const { mean, sem } = meanSem(curves);
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    label,
    color: label,
    x: Array.from({ length: len }, (_, i) => i + 1),
    y: mean.map(finite),
    err: sem.map(finite),
    n: Array.from({ length: len }, (_, i) => curves.filter((c) => Number.isFinite(c[i])).length),
    band: true,
  };
}

/** Networks training now as one stage: a mean ± SEM band per lineage (null when none). */
export function liveStage(live: readonly LiveLoss[]): TrainingStage | null {
  if (live.length === 0) return null;
  const by = new Map<string, number[][]>();
  for (const l of live) by.set(l.lineage, [...(by.get(l.lineage) ?? []), l.loss]);
  return {
    stage: "training now",
    series: [...by.entries()].map(([lineage, curves]) => ({
      ...curveBand(lineage, curves),
      label: `${lineage} (${curves.length} network${curves.length === 1 ? "" : "s"})`,
      color: lineage,
    })),
  };
}

function historiesOf(metrics: Record<string, unknown>): [string, number[]][] {
  const out: [string, number[]][] = [];
  const take = (lineage: string, v: unknown): void => {
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number")) {
      out.push([lineage, v]);
    }
  };
  take("network", metrics.lossHistory);
  for (const [k, v] of Object.entries(metrics)) {
    if (isObject(v)) take(k, v.lossHistory);
  }
  return out;
}

/**
 * Training-loss curves from unit metrics: every `lossHistory` (loss at the start of each outer
 * iteration, spec 5.4.1) at the top of a unit's metrics or one level down (per lineage). A stage is
 * the unit key's names (numeric key parts are network and level indices, averaged over) plus the
 * unit's `level` and `noise`; within a stage each lineage is one mean ± SEM band. Stages are
 * sorted by name, then level, so the last one is the furthest level reached.
 */
export function trainingStages(units: readonly UnitEntry[]): TrainingStage[] {
  const stages = new Map<string, { names: string; level: number; by: Map<string, number[][]> }>();
  for (const { key, record } of units) {
    const m = record.metrics;
    const hist = historiesOf(m);
    if (hist.length === 0) continue;
    const names = key.filter((k): k is string => typeof k === "string").join(" ");
    const level = typeof m.level === "number" ? m.level : NaN;
    const noise = typeof m.noise === "number" ? ` noise ${m.noise}` : "";
    const levelText = !Number.isFinite(level)
      ? ""
      : / ?level$/.test(names)
      ? ` ${level}`
      : ` level ${level}`;
    const label = `${names}${levelText}${noise}`.trim() || "training";
    let st = stages.get(label);
    if (!st) {
      st = { names, level: Number.isFinite(level) ? level : -Infinity, by: new Map() };
      stages.set(label, st);
    }
    for (const [lineage, h] of hist) {
      const list = st.by.get(lineage) ?? [];
      list.push(h);
      st.by.set(lineage, list);
    }
  }
  return [...stages.entries()]
    .sort(([, a], [, b]) => (a.names < b.names ? -1 : a.names > b.names ? 1 : a.level - b.level))
    .map(([stage, st]) => ({
      stage,
      series: [...st.by.entries()].map(([lineage, curves]) => curveBand(lineage, curves)),
    }));
}

/** Resolves query values against declared parameters (defaults fill the gaps). */
export function resolveParams(
  declared: PanelParameter[],
  query: Record<string, string>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of declared) {
    const raw = Object.hasOwn(query, p.name) ? query[p.name] : undefined;
    if (raw === undefined || raw === "") {
      out[p.name] = p.default;
      continue;
    }
    const v = Number(raw);
    const match = p.options.find((o) => Math.abs(o - v) < 1e-9);
    if (!Number.isFinite(v) || match === undefined) {
      throw new BadParameter(`parameter '${p.name}' must be one of ${p.options.join(", ")}`);
    }
    out[p.name] = match;
  }
  return out;
}

interface CacheEntry {
  stamp: string;
  detail: RunDetail;
}

type UnitList = Awaited<ReturnType<ResultStore["listUnits"]>>;

/** Options of {@link RunData}. */
export interface RunDataOptions {
  /** Maximum cached (run, parameters) results (default 64). */
  maxEntries?: number;
  /** Runs whose unit metrics stay in memory (default 4). */
  maxUnitRuns?: number;
}

/** The run record's stamp: it is rewritten atomically with every unit, so it identifies the data. */
function stampOf(run: RunRecord): string {
  return `${run.updatedAt}|${run.status}|${run.progress.done}`;
}

/**
 * Reads runs from the store and turns them into API bodies. Two caches keep reloads cheap: unit
 * metrics per run (so switching a parameter only re-aggregates) and finished results per run and
 * parameter set; both are keyed on the run's stamp. Concurrent requests for the same result share
 * one computation, so a burst of live updates never queues duplicate work.
 */
export class RunData {
  #store: ResultStore;
  #experiments: ExperimentMap;
  #cache = new Map<string, CacheEntry>();
  #units = new Map<string, { stamp: string; units: UnitList }>();
  #inflight = new Map<string, Promise<unknown>>();
  #max: number;
  #maxUnitRuns: number;

  /** Creates the reader. */
  constructor(store: ResultStore, experiments: ExperimentMap, options: RunDataOptions = {}) {
    this.#store = store;
    this.#experiments = experiments;
    this.#max = options.maxEntries ?? 64;
    this.#maxUnitRuns = options.maxUnitRuns ?? 4;
  }

  /** A run's config and versions (for a config diff), or null when the run does not exist. */
  async config(id: string): Promise<RunConfigBody | null> {
    const run = await this.#store.getRun(id);
    return run ? runConfigBody(run) : null;
  }

  /** All runs, newest first, as list lines. */
  async list(): Promise<RunList> {
    const version = await this.#store.version();
    const runs = await this.#store.listRuns();
    return {
      version: version.toString(),
      runs: runs.map((r) => summarizeRun(r, this.#experiments)),
    };
  }

  /** A run's panels for the given query parameters, or null when the run does not exist. */
  async detail(id: string, query: Record<string, string>): Promise<RunDetail | null> {
    for (let attempt = 0;; attempt++) {
      const version = await this.#store.version();
      const run = await this.#store.getRun(id);
      if (!run) return null;
      const exp = this.#experiment(run);
      const parameters = exp ? exp.parameters(experimentRun(run)) : [];
      const params = resolveParams(parameters, query);
      const key = `${id}?${JSON.stringify(params)}`;
      const stamp = stampOf(run);
      const hit = this.#cache.get(key);
      if (hit && hit.stamp === stamp) {
        this.#cache.delete(key);
        this.#cache.set(key, hit);
        return { ...hit.detail, version: version.toString() };
      }
      const running = this.#inflight.get(key);
      if (running && attempt < 2) {
        // Someone is computing this result (maybe for an older stamp): wait, then look again.
        await running.catch(() => {});
        continue;
      }
      return await this.#once(key, async () => {
        const units = exp ? await this.#unitsOf(run) : [];
        const detail: RunDetail = {
          version: version.toString(),
          run: summarizeRun(run, this.#experiments),
          parameters,
          params,
          panels: exp ? exp.panels(experimentRun(run), units, params) : [],
          units: units.length,
          notice: exp
            ? null
            : `this dashboard does not know the experiment '${run.figure}', so it has no panels`,
          training: trainingStages(units),
          liveLoss: run.status === "running" ? liveLossOf(run) : [],
          live: run.status === "running" ? liveStage(liveLossOf(run)) : null,
        };
        this.#cache.set(key, { stamp, detail });
        while (this.#cache.size > this.#max) {
          this.#cache.delete(this.#cache.keys().next().value as string);
        }
        return detail;
      });
    }
  }

  /**
   * Computes the default-parameter results of the newest runs in the background, so the first
   * page load after the server starts (or after a run changed) finds them ready.
   */
  async warm(runIds?: string[], limit = 3): Promise<void> {
    const ids = runIds ?? (await this.#store.listRuns()).slice(0, limit).map((r) => r.id);
    for (const id of ids) {
      try {
        await this.detail(id, {});
      } catch (err) {
        console.error(
          `dashboard: could not prepare run ${id}: ${err instanceof Error ? err.message : err}`,
        );
      }
    }
  }

  #experiment(run: RunRecord): Experiment | undefined {
    return Object.hasOwn(this.#experiments, run.figure) ? this.#experiments[run.figure] : undefined;
  }

  async #unitsOf(run: RunRecord): Promise<UnitList> {
    const stamp = stampOf(run);
    const hit = this.#units.get(run.id);
    if (hit && hit.stamp === stamp) return hit.units;
    const units = await this.#once(`units:${run.id}:${stamp}`, () => this.#store.listUnits(run.id));
    this.#units.delete(run.id);
    this.#units.set(run.id, { stamp, units });
    while (this.#units.size > this.#maxUnitRuns) {
      this.#units.delete(this.#units.keys().next().value as string);
    }
    return units;
  }

  async #once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#inflight.get(key) as Promise<T> | undefined;
    if (existing) return await existing;
    const p = work();
    this.#inflight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    }
  }
}

/**
 * What the API returns for runs: a summary per run for the list, and a run's aggregated panels
 * (computed by the run's experiment from unit metrics, never blobs or per-network weights). Panel
 * results are cached per run and parameter set, keyed on the store version and the run's own
 * update stamp, so a reload of an unchanged run costs two key reads.
 *
 * @module
 */
import type { Experiment } from "../core/app/experiment.ts";
import type { Panel, PanelParameter } from "../core/app/panels.ts";
import type { ResultStore, RunRecord } from "../core/store/kv_store.ts";

/** Experiments the server knows, by id (the `figure` field of a run). */
export type ExperimentMap = Readonly<Record<string, Experiment>>;

/** One line of the runs list. */
export interface RunSummary {
  /** Run id. */
  id: string;
  /** Experiment id. */
  figure: string;
  /** Experiment title, or the figure id when the experiment is unknown to this server. */
  title: string;
  /** Run status. */
  status: RunRecord["status"];
  /** Finished and total units. */
  progress: { done: number; total: number };
  /** Engine name. */
  engine: string;
  /** Engine details. */
  engineDescription: string;
  /** Master seed. */
  seed: number;
  /** Preset name. */
  preset: string;
  /** True unless the paper's full protocol. */
  reduced: boolean;
  /** ISO start time. */
  startedAt: string;
  /** ISO end time. */
  endedAt: string | null;
  /** ISO time of the last write. */
  updatedAt: string;
  /** Milliseconds from start to end (or to the last write while running). */
  durationMs: number;
  /** One-line config summary from the experiment's `describe`. */
  summary: string;
  /** Failure reason or notes. */
  message: string | null;
}

/** Body of `GET /api/runs/:id`. */
export interface RunDetail {
  /** Store version the data was computed at (decimal string). */
  version: string;
  /** The run. */
  run: RunSummary;
  /** Selectable parameters the experiment declares. */
  parameters: PanelParameter[];
  /** Parameter values used for these panels. */
  params: Record<string, number>;
  /** Panels to draw. */
  panels: Panel[];
  /** Number of unit records aggregated. */
  units: number;
  /** Set when the panels could not be produced (unknown experiment). */
  notice: string | null;
}

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
    summary = exp ? exp.describe(run.config as never) : "";
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
  };
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

  /** All runs, newest first, as list lines. */
  async list(): Promise<{ version: string; runs: RunSummary[] }> {
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
      const parameters = exp ? exp.parameters(run) : [];
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
          panels: exp ? exp.panels(run, units, params) : [],
          units: units.length,
          notice: exp
            ? null
            : `this dashboard does not know the experiment '${run.figure}', so it has no panels`,
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

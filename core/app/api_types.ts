/**
 * The dashboard API contract: the JSON bodies `server/` sends and `ui/` reads. Types only, with no
 * Deno or DOM dependencies, so both the server and the browser bundle import them from here.
 *
 * - `GET /api/runs` -> {@link RunList}
 * - `GET /api/runs/:id` -> {@link RunDetail}
 * - `GET /api/runs/:id/config` -> {@link RunConfigBody}
 * - `GET /api/runs/:id/claims` -> {@link RunClaimsBody} (the papers' claims this run tests)
 * - `GET /api/claims` -> {@link ScorecardBody} (the reproduction scorecard of the whole store)
 * - `GET /api/events` -> `update` events carrying a {@link StoreChange}
 *
 * @module
 */
import type { Panel, PanelParameter, PanelSeries } from "./panels.ts";
import type { RunStatus } from "../store/types.ts";
import type { ClaimRow } from "./claims.ts";

export type { ClaimRow, ClaimRun, Verdict } from "./claims.ts";

/** One line of the runs list. */
export interface RunSummary {
  /** Run id. */
  id: string;
  /** Experiment id. */
  figure: string;
  /** Experiment title, or the figure id when the experiment is unknown to this server. */
  title: string;
  /** Run status. */
  status: RunStatus;
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
  /** Phase of a running run (written by the CLI as the run record's `phase`), else null. */
  phase?: RunPhase | null;
  /** Time left of a running run: the CLI's estimate, else one from finished units, else null. */
  eta?: RunEta | null;
}

/** The phase a running run is in, e.g. `{label: "starting networks", done: 2, total: 6}`. */
export interface RunPhase {
  /** What is being done ("starting networks", "level 0.3", ...). */
  label: string;
  /** Work done in this phase, in the phase's own measure. */
  done: number;
  /** Work of the whole phase. */
  total: number;
}

/** An estimate of the time left; the dashboard counts down from `at`. */
export interface RunEta {
  /** Milliseconds left at time `at`. */
  remainingMs: number;
  /** ISO time the estimate was made. */
  at: string;
  /** Where it comes from: the CLI's own estimate, or finished units over elapsed time. */
  source: "cli" | "units";
  /** Caveat shown beside it (e.g. "capped iterations: an upper bound"). */
  note?: string;
}

/** Mean training loss per outer iteration of one stage (e.g. "level 0.7"), a series per lineage. */
export interface TrainingStage {
  /** Stage label: the unit key's names plus its level / noise, e.g. "level 0.7". */
  stage: string;
  /** One series per lineage: mean with an SEM band, n per iteration. */
  series: PanelSeries[];
}

/** Loss per outer iteration of networks training right now (the run record's `liveLoss`). */
export interface LiveLoss {
  /** Lineage, e.g. "pruned", "unpruned" or "starting". */
  lineage: string;
  /** Network index. */
  network: number;
  /** Loss at the start of each outer iteration so far. */
  loss: number[];
}

/** Body of `GET /api/runs/:id/config`: what a config diff needs. */
export interface RunConfigBody {
  /** Run id. */
  id: string;
  /** Experiment id. */
  figure: string;
  /** The run's resolved config. */
  config: Record<string, unknown>;
  /** Master seed. */
  seed: number;
  /** Engine name. */
  engine: string;
  /** Engine details. */
  engineDescription: string;
  /** Preset name. */
  preset: string;
  /** True unless the paper's full protocol. */
  reduced: boolean;
  /** Versions of prunelab, Deno, ... */
  versions: Record<string, string>;
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
  /** Training-loss curves from the units' `lossHistory`, one entry per stage (may be empty). */
  training?: TrainingStage[];
  /** Networks training now (the run record's `liveLoss`, when the CLI writes it). */
  liveLoss?: LiveLoss[];
  /** The same as a mean ± SEM band per lineage, null when nothing trains now. */
  live?: TrainingStage | null;
}

/** Body of `GET /api/runs`. */
export interface RunList {
  /** Store version the list was read at (decimal string). */
  version: string;
  /** All runs, newest first. */
  runs: RunSummary[];
}

/** An `update` event of `GET /api/events`: the store changed. */
export interface StoreChange {
  /** New store version (decimal string, JSON-safe). */
  version: string;
  /** Ids of runs whose record changed (new, updated or deleted). */
  runs: string[];
}

/** Body of `GET /api/claims`: every claim of both papers judged on the store. */
export interface ScorecardBody {
  /** Store version the scorecard was computed at (decimal string). */
  version: string;
  /** How each claim's run was chosen. */
  rule: string;
  /** One row per catalogued claim. */
  claims: ClaimRow[];
}

/** Body of `GET /api/runs/:id/claims`: the claims of the run's experiment judged on this run. */
export interface RunClaimsBody {
  /** Run id. */
  id: string;
  /** One row per claim of the run's experiment (not-run where this run cannot test it). */
  claims: ClaimRow[];
  /** Why there are none or they could not be computed (e.g. the run is still running). */
  notice: string | null;
}

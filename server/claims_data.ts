/**
 * The scorecard for the dashboard: `GET /api/claims` (every claim of both papers judged on the
 * store, core/app/scorecard.ts) and `GET /api/runs/:id/claims` (the claims of one run's
 * experiment judged on that run). Both summarise runs (which may read blobs), so results are
 * cached: the scorecard per set of finished runs, a run's claims per run stamp.
 *
 * @module
 */
import type { RunClaimsBody, ScorecardBody } from "../core/app/api_types.ts";
import type { ClaimSpec } from "../core/app/claims.ts";
import { experimentRun } from "../core/app/experiment.ts";
import { buildScorecard, runClaims } from "../core/app/scorecard.ts";
import type { ResultStore } from "../core/store/store.ts";
import { CLAIMS_CATALOGUE } from "../experiments/claims_catalogue.ts";
import type { ExperimentMap } from "./run_data.ts";

/** Reads the scorecard and per-run claims from the store, with small caches. */
export class ClaimsData {
  #store: ResultStore;
  #experiments: ExperimentMap;
  #catalogue: readonly ClaimSpec[];
  #card: { key: string; body: Promise<Omit<ScorecardBody, "version">> } | null = null;
  #runs = new Map<string, { stamp: string; body: Promise<RunClaimsBody> }>();

  /** Creates the reader (the catalogue defaults to both papers' claims). */
  constructor(
    store: ResultStore,
    experiments: ExperimentMap,
    catalogue: readonly ClaimSpec[] = CLAIMS_CATALOGUE,
  ) {
    this.#store = store;
    this.#experiments = experiments;
    this.#catalogue = catalogue;
  }

  /**
   * The scorecard of the store. It depends only on the finished runs (running ones are never
   * chosen), so it is recomputed when that set changes, not on every unit a running run writes.
   */
  async scorecard(): Promise<ScorecardBody> {
    const version = (await this.#store.version()).toString();
    const done = await this.#store.listRuns({ status: "done" });
    const key = done.map((r) => `${r.id}@${r.updatedAt}`).join(",");
    if (this.#card?.key !== key) {
      const body = buildScorecard(this.#store, {
        catalogue: this.#catalogue,
        experiments: this.#experiments,
      }).then((card) => ({ rule: card.rule, claims: card.claims }));
      this.#card = { key, body };
      body.catch(() => (this.#card = null));
    }
    return { version, ...(await this.#card.body) };
  }

  /** The claims of a run's experiment judged on that run; null when the run does not exist. */
  async run(id: string): Promise<RunClaimsBody | null> {
    const run = await this.#store.getRun(id);
    if (!run) return null;
    const stamp = `${run.updatedAt}|${run.status}|${run.progress.done}`;
    const hit = this.#runs.get(id);
    if (hit && hit.stamp === stamp) return await hit.body;
    const exp = Object.hasOwn(this.#experiments, run.figure)
      ? this.#experiments[run.figure]
      : undefined;
    const body = (async (): Promise<RunClaimsBody> => {
      if (!exp) {
        return { id, claims: [], notice: `this dashboard does not know '${run.figure}'` };
      }
      const own = this.#catalogue.filter((c) => c.experiment === exp.id);
      if (own.length === 0) {
        return { id, claims: [], notice: "no claim of either paper is tested by this figure" };
      }
      const summary = await exp.summarize(experimentRun(run), this.#store);
      return {
        id,
        claims: runClaims(exp, summary, { run, catalogue: this.#catalogue }),
        notice: run.status === "done"
          ? null
          : `run ${run.status}: judged on the ${run.progress.done} of ${run.progress.total} ` +
            `units stored so far`,
      };
    })();
    this.#runs.set(id, { stamp, body });
    body.catch(() => this.#runs.delete(id));
    while (this.#runs.size > 16) this.#runs.delete(this.#runs.keys().next().value as string);
    return await body;
  }
}

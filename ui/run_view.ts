/// <reference lib="dom" />
/**
 * A run page: its status, phase, ETA and elapsed time, the claims it tests, its declared panels,
 * its training curves (first while it trains) and a whole-run download.
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { PanelParameter } from "../core/app/panels.ts";
import { fetchConfig, fetchRun, type RunDetail, type TrainingStage } from "./api.ts";
import type { DrawPanel } from "./charts.ts";
import { RunClaims } from "./claims.ts";
import { runArchiveFiles, saveFile, zipFiles } from "./export.ts";
import { useLive, useNow } from "./live.ts";
import { type CardContext, PanelCard, ParamPicker } from "./panel_card.ts";
import { elapsedMs, formatDuration, formatTime, PhaseLine, Progress } from "./run_status.ts";

/** The training-curve panel of a stage (loss per outer iteration, mean ± SEM band). */
function stagePanel(stage: TrainingStage, id: string, caption: string): DrawPanel {
  return {
    id,
    title: `Training loss per outer iteration: ${stage.stage}`,
    kind: "line",
    xLabel: "outer iteration",
    yLabel: "loss at the start of the iteration",
    logY: true,
    errorKind: "sem",
    series: stage.series,
    caption,
  };
}

/** Training curves: loss per outer iteration, mean ± SEM band per lineage, per stage. */
function TrainingCard(
  { stages, live, ctx }: { stages: TrainingStage[]; live: TrainingStage | null; ctx: CardContext },
): JSX.Element | null {
  const [pick, setPick] = useState<string | null>(null);
  const now = live
    ? stagePanel(
      live,
      "training-live",
      `in training right now: ${live.series.map((s) => s.label).join(", ")}; ` +
        `mean ± SEM band per lineage`,
    )
    : null;
  if (stages.length === 0 && !now) return null;
  const stage = stages.find((s) => s.stage === pick) ?? stages[stages.length - 1];
  const panel = stage
    ? stagePanel(
      stage,
      "training",
      `finished units of this stage; mean ± SEM band per lineage, n = networks reaching each ` +
        `iteration (${stages.length} stage${stages.length === 1 ? "" : "s"})`,
    )
    : null;
  return h(
    "div",
    { class: "training", id: "training" },
    now ? h(PanelCard, { panel: now, ctx }) : null,
    panel
      ? h(
        "div",
        null,
        stages.length > 1
          ? h(
            "label",
            { class: "params" },
            "Training stage: ",
            h(
              "select",
              {
                name: "training-stage",
                value: stage.stage,
                onChange: (e: Event) => setPick((e.target as HTMLSelectElement).value),
              },
              stages.map((s) => h("option", { value: s.stage }, s.stage)),
            ),
          )
          : null,
        h(PanelCard, { panel, ctx }),
      )
      : null,
  );
}

/** All parameter combinations of a run (capped), for the whole-run archive. */
function parameterSets(parameters: PanelParameter[]): Record<string, number>[] {
  let sets: Record<string, number>[] = [{}];
  for (const p of parameters) {
    sets = sets.flatMap((s) => p.options.map((o) => ({ ...s, [p.name]: o })));
    if (sets.length > 64) return sets.slice(0, 64);
  }
  return sets;
}

function ArchiveButton({ detail }: { detail: RunDetail }): JSX.Element {
  const [state, setState] = useState<string | null>(null);
  const go = async (): Promise<void> => {
    try {
      const id = detail.run.id;
      setState("collecting…");
      const config = await fetchConfig(id);
      const sets = parameterSets(detail.parameters);
      const details: RunDetail[] = [];
      for (const [i, s] of sets.entries()) {
        setState(`collecting ${i + 1} / ${sets.length}…`);
        details.push(await fetchRun(id, s));
      }
      const zip = zipFiles(runArchiveFiles(config, details));
      saveFile(`${id}.zip`, new Blob([zip.slice().buffer], { type: "application/zip" }));
      setState(null);
    } catch (e) {
      setState(`failed: ${e instanceof Error ? e.message : e}`);
    }
  };
  return h(
    "span",
    null,
    h(
      "button",
      { type: "button", id: "run-archive", onClick: () => void go() },
      "Download run (zip)",
    ),
    state ? h("span", { class: "small" }, ` ${state}`) : null,
  );
}

/** A run page. */
export function RunView(
  { id, params, onParams }: {
    id: string;
    params: Record<string, number>;
    onParams: (p: Record<string, number>) => void;
  },
): JSX.Element {
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(params);
  const seq = useRef(0);
  const load = useCallback(() => {
    // Only the newest request may update the view (a slow older one must not overwrite it).
    const mine = ++seq.current;
    return fetchRun(id, params).then((d) => {
      if (mine !== seq.current) return;
      setDetail(d);
      setError(null);
    }, (e) => {
      if (mine === seq.current) setError(String(e.message ?? e));
    });
  }, [id, key]);
  useEffect(() => void load(), [id, key]);
  useLive((c) => c.runs.includes(id), load);
  const now = useNow(detail?.run.status === "running");
  if (error) return h("div", { class: "error" }, `Run ${id}: ${error}`);
  if (!detail) return h("p", { class: "empty" }, `Loading ${id}…`);
  const r = detail.run;
  const ctx: CardContext = {
    runIds: [r.id],
    params: detail.params,
    status: r.status,
    progress: r.progress,
  };
  return h(
    "div",
    { class: "run", "data-run": r.id },
    h("h1", null, `${r.title}`),
    h(
      "div",
      { class: "meta" },
      h("code", null, r.id),
      " · ",
      h("span", { class: `status ${r.status}`, id: "run-status" }, r.status),
      " · ",
      h(Progress, { run: r }),
      ` · ${r.engine} · seed ${r.seed} · ${r.preset}${r.reduced ? " (reduced)" : ""} · started ${
        formatTime(r.startedAt)
      } · `,
      h("span", { id: "run-elapsed" }, formatDuration(elapsedMs(r, now))),
      ` · ${detail.units} units · `,
      h(ArchiveButton, { detail }),
      h(PhaseLine, { run: r, now }),
      h("div", null, r.summary),
      r.message ? h("div", null, r.message) : null,
    ),
    detail.notice ? h("div", { class: "notice" }, detail.notice) : null,
    h(RunClaims, { id: r.id, stamp: `${r.updatedAt}|${r.status}|${r.progress.done}` }),
    h(ParamPicker, {
      parameters: detail.parameters,
      values: detail.params,
      onPick: (name, v) => onParams({ ...detail.params, [name]: v }),
    }),
    // While a run trains, its training curves come first: they are what moves.
    r.status === "running"
      ? h(TrainingCard, { stages: detail.training ?? [], live: detail.live ?? null, ctx })
      : null,
    detail.panels.length === 0 && !detail.notice
      ? h("p", { class: "empty" }, r.status === "running" ? "Waiting for results…" : "No results.")
      : h(
        "div",
        { class: "panels" },
        detail.panels.map((p) => h(PanelCard, { key: p.id, panel: p, ctx })),
      ),
    r.status !== "running"
      ? h(TrainingCard, { stages: detail.training ?? [], live: detail.live ?? null, ctx })
      : null,
  );
}

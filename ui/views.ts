/// <reference lib="dom" />
/**
 * The dashboard's views (Preact, written with `h` so no JSX configuration is needed): the runs
 * list, a run page with its phase, ETA, training curves and declared panels, and a comparison of
 * any number of runs of one figure (overlay on shared axes, config diff).
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Chart } from "chart.js";
import {
  describeTest,
  errorKindLabel,
  type Panel,
  type PanelParameter,
} from "../core/app/panels.ts";
import {
  type Change,
  fetchConfig,
  fetchRun,
  fetchRuns,
  onChange,
  type RunConfigBody,
  type RunDetail,
  type RunSummary,
  type TrainingStage,
} from "./api.ts";
import { RunClaims } from "./claims.ts";
import { drawHeatmap, type DrawPanel, heatmapRange, panelHasData, renderChart } from "./charts.ts";
import {
  type CompareRun,
  configDiff,
  figuresOf,
  groupFields,
  type Grouping,
  overlay,
} from "./compare.ts";
import { fileStem, panelCsv } from "./csv.ts";
import { panelPng, panelSvg, runArchiveFiles, saveFile, zipFiles } from "./export.ts";
import { TableView } from "./table.ts";

/** Formats a duration in ms as "1h 02m", "3m 05s" or "12s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const p = (v: number): string => String(v).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${p(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  return `${s}s`;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Re-renders every `ms` while `active` (elapsed time and ETA of a running run). */
function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

/** Elapsed time of a run: to its end, or to now while it runs (the record's stamp can lag). */
function elapsedMs(run: RunSummary, now: number): number {
  if (run.status !== "running") return run.durationMs;
  const start = Date.parse(run.startedAt);
  return Number.isFinite(start) ? Math.max(run.durationMs, now - start) : run.durationMs;
}

function etaText(run: RunSummary, now: number): string | null {
  const e = run.eta;
  if (!e || run.status !== "running") return null;
  const left = e.remainingMs - (now - Date.parse(e.at));
  const what = left > 0 ? `about ${formatDuration(left)} left` : "past the estimate";
  return `${what}${e.note ? ` (${e.note})` : ""}`;
}

function Progress({ run }: { run: RunSummary }): JSX.Element {
  const { done, total } = run.progress;
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  return h(
    "span",
    { class: "progress", "data-done": done, "data-total": total },
    h("span", { class: "bar" }, h("span", { style: { width: `${pct}%` } })),
    `${done} / ${total} units`,
  );
}

/** Phase, its own progress and the ETA of a running run. */
function PhaseLine({ run, now }: { run: RunSummary; now: number }): JSX.Element | null {
  if (run.status !== "running") return null;
  const eta = etaText(run, now);
  const ph = run.phase;
  return h(
    "div",
    { class: "phase", id: "run-phase" },
    ph
      ? h(
        "span",
        null,
        `phase: ${ph.label} `,
        h(
          "span",
          { class: "bar" },
          h("span", {
            style: { width: `${ph.total > 0 ? Math.min(100, (100 * ph.done) / ph.total) : 0}%` },
          }),
        ),
        `${ph.done} / ${ph.total}`,
      )
      : h("span", null, "phase: not reported by this run"),
    " · ",
    h("span", { id: "run-eta" }, eta ?? "ETA: after the first finished unit"),
  );
}

/**
 * Re-runs `load` whenever the server announces a change that `matters`. At most one load runs at
 * a time; changes announced meanwhile cause one more load when it ends, so a burst of unit writes
 * costs the server a few aggregations, not one per write.
 */
function useLive(matters: (c: Change) => boolean, load: () => Promise<void>): void {
  const ref = useRef({ matters, load });
  ref.current = { matters, load };
  useEffect(() => {
    let busy = false;
    let pending = false;
    let alive = true;
    const run = async (): Promise<void> => {
      busy = true;
      pending = false;
      try {
        await ref.current.load();
      } finally {
        busy = false;
        if (pending && alive) void run();
      }
    };
    const off = onChange((c) => {
      if (!ref.current.matters(c)) return;
      if (busy) pending = true;
      else void run();
    });
    return () => {
      alive = false;
      off();
    };
  }, []);
}

/** The runs list; tick runs of one figure to compare them. */
export function RunsList(): JSX.Element {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const load = useCallback(
    () =>
      fetchRuns().then((r) => {
        setRuns(r.runs);
        setError(null);
      }, (e) => setError(String(e.message ?? e))),
    [],
  );
  useEffect(() => void load(), []);
  useLive(() => true, load);
  const now = useNow(!!runs?.some((r) => r.status === "running"));
  if (error) return h("div", { class: "error" }, `Could not load runs: ${error}`);
  if (!runs) return h("p", { class: "empty" }, "Loading runs…");
  const toggle = (id: string): void => {
    setPicked((p) => p.includes(id) ? p.filter((x) => x !== id) : [...p, id]);
  };
  const pickedRuns = runs.filter((r) => picked.includes(r.id));
  const figures = [...new Set(pickedRuns.map((r) => r.figure))];
  let action: JSX.Element | string = "Tick two or more runs of one figure to overlay them.";
  if (picked.length >= 2 && figures.length === 1) {
    action = h(
      "a",
      { href: `#/compare/${picked.join("/")}`, id: "compare-link" },
      `Compare the ${picked.length} selected runs`,
    );
  } else if (figures.length > 1) {
    action = h(
      "span",
      { class: "refuse", id: "compare-refused" },
      `The selected runs are of different figures (${figures.join(", ")}); ` +
        `an overlay needs runs of one figure.`,
    );
  }
  return h(
    "div",
    null,
    h("h1", null, "Runs"),
    h("p", { class: "meta" }, action),
    runs.length === 0
      ? h("p", { class: "empty" }, "No runs in this store yet. Start one, e.g. `deno task fig5`.")
      : h(
        "table",
        { class: "runs" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            [
              "",
              "Run",
              "Figure",
              "Status",
              "Progress",
              "Engine",
              "Seed",
              "Started",
              "Time",
              "Config",
            ]
              .map((t) => h("th", null, t)),
          ),
        ),
        h(
          "tbody",
          null,
          runs.map((r) =>
            h(
              "tr",
              { key: r.id, "data-run": r.id },
              h(
                "td",
                null,
                h("input", {
                  type: "checkbox",
                  checked: picked.includes(r.id),
                  onChange: () => toggle(r.id),
                  "aria-label": `select ${r.id}`,
                }),
              ),
              h("td", null, h("a", { href: `#/run/${r.id}` }, r.id)),
              h("td", null, r.title, r.reduced ? " (reduced)" : ""),
              h("td", null, h("span", { class: `status ${r.status}` }, r.status)),
              h(
                "td",
                null,
                h(Progress, { run: r }),
                r.phase ? h("div", { class: "small" }, r.phase.label) : null,
              ),
              h("td", { title: r.engineDescription }, r.engine),
              h("td", null, String(r.seed)),
              h("td", null, formatTime(r.startedAt)),
              h(
                "td",
                null,
                formatDuration(elapsedMs(r, now)),
                etaText(r, now) ? h("div", { class: "small" }, etaText(r, now)) : null,
              ),
              h("td", { class: "summary" }, r.summary, r.message ? ` — ${r.message}` : ""),
            )
          ),
        ),
      ),
  );
}

/** Options every panel card needs to export and to say why it is empty. */
interface CardContext {
  /** Run ids the panel's data come from. */
  runIds: string[];
  /** Parameter values of the page. */
  params: Record<string, number>;
  /** Status of the run (a running run's empty panels wait; a finished run's say so). */
  status: RunSummary["status"];
  /** Units finished / total, for the waiting message. */
  progress?: { done: number; total: number };
}

function ChartCanvas(
  { panel, heatRange }: { panel: DrawPanel; heatRange?: [number, number] | null },
): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    if (panel.kind === "heatmap") {
      chart.current?.destroy();
      chart.current = null;
      drawHeatmap(el, { ...panel, series: panel.series }, { range: heatRange });
    } else {
      chart.current = renderChart(el, panel, chart.current);
    }
    el.dataset.drawn = "1";
  }, [panel, heatRange]);
  useEffect(() => () => chart.current?.destroy(), []);
  return h("div", { class: "chart" }, h("canvas", { ref: canvas, "aria-label": panel.title }));
}

/** One panel: chart or table, caption, the test behind its marks, and its downloads. */
export function PanelCard(
  { panel, ctx, heatRange }: {
    panel: DrawPanel;
    ctx: CardContext;
    heatRange?: [number, number] | null;
  },
): JSX.Element {
  const [busy, setBusy] = useState<string | null>(null);
  const stem = fileStem(ctx.runIds.length === 1 ? ctx.runIds[0] : "compare", panel.id);
  const plain: Panel = { ...panel, series: panel.series };
  const meta = { runIds: ctx.runIds, params: ctx.params };
  const has = panelHasData(plain);
  const csv = (): void => saveFile(`${stem}.csv`, panelCsv(plain), "text/csv");
  const svg = (): void => {
    try {
      saveFile(`${stem}.svg`, panelSvg(panel, meta), "image/svg+xml");
    } catch (e) {
      setBusy(`SVG failed: ${e instanceof Error ? e.message : e}`);
    }
  };
  const png = (): void => {
    setBusy("rendering PNG…");
    panelPng(panel, meta).then((b) => {
      saveFile(`${stem}.png`, b);
      setBusy(null);
    }, (e) => setBusy(`PNG failed: ${e instanceof Error ? e.message : e}`));
  };
  let body: JSX.Element;
  let state: string;
  if (!has) {
    state = ctx.status === "running" ? "waiting" : "empty";
    const p = ctx.progress;
    body = h(
      "div",
      { class: `placeholder ${state}` },
      ctx.status === "running"
        ? `Waiting for results${p ? ` (${p.done} / ${p.total} units finished)` : ""}…`
        : "This run has no data for this panel.",
    );
  } else if (panel.kind === "table") {
    state = "drawn";
    body = h(TableView, { panel: plain });
  } else {
    state = "drawn";
    body = h(ChartCanvas, { panel, heatRange });
  }
  const notes: string[] = [];
  if (panel.test) notes.push(describeTest(panel.test));
  if (panel.kind !== "table" && panel.series.some((s) => s.err?.some((e) => e !== null))) {
    notes.push(
      `${panel.series.some((s) => s.band) ? "bands" : "error bars"}: ${
        errorKindLabel(panel.errorKind)
      }`,
    );
  }
  return h(
    "section",
    { class: "card", "data-panel": panel.id, "data-state": state },
    h("h2", null, panel.title),
    body,
    panel.caption ? h("div", { class: "caption" }, panel.caption) : null,
    notes.length ? h("div", { class: "caption stats" }, notes.join("; ")) : null,
    h(
      "div",
      { class: "tools" },
      h("button", { onClick: csv, type: "button", "data-export": "csv", disabled: !has }, "CSV"),
      h("button", { onClick: svg, type: "button", "data-export": "svg", disabled: !has }, "SVG"),
      h("button", { onClick: png, type: "button", "data-export": "png", disabled: !has }, "PNG"),
      busy ? h("span", { class: "small" }, busy) : null,
    ),
  );
}

function ParamPicker(
  { parameters, values, onPick }: {
    parameters: PanelParameter[];
    values: Record<string, number>;
    onPick: (name: string, v: number) => void;
  },
): JSX.Element | null {
  if (parameters.length === 0) return null;
  return h(
    "div",
    { class: "params" },
    parameters.map((p) =>
      h(
        "label",
        { key: p.name },
        `${p.label}: `,
        h(
          "select",
          {
            name: p.name,
            value: String(values[p.name] ?? p.default),
            onChange: (e: Event) => onPick(p.name, Number((e.target as HTMLSelectElement).value)),
          },
          p.options.map((o) => h("option", { value: String(o) }, String(o))),
        ),
      )
    ),
  );
}

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

/** The config diff of compared runs: differing fields, then the identical ones folded away. */
function ConfigDiff({ configs }: { configs: RunConfigBody[] }): JSX.Element {
  const rows = configDiff(configs);
  const differ = rows.filter((r) => !r.same);
  const same = rows.filter((r) => r.same);
  const table = (list: typeof rows): JSX.Element =>
    h(
      "table",
      { class: "runs diff" },
      h(
        "thead",
        null,
        h("tr", null, h("th", null, "field"), configs.map((c) => h("th", { key: c.id }, c.id))),
      ),
      h(
        "tbody",
        null,
        list.map((r) =>
          h(
            "tr",
            { key: r.field, "data-field": r.field, class: r.same ? "" : "differs" },
            h("td", null, r.field),
            r.values.map((v, i) => h("td", { key: i }, v)),
          )
        ),
      ),
    );
  return h(
    "section",
    { class: "card config-diff", id: "config-diff" },
    h(
      "h2",
      null,
      `Config diff: ${differ.length} field${differ.length === 1 ? " differs" : "s differ"}`,
    ),
    differ.length ? table(differ) : h("p", { class: "empty" }, "The configs are identical."),
    h("details", null, h("summary", null, `${same.length} identical fields`), table(same)),
  );
}

/** How a compare page groups runs, from its URL (`by=run`, `by=all` or `by=config.networks`). */
export function groupingOf(by: string | undefined): Grouping {
  if (!by || by === "run") return { by: "run" };
  if (by === "all") return { by: "all" };
  return { by: "field", field: by };
}

/** Any number of runs of one figure overlaid on shared axes, with their config diff. */
export function CompareView(
  { ids, params, by, onParams, onBy }: {
    ids: string[];
    params: Record<string, number>;
    by: string | undefined;
    onParams: (p: Record<string, number>) => void;
    onBy: (by: string) => void;
  },
): JSX.Element {
  const [runs, setRuns] = useState<CompareRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(params) + ids.join("/");
  const seq = useRef(0);
  const load = useCallback(() => {
    const mine = ++seq.current;
    return Promise.all(ids.map(async (id) => {
      const [detail, config] = await Promise.all([fetchRun(id, params), fetchConfig(id)]);
      return { id, detail, config };
    })).then((rs) => {
      if (mine !== seq.current) return;
      setRuns(rs);
      setError(null);
    }, (e) => {
      if (mine === seq.current) setError(String(e.message ?? e));
    });
  }, [key]);
  useEffect(() => void load(), [key]);
  useLive((c) => c.runs.some((r) => ids.includes(r)), load);
  if (ids.length < 2) {
    return h("div", { class: "error" }, "A comparison needs at least two run ids.");
  }
  if (error) return h("div", { class: "error" }, `Compare: ${error}`);
  if (!runs) return h("p", { class: "empty" }, `Loading ${ids.length} runs…`);
  const figures = figuresOf(runs);
  if (figures.length > 1) {
    return h(
      "div",
      { class: "error", id: "compare-refused" },
      h(
        "p",
        null,
        `These runs are of different figures (${figures.join(", ")}). Their panels measure ` +
          `different things, so they are not overlaid. Open them one at a time:`,
      ),
      h(
        "ul",
        null,
        runs.map((r) =>
          h("li", null, h("a", { href: `#/run/${r.id}` }, `${r.id} (${r.detail.run.figure})`))
        ),
      ),
    );
  }
  const grouping = groupingOf(by);
  const fields = groupFields(configDiff(runs.map((r) => r.config)));
  const { overlaid, apart } = overlay(runs, grouping);
  const first = runs[0].detail;
  const ctx: CardContext = {
    runIds: ids,
    params: first.params,
    status: runs.some((r) => r.detail.run.status === "running") ? "running" : "done",
  };
  const current = grouping.by === "field" ? grouping.field : grouping.by;
  return h(
    "div",
    { class: "compare", "data-runs": ids.length },
    h("h1", null, `${first.run.title}: ${ids.length} runs`),
    h(
      "div",
      { class: "params" },
      h(
        "label",
        null,
        "Overlay: ",
        h(
          "select",
          {
            name: "by",
            value: current,
            onChange: (e: Event) => onBy((e.target as HTMLSelectElement).value),
          },
          h("option", { value: "run" }, "each run (own error bars)"),
          h("option", { value: "all" }, "all runs: mean ± SEM across runs"),
          fields.map((f) => h("option", { value: f }, `grouped by ${f}: mean ± SEM per group`)),
        ),
      ),
    ),
    h(ParamPicker, {
      parameters: first.parameters,
      values: first.params,
      onPick: (name, v) => onParams({ ...first.params, [name]: v }),
    }),
    h(ConfigDiff, { configs: runs.map((r) => r.config) }),
    h(
      "div",
      { class: "panels" },
      overlaid.map((p) => h(PanelCard, { key: p.id, panel: p, ctx })),
    ),
    apart.map((a) => {
      // One colour scale for every run's heat map, so equal colours mean equal values.
      const ranges = a.perRun.map((p) => heatmapRange(p.panel)).filter((r) => r !== null);
      const shared: [number, number] | null = ranges.length
        ? [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))]
        : null;
      return h(
        "div",
        { class: "apart", key: a.id },
        h("h2", null, `${a.title} (per run${shared ? ", shared colour scale" : ""})`),
        h(
          "div",
          { class: "apart-grid" },
          a.perRun.map((p) =>
            h(PanelCard, {
              key: p.runId,
              panel: { ...p.panel, title: `${p.panel.title} · ${p.runId}` },
              ctx: { ...ctx, runIds: [p.runId] },
              heatRange: shared,
            })
          ),
        ),
      );
    }),
  );
}

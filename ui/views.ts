/// <reference lib="dom" />
/**
 * The dashboard's views (Preact, written with `h` so no JSX configuration is needed): the runs
 * list, a run page with its declared panels, and two runs side by side.
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Chart } from "chart.js";
import type { Panel, PanelParameter } from "../core/app/panels.ts";
import {
  type Change,
  fetchRun,
  fetchRuns,
  onChange,
  type RunDetail,
  type RunSummary,
} from "./api.ts";
import { drawHeatmap, renderChart } from "./charts.ts";
import { fileStem, panelCsv } from "./csv.ts";

/** Formats a duration in ms as "1h 02m", "3m 05s" or "12s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const p = (v: number): string => String(v).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${p(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  return `${s}s`;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function download(name: string, href: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function Progress({ run }: { run: RunSummary }): JSX.Element {
  const { done, total } = run.progress;
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  return h(
    "span",
    { class: "progress", "data-done": done, "data-total": total },
    h("span", { class: "bar" }, h("span", { style: { width: `${pct}%` } })),
    `${done} / ${total}`,
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

/** The runs list with a compare picker. */
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
  if (error) return h("div", { class: "error" }, `Could not load runs: ${error}`);
  if (!runs) return h("p", { class: "empty" }, "Loading runs…");
  const toggle = (id: string): void => {
    setPicked((p) => p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]);
  };
  return h(
    "div",
    null,
    h("h1", null, "Runs"),
    h(
      "p",
      { class: "meta" },
      picked.length === 2
        ? h(
          "a",
          { href: `#/compare/${picked[0]}/${picked[1]}`, id: "compare-link" },
          "Compare the two selected runs",
        )
        : "Tick two runs to compare them side by side.",
    ),
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
              "Duration",
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
              h("td", null, h(Progress, { run: r })),
              h("td", { title: r.engineDescription }, r.engine),
              h("td", null, String(r.seed)),
              h("td", null, formatTime(r.startedAt)),
              h("td", null, formatDuration(r.durationMs)),
              h("td", { class: "summary" }, r.summary, r.message ? ` — ${r.message}` : ""),
            )
          ),
        ),
      ),
  );
}

/** One panel: chart, caption, CSV and PNG buttons. */
export function PanelCard({ panel, runId }: { panel: Panel; runId: string }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    if (panel.kind === "heatmap") {
      chart.current?.destroy();
      chart.current = null;
      drawHeatmap(el, panel);
    } else {
      chart.current = renderChart(el, panel, chart.current);
    }
    el.dataset.drawn = "1";
  }, [panel]);
  useEffect(() => () => chart.current?.destroy(), []);
  const csv = (): void => {
    const blob = new Blob([panelCsv(panel)], { type: "text/csv" });
    const url = URL.createObjectURL(blob);
    download(`${fileStem(runId, panel.id)}.csv`, url);
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const png = (): void => {
    if (canvas.current) {
      download(`${fileStem(runId, panel.id)}.png`, canvas.current.toDataURL("image/png"));
    }
  };
  return h(
    "section",
    { class: "card", "data-panel": panel.id },
    h("h2", null, panel.title),
    h("div", { class: "chart" }, h("canvas", { ref: canvas, "aria-label": panel.title })),
    panel.caption ? h("div", { class: "caption" }, panel.caption) : null,
    h(
      "div",
      { class: "tools" },
      h("button", { onClick: csv, type: "button" }, "CSV"),
      h("button", { onClick: png, type: "button" }, "PNG"),
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

/** A run page (or one half of the compare view). */
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
  if (error) return h("div", { class: "error" }, `Run ${id}: ${error}`);
  if (!detail) return h("p", { class: "empty" }, `Loading ${id}…`);
  const r = detail.run;
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
      } · ${formatDuration(r.durationMs)} · ${detail.units} units`,
      h("div", null, r.summary),
      r.message ? h("div", null, r.message) : null,
    ),
    detail.notice ? h("div", { class: "notice" }, detail.notice) : null,
    h(ParamPicker, {
      parameters: detail.parameters,
      values: detail.params,
      onPick: (name, v) => onParams({ ...detail.params, [name]: v }),
    }),
    detail.panels.length === 0 && !detail.notice
      ? h("p", { class: "empty" }, "No results yet.")
      : h(
        "div",
        { class: "panels" },
        detail.panels.map((p) => h(PanelCard, { key: p.id, panel: p, runId: r.id })),
      ),
  );
}

/** Two runs side by side, sharing parameter values. */
export function CompareView(
  { a, b, params, onParams }: {
    a: string;
    b: string;
    params: Record<string, number>;
    onParams: (p: Record<string, number>) => void;
  },
): JSX.Element {
  return h(
    "div",
    { class: "compare" },
    h(
      "div",
      { class: "compare-grid" },
      h(RunView, { id: a, params, onParams }),
      h(RunView, { id: b, params, onParams }),
    ),
  );
}

/// <reference lib="dom" />
/**
 * A comparison of any number of runs of one figure: panels overlaid on shared axes (per run, all
 * runs, or grouped by a config field with mean ± SEM across runs), heat maps side by side on one
 * colour scale, and the config diff; runs of different figures are refused.
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { fetchConfig, fetchRun, type RunConfigBody } from "./api.ts";
import { heatmapRange } from "./heatmap.ts";
import {
  type CompareRun,
  configDiff,
  figuresOf,
  groupFields,
  type Grouping,
  overlay,
} from "./compare.ts";
import { useLive } from "./live.ts";
import { type CardContext, PanelCard, ParamPicker } from "./panel_card.ts";

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

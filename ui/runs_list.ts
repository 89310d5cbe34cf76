/// <reference lib="dom" />
/**
 * The runs list: every run of the store with its status, progress, phase and ETA; tick runs of one
 * figure to compare them (runs of different figures are refused).
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { fetchRuns, type RunSummary } from "./api.ts";
import { useLive, useNow } from "./live.ts";
import { elapsedMs, etaText, formatDuration, formatTime, Progress } from "./run_status.ts";

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

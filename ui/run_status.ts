/// <reference lib="dom" />
/**
 * How a run's state reads on the dashboard: durations, start times, elapsed time and ETA, the
 * unit progress bar and the phase line of a running run.
 *
 * @module
 */
import { h, type JSX } from "preact";
import type { RunSummary } from "./api.ts";

/** Formats a duration in ms as "1h 02m", "3m 05s" or "12s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const p = (v: number): string => String(v).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${p(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  return `${s}s`;
}

/** A start time in the browser's locale (the ISO text when it is not a date). */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Elapsed time of a run: to its end, or to now while it runs (the record's stamp can lag). */
export function elapsedMs(run: RunSummary, now: number): number {
  if (run.status !== "running") return run.durationMs;
  const start = Date.parse(run.startedAt);
  return Number.isFinite(start) ? Math.max(run.durationMs, now - start) : run.durationMs;
}

/** The ETA of a running run as a sentence, or null when the run states none. */
export function etaText(run: RunSummary, now: number): string | null {
  const e = run.eta;
  if (!e || run.status !== "running") return null;
  const left = e.remainingMs - (now - Date.parse(e.at));
  const what = left > 0 ? `about ${formatDuration(left)} left` : "past the estimate";
  return `${what}${e.note ? ` (${e.note})` : ""}`;
}

/** The unit progress bar of a run ("done / total units"). */
export function Progress({ run }: { run: RunSummary }): JSX.Element {
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
export function PhaseLine({ run, now }: { run: RunSummary; now: number }): JSX.Element | null {
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

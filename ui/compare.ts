/**
 * Comparing runs of one figure: a config diff, and panels overlaid on shared axes, either one
 * style per run or grouped by a config field with the mean ± SEM across the runs of each group.
 * Pure (no DOM), so tests run it directly.
 *
 * @module
 */
import type { Panel, PanelSeries } from "../core/app/panels.ts";
import type { DrawPanel, DrawSeries } from "./charts.ts";
import type { RunConfigBody, RunDetail } from "./api.ts";
import { PALETTE } from "./palette.ts";

/** One row of a config diff. */
export interface DiffRow {
  /** Dotted field name, e.g. "seed" or "config.levels". */
  field: string;
  /** The value of each run, as text, in run order. */
  values: string[];
  /** True when every run has the same value. */
  same: boolean;
}

function flatten(prefix: string, v: unknown, out: Map<string, string>): void {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
    return;
  }
  out.set(prefix, v === undefined ? "" : JSON.stringify(v));
}

/**
 * The config diff of runs: seed, engine, preset, reduced, every config field (nested objects
 * flattened to dotted names) and versions. Differing fields first, in a stable order.
 */
export function configDiff(configs: readonly RunConfigBody[]): DiffRow[] {
  const maps = configs.map((c) => {
    const m = new Map<string, string>();
    flatten("", {
      seed: c.seed,
      engine: c.engine,
      engineDescription: c.engineDescription,
      preset: c.preset,
      reduced: c.reduced,
    }, m);
    flatten("config", c.config, m);
    flatten("versions", c.versions, m);
    return m;
  });
  const fields: string[] = [];
  for (const m of maps) for (const k of m.keys()) if (!fields.includes(k)) fields.push(k);
  const rows = fields.map((field) => {
    const values = maps.map((m) => m.get(field) ?? "(absent)");
    return { field, values, same: values.every((v) => v === values[0]) };
  });
  return [...rows.filter((r) => !r.same), ...rows.filter((r) => r.same)];
}

/** Fields a comparison can group by: those whose values differ between the runs. */
export function groupFields(diff: readonly DiffRow[]): string[] {
  return diff.filter((r) => !r.same && !r.field.startsWith("versions.")).map((r) => r.field);
}

/** A run in a comparison. */
export interface CompareRun {
  /** Run id. */
  id: string;
  /** Its panels. */
  detail: RunDetail;
  /** Its config (for grouping). */
  config: RunConfigBody;
}

/** How runs are overlaid: one style per run, all runs as one group, or grouped by a field. */
export type Grouping = { by: "run" } | { by: "all" } | { by: "field"; field: string };

/** The distinct figures of runs (one entry = the runs can be overlaid). */
export function figuresOf(runs: readonly { detail: RunDetail }[]): string[] {
  return [...new Set(runs.map((r) => r.detail.run.figure))];
}

/** The value of a diff field for a run, as text (the group label). */
export function fieldValue(config: RunConfigBody, field: string): string {
  const m = new Map<string, string>();
  flatten("", {
    seed: config.seed,
    engine: config.engine,
    engineDescription: config.engineDescription,
    preset: config.preset,
    reduced: config.reduced,
  }, m);
  flatten("config", config.config, m);
  return m.get(field) ?? "(absent)";
}

/** Short label of a run for legends: "seed 3" when seeds differ, else the id's tail. */
export function runLabels(runs: readonly CompareRun[]): string[] {
  const seeds = runs.map((r) => r.config.seed);
  if (new Set(seeds).size === runs.length) return seeds.map((s) => `seed ${s}`);
  return runs.map((r) => r.id.split("-").slice(-3).join("-"));
}

function xKey(x: number | string): string {
  return typeof x === "number" ? String(Math.round(x * 1e9) / 1e9) : x;
}

/** Mean and SEM across runs at each x of a series label (n = runs with a value there). */
function acrossRuns(label: string, members: PanelSeries[]): PanelSeries {
  const xs: (number | string)[] = [];
  const at = new Map<string, number[]>();
  for (const s of members) {
    s.x.forEach((x, i) => {
      const k = xKey(x);
      if (!at.has(k)) {
        at.set(k, []);
        xs.push(x);
      }
      const y = s.y[i];
      if (typeof y === "number" && Number.isFinite(y)) at.get(k)!.push(y);
    });
  }
  if (xs.every((x) => typeof x === "number")) xs.sort((a, b) => Number(a) - Number(b));
  const y: (number | null)[] = [];
  const err: (number | null)[] = [];
  const n: (number | null)[] = [];
  for (const x of xs) {
    const v = at.get(xKey(x)) ?? [];
    const m = v.reduce((s, a) => s + a, 0) / v.length;
    const sd = v.length > 1
      ? Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / (v.length - 1))
      : NaN;
    y.push(v.length ? m : null);
    err.push(Number.isFinite(sd) ? sd / Math.sqrt(v.length) : null);
    n.push(v.length);
  }
  return {
    label,
    x: xs,
    y,
    err,
    n,
    color: members[0]?.color,
    band: xs.length > 12,
    reference: members.every((s) => s.reference) || undefined,
    line: members[0]?.line,
  };
}

/** Result of {@link overlay}. */
export interface Overlay {
  /** Panels drawn on shared axes (line, bar, scatter), in the first run's order. */
  overlaid: DrawPanel[];
  /** Panels that cannot share axes (heat maps, tables): one per run, shared colour scale. */
  apart: { id: string; title: string; perRun: { runId: string; panel: Panel }[] }[];
}

/**
 * Overlays the panels of runs of one figure. Per run: every series of every run, labelled with
 * the run and styled per run (colour = the series' own, dash and marker = the run). Grouped: for
 * each group and series label, the mean ± SEM across the group's runs (n = runs). Throws when the
 * runs are of different figures: their panels do not share axes.
 */
export function overlay(runs: readonly CompareRun[], grouping: Grouping): Overlay {
  const figures = figuresOf(runs);
  if (figures.length > 1) {
    throw new Error(`runs of different figures (${figures.join(", ")}) cannot be overlaid`);
  }
  const labels = runLabels(runs);
  const ids: string[] = [];
  for (const r of runs) for (const p of r.detail.panels) if (!ids.includes(p.id)) ids.push(p.id);
  const overlaid: DrawPanel[] = [];
  const apart: Overlay["apart"] = [];
  for (const id of ids) {
    const members = runs.map((r, i) => ({
      run: r,
      label: labels[i],
      index: i,
      panel: r.detail.panels.find((p) => p.id === id),
    })).filter((m): m is typeof m & { panel: Panel } => m.panel !== undefined);
    const first = members[0].panel;
    if (first.kind === "heatmap" || first.kind === "table") {
      apart.push({
        id,
        title: first.title,
        perRun: members.map((m) => ({ runId: m.run.id, panel: m.panel })),
      });
      continue;
    }
    let series: DrawSeries[];
    let caption: string;
    if (grouping.by === "run") {
      series = members.flatMap((m) =>
        m.panel.series
          .filter((s) => !(s.reference && m.index > 0))
          .map((s, si) => ({
            ...s,
            label: s.reference ? s.label : `${s.label} · ${m.label}`,
            // The series keeps its own colour (pruned red, unpruned blue, or its palette slot).
            color: s.color ?? (s.reference ? undefined : paletteHint(si)),
            style: m.index,
          }))
      );
      caption = `${members.length} runs overlaid; each run's own error bars and marks`;
    } else {
      const groups = new Map<string, typeof members>();
      for (const m of members) {
        const g = grouping.by === "all" ? "all runs" : fieldValue(m.run.config, grouping.field);
        groups.set(g, [...(groups.get(g) ?? []), m]);
      }
      const seriesLabels: string[] = [];
      for (const m of members) {
        for (const s of m.panel.series) {
          if (!seriesLabels.includes(s.label)) seriesLabels.push(s.label);
        }
      }
      series = [];
      let gi = 0;
      for (const [g, gm] of groups) {
        seriesLabels.forEach((sl, si) => {
          const ss = gm.map((m) => m.panel.series.find((s) => s.label === sl))
            .filter((s): s is PanelSeries => s !== undefined);
          if (ss.length === 0) return;
          if (ss[0].reference && gi > 0) return;
          const name = grouping.by === "all"
            ? `${sl} (mean of ${gm.length} runs)`
            : `${sl} · ${grouping.field.replace(/^config\./, "")}=${g} (${gm.length} run${
              gm.length === 1 ? "" : "s"
            })`;
          series.push({
            ...acrossRuns(ss[0].reference ? sl : name, ss),
            color: ss[0].color ?? (ss[0].reference ? undefined : paletteHint(si)),
            style: gi,
          });
        });
        gi++;
      }
      caption = `mean ± SEM across runs (n = runs per group at each point); ` +
        `within-run error bars and significance marks are not shown`;
    }
    overlaid.push({
      ...first,
      series,
      caption,
      errorKind: grouping.by === "run" ? first.errorKind : "sem",
      test: grouping.by === "run" ? first.test : undefined,
    });
  }
  return { overlaid, apart };
}

/** Palette slot hint for series without a colour, so a series keeps its colour across runs. */
function paletteHint(index: number): string | undefined {
  return PALETTE[index % PALETTE.length];
}

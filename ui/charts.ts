/// <reference lib="dom" />
/**
 * Draws line, bar and scatter panels with chart.js (error bars or shaded bands, filled markers
 * where a point is significant and hollow ones elsewhere, trajectories, reference lines that never
 * set the axis range, log axes labelled as such); heat maps are `heatmap.ts`. Experiments add
 * panels by declaring data; nothing here knows about a figure.
 *
 * @module
 */
import {
  BasicPlatform,
  Chart,
  type ChartConfiguration,
  type ChartDataset,
  type Plugin,
  registerables,
} from "chart.js";
import type { Panel, PanelSeries } from "../core/app/panels.ts";
import { NAMED_COLORS, PALETTE } from "./palette.ts";

export { PALETTE };

Chart.register(...registerables);

const NAMED = NAMED_COLORS;
const REFERENCE_COLOR = "#7a7a7a";
/** Marker shapes, so series that share points (a path and its marked steps) stay visible. */
const POINT_STYLES = ["circle", "triangle", "rect", "rectRot", "crossRot", "star"] as const;
const DASHES: number[][] = [[], [6, 3], [2, 3], [8, 3, 2, 3]];

/** A series as the charts draw it: overlays add a style index (one per run or group). */
export interface DrawSeries extends PanelSeries {
  /** Overlay style: each value gets its own dash pattern and marker shape. */
  style?: number;
}

/** A panel as the charts draw it. */
export interface DrawPanel extends Omit<Panel, "series"> {
  /** Series, possibly with overlay styles. */
  series: DrawSeries[];
}

/** The colour of a series: its hint ("pruned", "unpruned", a CSS colour) or the palette. */
export function seriesColor(s: PanelSeries, index: number): string {
  const hint = s.color ?? s.label.toLowerCase();
  if (Object.hasOwn(NAMED, hint)) return NAMED[hint];
  if (s.color && s.color !== "grey" && s.color !== "gray") return s.color;
  if (s.color || s.reference) return REFERENCE_COLOR;
  return PALETTE[index % PALETTE.length];
}

/** True when the panel has something to draw (a finite value, a heat-map cell or a table row). */
export function panelHasData(panel: Pick<Panel, "kind" | "series" | "heatmap" | "table">): boolean {
  if (panel.kind === "heatmap") {
    return !!panel.heatmap && panel.heatmap.values.some((v) => Number.isFinite(v));
  }
  if (panel.kind === "table") {
    // Row labels, the paper's column and counts exist before the run has results: not data.
    const t = panel.table;
    const bookkeeping = new Set(["label", "paper", "n"]);
    return !!t &&
      t.rows.some((r) =>
        r.some((c, i) =>
          !bookkeeping.has(t.columns[i]?.role ?? "value") && c.value !== null &&
          !(typeof c.value === "number" && !Number.isFinite(c.value))
        )
      );
  }
  return panel.series.some((s) =>
    !s.reference && s.y.some((v) => typeof v === "number" && Number.isFinite(v))
  );
}

interface Extras {
  errorBars?: (number | null)[];
  band?: boolean;
}

function extrasOf(ds: ChartDataset): Extras {
  // Our extra dataset fields travel on the dataset object; read them without widening its type.
  const e: unknown = ds;
  const bars: unknown = Reflect.get(e as object, "errorBars");
  const band: unknown = Reflect.get(e as object, "band");
  return {
    errorBars: Array.isArray(bars) ? bars : undefined,
    band: band === true,
  };
}

function yOf(raw: unknown): number | null {
  if (typeof raw === "number") return raw;
  if (raw && typeof raw === "object") {
    const y: unknown = Reflect.get(raw, "y");
    return typeof y === "number" ? y : null;
  }
  return null;
}

/** A point of a dataset with errors: its pixel x and the pixel y of value + err and value - err. */
interface ErrorSpan {
  x: number;
  top: number;
  bottom: number;
  err: number;
}

/**
 * Calls `draw` for every visible dataset whose errors are drawn as `kind` (shaded bands or bars),
 * with its points that have a finite value and error, clipped to the chart area widened by `pad`
 * px up and down (so bar caps at the axis ends stay whole).
 */
function eachErrorDataset(
  chart: Chart,
  options: { kind: "band" | "bars"; pad: number },
  draw: (ctx: CanvasRenderingContext2D, spans: ErrorSpan[], color: string) => void,
): void {
  const { ctx, chartArea: area } = chart;
  const y = chart.scales.y;
  chart.data.datasets.forEach((ds, di) => {
    const { errorBars, band } = extrasOf(ds);
    if (!errorBars || band !== (options.kind === "band") || !chart.isDatasetVisible(di)) return;
    const spans: ErrorSpan[] = [];
    chart.getDatasetMeta(di).data.forEach((el, i) => {
      const v = yOf(ds.data[i]);
      const e = errorBars[i];
      if (v === null || e === null || e === undefined || !Number.isFinite(e)) return;
      spans.push({
        x: el.x,
        top: y.getPixelForValue(v + e),
        bottom: y.getPixelForValue(v - e),
        err: e,
      });
    });
    ctx.save();
    ctx.beginPath();
    const pad = options.pad;
    ctx.rect(area.left, area.top - pad, area.right - area.left, area.bottom - area.top + 2 * pad);
    ctx.clip();
    draw(ctx, spans, String(ds.borderColor ?? "#333"));
    ctx.restore();
  });
}

/** Draws shaded bands (mean ± err) under band datasets, before the lines. */
const bandPlugin: Plugin = {
  id: "errBands",
  beforeDatasetsDraw(chart) {
    eachErrorDataset(chart, { kind: "band", pad: 0 }, (ctx, spans, color) => {
      if (spans.length < 2) return;
      ctx.beginPath();
      spans.forEach((s, i) => (i === 0 ? ctx.moveTo(s.x, s.top) : ctx.lineTo(s.x, s.top)));
      for (let i = spans.length - 1; i >= 0; i--) ctx.lineTo(spans[i].x, spans[i].bottom);
      ctx.closePath();
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = color;
      ctx.fill();
    });
  },
};

/** Draws vertical error bars for datasets that carry `errorBars` (and are not bands). */
const errorBarPlugin: Plugin = {
  id: "errBars",
  afterDatasetsDraw(chart) {
    eachErrorDataset(chart, { kind: "bars", pad: 4 }, (ctx, spans, color) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.2;
      for (const { x, top, bottom, err } of spans) {
        if (!(err > 0)) continue;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 3, top);
        ctx.lineTo(x + 3, top);
        ctx.moveTo(x - 3, bottom);
        ctx.lineTo(x + 3, bottom);
        ctx.stroke();
      }
    });
  },
};

/** Paints a white background so PNG downloads are not transparent. */
const whiteBackground: Plugin = {
  id: "whiteBackground",
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

function num(v: number | string): number {
  return typeof v === "number" ? v : Number(v);
}

/** Lowest and highest value of the data series (not references), including error bars. */
export function dataRange(
  series: readonly PanelSeries[],
  options: { positiveOnly?: boolean } = {},
): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    if (s.reference) continue;
    s.y.forEach((y, i) => {
      if (y === null || !Number.isFinite(y)) return;
      const e = s.err?.[i];
      const d = e !== null && e !== undefined && Number.isFinite(e) ? e : 0;
      for (const v of [y - d, y + d, y]) {
        if (options.positiveOnly && !(v > 0)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    });
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/**
 * Log-axis tick labels: decades (1, 0.01, 1e-5), plus 2 and 5 times a decade when the axis spans
 * less than two decades, so the axis always reads as logarithmic and has more than one label.
 */
function logTick(value: number | string, _index: number, ticks: { value: number }[]): string {
  const v = Number(value);
  if (!(v > 0)) return "";
  const vals = ticks.map((t) => t.value).filter((x) => x > 0);
  const span = vals.length ? Math.log10(Math.max(...vals) / Math.min(...vals)) : 0;
  const exp = Math.floor(Math.log10(v) + 1e-9);
  const mant = v / 10 ** exp;
  const keep = Math.abs(mant - 1) < 1e-6 || (span < 2 && (Math.abs(mant - 2) < 1e-6 ||
    Math.abs(mant - 5) < 1e-6));
  if (!keep) return "";
  return Math.abs(exp) >= 4 ? `${Math.round(mant)}e${exp}` : String(Number(v.toPrecision(1)));
}

/** Log-axis grid: strong lines at labelled ticks, faint ones between. */
function logGrid(ctx: { tick?: { label?: unknown } }): string {
  const label = ctx.tick?.label;
  return typeof label === "string" && label !== "" ? "rgba(0,0,0,0.12)" : "rgba(0,0,0,0.04)";
}

/** Fixed axis bounds widened to a round tick step (1, 2 or 5 times a power of ten). */
function niceBounds(lo: number, hi: number): { min: number; max: number } {
  const raw = (hi - lo) / 6;
  if (!(raw > 0) || !Number.isFinite(raw)) return { min: lo, max: hi };
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? 10 * p;
  return { min: Math.floor(lo / step) * step, max: Math.ceil(hi / step) * step };
}

/** Axis title with the scale spelled out when it is logarithmic. */
function axisTitle(label: string, log: boolean | undefined): string {
  if (!log) return label;
  return label ? `${label} (log scale)` : "log scale";
}

/** Options of {@link chartConfig}. */
export interface ChartOptions {
  /** Fixed y range (synchronised scales across runs); overrides the data range. */
  yRange?: [number, number];
  /** Title drawn inside the figure (exports). */
  title?: string;
  /** Lines drawn under the chart (exports: run id, n, the significance rule). */
  footer?: string[];
  /** Device pixel ratio (exports draw at 3). */
  pixelRatio?: number;
  /** Not responsive, no DOM (drawing to an SVG or off-screen context). */
  detached?: boolean;
  /** Font size of the axis and legend text (exports use a larger one). */
  fontSize?: number;
}

function referenceNote(s: PanelSeries, lo: number, hi: number): string {
  const vals = s.y.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (vals.length === 0) return "";
  const min = Math.min(...vals), max = Math.max(...vals);
  if (max < lo) return ` (below the axis: ${fmt(max)})`;
  if (min > hi) return ` (above the axis: ${fmt(min)})`;
  return "";
}

/** Builds the chart.js configuration of a line, bar or scatter panel. */
export function chartConfig(panel: DrawPanel, options: ChartOptions = {}): ChartConfiguration {
  const font = { size: options.fontSize ?? 12 };
  const plugins = {
    legend: { display: true, labels: { boxWidth: 12, font, usePointStyle: true } },
    tooltip: { enabled: !options.detached },
    title: options.title
      ? {
        display: true,
        text: options.title,
        font: { size: (options.fontSize ?? 12) + 3, weight: "bold" as const },
      }
      : { display: false },
    subtitle: options.footer?.length
      ? {
        display: true,
        text: options.footer,
        position: "bottom" as const,
        align: "start" as const,
        font: { size: (options.fontSize ?? 12) - 1 },
        color: "#444",
      }
      : { display: false },
  };
  const common = {
    responsive: !options.detached,
    maintainAspectRatio: false,
    animation: false as const,
    devicePixelRatio: options.pixelRatio,
    plugins,
    layout: { padding: { top: 4, right: 10 } },
  };
  const hasRef = panel.series.some((s) => s.reference);
  const range = options.yRange ?? dataRange(panel.series, { positiveOnly: panel.logY });
  const pad = range ? Math.max((range[1] - range[0]) * 0.05, Math.abs(range[1]) * 1e-3, 1e-12) : 0;
  // The data alone set the axis: references would otherwise stretch it (Fig 7C's random chooser
  // at -15 squashed the curves it frames). Error bars are covered, like matplotlib's errorbar.
  const bounds = range
    ? panel.logY
      ? { min: range[0] / 1.3, max: range[1] * 1.3 }
      : hasRef || options.yRange
      ? niceBounds(range[0] - pad, range[1] + pad)
      : { suggestedMin: range[0], suggestedMax: range[1] }
    : {};
  const yScale = {
    type: panel.logY ? "logarithmic" as const : "linear" as const,
    title: {
      display: !!panel.yLabel || !!panel.logY,
      text: axisTitle(panel.yLabel, panel.logY),
      font,
    },
    ticks: panel.logY ? { font, callback: logTick, autoSkip: false } : { font },
    ...(panel.logY ? { grid: { color: logGrid } } : {}),
    ...bounds,
  };
  const lo = "min" in bounds ? bounds.min ?? -Infinity : -Infinity;
  const hi = "max" in bounds ? bounds.max ?? Infinity : Infinity;
  const label = (s: PanelSeries): string =>
    s.reference ? s.label + referenceNote(s, lo, hi) : s.label;
  const chartPlugins = [bandPlugin, errorBarPlugin, whiteBackground];
  if (panel.kind === "bar") {
    const labels = (panel.series[0]?.x ?? []).map(String);
    return {
      type: "bar",
      data: {
        labels,
        datasets: panel.series.map((s, i) => {
          const c = seriesColor(s, i);
          return {
            label: label(s),
            data: s.y,
            backgroundColor: c + "b0",
            borderColor: c,
            borderWidth: 1,
            errorBars: s.err,
          };
        }),
      },
      options: {
        ...common,
        scales: {
          x: { title: { display: !!panel.xLabel, text: panel.xLabel, font }, ticks: { font } },
          y: yScale,
        },
      },
      plugins: chartPlugins,
    };
  }
  const isScatter = panel.kind === "scatter";
  let markerIndex = 0;
  const datasets = panel.series.map((s, i) => {
    const c = seriesColor(s, i);
    const style = s.style ?? 0;
    const repeat = Math.floor(i / PALETTE.length);
    const dash = s.reference ? [6, 4] : DASHES[(style + repeat) % DASHES.length];
    const connect = s.reference || s.line === true || !isScatter;
    // Marker-only series (scatter) get distinct shapes so overlapping sets stay visible.
    const shape = !connect || style > 0
      ? POINT_STYLES[(isScatter ? markerIndex++ : style) % POINT_STYLES.length]
      : "circle";
    // Significance is shown the way the captions describe it: filled markers where the test is
    // significant, hollow ones elsewhere.
    const fill = s.significant ? s.significant.map((f) => (f ? c : "#ffffff")) : c;
    const many = s.x.length > 40;
    return {
      label: label(s),
      data: s.x.map((x, j) => ({ x: num(x), y: s.y[j] as number })),
      borderColor: c,
      backgroundColor: c,
      pointBackgroundColor: fill,
      pointBorderColor: c,
      pointBorderWidth: s.significant ? 1.5 : 1,
      pointRadius: s.reference ? 0 : many && connect ? 1.2 : isScatter ? 3 : s.significant ? 4 : 3,
      pointStyle: shape,
      borderDash: dash,
      borderWidth: s.reference ? 1.5 : 2,
      showLine: connect,
      spanGaps: false,
      // Points at the axis ends are drawn whole (6 px beyond the area); references are cut.
      clip: s.reference ? 0 : 6,
      errorBars: s.err,
      band: s.band === true,
      order: s.reference ? 10 : 0,
      // chart.js strokes lines through a cached Path2D unless a segment style is set; an SVG
      // context cannot replay a Path2D, so exports draw the lines directly.
      ...(options.detached ? { segment: {} } : {}),
    };
  });
  return {
    type: "line",
    data: { datasets },
    options: {
      ...common,
      scales: {
        x: {
          type: panel.logX ? "logarithmic" : "linear",
          title: {
            display: !!panel.xLabel || !!panel.logX,
            text: axisTitle(panel.xLabel, panel.logX),
            font,
          },
          ticks: panel.logX ? { font, callback: logTick, autoSkip: false } : { font },
          ...(panel.logX ? { grid: { color: logGrid } } : {}),
        },
        y: yScale,
      },
    },
    plugins: chartPlugins,
  } as ChartConfiguration;
}

/** Compact number for labels. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2);
}

/** Creates or updates a chart.js chart on a canvas; returns the chart. */
export function renderChart(
  canvas: HTMLCanvasElement,
  panel: DrawPanel,
  existing: Chart | null,
  options: ChartOptions = {},
): Chart {
  const cfg = chartConfig(panel, options);
  if (existing && (existing.config as { type?: string }).type === cfg.type) {
    existing.data = cfg.data;
    existing.options = cfg.options ?? {};
    existing.update("none");
    return existing;
  }
  existing?.destroy();
  return new Chart(canvas, cfg);
}

/**
 * Draws a panel once on a detached 2D context (an off-screen canvas or an SVG context) without
 * DOM events or animation. Returns the release function: call it after reading the drawing, as
 * releasing clears the context (an SVG context would lose everything).
 */
export function drawDetached(
  ctx: CanvasRenderingContext2D,
  panel: DrawPanel,
  options: ChartOptions & { width: number; height: number },
): () => void {
  const cfg = chartConfig(panel, { ...options, detached: true });
  // With animation off, the constructor draws once, synchronously.
  const chart = new Chart(ctx, { ...cfg, platform: BasicPlatform });
  return () => chart.destroy();
}

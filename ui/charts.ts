/// <reference lib="dom" />
/**
 * Draws any declared {@link Panel} on a canvas: line (with SEM error bars, and filled markers where
 * a series marks a point significant, hollow ones elsewhere), bar (with error bars), scatter with chart.js, and heat maps with a small canvas
 * renderer. Experiments add panels by declaring data; nothing here knows about a figure.
 *
 * @module
 */
import { Chart, type ChartConfiguration, type Plugin, registerables } from "chart.js";
import type { Panel, PanelSeries } from "../core/app/panels.ts";

Chart.register(...registerables);

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
const NAMED: Record<string, string> = { pruned: "#d62728", unpruned: "#1f77b4" };

/** The colour of a series: its hint ("pruned", "unpruned", a CSS colour) or the palette. */
export function seriesColor(s: PanelSeries, index: number): string {
  const hint = s.color ?? s.label.toLowerCase();
  if (Object.hasOwn(NAMED, hint)) return NAMED[hint];
  if (s.color) return s.color;
  return PALETTE[index % PALETTE.length];
}

interface ErrorBarDataset {
  errorBars?: (number | null)[];
  hidden?: boolean;
}

/** Draws vertical SEM bars for datasets that carry `errorBars`. */
const errorBarPlugin: Plugin = {
  id: "semBars",
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    const yScale = chart.scales.y;
    chart.data.datasets.forEach((ds, di) => {
      const errs = (ds as unknown as ErrorBarDataset).errorBars;
      if (!errs || !chart.isDatasetVisible(di)) return;
      const meta = chart.getDatasetMeta(di);
      ctx.save();
      const area = chart.chartArea;
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.strokeStyle = String(ds.borderColor ?? "#333");
      ctx.lineWidth = 1.2;
      meta.data.forEach((el, i) => {
        const e = errs[i];
        const raw = ds.data[i] as { y?: number | null } | number | null;
        const y = typeof raw === "number" ? raw : raw?.y;
        if (e === null || e === undefined || y === null || y === undefined || !(e > 0)) return;
        const x = el.x;
        const top = yScale.getPixelForValue(y + e);
        const bottom = yScale.getPixelForValue(y - e);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 3, top);
        ctx.lineTo(x + 3, top);
        ctx.moveTo(x - 3, bottom);
        ctx.lineTo(x + 3, bottom);
        ctx.stroke();
      });
      ctx.restore();
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

/** Lowest y - err and highest y + err over all series, or null without error bars. */
function errorRange(series: PanelSeries[]): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    if (!s.err) continue;
    s.y.forEach((y, i) => {
      const e = s.err?.[i];
      if (y === null || e === null || e === undefined || !Number.isFinite(e)) return;
      lo = Math.min(lo, y - e);
      hi = Math.max(hi, y + e);
    });
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/** Builds the chart.js configuration of a line, bar or scatter panel. */
export function chartConfig(panel: Panel): ChartConfiguration {
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    plugins: {
      legend: { display: true, labels: { boxWidth: 12 } },
      tooltip: { enabled: true },
    },
  };
  const range = errorRange(panel.series);
  const yScale = {
    type: panel.logY ? "logarithmic" as const : "linear" as const,
    title: { display: !!panel.yLabel, text: panel.yLabel },
    // Like matplotlib's errorbar, the axis covers the error bars, not only the means.
    ...(range && !panel.logY ? { suggestedMin: range[0], suggestedMax: range[1] } : {}),
  };
  if (panel.kind === "bar") {
    const labels = (panel.series[0]?.x ?? []).map(String);
    return {
      type: "bar",
      data: {
        labels,
        datasets: panel.series.map((s, i) => {
          const c = seriesColor(s, i);
          return {
            label: s.label,
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
        scales: { x: { title: { display: !!panel.xLabel, text: panel.xLabel } }, y: yScale },
      },
      plugins: [errorBarPlugin, whiteBackground],
    };
  }
  const isScatter = panel.kind === "scatter";
  const datasets = panel.series.map((s, i) => {
    const c = seriesColor(s, i);
    // Significance is shown the way the captions describe it: filled markers where the test is
    // significant, hollow ones elsewhere.
    const fill = s.significant ? s.significant.map((f) => (f ? c : "#ffffff")) : c;
    return {
      label: s.label,
      data: s.x.map((x, j) => ({ x: num(x), y: s.y[j] as number })),
      borderColor: c,
      backgroundColor: c,
      pointBackgroundColor: fill,
      pointBorderColor: c,
      pointBorderWidth: s.significant ? 1.5 : 1,
      pointRadius: isScatter ? 2.5 : s.significant ? 4 : 3,
      showLine: !isScatter,
      spanGaps: false,
      errorBars: s.err,
    };
  });
  return {
    type: "line",
    data: { datasets },
    options: {
      ...common,
      scales: {
        x: { type: "linear", title: { display: !!panel.xLabel, text: panel.xLabel } },
        y: yScale,
      },
    },
    plugins: [errorBarPlugin, whiteBackground],
  } as ChartConfiguration;
}

/** Colour of a value in [0, 1] on a perceptually ordered blue-to-yellow ramp (viridis stops). */
function ramp(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Draws a heat map panel on a canvas (fills it, with labels and a colour scale). */
export function drawHeatmap(canvas: HTMLCanvasElement, panel: Panel): void {
  const h = panel.heatmap;
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || 400;
  const ht = canvas.clientHeight || 280;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(ht * dpr);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, ht);
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  if (!h || h.rows === 0 || h.cols === 0) {
    ctx.fillText("no data", 10, 20);
    return;
  }
  const finite = h.values.filter((v) => Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const left = 48, right = 56, top = 8, bottom = 36;
  const cw = (w - left - right) / h.cols;
  const ch = (ht - top - bottom) / h.rows;
  for (let r = 0; r < h.rows; r++) {
    for (let c = 0; c < h.cols; c++) {
      const v = h.values[r * h.cols + c];
      ctx.fillStyle = Number.isFinite(v) ? ramp(hi > lo ? (v - lo) / (hi - lo) : 0.5) : "#ddd";
      ctx.fillRect(left + c * cw, top + r * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
  ctx.fillStyle = "#333";
  ctx.textAlign = "right";
  const rowStep = Math.max(1, Math.ceil(h.rows / 12));
  for (let r = 0; r < h.rows; r += rowStep) {
    ctx.fillText(h.rowLabels?.[r] ?? String(r), left - 4, top + (r + 0.5) * ch + 4);
  }
  ctx.textAlign = "center";
  const colStep = Math.max(1, Math.ceil(h.cols / 12));
  for (let c = 0; c < h.cols; c += colStep) {
    ctx.fillText(h.colLabels?.[c] ?? String(c), left + (c + 0.5) * cw, ht - bottom + 14);
  }
  ctx.fillText(panel.xLabel, left + (w - left - right) / 2, ht - 6);
  ctx.save();
  ctx.translate(12, top + (ht - top - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(panel.yLabel, 0, 0);
  ctx.restore();
  const barX = w - right + 12, barH = ht - top - bottom;
  for (let i = 0; i < barH; i++) {
    ctx.fillStyle = ramp(1 - i / barH);
    ctx.fillRect(barX, top + i, 12, 1);
  }
  ctx.fillStyle = "#333";
  ctx.textAlign = "left";
  ctx.fillText(fmt(hi), barX + 14, top + 9);
  ctx.fillText(fmt(lo), barX + 14, top + barH);
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2);
}

/** Creates or updates a chart.js chart on a canvas; returns the chart. */
export function renderChart(
  canvas: HTMLCanvasElement,
  panel: Panel,
  existing: Chart | null,
): Chart {
  const cfg = chartConfig(panel);
  if (existing && (existing.config as { type?: string }).type === cfg.type) {
    existing.data = cfg.data;
    existing.options = cfg.options ?? {};
    existing.update("none");
    return existing;
  }
  existing?.destroy();
  return new Chart(canvas, cfg);
}

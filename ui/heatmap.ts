/// <reference lib="dom" />
/**
 * Heat maps, drawn by a small renderer of our own on any 2D context (a page canvas, a
 * high-resolution canvas for PNG export, or an SVG context): cells on a viridis ramp, row and
 * column labels, a colour scale that may be shared across runs. chart.js has no heat map type.
 *
 * @module
 */
import type { Panel } from "../core/app/panels.ts";
import { fmt } from "./charts.ts";

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

/** Finite value range of a heat map, or null. */
export function heatmapRange(panel: Panel): [number, number] | null {
  const v = panel.heatmap?.values.filter((x) => Number.isFinite(x)) ?? [];
  if (v.length === 0) return null;
  let lo = Infinity, hi = -Infinity;
  for (const x of v) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return [lo, hi];
}

/** Options of {@link paintHeatmap}. */
export interface HeatmapOptions {
  /** Colour range (synchronised across runs); default the panel's own range. */
  range?: [number, number] | null;
  /** Title drawn at the top (exports). */
  title?: string;
  /** Lines drawn at the bottom (exports). */
  footer?: string[];
  /** Draw cells as one embedded image (large maps in SVG exports stay small). */
  cellsAsImage?: boolean;
}

/** Draws a heat map on any 2D context of the given CSS size (labels, colour scale). */
export function paintHeatmap(
  ctx: CanvasRenderingContext2D,
  panel: Panel,
  size: { width: number; height: number } & HeatmapOptions,
): void {
  const h = panel.heatmap;
  const { width: w, height: ht } = size;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, ht);
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  const titleH = size.title ? 24 : 0;
  const footH = (size.footer?.length ?? 0) * 14 + (size.footer?.length ? 6 : 0);
  if (size.title) {
    ctx.font = "bold 14px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.fillText(size.title, 8, 17);
    ctx.font = "11px system-ui, sans-serif";
  }
  if (!h || h.rows === 0 || h.cols === 0) {
    ctx.fillText("no data", 10, titleH + 20);
    return;
  }
  const range = size.range ?? heatmapRange(panel) ?? [0, 1];
  const [lo, hi] = range;
  const left = 48, right = 56, top = 8 + titleH, bottom = 36 + footH;
  const cw = (w - left - right) / h.cols;
  const ch = (ht - top - bottom) / h.rows;
  const colour = (v: number): string =>
    Number.isFinite(v) ? ramp(hi > lo ? (v - lo) / (hi - lo) : 0.5) : "#ddd";
  if (size.cellsAsImage) {
    // One pixel per cell, scaled up without smoothing: an SVG of a 910 x 910 map stays small.
    const img = document.createElement("canvas");
    img.width = h.cols;
    img.height = h.rows;
    const ic = img.getContext("2d");
    if (ic) {
      for (let r = 0; r < h.rows; r++) {
        for (let c = 0; c < h.cols; c++) {
          ic.fillStyle = colour(h.values[r * h.cols + c]);
          ic.fillRect(c, r, 1, 1);
        }
      }
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, left, top, w - left - right, ht - top - bottom);
    }
  } else {
    for (let r = 0; r < h.rows; r++) {
      for (let c = 0; c < h.cols; c++) {
        ctx.fillStyle = colour(h.values[r * h.cols + c]);
        ctx.fillRect(left + c * cw, top + r * ch, Math.ceil(cw), Math.ceil(ch));
      }
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
  ctx.fillText(panel.xLabel, left + (w - left - right) / 2, ht - bottom + 28);
  ctx.save();
  ctx.translate(12, top + (ht - top - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(panel.yLabel, 0, 0);
  ctx.restore();
  const barX = w - right + 12, barH = ht - top - bottom;
  const steps = Math.min(barH, 64);
  for (let i = 0; i < steps; i++) {
    ctx.fillStyle = ramp(1 - i / steps);
    ctx.fillRect(barX, top + (i * barH) / steps, 12, barH / steps + 0.5);
  }
  ctx.fillStyle = "#333";
  ctx.textAlign = "left";
  ctx.fillText(fmt(hi), barX + 14, top + 9);
  ctx.fillText(fmt(lo), barX + 14, top + barH);
  if (size.footer?.length) {
    ctx.fillStyle = "#444";
    size.footer.forEach((line, i) => ctx.fillText(line, 8, ht - footH + 12 + i * 14));
  }
}

/** Draws a heat map panel on a page canvas (fills it, at the screen's pixel ratio). */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  panel: Panel,
  options: HeatmapOptions = {},
): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || 400;
  const ht = canvas.clientHeight || 280;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(ht * dpr);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  paintHeatmap(ctx, panel, { width: w, height: ht, ...options });
}

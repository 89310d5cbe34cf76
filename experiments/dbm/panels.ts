/**
 * Dashboard panels of bm-fig3 (encoding: classifier error, units per layer, disconnected pixels)
 * and bm-fig4 (generated digits: quality, entropy, sample grids), from unit metrics only.
 *
 * The paper draws the remaining weights on an inverted log axis (fewer weights to the right);
 * the panels use an ordinary log axis, so pruning proceeds to the left.
 *
 * @module
 */
import type { ExperimentRun, UnitEntry } from "../../core/app/experiment.ts";
import type { Panel, PanelSeries, TableCell } from "../../core/app/panels.ts";
import { base64ToBytes, unpackBits } from "../../core/bm/dbm/model.ts";
import { type DbmConfig, protocolLabel } from "./config.ts";
import { GRID_DIGITS } from "./records.ts";
import { aggregateDbm, type DbmAggregate, type IterationStats } from "./summary.ts";

/** One series per criterion of `y` against `x` over iterations (mean, sd error bars). */
function perCriterion(
  agg: DbmAggregate,
  pick: {
    x: (it: IterationStats) => number;
    y: (it: IterationStats) => number | null;
    err?: (it: IterationStats) => number | null;
  },
): PanelSeries[] {
  return Object.values(agg.criteria).map((c) => ({
    label: c.label,
    x: c.iterations.map(pick.x),
    y: c.iterations.map(pick.y),
    err: pick.err ? c.iterations.map(pick.err) : undefined,
    n: c.iterations.map((it) => it.n),
  }));
}

/** A horizontal reference line across the x range of the data series. */
function referenceLine(label: string, y: number, series: PanelSeries[]): PanelSeries {
  const xs = series.flatMap((s) => s.x).filter((x): x is number => typeof x === "number");
  const lo = xs.length > 0 ? Math.min(...xs) : 1;
  const hi = xs.length > 0 ? Math.max(...xs) : 1;
  return { label, x: [lo, hi], y: [y, y], reference: true };
}

/** 20 x 20 digits tiled 5 x 5 with one-pixel gaps (0.5) as a heat map. */
function digitGrid(grid: string): { rows: number; cols: number; values: number[] } {
  const packed = base64ToBytes(grid);
  const n = Math.min(GRID_DIGITS, Math.floor((packed.length * 8) / 400));
  const bits = unpackBits(packed, n * 400);
  const side = 5 * 21 - 1;
  const values = new Array(side * side).fill(0.5);
  for (let s = 0; s < n; s++) {
    const r0 = Math.floor(s / 5) * 21;
    const c0 = (s % 5) * 21;
    for (let i = 0; i < 400; i++) {
      values[(r0 + Math.floor(i / 20)) * side + c0 + (i % 20)] = bits[s * 400 + i];
    }
  }
  return { rows: side, cols: side, values };
}

function last(it: IterationStats[]): IterationStats | undefined {
  return it[it.length - 1];
}

/** The summary table: each criterion after its last round, the unpruned model and references. */
function summaryTable(agg: DbmAggregate, label: string): Panel {
  const num = (v: number | null, err?: number | null): TableCell => ({ value: v, err });
  const rows: TableCell[][] = [];
  const first = Object.values(agg.criteria)[0]?.iterations[0];
  if (first) {
    rows.push([
      { value: "unpruned" },
      num(0),
      num(first.remainingWeights),
      num(first.unitsH1),
      num(first.unitsH2),
      num(first.classifierError),
      num(first.qualityPerClass, first.sd.qualityPerClass),
      num(first.entropy, first.sd.entropy),
    ]);
  }
  for (const c of Object.values(agg.criteria)) {
    const it = last(c.iterations);
    if (!it || it.iteration === 0) continue;
    rows.push([
      { value: c.label },
      num(it.iteration),
      num(it.remainingWeights, it.sd.remainingWeights),
      num(it.unitsH1, it.sd.unitsH1),
      num(it.unitsH2, it.sd.unitsH2),
      num(it.classifierError, it.sd.classifierError),
      num(it.qualityPerClass, it.sd.qualityPerClass),
      num(it.entropy, it.sd.entropy),
    ]);
  }
  const r = agg.references;
  if (r) {
    rows.push([
      { value: "test digits (reference)" },
      { value: null },
      { value: null },
      { value: null },
      { value: null },
      num(r.baselineError),
      num(r.testDigits.qualityPerClass),
      num(r.testDigits.entropy),
    ]);
    rows.push([
      { value: "random patterns (reference)" },
      { value: null },
      { value: null },
      { value: null },
      { value: null },
      { value: null },
      num(r.randomPatterns.qualityPerClass),
      num(r.randomPatterns.entropy),
    ]);
  }
  return {
    id: "summary",
    title: "After the last pruning round, per criterion",
    kind: "table",
    xLabel: "",
    yLabel: "",
    series: [],
    errorKind: "sd",
    table: {
      columns: [
        { label: "criterion", role: "label" },
        { label: "round", role: "value", digits: 0 },
        { label: "weights", role: "value", digits: 0 },
        { label: "h1 units", role: "value", digits: 0 },
        { label: "h2 units", role: "value", digits: 0 },
        { label: "encoding error", role: "value", digits: 4 },
        { label: "quality", role: "value", digits: 3 },
        { label: "entropy (nats)", role: "value", digits: 3 },
      ],
      rows,
    },
    caption: "Means over seeds, error = sd. Encoding error of the raw-digit row: the baseline " +
      `classifier's test error. quality: per-class mean winning probability. ${label}`,
  };
}

/** Fig 3 panels: error vs weights with the baseline, units per layer, disconnected pixels. */
export function fig3Panels(run: ExperimentRun<DbmConfig>, units: UnitEntry[]): Panel[] {
  const agg = aggregateDbm(run.config, units);
  const label = protocolLabel(run.config);
  const panels: Panel[] = [];
  if (run.config.protocol.encoding.enabled) {
    const err = perCriterion(agg, {
      x: (it) => it.remainingWeights,
      y: (it) => it.classifierError,
      err: (it) => it.sd.classifierError,
    });
    const r = agg.references;
    const baseline = r
      ? [
        referenceLine(`raw-digit classifier, ${r.data.train} digits`, r.baselineError, err),
        ...(r.subsetBaseline
          ? [
            referenceLine(
              `raw-digit classifier, the DBM's ${r.subsetBaseline.digits} digits`,
              r.subsetBaseline.error,
              err,
            ),
          ]
          : []),
      ]
      : [];
    panels.push({
      id: "fig3b-error",
      title: "Fig 3B: encoding classifier error vs remaining weights",
      kind: "line",
      xLabel: "remaining weights n_w1 + n_w2",
      yLabel: "test error of logistic regression on h2 encodings",
      logX: true,
      logY: true,
      errorKind: "sd",
      series: [...err, ...baseline],
      caption: "Mean-field h2 probabilities of the training digits (C = 1), tested on the test " +
        "digits; every round after retraining, round 0 = unpruned (untruncated, S2 Fig A). " +
        `Paper's axis is inverted. Error bars: sd over seeds. ${label}`,
    });
  }
  panels.push({
    id: "fig3c-h1",
    title: "Fig 3C: h1 units vs h1 weights",
    kind: "line",
    xLabel: "remaining v-h1 weights n_w1",
    yLabel: "h1 units",
    logX: true,
    errorKind: "sd",
    series: perCriterion(agg, {
      x: (it) => it.weightsLayer1,
      y: (it) => it.unitsH1,
      err: (it) => it.sd.unitsH1,
    }),
    caption: `Round 0 = unpruned (400 units, 8,836 weights). Error bars: sd. ${label}`,
  });
  panels.push({
    id: "fig3c-h2",
    title: "Fig 3C: h2 units vs h2 weights",
    kind: "line",
    xLabel: "remaining h1-h2 weights n_w2",
    yLabel: "h2 units",
    logX: true,
    errorKind: "sd",
    series: perCriterion(agg, {
      x: (it) => it.weightsLayer2,
      y: (it) => it.unitsH2,
      err: (it) => it.sd.unitsH2,
    }),
    caption: `Round 0 = unpruned (676 units, 270,400 weights). Error bars: sd. ${label}`,
  });
  for (const [id, c] of Object.entries(agg.criteria)) {
    const it = last(c.iterations);
    panels.push({
      id: `fig3d-${id}`,
      title: `Fig 3D: disconnected pixels, ${c.label}`,
      kind: "heatmap",
      xLabel: "pixel column",
      yLabel: "pixel row",
      series: [],
      heatmap: { rows: 20, cols: 20, values: c.disconnectedMap },
      caption: `Fraction of seeds in which each visible pixel has no v-h1 weight left after ` +
        `round ${it?.iteration ?? 0} (mean ${it ? it.disconnectedPixels.toFixed(1) : 0} ` +
        `pixels). ${label}`,
    });
  }
  panels.push(summaryTable(agg, label));
  return panels;
}

/** Fig 4 panels: quality and entropy vs weights with the references, sample grids. */
export function fig4Panels(run: ExperimentRun<DbmConfig>, units: UnitEntry[]): Panel[] {
  const agg = aggregateDbm(run.config, units);
  const label = protocolLabel(run.config);
  const r = agg.references;
  const quality = perCriterion(agg, {
    x: (it) => it.remainingWeights,
    y: (it) => it.qualityPerClass,
    err: (it) => it.sd.qualityPerClass,
  });
  const plain = perCriterion(agg, {
    x: (it) => it.remainingWeights,
    y: (it) => it.quality,
    err: (it) => it.sd.quality,
  });
  const entropy = perCriterion(agg, {
    x: (it) => it.remainingWeights,
    y: (it) => it.entropy,
    err: (it) => it.sd.entropy,
  });
  const panels: Panel[] = [
    {
      id: "fig4a-quality",
      title: "Fig 4A: quality of generated digits vs remaining weights",
      kind: "line",
      xLabel: "remaining weights n_w1 + n_w2",
      yLabel: "per-class mean winning probability",
      logX: true,
      errorKind: "sd",
      series: [
        ...quality,
        ...(r
          ? [
            referenceLine("test digits", r.testDigits.qualityPerClass, quality),
            referenceLine("random patterns", r.randomPatterns.qualityPerClass, quality),
          ]
          : []),
      ],
      caption: "Generated visible states classified by the raw-digit classifier; mean over the " +
        "classes present of the per-class mean winning probability (the notebook's statistic). " +
        `Round 0 = unpruned; after retraining. Error bars: sd over seeds. ${label}`,
    },
    {
      id: "fig4a-quality-plain",
      title: "Quality, plain mean over samples (the paper's wording)",
      kind: "line",
      xLabel: "remaining weights n_w1 + n_w2",
      yLabel: "mean winning probability",
      logX: true,
      errorKind: "sd",
      series: [
        ...plain,
        ...(r
          ? [
            referenceLine("test digits", r.testDigits.quality, plain),
            referenceLine("random patterns", r.randomPatterns.quality, plain),
          ]
          : []),
      ],
      caption: `Mean of the winning-class probability over all samples. ${label}`,
    },
    {
      id: "fig4b-entropy",
      title: "Fig 4B: diversity (entropy of the digit classes) vs remaining weights",
      kind: "line",
      xLabel: "remaining weights n_w1 + n_w2",
      yLabel: "entropy of assigned classes (nats)",
      logX: true,
      errorKind: "sd",
      series: [
        ...entropy,
        ...(r ? [referenceLine("test digits", r.testDigits.entropy, entropy)] : []),
        referenceLine("maximum ln 10", Math.log(10), entropy),
      ],
      caption: `Round 0 = unpruned. Error bars: sd over seeds. ${label}`,
    },
  ];
  const initial = agg.grids.initial;
  if (initial) {
    panels.push({
      id: "fig4c-initial",
      title: "Generated digits of the unpruned model",
      kind: "heatmap",
      xLabel: "",
      yLabel: "",
      series: [],
      heatmap: digitGrid(initial),
      caption: `First ${GRID_DIGITS} recorded visible states of the first seed (1 = on). ${label}`,
    });
  }
  for (const [id, c] of Object.entries(agg.criteria)) {
    const grid = agg.grids[id];
    if (!grid) continue;
    const it = last(c.iterations);
    panels.push({
      id: `fig4c-${id}`,
      title: `Fig 4C: generated digits, ${c.label} after round ${it?.iteration ?? 0}`,
      kind: "heatmap",
      xLabel: "",
      yLabel: "",
      series: [],
      heatmap: digitGrid(grid),
      caption: `First ${GRID_DIGITS} recorded visible states of the first seed (1 = on). ${label}`,
    });
  }
  panels.push(summaryTable(agg, label));
  return panels;
}

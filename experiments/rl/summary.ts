/**
 * Aggregation of the stored RL units into the Fig 7 summary (`--out` JSON and terminal table) and
 * the declared dashboard panels. Reads unit metrics only; one source of truth for what each panel
 * plots (means, SEM = sd / sqrt(n), paired t-tests per level, spec 8.8).
 *
 * @module
 */
import { type UnitEntry, unitMetrics } from "../../core/app/experiment.ts";
import type { Panel, PanelSeries } from "../../core/app/panels.ts";
import { RL_HIST_CENTRES } from "../../core/util/histogram.ts";
import { mean, meanSem, pairedTTest, pearson } from "../../core/util/stats.ts";
import { RANDOM_CHOOSER_REWARD } from "../../core/rl/bandit.ts";
import { MAIN_LEVEL, MAIN_NOISE, type RlConfig } from "./config.ts";
import { cumulative } from "../../core/rl/dynamics.ts";
import type { LevelUnitMetrics, RlNetResult } from "./lineages.ts";
import type { NewOptionMetrics } from "./new_option.ts";

/** Per-network metrics compared across levels (Fig 7 A-D, G and extras). */
export const LEVEL_METRICS = [
  "qError",
  "choiceAgreement",
  "rewardPerBlock",
  "maxLE",
  "mahalanobis",
  "maxLEChrono",
  "optimalRate",
  "finalLoss",
] as const;

/** A metric name of {@link LEVEL_METRICS}. */
export type LevelMetric = typeof LEVEL_METRICS[number];

/** Mean and SEM per level. */
export interface MeanSem {
  /** Means (null = no data). */
  mean: (number | null)[];
  /** SEMs. */
  sem: (number | null)[];
}

function value(r: RlNetResult, m: LevelMetric): number {
  if (m === "finalLoss") return r.lossHistory.at(-1) ?? NaN;
  return r[m] as number;
}

const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Collects `[lineage][level]` values of a metric for one noise level and lineage kind. */
function grid(
  units: LevelUnitMetrics[],
  c: RlConfig,
  noise: number,
  kind: "pruned" | "unpruned",
  m: LevelMetric,
): (number | null)[][] {
  const rows: (number | null)[][] = Array.from(
    { length: c.networks },
    () => new Array(c.levels.length).fill(null),
  );
  for (const u of units) {
    if (u.noise !== noise) continue;
    const li = c.levels.findIndex((l) => Math.abs(l - u.level) < 1e-9);
    if (li >= 0 && u.lineage < c.networks) rows[u.lineage][li] = fin(value(u[kind], m));
  }
  return rows;
}

function columns(rows: (number | null)[][], li: number): (number | null)[] {
  return rows.map((r) => r[li]);
}

/** Mean and SEM of each vector entry over networks. */
function vectorMeanSem(vectors: number[][]): MeanSem {
  const ms = meanSem(vectors);
  return { mean: ms.mean.map(fin), sem: ms.sem.map(fin) };
}

/** Builds the Fig 7 summary from the units of a run. */
export function summarizeRl(
  c: RlConfig,
  entries: UnitEntry[],
): { byNoise: Record<string, unknown>; newOption: unknown; initial: unknown[] } {
  const main = entries.filter((e) => e.key[0] === "main").map((e) =>
    unitMetrics<LevelUnitMetrics>(e)
  );
  const byNoise: Record<string, unknown> = {};
  const li07 = c.levels.findIndex((l) => Math.abs(l - MAIN_LEVEL) < 1e-9);
  for (const noise of c.noiseLevels) {
    const lineages: Record<string, Record<string, MeanSem>> = { pruned: {}, unpruned: {} };
    const pValues: Record<string, (number | null)[]> = {};
    const nPerLevel: number[] = [];
    for (const m of LEVEL_METRICS) {
      const p = grid(main, c, noise, "pruned", m), u = grid(main, c, noise, "unpruned", m);
      for (const [kind, rows] of [["pruned", p], ["unpruned", u]] as const) {
        const ms = meanSem(rows);
        lineages[kind][m] = { mean: ms.mean.map(fin), sem: ms.sem.map(fin) };
      }
      pValues[m] = c.levels.map((_, li) => fin(pairedTTest(columns(p, li), columns(u, li)).p));
      if (m === "qError") {
        c.levels.forEach((_, li) =>
          nPerLevel.push(columns(p, li).filter((v) => v !== null).length)
        );
      }
    }
    const at07 = main.filter((u) => u.noise === noise && Math.abs(u.level - MAIN_LEVEL) < 1e-9);
    const extra = li07 < 0 ? {} : {
      pcaCumulative: {
        pruned: vectorMeanSem(at07.map((u) => cumulative(u.pruned.pcaFraction).slice(0, 10))),
        unpruned: vectorMeanSem(at07.map((u) => cumulative(u.unpruned.pcaFraction).slice(0, 10))),
      },
      histogram: {
        centres: RL_HIST_CENTRES,
        pruned: vectorMeanSem(at07.map((u) => u.pruned.histogram)).mean,
        unpruned: vectorMeanSem(at07.map((u) => u.unpruned.histogram)).mean,
      },
      scatter: {
        pruned: at07.map((u) => ({
          agreement: u.pruned.choiceAgreement,
          maxLE: fin(u.pruned.maxLE),
        })),
        unpruned: at07.map((u) => ({
          agreement: u.unpruned.choiceAgreement,
          maxLE: fin(u.unpruned.maxLE),
        })),
        pearson: fin(pearson(
          [
            ...at07.map((u) => u.pruned.choiceAgreement),
            ...at07.map((u) => u.unpruned.choiceAgreement),
          ],
          [...at07.map((u) => u.pruned.maxLE), ...at07.map((u) => u.unpruned.maxLE)],
        )),
      },
      mahalanobisFlaggedBlocks: {
        pruned: at07.reduce((s, u) => s + u.pruned.mahalanobisFlagged, 0),
        unpruned: at07.reduce((s, u) => s + u.unpruned.mahalanobisFlagged, 0),
      },
    };
    byNoise[String(noise)] = { n: nPerLevel, lineages, pValues, atMainLevel: extra };
  }
  const no = entries.filter((e) => e.key[0] === "newOption").map((e) =>
    unitMetrics<NewOptionMetrics>(e)
  );
  let newOption: unknown = null;
  if (no.length > 0) {
    const curves = (kind: "pruned" | "unpruned"): number[][] => no.map((u) => u[kind].lossHistory);
    const len = Math.max(...no.map((u) => u.pruned.lossHistory.length));
    const finalP = no.map((u) => u.pruned.lossHistory.at(-1) ?? NaN);
    const finalU = no.map((u) => u.unpruned.lossHistory.at(-1) ?? NaN);
    newOption = {
      n: no.length,
      iterations: Array.from({ length: len }, (_, i) => i + 1),
      lossHistory: {
        pruned: vectorMeanSem(curves("pruned")),
        unpruned: vectorMeanSem(curves("unpruned")),
      },
      median: { pruned: medians(curves("pruned")), unpruned: medians(curves("unpruned")) },
      finalLoss: {
        pruned: fin(mean(finalP)),
        unpruned: fin(mean(finalU)),
        p: fin(pairedTTest(finalP, finalU).p),
      },
      rewardPerBlock: {
        pruned: fin(mean(no.map((u) => u.pruned.rewardPerBlock))),
        unpruned: fin(mean(no.map((u) => u.unpruned.rewardPerBlock))),
      },
    };
  }
  const initial = entries.filter((e) => e.key[0] === "initial").map((e) => {
    const m = e.record.metrics as Record<string, unknown>;
    const lh = (m.lossHistory as number[] | undefined) ?? [];
    return {
      index: e.key[1],
      outerIterations: m.outerIterations,
      converged: m.converged,
      finalLoss: lh.at(-1) ?? null,
      qError: m.qError,
      choiceAgreement: m.choiceAgreement,
      rewardPerBlock: m.rewardPerBlock,
    };
  });
  return { byNoise, newOption, initial };
}

function medians(rows: number[][]): (number | null)[] {
  const len = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: len }, (_, i) => {
    const v = rows.map((r) => r[i]).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0) return null;
    const h = Math.floor(v.length / 2);
    return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
  });
}

/** Expected reward per block of a uniformly random chooser (for comparison with Fig 7C). */
export const RANDOM_REWARD = RANDOM_CHOOSER_REWARD;

const TITLES: Record<string, [string, string]> = {
  qError: ["Fig 7A: Q-value error vs prune level", "value error per step (sum over 4 outputs)"],
  choiceAgreement: ["Fig 7B: agreement with the Q-learner's choices", "fraction of steps"],
  rewardPerBlock: ["Fig 7C: reward per 60-step block", "reward per block"],
  maxLE: ["Fig 7D: maximal Lyapunov exponent (code order)", "max LE (per step)"],
  mahalanobis: ["Fig 7G: fixation vs choice Mahalanobis distance", "squared distance"],
  maxLEChrono: ["Max LE, chronological product order (D9)", "max LE (per step)"],
};

interface NoiseSummary {
  n: number[];
  lineages: Record<"pruned" | "unpruned", Record<string, MeanSem>>;
  pValues: Record<string, (number | null)[]>;
  atMainLevel: {
    pcaCumulative?: Record<"pruned" | "unpruned", MeanSem>;
    histogram?: { centres: number[]; pruned: (number | null)[]; unpruned: (number | null)[] };
    scatter?: Record<"pruned" | "unpruned", { agreement: number; maxLE: number | null }[]>;
  };
}

function series(
  label: "pruned" | "unpruned",
  x: number[],
  ms: MeanSem,
  p?: (number | null)[],
): PanelSeries {
  return {
    label,
    color: label,
    x,
    y: ms.mean,
    err: ms.sem,
    ...(p ? { significant: p.map((v) => v !== null && v < 0.01) } : {}),
  };
}

/** Dashboard panels of the RL population from a summary, for one noise level. */
export function rlPanels(
  c: RlConfig,
  summary: ReturnType<typeof summarizeRl>,
  noise: number,
): Panel[] {
  const s = summary.byNoise[String(noise)] as NoiseSummary | undefined;
  const panels: Panel[] = [];
  if (s) {
    const n = Math.max(0, ...s.n);
    for (const m of Object.keys(TITLES)) {
      const [title, yLabel] = TITLES[m];
      const serie = [
        series("pruned", c.levels, s.lineages.pruned[m], s.pValues[m]),
        series("unpruned", c.levels, s.lineages.unpruned[m]),
      ];
      if (m === "rewardPerBlock") {
        serie.push({
          label: "random chooser",
          x: c.levels,
          y: c.levels.map(() => RANDOM_REWARD),
          color: "#888888",
        });
      }
      panels.push({
        id: `fig7-${m}`,
        title: `${title} (noise ${noise})`,
        kind: "line",
        xLabel: "prune fraction (unpruned: matched retraining round)",
        yLabel,
        series: serie,
        caption: `mean +/- SEM over n = ${n} lineage pairs; marks: paired t-test p < 0.01; ` +
          `evaluation epsilon ${c.evalEpsilon}` +
          (m === "mahalanobis" ? "; blocks with condition number > 1e12 excluded" : ""),
      });
    }
    const pca = s.atMainLevel.pcaCumulative;
    if (pca) {
      const dims = Array.from({ length: pca.pruned.mean.length }, (_, i) => i + 1);
      panels.push({
        id: "fig7-pca",
        title: `Fig 7E: cumulative PCA variance, level ${MAIN_LEVEL} (noise ${noise})`,
        kind: "line",
        xLabel: "dimension",
        yLabel: "cumulative fraction of variance",
        series: [series("pruned", dims, pca.pruned), series("unpruned", dims, pca.unpruned)],
      });
    }
    const h = s.atMainLevel.histogram;
    if (h) {
      panels.push({
        id: "fig7-histogram",
        title: `Fig 7F: recurrent weight histogram, level ${MAIN_LEVEL} (noise ${noise})`,
        kind: "line",
        xLabel: "weight",
        yLabel: "fraction of non-zero weights",
        series: [
          { label: "pruned", color: "pruned", x: h.centres, y: h.pruned },
          { label: "unpruned", color: "unpruned", x: h.centres, y: h.unpruned },
        ],
      });
    }
    const sc = s.atMainLevel.scatter;
    if (sc) {
      panels.push({
        id: "fig7-scatter",
        title: `Fig 7H/I: agreement vs max LE, level ${MAIN_LEVEL} (noise ${noise})`,
        kind: "scatter",
        xLabel: "agreement with the Q-learner",
        yLabel: "max LE",
        series: (["pruned", "unpruned"] as const).map((k) => ({
          label: k,
          color: k,
          x: sc[k].map((p) => p.agreement),
          y: sc[k].map((p) => p.maxLE),
        })),
      });
    }
  }
  const no = summary.newOption as
    | null
    | { n: number; iterations: number[]; lossHistory: Record<"pruned" | "unpruned", MeanSem> };
  if (no) {
    // lossHistory[1] is the loss before any training on the new task; plot from iteration 2.
    const it = no.iterations.slice(1);
    const cut = (ms: MeanSem): MeanSem => ({ mean: ms.mean.slice(1), sem: ms.sem.slice(1) });
    panels.push({
      id: "rl-new-option",
      title:
        `New-option experiment: training loss on the changed task (level ${MAIN_LEVEL}, noise ${MAIN_NOISE})`,
      kind: "line",
      xLabel: "outer SCG iteration",
      yLabel: "training loss",
      logY: true,
      series: [
        series("pruned", it, cut(no.lossHistory.pruned)),
        series("unpruned", it, cut(no.lossHistory.unpruned)),
      ],
      caption: `mean +/- SEM over n = ${no.n} networks; noise-free targets, one data set`,
    });
  }
  return panels;
}

/** Compact number formatting for tables. */
export function fmt(v: unknown, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-";
}

/** Terminal table of the RL population summary. */
export function rlTable(c: RlConfig, summary: ReturnType<typeof summarizeRl>): string {
  const lines: string[] = [];
  const cols: [string, string, number][] = [
    ["qError", "Q err", 3],
    ["choiceAgreement", "agree", 3],
    ["rewardPerBlock", "reward", 2],
    ["maxLE", "max LE", 3],
    ["mahalanobis", "Mahal", 1],
  ];
  for (const noise of c.noiseLevels) {
    const s = summary.byNoise[String(noise)] as NoiseSummary | undefined;
    if (!s) continue;
    lines.push(`noise variance ${noise} (pruned / unpruned, p of paired t-test):`);
    lines.push(["level", "n", ...cols.map((x) => x[1].padStart(22))].join(" "));
    c.levels.forEach((level, li) => {
      const cells = cols.map(([m, , d]) => {
        const p = s.lineages.pruned[m].mean[li], u = s.lineages.unpruned[m].mean[li];
        const pv = s.pValues[m][li];
        return `${fmt(p, d)}/${fmt(u, d)} p${pv === null ? "-" : pv < 0.001 ? "<.001" : fmt(pv, 3)}`
          .padStart(22);
      });
      lines.push([String(level).padEnd(5), String(s.n[li]).padStart(1), ...cells].join(" "));
    });
  }
  lines.push(`random chooser reward per block: ${RANDOM_REWARD}`);
  for (
    const i of summary.initial as {
      index: number;
      outerIterations: number;
      converged: boolean;
      finalLoss: number;
      rewardPerBlock: number;
      choiceAgreement: number;
    }[]
  ) {
    lines.push(
      `initial network ${i.index}: ${i.outerIterations} outer iterations, converged ${i.converged}, ` +
        `loss ${fmt(i.finalLoss, 4)}, reward/block ${fmt(i.rewardPerBlock, 2)}, agreement ${
          fmt(i.choiceAgreement)
        }`,
    );
  }
  const no = summary.newOption as null | {
    n: number;
    finalLoss: { pruned: number; unpruned: number; p: number | null };
    rewardPerBlock: { pruned: number; unpruned: number };
  };
  if (no) {
    lines.push(
      `new option (n = ${no.n}): final loss pruned ${fmt(no.finalLoss.pruned, 4)} / unpruned ` +
        `${fmt(no.finalLoss.unpruned, 4)} (p ${
          fmt(no.finalLoss.p)
        }); reward/block on the new task ` +
        `${fmt(no.rewardPerBlock.pruned, 2)} / ${fmt(no.rewardPerBlock.unpruned, 2)}`,
    );
  }
  return lines.join("\n");
}

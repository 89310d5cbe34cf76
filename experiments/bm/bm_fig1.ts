/**
 * Fig 1 of Scholl et al. 2021: the Fisher information matrix of the trained 13 x 70 RBM (B), its
 * leading eigenvector (C) and its diagonal (D) in the weight layout, and its eigenvalue spectrum,
 * from samples of the run's sampler (the paper's: Gibbs-200 chains). As an extra analysis the
 * exact FIM of the same model (enumeration, no sampling) is set beside it: for these bimodal
 * models the two differ, because 200-sweep chains do not mix between the all-on and all-off modes.
 *
 * @module
 */
import { BM_FIG1_CLAIMS } from "./claims.ts";
import {
  type Experiment,
  type ExperimentRun,
  jsonRecord,
  type UnitEntry,
  unitMetrics,
} from "../../core/app/experiment.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { Panel, PanelParameter } from "../../core/app/panels.ts";
import type { ResultStore } from "../../core/store/store.ts";
import {
  BM_FLAGS,
  type BmConfig,
  configureBm,
  defaultConfig,
  describeBm,
  paperConfig,
} from "./config.ts";
import {
  analyseFim,
  blockMax,
  minMaxNormalise,
  perUnitImportance,
} from "../../core/bm/fim_analysis.ts";
import {
  type BmDataMetrics,
  comparableWithPaper,
  createSampler,
  drawSamples,
  evaluateSet,
  failureOf,
  initialSampleSeed,
  modelBlobs,
  type SamplerTag,
  samplerTag,
  samplerText,
  trainInitialModel,
} from "../../core/bm/protocol.ts";
import {
  type BmFailure,
  type BmSummaryHeader,
  dataLine,
  protocolLabel,
  summaryHeader,
} from "./aggregate.ts";
import { checkAbort, loadAndStoreData, seedIndices } from "./run.ts";
import type { RunContext } from "../../core/app/experiment.ts";

const HEAT_BLOCK = 20;
const TOP = 50;

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sig = (x: number): number => Number(x.toPrecision(6));

/** The paper's Fig 1 numbers: the authors' notebook, one trained model. */
export const FIG1_PAPER = {
  lambda0: 23.97,
  lambda1: 1.6,
  lambda2: 1.42,
  ratio: 14.96,
  source: "authors' notebook, ONE trained model (CIFAR-10, seed 666, Gibbs-200 samples; spec 5.2)",
} as const;

async function run(ctx: RunContext<BmConfig>): Promise<void> {
  const { config, store, runId, finished, progress } = ctx;
  const data = await loadAndStoreData(ctx);
  const sampler = createSampler(config);
  const tag = samplerTag(config);
  try {
    for (const s of seedIndices(ctx)) {
      if (finished.has(`fim/${s}`)) continue;
      checkAbort(ctx);
      progress.update(`seed ${s}: training initial RBM`);
      let t = performance.now();
      const model = trainInitialModel(config, data, { master: ctx.seed, seedIndex: s });
      const trainMs = performance.now() - t;
      const failedModel = failureOf(model);
      if (failedModel) {
        await store.putUnit(runId, ["fim", s], {
          metrics: { seed: s, failed: failedModel },
          blobs: modelBlobs(model),
        });
        progress.tick(1, `seed ${s}: FAILED (${failedModel})`);
        continue;
      }
      progress.update(`seed ${s}: sampling (${samplerText(tag)})`, 0.4);
      t = performance.now();
      const samples = await drawSamples(sampler, model, {
        config,
        seed: initialSampleSeed(ctx.seed, s),
        signal: ctx.signal,
      });
      const samplingMs = performance.now() - t;
      progress.update(`seed ${s}: Fisher information`, 0.6);
      const a = analyseFim(model, samples);
      const { counts: _counts, ...ev } = evaluateSet(model, data, { samples, sampler: tag });
      const failed = failureOf(model, ev) ??
        (a.eigenvalues.every(Number.isFinite) ? null : "non-finite FIM eigenvalues");
      const eigMap = minMaxNormalise(a.u0);
      const diagMap = minMaxNormalise(a.diagonal);
      let fmax = 0;
      for (const v of a.sample.values) if (v > fmax) fmax = v;
      const heat = blockMax(a.sample.values, a.sample.dim, HEAT_BLOCK);
      const metrics: FimMetrics = {
        seed: s,
        failed,
        sampler: tag,
        nv: model.nv,
        nh: model.nh,
        nw: ev.nw,
        klSample: ev.klSample,
        klExact: ev.klExact,
        eigenvalues: Array.from(a.eigenvalues.slice(0, TOP), sig),
        exactEigenvalues: Array.from(a.exactEigenvalues.slice(0, TOP), sig),
        relativeDifference: a.relativeDifference,
        eigenvectorOverlap: a.eigenvectorOverlap,
        topUnitShare: {
          eigenvector: topUnitShare(a.u0, model),
          diagonal: topUnitShare(a.diagonal, model),
        },
        zeroScores: a.zeroScores,
        timingsMs: { ...a.timingsMs, train: trainMs, sampling: samplingMs },
        eigMap: Array.from(eigMap, r3),
        diagMap: Array.from(diagMap, r3),
        heat: {
          size: heat.size,
          block: HEAT_BLOCK,
          max: fmax,
          values: heat.values.map((v) => r3(v / fmax)),
        },
      };
      await store.putUnit(runId, ["fim", s], {
        metrics: jsonRecord(metrics),
        blobs: {
          ...modelBlobs(model),
          eigenvalues: a.eigenvalues,
          exactEigenvalues: a.exactEigenvalues,
          u0: a.u0,
          diagonal: a.diagonal,
          fim: new Float32Array(a.sample.values),
        },
      });
      progress.tick(
        1,
        failed
          ? `seed ${s}: FAILED (${failed})`
          : `seed ${s}: lambda0 ${a.eigenvalues[0].toFixed(2)}, lambda1 ${
            a.eigenvalues[1].toFixed(2)
          } (${samplerText(tag)})`,
      );
    }
  } finally {
    sampler.close();
  }
}

/** Metrics of a ["fim", s] unit (a failed seed stores only `seed` and `failed`). */
export interface FimMetrics {
  seed: number;
  /** Why this seed failed (non-finite values), or null. */
  failed: string | null;
  /** The sampler of the sample FIM, scores and sample KL. */
  sampler: SamplerTag;
  nv: number;
  nh: number;
  eigenvalues: number[];
  exactEigenvalues: number[];
  relativeDifference: number;
  eigenvectorOverlap: number;
  /** Share of |u0| and of the diagonal (weight parts) on the top 10% of hidden units. */
  topUnitShare: { eigenvector: number; diagonal: number };
  zeroScores: { var: number; heu: number };
  timingsMs: Record<string, number>;
  eigMap: number[];
  diagMap: number[];
  heat: { size: number; block: number; max: number; values: number[] };
  nw: number;
  klSample: number | null;
  klExact: number;
}

/** The FIM of the first successful seed in the `--out` JSON. */
export interface FimSummary {
  /** Which estimate, from which sampler. */
  source: string;
  /** The sampler, and whether it is the paper's (Gibbs-200). */
  sampler: SamplerTag & { comparableWithPaper: boolean };
  /** Seed index. */
  seed: number;
  /** Dimension (993). */
  dim: number;
  /** Sample-FIM eigenvalues, descending. */
  eigenvalues: number[];
  /** Largest eigenvalue. */
  lambda0: number;
  /** Second largest. */
  lambda1: number;
  /** Third largest. */
  lambda2: number;
  /** lambda0 / lambda1. */
  ratio: number;
  /** Sign-fixed leading eigenvector. */
  leadingEigenvector: number[];
  /** FIM diagonal. */
  diagonal: number[];
  /** Exactly-zero VAR and HEU scores. */
  zeroScores: { var: number; heu: number };
  /** Timings of the analysis steps. */
  timingsMs: Record<string, number>;
  /**
   * Extra analysis: the exact FIM of the same model (enumerated p(v), no sampler), its largest
   * eigenvalues and how far the sample FIM is from it.
   */
  exact: {
    label: string;
    eigenvalues: number[];
    lambda0: number;
    lambda1: number;
    ratio: number;
    /** ||F_sample - F_exact||_F / ||F_exact||_F. */
    relativeFrobeniusDifference: number;
    /** |<u0_sample, u0_exact>|. */
    leadingEigenvectorOverlap: number;
  };
  /** The paper's values: ONE trained model of the authors' notebook. */
  paper: typeof FIG1_PAPER;
}

/** Per-seed spectrum summary. */
export interface Fig1Seed {
  /** Seed index. */
  seed: number;
  /** Sample-FIM eigenvalues. */
  lambda0: number;
  /** Second. */
  lambda1: number;
  /** Third. */
  lambda2: number;
  /** lambda0 / lambda1 of the sample FIM. */
  ratio: number;
  /** lambda0 / lambda1 of the exact FIM (extra analysis). */
  exactRatio: number;
  /** Share of the leading eigenvector's weight-part mass on the top 10% of hidden units. */
  eigenvectorTopUnitShare: number;
  /** Share of the diagonal's weight-part mass on the top 10% of hidden units. */
  diagonalTopUnitShare: number;
}

/** The `--out` JSON of bm-fig1 (docs/bm.md). */
export type BmFig1Summary = BmSummaryHeader & {
  /** Statistics of the training data. */
  data: BmDataMetrics | null;
  /** The first successful seed's FIM analysis. */
  fim: FimSummary | null;
  /** The first successful seed's model. */
  model: {
    nv: number;
    nh: number;
    W: number[];
    bv: number[];
    bh: number[];
    klSample: number | null;
    klExact: number;
  } | null;
  /** Spectrum and concentration per successful seed. */
  seeds: Fig1Seed[];
  /** Seeds left out (non-finite values). */
  failures: BmFailure[];
};

/**
 * Share of a non-negative per-weight map's mass that falls on the top `fraction` of hidden units
 * (by their summed mass): 0.1 for a uniform spread over units at fraction 0.1, 1 when all mass
 * sits on that many units.
 */
export function topUnitShare(
  map: ArrayLike<number>,
  shape: { nv: number; nh: number; fraction?: number },
): number {
  const { nv, nh } = shape;
  const perUnit = new Array<number>(nh).fill(0);
  for (let i = 0; i < nv; i++) {
    for (let j = 0; j < nh; j++) perUnit[j] += Math.abs(map[nv + nh + i * nh + j]);
  }
  const total = perUnit.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  const k = Math.max(1, Math.round((shape.fraction ?? 0.1) * nh));
  const top = perUnit.sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0);
  return top / total;
}

/** The bm-fig1 experiment. */
export const bmFig1: Experiment<BmConfig, BmFig1Summary> = {
  id: "bm-fig1",
  title: "Fig 1: Fisher information of a trained 13x70 RBM on natural-image patches",
  paper: "scholl2021",
  claims: BM_FIG1_CLAIMS,
  // The paper shows one exemplary model; the default trains three, so the scorecard can test the
  // spectrum over seeds (about 15 s of CPU each).
  presets: { default: defaultConfig(3, "none"), paper: paperConfig(1, "none") },
  flags: BM_FLAGS.filter((f) => f.name !== "criteria" && f.name !== "evaluation"),
  configure: (base, flags) => configureBm(base, flags, { paperSeeds: 1, experiment: "bm-fig1" }),
  describe: (c) =>
    describeBm(c).replace(/, \d+ rounds of [^,]+, \d+ criteria, evaluation sets: [a-z-]+/, ""),
  totalUnits: (c) => 1 + c.seeds,
  shards: (c) => ({ networks: c.seeds }),
  run,
  async summarize(run: ExperimentRun<BmConfig>, store: ResultStore): Promise<BmFig1Summary> {
    const units = await store.listUnits(run.id);
    const dataUnit = units.find((u) => u.key[0] === "data");
    const data = dataUnit ? unitMetrics<BmDataMetrics>(dataUnit) : null;
    const fims = units.filter((u) => u.key[0] === "fim").map((u) => ({
      key: u.key,
      m: unitMetrics<FimMetrics>(u),
    }));
    const ok = fims.filter((f) => !f.m.failed);
    const failures: BmFailure[] = fims.filter((f) => f.m.failed).map((f) => ({
      seed: f.m.seed,
      criterion: null,
      reason: f.m.failed ?? "",
    }));
    const first = ok[0];
    let fim: FimSummary | null = null;
    let model: BmFig1Summary["model"] = null;
    if (first) {
      const m = first.m;
      const blob = async (name: string) => await store.getBlob(run.id, first.key, name);
      const ev = Array.from(await blob("eigenvalues") as Float64Array);
      fim = {
        source: `sample FIM, unbiased covariance of the 993 sufficient statistics (spec 5.1), ` +
          `samples: ${samplerText(m.sampler)}`,
        sampler: { ...m.sampler, comparableWithPaper: comparableWithPaper(m.sampler) },
        seed: m.seed,
        dim: ev.length,
        eigenvalues: ev,
        lambda0: ev[0],
        lambda1: ev[1],
        lambda2: ev[2],
        ratio: ev[0] / ev[1],
        leadingEigenvector: Array.from(await blob("u0") as Float64Array),
        diagonal: Array.from(await blob("diagonal") as Float64Array),
        zeroScores: m.zeroScores,
        timingsMs: m.timingsMs,
        exact: {
          label: "EXTRA ANALYSIS: exact FIM of the same model by enumeration (no sampler; the " +
            "model's equilibrium, which 200-sweep chains do not reach)",
          eigenvalues: m.exactEigenvalues,
          lambda0: m.exactEigenvalues[0],
          lambda1: m.exactEigenvalues[1],
          ratio: m.exactEigenvalues[0] / m.exactEigenvalues[1],
          relativeFrobeniusDifference: m.relativeDifference,
          leadingEigenvectorOverlap: m.eigenvectorOverlap,
        },
        paper: FIG1_PAPER,
      };
      model = {
        nv: m.nv,
        nh: m.nh,
        W: Array.from(await blob("w") as Float64Array),
        bv: Array.from(await blob("bv") as Float64Array),
        bh: Array.from(await blob("bh") as Float64Array),
        klSample: m.klSample,
        klExact: m.klExact,
      };
    }
    return {
      ...summaryHeader(run, bmFig1),
      data,
      fim,
      model,
      seeds: ok.map(({ m }) => ({
        seed: m.seed,
        lambda0: m.eigenvalues[0],
        lambda1: m.eigenvalues[1],
        lambda2: m.eigenvalues[2],
        ratio: m.eigenvalues[0] / m.eigenvalues[1],
        exactRatio: m.exactEigenvalues[0] / m.exactEigenvalues[1],
        eigenvectorTopUnitShare: m.topUnitShare.eigenvector,
        diagonalTopUnitShare: m.topUnitShare.diagonal,
      })),
      failures,
    };
  },
  table(summary: BmFig1Summary): string {
    const fim = summary.fim;
    if (!fim) {
      return summary.failures.length
        ? `no results: ${summary.failures.length} seed(s) failed (${summary.failures[0].reason})`
        : "no results";
    }
    const data = summary.data;
    const f = (x: number[]): string => x.slice(0, 3).map((v) => v.toFixed(2)).join(", ");
    const t = fim.timingsMs;
    const p = fim.paper;
    const rows = [
      [
        `sample FIM (${fim.sampler.method === "gibbs" ? `Gibbs-${fim.sampler.sweeps}` : "exact"})`,
        f(fim.eigenvalues),
        fim.ratio.toFixed(2),
      ],
      ["exact FIM (extra analysis)", f(fim.exact.eigenvalues), fim.exact.ratio.toFixed(2)],
      ["paper (notebook, ONE model)", `${p.lambda0}, ${p.lambda1}, ${p.lambda2}`, `${p.ratio}`],
    ];
    const perSeed = summary.seeds.length > 1
      ? [
        formatTable(
          ["seed", "lambda0", "lambda1", "lambda0/lambda1", "exact lambda0/lambda1"],
          summary.seeds.map((x) => [
            `${x.seed}`,
            x.lambda0.toFixed(2),
            x.lambda1.toFixed(2),
            x.ratio.toFixed(2),
            x.exactRatio.toFixed(2),
          ]),
        ),
      ]
      : [];
    return [
      `Fig 1: FIM of the initial RBM, seed ${fim.seed}; ${summary.protocol}`,
      formatTable(["FIM", "lambda0, lambda1, lambda2", "lambda0/lambda1"], rows),
      ...perSeed,
      `sample vs exact FIM: relative Frobenius difference ${
        fim.exact.relativeFrobeniusDifference.toFixed(3)
      }, |<u0, u0_exact>| = ${fim.exact.leadingEigenvectorOverlap.toFixed(4)}`,
      `exactly-zero scores: VAR ${fim.zeroScores.var}, HEU ${fim.zeroScores.heu} of 910`,
      `timings (ms): sampling ${t.sampling.toFixed(0)}, sample FIM ${
        t.sampleFim.toFixed(0)
      }, exact FIM ${t.exactFim.toFixed(0)}, its eigenvalues ${t.exactEigenvalues.toFixed(0)}, ` +
      `training ${t.train.toFixed(0)}`,
      ...(data ? [dataLine(data)] : []),
      ...(summary.failures.length ? [`${summary.failures.length} seed(s) failed; see JSON`] : []),
    ].join("\n");
  },
  parameters(run: ExperimentRun<BmConfig>): PanelParameter[] {
    const seeds = run.config.seeds;
    return [{
      name: "seed",
      label: "seed",
      options: Array.from({ length: seeds }, (_, s) => s),
      default: 0,
    }];
  },
  panels(
    run: ExperimentRun<BmConfig>,
    units: UnitEntry[],
    params: Record<string, number>,
  ): Panel[] {
    const label = protocolLabel(run.config);
    const seed = params.seed ?? 0;
    const ok = units.filter((x) => x.key[0] === "fim" && !unitMetrics<FimMetrics>(x).failed);
    const u = ok.find((x) => x.key[1] === seed) ?? ok[0];
    if (!u) return [];
    const m = unitMetrics<FimMetrics>(u);
    const { nv, nh } = m;
    const weightPart = (map: number[]): number[] => map.slice(nv + nh);
    const ranks = m.eigenvalues.map((_, k) => k);
    const sampled = m.sampler.method === "gibbs" ? `Gibbs-${m.sampler.sweeps}` : "exact-sample";
    const ratio = m.eigenvalues[0] / m.eigenvalues[1];
    const exactRatio = m.exactEigenvalues[0] / m.exactEigenvalues[1];
    return [
      {
        id: "fim",
        title: `Fig 1B: Fisher information matrix (${sampled} sample estimate)`,
        kind: "heatmap",
        xLabel: "parameter index phi_j (blocks)",
        yLabel: "parameter index phi_i (blocks)",
        series: [],
        heatmap: { rows: m.heat.size, cols: m.heat.size, values: m.heat.values },
        caption:
          `F / max(F) = ${
            m.heat.max.toPrecision(4)
          }, max over ${m.heat.block}x${m.heat.block} blocks of the ` +
          `${nv + nh + nv * nh}-dim FIM, order [bv | bh | W visible-major]; samples: ${
            samplerText(m.sampler)
          }. Seed ${m.seed}. ${label}`,
      },
      {
        id: "eigenvalues",
        title: `FIM eigenvalues: lambda0/lambda1 = ${ratio.toFixed(1)} (${sampled} samples), ` +
          `${exactRatio.toFixed(1)} (exact FIM)`,
        kind: "line",
        xLabel: "rank",
        yLabel: "eigenvalue",
        logY: true,
        series: [
          { label: `sample FIM (${sampled})`, x: ranks, y: m.eigenvalues },
          { label: "exact FIM (extra analysis)", x: ranks, y: m.exactEigenvalues },
          {
            label: "paper, ONE model (notebook)",
            x: [0, 1, 2],
            y: [FIG1_PAPER.lambda0, FIG1_PAPER.lambda1, FIG1_PAPER.lambda2],
            reference: true,
          },
        ],
        caption: `largest ${m.eigenvalues.length} eigenvalues of seed ${m.seed}. The paper's ` +
          `values (dashed) are the ${FIG1_PAPER.source}, not a mean. The exact FIM (enumerated ` +
          `p(v), no sampler) is an extra analysis. ${label}`,
      },
      {
        id: "eigenvector",
        title: "Fig 1C: leading eigenvector u0 per weight",
        kind: "heatmap",
        xLabel: "hidden unit h_j",
        yLabel: "visible unit v_i",
        series: [],
        heatmap: { rows: nv, cols: nh, values: weightPart(m.eigMap) },
        caption: `sign-fixed u0 of the ${sampled} sample FIM, all ${
          nv + nh + nv * nh
        } entries jointly min-max normalised; weight part shown. ${label}`,
      },
      {
        id: "diagonal",
        title: "Fig 1D: FIM diagonal (variance FI) per weight",
        kind: "heatmap",
        xLabel: "hidden unit h_j",
        yLabel: "visible unit v_i",
        series: [],
        heatmap: { rows: nv, cols: nh, values: weightPart(m.diagMap) },
        caption: `[var1(v_i), var1(h_j), var1(v_i h_j)] from ${sampled} samples, jointly ` +
          `min-max normalised; weight part shown. ${label}`,
      },
      {
        id: "unit-importance",
        title: `Importance per hidden unit: top 10% of units hold ${
          (100 * m.topUnitShare.eigenvector).toFixed(0)
        }% (|u0|), ${(100 * m.topUnitShare.diagonal).toFixed(0)}% (diagonal)`,
        kind: "bar",
        xLabel: "hidden unit h_j",
        yLabel: "sum over visible units (normalised)",
        series: [
          {
            label: "eigenvector",
            x: Array.from({ length: nh }, (_, j) => j),
            y: perUnitImportance(Float64Array.from(m.eigMap), nv, nh),
          },
          {
            label: "diagonal",
            x: Array.from({ length: nh }, (_, j) => j),
            y: perUnitImportance(Float64Array.from(m.diagMap), nv, nh),
          },
        ],
        caption: `sums of the normalised maps per hidden unit; a uniform spread would put 10% ` +
          `on the top 10% of units. ${label}`,
      },
    ];
  },
};

/**
 * Fig 1 of Scholl et al. 2021: the Fisher information matrix of the trained 13 x 70 RBM (B), its
 * leading eigenvector (C) and its diagonal (D) in the weight layout, with the eigenvalue spectrum
 * (the FIM is nearly rank one) and the exact FIM by enumeration as a check on the sample FIM.
 *
 * @module
 */
import {
  type Experiment,
  type ExperimentRun,
  type UnitEntry,
  unitMetrics,
} from "../../core/app/experiment.ts";
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
  createSampler,
  drawSamples,
  evaluateSet,
  initialSampleSeed,
  modelBlobs,
  trainInitialModel,
} from "../../core/bm/protocol.ts";
import { type BmSummaryHeader, protocolLabel, summaryHeader } from "./aggregate.ts";
import { checkAbort, loadAndStoreData } from "./run.ts";
import type { RunContext } from "../../core/app/experiment.ts";

const HEAT_BLOCK = 20;
const TOP = 50;

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sig = (x: number): number => Number(x.toPrecision(6));

async function run(ctx: RunContext<BmConfig>): Promise<void> {
  const { config, store, runId, finished, progress } = ctx;
  const data = await loadAndStoreData(ctx);
  const sampler = createSampler(config);
  try {
    for (let s = 0; s < config.seeds; s++) {
      if (finished.has(`fim/${s}`)) continue;
      checkAbort(ctx);
      progress.update(`seed ${s}: training initial RBM`);
      let t = performance.now();
      const model = trainInitialModel(config, data, ctx.seed, s);
      const trainMs = performance.now() - t;
      progress.update(`seed ${s}: sampling`, 0.4);
      t = performance.now();
      const samples = await drawSamples(sampler, model, config, initialSampleSeed(ctx.seed, s));
      const samplingMs = performance.now() - t;
      progress.update(`seed ${s}: Fisher information`, 0.6);
      const a = analyseFim(model, samples);
      const ev = evaluateSet(model, samples, data);
      const eigMap = minMaxNormalise(a.u0);
      const diagMap = minMaxNormalise(a.diagonal);
      let fmax = 0;
      for (const v of a.sample.values) if (v > fmax) fmax = v;
      const heat = blockMax(a.sample.values, a.sample.dim, HEAT_BLOCK);
      await store.putUnit(runId, ["fim", s], {
        metrics: {
          seed: s,
          nv: model.nv,
          nh: model.nh,
          nw: ev.nw,
          klSample: ev.klSample,
          klExact: ev.klExact,
          eigenvalues: Array.from(a.eigenvalues.slice(0, TOP), sig),
          exactEigenvalues: Array.from(a.exactEigenvalues.slice(0, TOP), sig),
          relativeDifference: a.relativeDifference,
          eigenvectorOverlap: a.eigenvectorOverlap,
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
        },
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
        `seed ${s}: lambda0 ${a.eigenvalues[0].toFixed(2)}, lambda1 ${a.eigenvalues[1].toFixed(2)}`,
      );
    }
  } finally {
    sampler.close();
  }
}

interface FimMetrics {
  seed: number;
  nv: number;
  nh: number;
  eigenvalues: number[];
  exactEigenvalues: number[];
  relativeDifference: number;
  eigenvectorOverlap: number;
  zeroScores: { var: number; heu: number };
  timingsMs: Record<string, number>;
  eigMap: number[];
  diagMap: number[];
  heat: { size: number; block: number; max: number; values: number[] };
  klSample: number;
  klExact: number;
}

/** The FIM of the first seed in the `--out` JSON. */
export interface FimSummary {
  /** Which estimate. */
  source: string;
  /** Seed index. */
  seed: number;
  /** Dimension (993). */
  dim: number;
  /** Sample-FIM eigenvalues, descending. */
  eigenvalues: number[];
  /** Exact-FIM eigenvalues (largest 50). */
  exactEigenvalues: number[];
  /** Largest eigenvalue. */
  lambda0: number;
  /** Second largest. */
  lambda1: number;
  /** lambda0 / lambda1. */
  ratio: number;
  /** Exact against sample FIM. */
  exactVsSample: { relativeFrobeniusDifference: number; leadingEigenvectorOverlap: number };
  /** Sign-fixed leading eigenvector. */
  leadingEigenvector: number[];
  /** FIM diagonal. */
  diagonal: number[];
  /** Exactly-zero VAR and HEU scores. */
  zeroScores: { var: number; heu: number };
  /** Timings of the analysis steps. */
  timingsMs: Record<string, number>;
  /** The paper's values. */
  paper: { lambda0: number; lambda1: number; lambda2: number };
}

/** The `--out` JSON of bm-fig1 (docs/bm.md). */
export type BmFig1Summary = BmSummaryHeader & {
  /** Statistics of the training data. */
  data: BmDataMetrics | null;
  /** The first seed's FIM analysis. */
  fim: FimSummary | null;
  /** The first seed's model. */
  model: {
    nv: number;
    nh: number;
    W: number[];
    bv: number[];
    bh: number[];
    klSample: number;
    klExact: number;
  } | null;
  /** Leading eigenvalues per seed. */
  seeds: { seed: number; lambda0: number; lambda1: number; lambda2: number }[];
};

/** The bm-fig1 experiment. */
export const bmFig1: Experiment<BmConfig, BmFig1Summary> = {
  id: "bm-fig1",
  title: "Fig 1: Fisher information of a trained 13x70 RBM on natural-image patches",
  paper: "scholl2021",
  presets: { default: defaultConfig(1), paper: paperConfig(1) },
  flags: BM_FLAGS,
  configure: (base, flags) => configureBm(base, flags, { paperSeeds: 1, experiment: "bm-fig1" }),
  describe: (c) => describeBm(c).replace(/, \d+ rounds of [^,]+, \d+ criteria/, ""),
  totalUnits: (c) => 1 + c.seeds,
  run,
  async summarize(run: ExperimentRun<BmConfig>, store: ResultStore): Promise<BmFig1Summary> {
    const units = await store.listUnits(run.id);
    const dataUnit = units.find((u) => u.key[0] === "data");
    const data = dataUnit ? unitMetrics<BmDataMetrics>(dataUnit) : null;
    const fims = units.filter((u) => u.key[0] === "fim");
    const first = fims[0];
    let fim: FimSummary | null = null;
    let model: BmFig1Summary["model"] = null;
    if (first) {
      const m = unitMetrics<FimMetrics>(first);
      const blob = async (name: string) => await store.getBlob(run.id, first.key, name);
      const ev = Array.from(await blob("eigenvalues") as Float64Array);
      fim = {
        source: "sample FIM, unbiased covariance of the 993 sufficient statistics (spec 5.1)",
        seed: m.seed,
        dim: ev.length,
        eigenvalues: ev,
        exactEigenvalues: m.exactEigenvalues,
        lambda0: ev[0],
        lambda1: ev[1],
        ratio: ev[0] / ev[1],
        exactVsSample: {
          relativeFrobeniusDifference: m.relativeDifference,
          leadingEigenvectorOverlap: m.eigenvectorOverlap,
        },
        leadingEigenvector: Array.from(await blob("u0") as Float64Array),
        diagonal: Array.from(await blob("diagonal") as Float64Array),
        zeroScores: m.zeroScores,
        timingsMs: m.timingsMs,
        paper: { lambda0: 23.97, lambda1: 1.6, lambda2: 1.42 },
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
      seeds: fims.map((u) => {
        const m = unitMetrics<FimMetrics>(u);
        return {
          seed: m.seed,
          lambda0: m.eigenvalues[0],
          lambda1: m.eigenvalues[1],
          lambda2: m.eigenvalues[2],
        };
      }),
    };
  },
  table(summary: BmFig1Summary): string {
    const fim = summary.fim;
    if (!fim) return "no results";
    const data = summary.data;
    const f = (x: number[]): string => x.slice(0, 5).map((v) => v.toFixed(3)).join(", ");
    const t = fim.timingsMs;
    return [
      `Fig 1: FIM of the initial RBM; ${summary.protocol}`,
      `sample FIM eigenvalues: ${f(fim.eigenvalues)} (lambda0/lambda1 = ${
        fim.ratio.toFixed(2)
      }; paper 23.97, 1.60, 1.42)`,
      `exact FIM eigenvalues:  ${f(fim.exactEigenvalues)}`,
      `exact vs sample: relative Frobenius difference ${
        fim.exactVsSample.relativeFrobeniusDifference.toExponential(2)
      }, ` +
      `|<u0, u0_exact>| = ${fim.exactVsSample.leadingEigenvectorOverlap.toFixed(5)}`,
      `exactly-zero scores: VAR ${fim.zeroScores.var}, HEU ${fim.zeroScores.heu} of 910`,
      `timings (ms): exact FIM ${t.exactFim.toFixed(0)}, its eigenvalues ${
        t.exactEigenvalues.toFixed(0)
      }, ` +
      `sample FIM ${t.sampleFim.toFixed(0)}, sampling ${t.sampling.toFixed(0)}, training ${
        t.train.toFixed(0)
      }`,
      data
        ? `data: ${data.distinct} distinct patterns, mean pixel rate ${
          data.meanRate.toFixed(3)
        }, top-2 frequencies ` +
          `${data.top.slice(0, 2).map((x) => x.frequency.toFixed(3)).join(", ")}`
        : "",
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
    const u = units.find((x) => x.key[0] === "fim" && x.key[1] === seed) ??
      units.find((x) => x.key[0] === "fim");
    if (!u) return [];
    const m = unitMetrics<FimMetrics>(u);
    const { nv, nh } = m;
    const weightPart = (map: number[]): number[] => map.slice(nv + nh);
    const ranks = m.eigenvalues.map((_, k) => k);
    return [
      {
        id: "fim",
        title: "Fig 1B: Fisher information matrix (sample estimate)",
        kind: "heatmap",
        xLabel: "parameter index phi_j (blocks)",
        yLabel: "parameter index phi_i (blocks)",
        series: [],
        heatmap: { rows: m.heat.size, cols: m.heat.size, values: m.heat.values },
        caption:
          `F / max(F) = ${
            m.heat.max.toPrecision(4)
          }, max over ${m.heat.block}x${m.heat.block} blocks of the ` +
          `${
            nv + nh + nv * nh
          }-dim FIM, order [bv | bh | W visible-major]. Seed ${m.seed}. ${label}`,
      },
      {
        id: "eigenvalues",
        title: "FIM eigenvalues (nearly rank one)",
        kind: "line",
        xLabel: "rank",
        yLabel: "eigenvalue",
        logY: true,
        series: [
          { label: "sample FIM", x: ranks, y: m.eigenvalues },
          { label: "exact FIM", x: ranks, y: m.exactEigenvalues },
        ],
        caption: `largest ${m.eigenvalues.length}; paper (one seed): 23.97, 1.60, 1.42. ${label}`,
      },
      {
        id: "eigenvector",
        title: "Fig 1C: leading eigenvector |u0| per weight",
        kind: "heatmap",
        xLabel: "hidden unit h_j",
        yLabel: "visible unit v_i",
        series: [],
        heatmap: { rows: nv, cols: nh, values: weightPart(m.eigMap) },
        caption: `sign-fixed u0, all ${
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
        caption:
          `[var1(v_i), var1(h_j), var1(v_i h_j)] jointly min-max normalised; weight part shown. ${label}`,
      },
      {
        id: "unit-importance",
        title: "Importance per hidden unit",
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
        caption: `importance concentrates on a few hidden units. ${label}`,
      },
    ];
  },
};

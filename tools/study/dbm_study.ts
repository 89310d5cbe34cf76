/**
 * Learning curves of the family-B initial model (docs/dbm_design.md, "What the reduced default trains"):
 * trains RBM1, RBM2 and the joint DBM with a chosen schedule and measures, after stacking and after
 * every joint-training epoch, what the experiment measures: generated-digit quality and entropy,
 * the class spread of the persistent particles the sampler starts from, the sampler's burn-in
 * (quality and entropy of each record separately), unit activities and the h2 encoding error.
 *
 *   deno run -A tools/study/dbm_study.ts [--digits 1000] [--epochs 2,2,2] [--batch 10]
 *     [--particles 50] [--mf 5] [--chains 500] [--sweeps 20] [--samples 2000] [--seed 0]
 *     [--encode 0|N] [--every 1] [--lr paper|flat:X] [--json FILE]
 *
 * `--epochs a,b,c` are the RBM1, RBM2 and joint epochs, read with the paper's learning-rate and
 * momentum lists (spec 3.3-3.5) exactly as the experiment does; joint training is run one epoch per
 * call with the list entry of that epoch, so the curve is the schedule an uninterrupted run takes
 * (momentum buffers restart each epoch, which the code momentum rule makes immaterial: its
 * effective momentum is lr x mu < 0.07).
 *
 * @module
 */
import process from "node:process";
import { CpuDbmKernels } from "../../core/engine/cpu/dbm_kernels.ts";
import { loadMnistSubstitute } from "../../core/data/mnist.ts";
import { deriveSeed, Rng } from "../../core/util/rng.ts";
import { paperProtocol } from "../../core/bm/dbm/protocol.ts";
import { firstRows } from "../../core/bm/dbm/data.ts";
import { maskedNormal, receptiveFieldMask } from "../../core/bm/dbm/model.ts";
import { sampleHidden, trainRbms } from "../../core/bm/dbm/rbm_stage.ts";
import { stack, STREAM } from "../../core/bm/dbm/pretrain.ts";
import { DbmPopulation } from "../../core/bm/dbm/population.ts";
import { SlotStreams } from "../../core/bm/dbm/streams.ts";
import { CheckpointAccumulator, encodingError, rawReferences } from "../../core/bm/dbm/evaluate.ts";
import { ClassTally } from "../../core/bm/dbm/metrics.ts";
import { predictProba } from "../../core/bm/dbm/logreg.ts";
import { encode as encodePng } from "fast-png";

const args = Deno.args;
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const num = (name: string, dflt: number): number => Number(flag(name, String(dflt)));

const digitsN = num("digits", 1000);
const [e1, e2, e3] = flag("epochs", "2,2,2").split(",").map(Number);
const batch = num("batch", 10);
const particles = num("particles", 50);
const mfIts = num("mf", 5);
const chains = num("chains", 500);
const sweeps = num("sweeps", 20);
const samples = num("samples", 2000);
const seed = num("seed", 0);
const encodeN = num("encode", 0);
const every = num("every", 1);
const lrMode = flag("lr", "paper");
const jsonOut = flag("json", "");
const pngOut = flag("png", "");
/** Extra sampler settings "chains,sweeps,samples" measured once more after training. */
const finalSampler = flag("final", "");
const finalEncode = num("final-encode", 0);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const t0 = performance.now();
const c0 = cpuSeconds();
const stamp = (): string =>
  `[wall ${((performance.now() - t0) / 1000).toFixed(0)} s, cpu ${
    (cpuSeconds() - c0).toFixed(0)
  } s]`;

const data = loadMnistSubstitute();
const digits = {
  n: Math.min(digitsN, data.train.n),
  width: 400,
  bits: data.train.bits.subarray(0, Math.min(digitsN, data.train.n) * 400),
};
const pr = paperProtocol();
/**
 * The learning-rate list of a stage of `epochs` epochs: the paper's list (read with `sched`, so
 * epoch e uses entry e), a flat rate, or "compressed": the paper's annealing path from entry 1 to
 * the last entry traversed in `epochs` steps (epoch e reads entry
 * round(1 + (e - 1) (len - 2) / (epochs - 1))), i.e. the same first and last rates in fewer epochs.
 */
const lrList = (l: number[], epochs: number): number[] => {
  if (lrMode.startsWith("flat:")) return l.map(() => Number(lrMode.slice(5)));
  if (lrMode === "compressed") {
    const at = (e: number): number =>
      epochs === 1 ? l.length - 1 : Math.round(1 + ((e - 1) * (l.length - 2)) / (epochs - 1));
    return [l[0], ...Array.from({ length: epochs }, (_, e) => l[at(e + 1)])];
  }
  return l;
};
const refs = await rawReferences(data.train, data.test, {
  c: pr.classifier.cRaw,
  tolerance: pr.classifier.tolerance,
  maxIterations: pr.classifier.maxIterations,
  randomPatterns: 10000,
  rng: new Rng(1),
});
console.log(
  `load ${
    new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()
  }\nsettings: digits ${digits.n}, epochs ${e1},${e2},${e3}, batch ${batch}, particles ${particles}, mf ${mfIts}, sampler ${chains} x ${sweeps} sweeps -> ${samples}, seed ${seed}, lr ${lrMode}`,
);
console.log(
  `references: baseline ${refs.baselineError.toFixed(4)}, test quality ${
    refs.testDigits.qualityPerClass.toFixed(3)
  } entropy ${refs.testDigits.entropy.toFixed(3)}, random ${
    refs.randomPatterns.qualityPerClass.toFixed(3)
  } ${stamp()}`,
);

const k = new CpuDbmKernels();
const c = pr.initial;
const mask1 = receptiveFieldMask(20, 2);
const rbm1 = await trainRbms(k, [{
  nv: 400,
  nh: 400,
  w: maskedNormal(mask1, { sd: 0.1, rng: new Rng(deriveSeed(seed, STREAM.rbm1Init)) }),
  bv: new Float32Array(400).fill(-1),
  bh: new Float32Array(400).fill(-2),
  mask: mask1,
}], {
  data: digits,
  streams: SlotStreams.fromSeeds([deriveSeed(seed, STREAM.rbm1Cd)]),
  schedule: { ...c.rbm1, epochs: e1, batch, lr: lrList(c.rbm1.lr, e1) },
  mUp: 2,
  mDown: 1,
});
const q = await sampleHidden(k, rbm1, {
  data: digits,
  streams: SlotStreams.fromSeeds([deriveSeed(seed, STREAM.q)]),
  multiplier: 2,
});
const rbm2 = await trainRbms(k, [{
  nv: 400,
  nh: 676,
  w: maskedNormal(new Uint8Array(400 * 676).fill(1), {
    sd: 0.1,
    rng: new Rng(deriveSeed(seed, STREAM.rbm2Init)),
  }),
  bv: new Float32Array(400).fill(-1),
  bh: new Float32Array(676).fill(-2),
  mask: null,
}], {
  data: q[0],
  streams: SlotStreams.fromSeeds([deriveSeed(seed, STREAM.rbm2Cd)]),
  schedule: { ...c.rbm2, epochs: e2, batch, lr: lrList(c.rbm2.lr, e2) },
  mUp: 1,
  mDown: 2,
});
const rms = (w: Float32Array): number => Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
console.log(
  `pre-training done ${stamp()}: rms W_rbm1 (existing) ${
    (rms(rbm1[0].w) * Math.sqrt(160000 / 8836)).toFixed(3)
  }, rms W_rbm2 ${rms(rbm2[0].w).toFixed(3)}`,
);
const qHead = { n: particles, width: 400, bits: firstRows(q[0], particles) };
const g = await sampleHidden(k, rbm2, {
  data: qHead,
  streams: SlotStreams.fromSeeds([deriveSeed(seed, STREAM.g)]),
  multiplier: 1,
});
const model0 = stack(rbm1[0], rbm2[0]);
const pop = new DbmPopulation(k, [model0], {
  particles,
  streams: SlotStreams.fromSeeds([deriveSeed(seed, STREAM.joint)]),
});
pop.setParticles(0, { v: firstRows(digits, particles), h1: qHead.bits, h2: g[0].bits });

interface Point {
  epoch: number;
  quality: number;
  qualityPlain: number;
  entropy: number;
  classCounts: number[];
  particleEntropy: number;
  records: { sweeps: number; quality: number; entropy: number }[];
  activity: { v: number; h1: number; h2: number };
  fired: { h1: number; h2: number };
  encodingError: number | null;
  rmsW1: number;
  rmsW2: number;
  cpu: number;
}
const points: Point[] = [];

async function measure(
  epoch: number,
  sampler = { chains, sweeps, samples },
  encodeDigits = encodeN,
): Promise<void> {
  const [m] = await pop.models();
  const part = await pop.getParticles(0);
  const pt = new ClassTally(10);
  pt.add(predictProba(refs.classifier, { n: particles, d: 400, values: part.v }));
  const acc = new CheckpointAccumulator(m, { judge: refs.classifier, keep: 100 });
  const recs: Point["records"] = [];
  let r = 0;
  await pop.sample({
    ...sampler,
    onRecord: (rec) => {
      acc.add(rec);
      const t = new ClassTally(10);
      t.add(predictProba(refs.classifier, { n: rec.count, d: 400, values: rec.v }));
      const s = t.result();
      recs.push({ sweeps: ++r * sampler.sweeps, quality: s.qualityPerClass, entropy: s.entropy });
    },
  });
  const { measures } = acc.finish();
  if (pngOut) writeGrid(`${pngOut}_e${epoch}.png`, measures.digits, part.v);
  let encErr: number | null = null;
  if (encodeDigits > 0) {
    const tr = { n: Math.min(encodeDigits, data.train.n), width: 400, bits: data.train.bits };
    const trRows = { ...tr, bits: tr.bits.subarray(0, tr.n * 400) };
    const mf = { maxIterations: 50, tolerance: 1e-7 };
    const [etr] = await pop.encode(trRows, mf);
    const [ete] = await pop.encode(data.test, mf);
    encErr = await encodingError(
      { mu2: etr.mu2, labels: data.train.labels.subarray(0, tr.n) },
      { mu2: ete.mu2, labels: data.test.labels },
      { n2: m.n2, c: 1, tolerance: 1e-6, maxIterations: 800 },
    );
  }
  const gs = measures.generative;
  const p: Point = {
    epoch,
    quality: gs.qualityPerClass,
    qualityPlain: gs.quality,
    entropy: gs.entropy,
    classCounts: gs.classCounts,
    particleEntropy: pt.result().entropy,
    records: recs,
    activity: measures.activity,
    fired: measures.fired,
    encodingError: encErr,
    rmsW1: rms(m.w1) * Math.sqrt(160000 / 8836),
    rmsW2: rms(m.w2),
    cpu: cpuSeconds() - c0,
  };
  points.push(p);
  const rec = recs.map((x) => `${x.sweeps}:${x.quality.toFixed(2)}/${x.entropy.toFixed(2)}`);
  console.log(
    `joint epoch ${epoch}: quality ${p.quality.toFixed(3)} (plain ${
      p.qualityPlain.toFixed(3)
    }), entropy ${p.entropy.toFixed(3)}, particles' entropy ${
      p.particleEntropy.toFixed(2)
    }, activity h1 ${p.activity.h1.toFixed(3)} h2 ${
      p.activity.h2.toFixed(4)
    }, fired h1 ${p.fired.h1} h2 ${p.fired.h2}, enc err ${
      encErr === null ? "-" : encErr.toFixed(4)
    }, rms W1 ${p.rmsW1.toFixed(3)} W2 ${p.rmsW2.toFixed(3)}, counts ${
      gs.classCounts.join(" ")
    } | records ${rec.join(" ")} ${stamp()}`,
  );
}

/** 10 x 10 grid of generated digits (and a row of 10 particles under a gap), 3x scaled. */
function writeGrid(path: string, digits: string[], particleBits: Uint8Array): void {
  const cell = 21;
  const rows = 12;
  const w = 10 * cell * 3;
  const h = rows * cell * 3;
  const px = new Uint8Array(w * h).fill(128);
  const put = (gr: number, gc: number, bit: (i: number) => number): void => {
    for (let i = 0; i < 400; i++) {
      const v = bit(i) ? 0 : 255;
      const r = Math.floor(i / 20);
      const cc = i % 20;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          px[((gr * cell + r) * 3 + a) * w + (gc * cell + cc) * 3 + b] = v;
        }
      }
    }
  };
  digits.slice(0, 100).forEach((d, s) =>
    put(Math.floor(s / 10), s % 10, (i) => d[i] === "1" ? 1 : 0)
  );
  for (let s = 0; s < Math.min(10, particleBits.length / 400); s++) {
    put(11, s, (i) => particleBits[s * 400 + i]);
  }
  Deno.writeFileSync(path, encodePng({ width: w, height: h, data: px, channels: 1 }));
}

await measure(0);
for (let e = 1; e <= e3; e++) {
  const lr = lrList(c.joint.lr, e3);
  await pop.train(digits, {
    schedule: {
      epochs: 1,
      batch,
      lr: [0, lr[Math.min(e, lr.length - 1)]],
      momentum: [0, c.joint.momentum[Math.min(e, c.joint.momentum.length - 1)]],
    },
    meanField: { maxIterations: mfIts, tolerance: 1e-7 },
    maxNorm: c.maxNorm,
  });
  if (e % every === 0 || e === e3) await measure(e);
}
if (finalSampler || finalEncode > 0) {
  const [fc, fs, fn] = (finalSampler || `${chains},${sweeps},${samples}`).split(",").map(Number);
  console.log(`final: sampler ${fc} chains x ${fs} sweeps -> ${fn}, encoding on ${finalEncode}`);
  await measure(e3, { chains: fc, sweeps: fs, samples: fn }, finalEncode);
}
pop.free();
await k.close();
if (jsonOut) {
  Deno.writeTextFileSync(
    jsonOut,
    JSON.stringify(
      {
        settings: {
          digits: digits.n,
          epochs: [e1, e2, e3],
          batch,
          particles,
          mf: mfIts,
          chains,
          sweeps,
          samples,
          seed,
          lr: lrMode,
        },
        points,
      },
      null,
      1,
    ),
  );
}
console.log(`done ${stamp()}`);

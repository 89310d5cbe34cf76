/**
 * The pruning rounds of family B from a saved initial model, for choosing the reduced protocol's
 * round settings (docs/dbm.md): train the initial model once, then run the six criteria with
 * different retraining and sampling settings from the same model.
 *
 *   deno run -A tools/study/dbm_rounds.ts train --digits 1000 --out FILE [--seed 0]
 *     [--epochs 20,20,20] [--batch 1] [--particles 100] [--mf 50]
 *   deno run -A tools/study/dbm_rounds.ts rounds --from FILE [--rounds 3] [--retrain-epochs 1]
 *     [--retrain-lr paper|compressed] [--samples 2000] [--chains 500] [--sweeps 20]
 *     [--criteria LIST] [--workers 2] [--json FILE]
 *
 * `train` uses the paper's protocol (core/bm/dbm/protocol.ts) with the given changes and saves
 * the run state after initial training; `rounds` resumes that state with the given round settings
 * and prints every checkpoint with its CPU time.
 *
 * @module
 */
import process from "node:process";
import { CpuDbmKernels } from "../../core/engine/cpu/dbm_kernels.ts";
import { loadMnistSubstitute } from "../../core/data/mnist.ts";
import { paperProtocol } from "../../core/bm/dbm/protocol.ts";
import { type DbmRunState, roundSetting, runDbmPruning } from "../../core/bm/dbm/run.ts";
import { dbmReferences } from "../../core/bm/dbm/run.ts";
import { compressSchedule } from "../../core/bm/dbm/protocol.ts";
import { RoundPool } from "../../experiments/dbm/round_pool.ts";

const [mode, ...args] = Deno.args;
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = performance.now();
const stamp = (): string =>
  `[wall ${((performance.now() - t0) / 1000).toFixed(0)} s, cpu ${cpu().toFixed(0)} s]`;

const data = loadMnistSubstitute();
const pr = paperProtocol();
pr.trainDigits = Number(flag("digits", "1000"));
const [e1, e2, e3] = flag("epochs", "20,20,20").split(",").map(Number);
const batch = Number(flag("batch", "1"));
pr.initial.rbm1 = { ...pr.initial.rbm1, epochs: e1, batch };
pr.initial.rbm2 = { ...pr.initial.rbm2, epochs: e2, batch };
pr.initial.joint = { ...pr.initial.joint, epochs: e3, batch };
pr.initial.particles = Number(flag("particles", "100"));
pr.initial.meanField.maxIterations = Number(flag("mf", "50"));
const seed = Number(flag("seed", "0"));
const k = new CpuDbmKernels();
console.log(
  `load ${new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()}`,
);

if (mode === "train") {
  pr.prune.iterations = 0;
  let saved: DbmRunState | null = null;
  await runDbmPruning(k, data, {
    protocol: pr,
    seeds: [seed],
    criteria: ["magnitude"],
    onState: (s) => {
      saved ??= structuredClone(s);
    },
    onCheckpoint: (c) => {
      const g = c.measures.generative;
      console.log(
        `initial: quality ${g.qualityPerClass.toFixed(3)} (plain ${g.quality.toFixed(3)}), ` +
          `entropy ${g.entropy.toFixed(3)}, activity h1 ${c.measures.activity.h1.toFixed(3)} h2 ${
            c.measures.activity.h2.toFixed(4)
          }, fired h2 ${c.measures.fired.h2} ${stamp()}`,
      );
    },
  });
  Deno.writeTextFileSync(flag("out", "initial.json"), JSON.stringify({ protocol: pr, saved }));
  console.log(`saved ${flag("out", "initial.json")} ${stamp()}`);
} else if (mode === "rounds") {
  const file = JSON.parse(Deno.readTextFileSync(flag("from", "initial.json")));
  const state: DbmRunState = file.saved;
  const p = file.protocol as typeof pr;
  p.prune.iterations = Number(flag("rounds", "3"));
  p.evaluateBeforeRetraining = false;
  p.encoding.enabled = false;
  const retrainEpochs = Number(flag("retrain-epochs", "1"));
  p.retrain = flag("retrain-lr", "paper") === "compressed"
    ? compressSchedule(p.retrain, retrainEpochs)
    : { ...p.retrain, epochs: retrainEpochs };
  p.sampler = {
    samples: Number(flag("samples", "2000")),
    chains: Number(flag("chains", "500")),
    sweeps: Number(flag("sweeps", "20")),
  };
  const criteria = flag("criteria", "").split(",").filter((s) => s !== "");
  const references = await dbmReferences(data, { protocol: p, seed: state.initial[0].seed });
  const workers = Number(flag("workers", "2"));
  const pool = workers > 1
    ? new RoundPool(workers, roundSetting(data, { protocol: p, references }))
    : null;
  console.log(`rounds: ${JSON.stringify({ retrain: p.retrain, sampler: p.sampler })}`);
  const out: unknown[] = [];
  try {
    await runDbmPruning(k, data, {
      protocol: p,
      seeds: state.initial.map((x) => x.seed),
      criteria: criteria.length > 0 ? criteria : undefined,
      resume: state,
      references,
      runner: pool?.runner(),
      onCheckpoint: (c) => {
        const m = c.measures;
        const g = m.generative;
        out.push({
          criterion: c.criterion,
          iteration: c.iteration,
          measures: { ...m, digits: [] },
        });
        console.log(
          `${
            (c.criterion ?? "initial").padEnd(15)
          } ${c.iteration}: w ${m.counts.nw1}/${m.counts.nw2} units ${m.counts.n1}/${m.counts.n2} ` +
            `q ${g.qualityPerClass.toFixed(3)} (${g.quality.toFixed(3)}) H ${
              g.entropy.toFixed(3)
            } act ${m.activity.h1.toFixed(3)}/${m.activity.h2.toFixed(4)} fired h2 ${m.fired.h2} ` +
            `zeroVar2 ${m.zeroScores.var2} ${stamp()}`,
        );
      },
    });
  } finally {
    pool?.close();
  }
  if (flag("json", "")) Deno.writeTextFileSync(flag("json", ""), JSON.stringify(out));
  console.log(`done ${stamp()}`);
} else {
  console.error("usage: dbm_rounds.ts train|rounds ...");
  Deno.exit(2);
}
await k.close();

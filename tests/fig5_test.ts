/**
 * Fig 5 end to end through the CLI on a tiny configuration: the `--out` JSON format (issue 2,
 * item 8), exact prune counts, determinism across worker counts, resume after a simulated
 * interruption, and reuse of cached starting networks by a run with another prune schedule.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliOptions, EXIT, runExperimentCli } from "../core/app/cli.ts";
import { fig5, type Fig5Config } from "../experiments/fig5/fig5.ts";
import type { Experiment } from "../core/app/experiment.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { magnitudePrune, pruneCount } from "../core/rnn/prune.ts";
import { DMS_SHAPE } from "../core/rnn/network.ts";
import { Rng } from "../core/util/rng.ts";
import {
  DMS_CONDITIONS,
  DMS_T,
  DMS_TIMELINE,
  dmsCorrect,
  dmsProbeSet,
  dmsResponse,
  dmsTrainingSet,
  dmsTrials,
  PROBE_ONSETS,
  PROBE_STRENGTHS,
} from "../core/dms/task.ts";
import { analyseDmsNetwork } from "../core/dms/analysis.ts";
import { specWeights } from "./fixtures/spec_vectors.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const TINY = [
  "--networks",
  "2",
  "--levels",
  "0.5,0.7",
  "--initial-rounds",
  "1",
  "--max-outer",
  "1",
  "--scg-steps",
  "16",
  "--seed",
  "5",
  "--engine",
  "cpu",
  "--quiet",
];

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli(
  experiment: Experiment<Fig5Config>,
  args: string[],
  extra: CliOptions = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runExperimentCli(experiment, args, {
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
    ...extra,
  });
  return { code, out, err };
}

function runIdOf(r: CliRun): string {
  const line = r.out.find((l) => l.startsWith("run id: ") || l.startsWith("resuming run "));
  const m = /(fig5-[a-z0-9-]+)/.exec(line ?? "");
  assert.ok(m, `no run id in output: ${r.out.join(" | ")}`);
  return m[1];
}

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path)) as Json;
}

/** The summary without what legitimately differs between runs (ids, engine details, versions). */
function numbersOnly(summary: Json): Json {
  const { runId: _r, engineDescription: _e, versions: _v, ...rest } = summary;
  return rest;
}

function countZeros(m: number[][]): number {
  return m.reduce((s, row) => s + row.filter((v) => v === 0).length, 0);
}

function assertMeanSem(v: unknown, levels: number, what: string): void {
  const ms = v as { mean: unknown[]; sem: unknown[] };
  assert.ok(Array.isArray(ms?.mean) && Array.isArray(ms?.sem), `${what} is {mean, sem}`);
  assert.equal(ms.mean.length, levels, `${what}.mean per level`);
  assert.equal(ms.sem.length, levels, `${what}.sem per level`);
  for (const x of ms.mean) assert.ok(x === null || typeof x === "number", `${what}.mean entry`);
}

/** Checks the --out keys of issue 2, item 8 and the exact prune counts. */
function checkOutFormat(s: Json, seed: number, levels: number[]): void {
  assert.equal(s.figure, "fig5");
  assert.equal(s.seed, seed);
  assert.equal(s.engine, "cpu");
  assert.equal(typeof s.config, "object");
  assert.deepEqual(s.levels, levels);
  const lineages = s.lineages as Record<string, Record<string, unknown>>;
  for (const l of ["pruned", "unpruned"]) {
    for (const m of ["probeAccuracy", "cleanAccuracy", "maxLE", "finalLoss", "iterations"]) {
      assertMeanSem(lineages[l]?.[m], levels.length, `lineages.${l}.${m}`);
    }
    assert.deepEqual((lineages[l].iterations as { mean: number[] }).mean, levels.map(() => 1));
  }
  const p = s.pValues as Record<string, unknown[]>;
  assert.equal(p.probeAccuracy.length, levels.length);
  assert.equal(p.maxLE.length, levels.length);
  const networks = s.networks as { levels: Json[] }[];
  assert.equal(networks.length, 2);
  for (const net of networks) {
    assert.equal(net.levels.length, levels.length);
    net.levels.forEach((entry, li) => {
      assert.equal(entry.level, levels[li]);
      for (const l of ["pruned", "unpruned"]) {
        const e = entry[l] as Json;
        const A = e.A as number[][];
        assert.equal(A.length, 30);
        assert.ok(A.every((row) => row.length === 30), "A is 30 x 30");
        assert.equal((e.B as number[][]).length, 30);
        assert.equal((e.B as number[][])[0].length, 6);
        assert.equal((e.C as number[][]).length, 1);
        assert.equal((e.C as number[][])[0].length, 30);
        for (const k of ["probeAccuracy", "cleanAccuracy"]) {
          const v = e[k] as number;
          assert.ok(v >= 0 && v <= 1, `${l}.${k} = ${v}`);
        }
        for (const k of ["maxLE", "maxLEChronological"]) {
          assert.ok(e[k] === null || Number.isFinite(e[k]), `${l}.${k}`);
        }
        const zeros = countZeros(A);
        if (l === "pruned") assert.equal(zeros, pruneCount(levels[li], 900), "pruned zeros");
        else assert.equal(zeros, 0, "unpruned A has no zeros");
      }
    });
  }
}

Deno.test("fig5 inputs: DMS trials follow the spec 3.1-3.3 timeline exactly", () => {
  const data = dmsTrials();
  assert.equal(data.s, 4);
  assert.equal(data.t, 58);
  const conds = [[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]];
  for (let q = 0; q < 4; q++) {
    const [c1, c2, target] = conds[q];
    for (let k = 1; k <= 58; k++) {
      const expected = [
        1,
        k === 13 || k === 14 ? c1 : 0,
        k === 40 || k === 41 ? c2 : 0,
        k === 58 ? 1 : 0,
        k <= 10 || k === 58 ? 1 : 0,
        k <= 10 || k === 52 || k === 53 || k === 58 ? 1 : 0,
      ];
      for (let c = 0; c < 6; c++) {
        assert.equal(data.inputs[((k - 1) * 6 + c) * 4 + q], expected[c], `cond ${q + 1} k ${k}`);
      }
      assert.equal(data.targets[(k - 1) * 4 + q], k === 52 || k === 53 ? target : 0);
    }
  }
  assert.deepEqual([...DMS_TIMELINE.response], [52, 53]);
  assert.equal(DMS_T, 58);
});

Deno.test("fig5 inputs: training set of 16 with target noise sd 0.1, reproducible", () => {
  const a = dmsTrainingSet(new Rng(3));
  const b = dmsTrainingSet(new Rng(3));
  const exact = dmsTrials({ repeats: 4 });
  assert.equal(a.s, 16);
  assert.deepEqual(a.targets, b.targets);
  assert.deepEqual(a.inputs, exact.inputs, "inputs are exact");
  let s1 = 0;
  let s2 = 0;
  for (let m = 0; m < a.targets.length; m++) {
    const e = a.targets[m] - exact.targets[m];
    s1 += e;
    s2 += e * e;
  }
  const n = a.targets.length;
  assert.ok(Math.abs(s1 / n) < 0.015, `noise mean ${s1 / n}`);
  const sdv = Math.sqrt(s2 / n);
  assert.ok(sdv > 0.09 && sdv < 0.11, `noise sd ${sdv}`);
  // Sequence q = repeat * 4 + condition: condition 3 of repeat 2 targets -1 at k = 52.
  assert.ok(Math.abs(a.targets[51 * 16 + (1 * 4 + 2)] + 1) < 0.5);
});

Deno.test("fig5 inputs: the 144 probe runs (spec 3.5) and the scoring rule", () => {
  const p = dmsProbeSet();
  assert.equal(p.s, 144);
  assert.deepEqual([...PROBE_ONSETS], [16, 20, 24, 28, 32, 36]);
  assert.deepEqual([...PROBE_STRENGTHS], [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const ch2 = (k: number, q: number): number => p.inputs[((k - 1) * 6 + 1) * 144 + q];
  for (let oi = 0; oi < 6; oi++) {
    for (let si = 0; si < 6; si++) {
      for (let c = 0; c < 4; c++) {
        const q = (oi * 6 + si) * 4 + c;
        const c1 = DMS_CONDITIONS[c].c1;
        const onset = PROBE_ONSETS[oi];
        for (let k = 15; k <= 39; k++) {
          const probe = k === onset || k === onset + 1 ? PROBE_STRENGTHS[si] * -c1 : 0;
          assert.ok(Object.is(ch2(k, q) + 0, probe + 0), `q ${q} k ${k}: ${ch2(k, q)} vs ${probe}`);
        }
        assert.equal(ch2(13, q), c1, "cue 1 unchanged");
        assert.equal(p.targets[51 * 144 + q], DMS_CONDITIONS[c].target);
      }
    }
  }
  // Scoring: |target - mean(y52, y53)| < 1 with exact targets.
  assert.equal(dmsCorrect(1, 0.5), true);
  assert.equal(dmsCorrect(1, 1.99), true);
  assert.equal(dmsCorrect(1, 2.01), false, "overshoot counts as an error");
  assert.equal(dmsCorrect(1, 0), false);
  assert.equal(dmsCorrect(-1, -0.01), true);
  assert.equal(dmsCorrect(-1, 0.01), false);
  const y = new Float64Array(58 * 2);
  y[51 * 2 + 1] = 0.4;
  y[52 * 2 + 1] = 0.8;
  assertRelLocal(dmsResponse(y, 2, 1), 0.6);
});

function assertRelLocal(a: number, b: number): void {
  assert.ok(Math.abs(a - b) < 1e-15, `${a} vs ${b}`);
}

Deno.test("fig5 analysis of the spec 12.2 network: LE, accuracy, histogram", () => {
  const m = analyseDmsNetwork(specWeights(DMS_SHAPE, 0.5));
  // Spec 12.2: y(52) ~ 2.5 in every condition, so no condition is correct (2.5 overshoots).
  assert.equal(m.cleanAccuracy, 0);
  assert.equal(m.probeTable.length, 6);
  assert.ok(m.probeTable.every((row) => row.length === 6));
  assert.ok(Math.abs(m.maxLE! - -0.2694301456) < 1e-9, `maxLE ${m.maxLE}`);
  assert.ok(Math.abs(m.maxLEChronological! - -0.2618092027) < 1e-9);
  assert.equal(m.zerosA, 0);
  assert.equal(m.histogram.length, 61);
  assert.ok(Math.abs(m.histogram.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  // Pruned: zeros counted, histogram over the 450 survivors.
  const pruned = analyseDmsNetwork(magnitudePrune(DMS_SHAPE, specWeights(DMS_SHAPE, 0.5), 0.5).w);
  assert.equal(pruned.zerosA, 450);
  for (const v of pruned.histogram) assert.ok(Math.abs(v * 450 - Math.round(v * 450)) < 1e-9);
});

Deno.test("fig5 tiny run: --out format, determinism (workers 2 vs 0), resume, cache reuse", async () => {
  await withTempDir(async (dir) => {
    // 1. Uninterrupted reference run with 2 workers.
    const store1 = join(dir, "one.kv");
    const out1 = join(dir, "one.json");
    const r1 = await cli(fig5, [...TINY, "--workers", "2", "--store", store1, "--out", out1]);
    assert.equal(r1.code, EXIT.ok, r1.err.join(" | "));
    const s1 = await readJson(out1);
    checkOutFormat(s1, 5, [0.5, 0.7]);
    assert.equal(s1.reduced, true);
    const id1 = runIdOf(r1);
    {
      const st = await ResultStore.open(store1);
      try {
        const run = await st.getRun(id1);
        assert.equal(run!.status, "done");
        assert.deepEqual(run!.progress, { done: 6, total: 6 });
        // Stored masks agree with the stored pruned weights.
        const w = await st.getBlob(id1, ["level", 1, 1], "prunedW") as Float64Array;
        const mask = await st.getBlob(id1, ["level", 1, 1], "prunedMask") as Uint8Array;
        assert.equal(mask.length, 900);
        for (let k = 0; k < 900; k++) if (mask[k] === 0) assert.equal(w[180 + k], 0);
        assert.equal(mask.filter((v) => v === 0).length, 630);
      } finally {
        st.close();
      }
    }

    // 2. Same seed, no workers, fresh store: bit-identical numbers.
    const out2 = join(dir, "two.json");
    const r2 = await cli(fig5, [
      ...TINY,
      "--workers",
      "0",
      "--store",
      join(dir, "two.kv"),
      "--out",
      out2,
    ]);
    assert.equal(r2.code, EXIT.ok, r2.err.join(" | "));
    assert.deepEqual(numbersOnly(await readJson(out2)), numbersOnly(s1));

    // 3. Interrupted after the first level unit is stored, then resumed.
    const store3 = join(dir, "three.kv");
    const controller = new AbortController();
    const interrupting: Experiment<Fig5Config> = {
      ...fig5,
      run: (ctx) => {
        const put = ctx.store.putUnit.bind(ctx.store);
        ctx.store.putUnit = async (runId, key, unit) => {
          await put(runId, key, unit);
          if (key[0] === "level") controller.abort();
        };
        return fig5.run(ctx);
      },
    };
    const r3 = await cli(interrupting, [...TINY, "--workers", "0", "--store", store3], {
      signal: controller.signal,
    });
    assert.equal(r3.code, EXIT.interrupted, `exit code ${r3.code}: ${r3.err.join(" | ")}`);
    // Seed 5's starting networks are not embedded: a notice says they will be trained first.
    const r3errors = r3.err.filter((l) => !l.startsWith("notice: "));
    assert.equal(r3errors.length, 1, r3.err.join(" | "));
    assert.match(r3errors[0], /^interrupted: .* --resume fig5-/);
    const id3 = runIdOf(r3);
    {
      const st = await ResultStore.open(store3);
      try {
        const run = await st.getRun(id3);
        assert.equal(run!.status, "interrupted");
        assert.ok(run!.progress.done >= 3 && run!.progress.done < 6, `${run!.progress.done}`);
        const keys = (await st.listUnits(id3)).map((u) => u.key.join("/"));
        assert.ok(keys.includes("level/0/0"));
        assert.ok(!keys.some((k) => k.endsWith("/1") && k.startsWith("level")), keys.join());
      } finally {
        st.close();
      }
    }
    const out3 = join(dir, "three.json");
    const r3b = await cli(fig5, [
      "--resume",
      id3,
      "--store",
      store3,
      "--out",
      out3,
      "--workers",
      "2",
      "--engine",
      "cpu",
      "--quiet",
    ]);
    assert.equal(r3b.code, EXIT.ok, r3b.err.join(" | "));
    assert.ok(r3b.out.some((l) => l.startsWith(`resuming run ${id3}`)));
    const s3 = await readJson(out3);
    assert.equal(s3.runId, id3);
    assert.deepEqual(numbersOnly(s3), numbersOnly(s1));
    // A finished run cannot be resumed again.
    const again = await cli(fig5, ["--resume", id3, "--store", store3, "--quiet"]);
    assert.equal(again.code, EXIT.usage);
    assert.match(again.err[0], /already done/);

    // 4. Another prune schedule in store 1 reuses the cached starting networks.
    const logs: string[] = [];
    const logging: Experiment<Fig5Config> = {
      ...fig5,
      run: (ctx) =>
        fig5.run({
          ...ctx,
          log: (m) => {
            logs.push(m);
            ctx.log(m);
          },
        }),
    };
    const levels4 = ["--levels", "0.3,0.6"];
    const tiny4 = TINY.slice();
    tiny4.splice(TINY.indexOf("--levels"), 2, ...levels4);
    const out4 = join(dir, "four.json");
    const r4 = await cli(logging, [...tiny4, "--workers", "0", "--store", store1, "--out", out4]);
    assert.equal(r4.code, EXIT.ok, r4.err.join(" | "));
    assert.ok(
      logs.some((l) => /reusing cached initial training for 2 of 2 networks/.test(l)),
      `logs: ${JSON.stringify(logs)}`,
    );
    const s4 = await readJson(out4);
    checkOutFormat(s4, 5, [0.3, 0.6]);
    // Same starting networks: the unpruned lineage's first retraining uses data that depends only
    // on (seed, network, lineage, level index), so level index 0 of the unpruned lineage matches.
    const net = (s: Json, i: number, li: number) =>
      ((s.networks as { levels: Json[] }[])[i].levels[li].unpruned as Json).A;
    assert.deepEqual(net(s4, 0, 0), net(s1, 0, 0));
    assert.deepEqual(net(s4, 1, 0), net(s1, 1, 0));
  });
});

/**
 * The reproduction scorecard (core/app/scorecard.ts, core/app/scorecard_cli.ts): on a crafted
 * store with a crafted experiment and catalogue, one row per catalogue claim in catalogue order,
 * the run rule (named presets only, largest n, ties to the newest, --run overrides), the verdicts,
 * the reasons of not-run rows, the --out shape and the Markdown; the CLI's bad input (one error
 * line, exit 2, nothing written); and the real catalogue's consistency with the registry.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Claim, type ClaimSpec, pairedEvidence } from "../core/app/claims.ts";
import {
  type BaseConfig,
  type Experiment,
  experimentRun,
  unitMetrics,
} from "../core/app/experiment.ts";
import { buildScorecard, formatClaims, runClaims } from "../core/app/scorecard.ts";
import { runClaimsCli } from "../core/app/scorecard_cli.ts";
import { scorecardMarkdown } from "../core/app/scorecard_markdown.ts";
import { openStore, type ResultStore, type RunRecord } from "../core/store/store.ts";
import { CLAIMS_CATALOGUE, UNSTATED_PANELS } from "../experiments/claims_catalogue.ts";
import { EXPERIMENTS } from "../experiments/registry.ts";
import { exists, withTempDir } from "./fixtures/helpers.ts";

/** The crafted experiment's summary: per pair, values of both lineages. */
interface ToySummary {
  pruned: number[];
  unpruned: number[];
}

const SPEC = (id: string, experiment = "toy"): ClaimSpec => ({
  id,
  paper: "averbeck2022",
  figure: `Fig ${id}`,
  claim: `claim ${id}`,
  source: "legend",
  alpha: 0.01,
  experiment,
  measure: "pruned - unpruned",
});

const CATALOGUE: ClaimSpec[] = [
  SPEC("t/higher"), // evaluated: pruned - unpruned
  SPEC("t/never"), // evaluated, but no run can test it
  SPEC("t/no-evaluate"), // the experiment has no evaluate for it
  SPEC("t/no-experiment", "missing"), // its experiment is not registered
];

const CLAIMS: Claim<ToySummary>[] = [
  {
    ...CATALOGUE[0],
    evaluate: (s) => pairedEvidence(s.pruned, s.unpruned, { metric: "value" }),
  },
  { ...CATALOGUE[1], evaluate: () => null },
];

const toy: Experiment<BaseConfig, ToySummary> = {
  id: "toy",
  title: "toy",
  paper: "averbeck2022",
  presets: {
    default: { preset: "default", reduced: true },
    paper: { preset: "paper", reduced: false },
  },
  flags: [],
  configure: (c) => c,
  describe: () => "toy",
  totalUnits: () => 1,
  run: () => Promise.resolve(),
  async summarize(run, store) {
    const units = await store.listUnits(run.id);
    const m = unitMetrics<ToySummary>(units[0]);
    return { pruned: m.pruned, unpruned: m.unpruned };
  },
  table: () => "",
  parameters: () => [],
  panels: () => [],
  claims: CLAIMS,
};

const EXPS: Record<string, Experiment> = { toy };

/** A finished toy run with the given pairs, preset and start time. */
async function putRun(
  store: ResultStore,
  at: { id: string; preset: string; startedAt: string; pruned: number[]; unpruned: number[] },
): Promise<void> {
  const record: RunRecord = {
    id: at.id,
    figure: "toy",
    preset: at.preset,
    reduced: at.preset !== "paper",
    config: { preset: at.preset, reduced: at.preset !== "paper" },
    seed: 1,
    engine: "cpu",
    engineDescription: "cpu",
    versions: {},
    startedAt: at.startedAt,
    updatedAt: at.startedAt,
    status: "running",
    progress: { done: 0, total: 1 },
  };
  await store.createRun(record);
  await store.putUnit(at.id, ["pairs"], {
    metrics: { pruned: at.pruned, unpruned: at.unpruned },
  });
  await store.updateRun(at.id, { status: "done", endedAt: at.startedAt });
}

Deno.test("scorecard: one row per catalogue claim, the run rule, verdicts and not-run reasons", async () => {
  await withTempDir(async (dir) => {
    const store = await openStore(join(dir, "s.kv"));
    try {
      // No runs yet: every claim has a not-run row saying why.
      const empty = await buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS });
      assert.deepEqual(empty.claims.map((r) => r.id), CATALOGUE.map((c) => c.id));
      assert.ok(empty.claims.every((r) => r.verdict === "not-run" && r.runId === null));
      assert.match(empty.claims[0].note!, /no finished toy run/);
      assert.match(empty.claims[2].note!, /no evaluate for this claim yet/);
      assert.match(empty.claims[3].note!, /'missing' is not in the registry/);

      // Diffs 0.1, 0.2, 0.3 (n = 3): direction, p = 0.0742 (t = 3.464, df 2).
      await putRun(store, {
        id: "toy-a",
        preset: "default",
        startedAt: "2026-01-01T00:00:00Z",
        pruned: [0.6, 0.7, 0.8],
        unpruned: [0.5, 0.5, 0.5],
      });
      // A custom run with more pairs is left out unless named.
      await putRun(store, {
        id: "toy-custom",
        preset: "custom",
        startedAt: "2026-01-03T00:00:00Z",
        pruned: [0, 0, 0, 0, 0, 0],
        unpruned: [1, 1.1, 1, 1.2, 1, 1],
      });
      let card = await buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS });
      const a = card.claims[0];
      assert.equal(a.runId, "toy-a");
      assert.equal(a.verdict, "direction");
      assert.equal(a.n, 3);
      assert.ok(Math.abs(a.effect! - 0.2) < 1e-12);
      assert.ok(Math.abs(a.p! - 0.07417990022744858) < 1e-9, `p ${a.p}`);
      // 99% t interval: 0.2 -/+ t(0.995, 2) 9.924843 * 0.1 / sqrt(3).
      const half = 9.924843200918272 * 0.1 / Math.sqrt(3);
      assert.ok(
        Math.abs(a.ci99![0] - (0.2 - half)) < 1e-9 && Math.abs(a.ci99![1] - (0.2 + half)) < 1e-9,
      );
      assert.equal(a.run?.preset, "default");
      assert.ok(a.nFor80Power !== null && a.nFor80Power > 3);
      assert.equal(card.claims[1].verdict, "not-run");
      assert.match(card.claims[1].note!, /no toy run can test it/);

      // A bigger named-preset run wins (largest n); a tie in n goes to the newest run.
      const diffs = [0.3, 0.25, 0.35, 0.3, 0.28, 0.33, 0.31];
      await putRun(store, {
        id: "toy-b",
        preset: "paper",
        startedAt: "2026-01-02T00:00:00Z",
        pruned: diffs.map((d) => 0.5 + d),
        unpruned: diffs.map(() => 0.5),
      });
      card = await buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS });
      assert.equal(card.claims[0].runId, "toy-b");
      assert.equal(card.claims[0].verdict, "reproduced");
      await putRun(store, {
        id: "toy-c",
        preset: "default",
        startedAt: "2026-01-04T00:00:00Z",
        pruned: diffs.map(() => 0.5),
        unpruned: diffs.map((d) => 0.5 + d),
      });
      card = await buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS });
      assert.equal(card.claims[0].runId, "toy-c", "tie in n: the newest run");
      assert.equal(card.claims[0].verdict, "not-reproduced");

      // --run names a run by hand (a custom one too); an unknown run is a usage error.
      card = await buildScorecard(store, {
        catalogue: CATALOGUE,
        experiments: EXPS,
        runs: ["toy-custom"],
      });
      assert.equal(card.claims[0].runId, "toy-custom");
      assert.equal(card.claims[0].verdict, "not-reproduced");
      await assert.rejects(
        buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS, runs: ["toy-zz"] }),
        /--run: no run 'toy-zz'/,
      );
      // An unfinished run is never chosen, but may be named: judged on its units so far.
      await putRun(store, {
        id: "toy-open",
        preset: "default",
        startedAt: "2026-01-05T00:00:00Z",
        pruned: diffs.map((d) => 0.5 + d),
        unpruned: diffs.map(() => 0.5),
      });
      await store.updateRun("toy-open", { status: "running" });
      card = await buildScorecard(store, { catalogue: CATALOGUE, experiments: EXPS });
      assert.equal(card.claims[0].runId, "toy-c", "running runs are not candidates");
      card = await buildScorecard(store, {
        catalogue: CATALOGUE,
        experiments: EXPS,
        runs: ["toy-open"],
      });
      assert.equal(card.claims[0].run?.status, "running");
      assert.equal(card.claims[0].verdict, "reproduced");

      // The per-run claims under a run's table, and a catalogued claim without evaluate.
      const run = (await store.getRun("toy-a"))!;
      const rows = runClaims(toy, await toy.summarize(experimentRun(run), store), {
        run,
        catalogue: CATALOGUE,
      });
      assert.deepEqual(rows.map((r) => [r.id, r.verdict]), [
        ["t/higher", "direction"],
        ["t/never", "not-run"],
        ["t/no-evaluate", "not-run"],
      ]);
      const text = formatClaims(rows);
      assert.match(text, /higher\s+direction\s+0\.200 \[/);

      // The Markdown names every claim once and says why.
      const md = scorecardMarkdown(card, {
        store: "s.kv",
        command: "deno task claims",
        unstated: [{ figure: "Fig 1H", experiment: "fig5", what: "loss" }],
        machine: "test machine",
        date: "2026-01-05",
      });
      for (const c of CATALOGUE) assert.equal(md.split(`\`${c.id}\``).length - 1, 1, c.id);
      assert.match(
        md,
        /\*\*4 claims: 1 reproduced, 0 direction, 0 not-reproduced, 3 not-run\.\*\*/,
      );
      assert.match(
        md,
        /Reproduced on a reduced protocol \(preset default, running with 1 of 1 units/,
      );
      assert.match(md, /Fig 1H \(fig5\): loss\./);
    } finally {
      await store.close();
    }
  });
});

/** Runs the claims CLI with the real catalogue and registry, capturing output. */
async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runClaimsCli(args, {
    catalogue: CLAIMS_CATALOGUE,
    experiments: EXPERIMENTS,
    unstated: UNSTATED_PANELS,
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
  });
  return { code, out, err };
}

Deno.test("deno task claims: bad input is one error line, exit 2, nothing written", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "card.json");
    const missing = await cli(["--store", join(dir, "none.kv"), "--out", out]);
    assert.equal(missing.code, 2);
    assert.equal(missing.err.length, 1);
    assert.match(missing.err[0], /^error: .*none\.kv/);
    assert.equal(await exists(out), false);
    assert.equal(await exists(join(dir, "none.kv")), false, "the store is not created");

    const store = await openStore(join(dir, "s.kv"));
    await store.close();
    const folder = await cli(["--store", join(dir, "s.kv"), "--out", join(dir, "no", "x.json")]);
    assert.equal(folder.code, 2);
    assert.deepEqual(folder.err.length, 1);
    assert.match(folder.err[0], /^error: --out: folder .* does not exist/);
    const md = await cli(["--store", join(dir, "s.kv"), "--markdown", dir]);
    assert.equal(md.code, 2);
    assert.match(md.err[0], /^error: --markdown: .* is a folder/);
    const run = await cli(["--store", join(dir, "s.kv"), "--run", "fig5-nope", "--out", out]);
    assert.equal(run.code, 2);
    assert.match(run.err[0], /^error: --run: no run 'fig5-nope'/);
    assert.equal(await exists(out), false);
    const flag = await cli(["--stor", join(dir, "s.kv")]);
    assert.equal(flag.code, 2);
    assert.match(flag.err[0], /did you mean --store/);
  });
});

Deno.test("deno task claims --out: one entry per catalogue claim with the issue's fields", async () => {
  await withTempDir(async (dir) => {
    const store = await openStore(join(dir, "s.kv"));
    await store.close();
    const out = join(dir, "card.json");
    const md = join(dir, "card.md");
    const r = await cli(["--store", join(dir, "s.kv"), "--out", out, "--markdown", md]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const body = JSON.parse(await Deno.readTextFile(out)) as { claims: Record<string, unknown>[] };
    assert.equal(body.claims.length, CLAIMS_CATALOGUE.length);
    const keys = [
      "paper",
      "figure",
      "claim",
      "runId",
      "metric",
      "n",
      "effect",
      "ci99",
      "p",
      "verdict",
      "nFor80Power",
    ];
    body.claims.forEach((c, k) => {
      for (const key of keys) assert.ok(key in c, `${key} in claim ${k}`);
      assert.equal(c.verdict, "not-run");
      assert.equal(c.claim, CLAIMS_CATALOGUE[k].claim);
    });
    assert.ok(r.out.some((l) => /claims: 0 reproduced, 0 direction, 0 not-reproduced/.test(l)));
    assert.match(await Deno.readTextFile(md), /^# Reproduction scorecard/);
  });
});

Deno.test("deno task claims on a fresh clone (no store yet): every claim not-run, a notice, exit 0", async () => {
  await withTempDir(async (dir) => {
    // A process of its own: the default store path is relative to the working directory.
    const task = new URL("../tasks/claims.ts", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, "--out", "card.json", "--markdown", "card.md"],
      cwd: dir,
      env: { PRUNELAB_STORE: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr).trim().split("\n");
    assert.equal(r.code, 0, err.join("\n"));
    assert.equal(err.length, 1);
    assert.match(
      err[0],
      /^notice: no results store at 'prunelab\.kv' yet, so every claim is not-run/,
    );
    assert.equal(await exists(join(dir, "prunelab.kv")), false, "no store is created");
    const body = JSON.parse(await Deno.readTextFile(join(dir, "card.json"))) as {
      claims: { verdict: string; note: string }[];
    };
    assert.equal(body.claims.length, CLAIMS_CATALOGUE.length);
    for (const c of body.claims) {
      assert.equal(c.verdict, "not-run");
      assert.match(c.note, /no results store yet|no evaluate|not in the registry/);
    }
    const md = await Deno.readTextFile(join(dir, "card.md"));
    assert.match(md, /store `prunelab\.kv \(not created yet\)`/);
    assert.match(md, new RegExp(`${CLAIMS_CATALOGUE.length} claims: 0 reproduced`));
  });
});

Deno.test("the catalogue: unique ids, registered experiments, claims taken from it verbatim", () => {
  const ids = CLAIMS_CATALOGUE.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, "unique ids");
  for (const c of CLAIMS_CATALOGUE) {
    assert.ok(Object.hasOwn(EXPERIMENTS, c.experiment), `${c.id}: experiment ${c.experiment}`);
    assert.equal(c.alpha, c.paper === "averbeck2022" ? 0.01 : 0.05, c.id);
    assert.ok(c.id.startsWith(`${c.paper}/`), c.id);
  }
  for (const exp of Object.values(EXPERIMENTS)) {
    for (const claim of exp.claims ?? []) {
      const spec = CLAIMS_CATALOGUE.find((c) => c.id === claim.id);
      assert.ok(spec, `${exp.id} claims ${claim.id}, which is not catalogued`);
      assert.equal(claim.experiment, exp.id, `${claim.id} is tested by ${spec.experiment}`);
      assert.equal(claim.claim, spec.claim, `${claim.id}: the sentence comes from the catalogue`);
    }
  }
  // Both papers are covered.
  assert.ok(CLAIMS_CATALOGUE.some((c) => c.paper === "averbeck2022"));
  assert.ok(CLAIMS_CATALOGUE.some((c) => c.paper === "scholl2021"));
});

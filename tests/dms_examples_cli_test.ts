/**
 * The example-network figures (fig2, fig3, fig4) through the CLI: their flags, bad input checked
 * before anything is written (no store, no fig5 run, a wrong --from, --level or hand pick), and a
 * tiny end-to-end run from a tiny fig5 run: the `--out` JSON shape of issue 16 item 4, the
 * examples' weights and max LE equal to what the fig5 run stored for the same networks, picks by
 * hand, the panels from unit metrics agreeing with `--out`, and resume after an interruption.
 */
import assert from "node:assert/strict";
import { serialize } from "node:v8";
import { join } from "node:path";
import { type CliOptions, EXIT, runExperimentCli } from "../core/app/cli.ts";
import {
  type BaseConfig,
  type Experiment,
  experimentRun,
  UsageError,
} from "../core/app/experiment.ts";
import type { Panel } from "../core/app/panels.ts";
import { openStore } from "../core/store/store.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";
import type { Fig5Summary } from "../experiments/fig5/summary.ts";
import {
  type DmsExamplesConfig,
  type ExamplesSummary,
  fig2,
  fig3,
  fig4,
} from "../experiments/dms_examples/dms_examples.ts";
import { exists, withTempDir } from "./fixtures/helpers.ts";

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function cli<C extends BaseConfig, S extends object>(
  experiment: Experiment<C, S>,
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

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/** The smallest fig5 run that has level-0.7 networks: 2 pairs, 1 round, 1 outer, 16 SCG steps. */
const TINY_FIG5 = [
  "--networks",
  "2",
  "--levels",
  "0.7",
  "--initial-rounds",
  "1",
  "--max-outer",
  "1",
  "--scg-steps",
  "16",
  "--engine",
  "cpu",
  "--workers",
  "0",
  "--quiet",
];

const QUIET = ["--engine", "cpu", "--workers", "0", "--quiet"];

Deno.test("fig2/3/4 flags: what they take and what they refuse", () => {
  const base = fig4.presets.default;
  const bad: Record<string, string>[] = [
    { levels: "0.7" },
    { "max-outer": "3" },
    { "scg-steps": "3" },
    { from: "Not An Id!" },
    { level: "1.5" },
    { level: "0" },
    { level: "x" },
    { pruned: "-1" },
    { unpruned: "one" },
    { networks: "3", pruned: "3" },
  ];
  for (const flags of bad) {
    assert.throws(() => fig4.configure(base, flags), UsageError, JSON.stringify(flags));
  }
  const c = fig4.configure(base, { level: "0.5", pruned: "2", networks: "3", from: "fig5-x" });
  assert.deepEqual(
    [c.level, c.pruned, c.unpruned, c.networks, c.from],
    [0.5, 2, null, 3, "fig5-x"],
  );
  assert.equal(fig4.totalUnits(c), 5, "one unit per pair and one per example");
  assert.deepEqual([fig2.id, fig3.id, fig4.id], ["fig2", "fig3", "fig4"]);
});

Deno.test("fig4 without a fig5 run: one error line, exit 2, nothing written", async () => {
  await withTempDir(async (dir) => {
    // No store at all: it is not created.
    const none = join(dir, "none.kv");
    const r = await cli(fig4, [...QUIET, "--store", none, "--out", join(dir, "o.json")]);
    assert.equal(r.code, EXIT.usage);
    assert.equal(r.err.length, 1);
    assert.match(
      r.err[0],
      /^error: no fig5 run: the store does not exist yet \(run `deno task fig5`/,
    );
    assert.equal(await exists(none), false, "no store created");
    assert.equal(await exists(join(dir, "o.json")), false);
    // A store without a finished fig5 run: nothing added to it.
    const empty = join(dir, "empty.kv");
    (await openStore(empty)).close();
    for (const fig of [fig2, fig3, fig4]) {
      const e = await cli(fig, [...QUIET, "--store", empty]);
      assert.equal(e.code, EXIT.usage);
      assert.equal(e.err.length, 1);
      assert.match(e.err[0], /^error: no finished fig5 run in store .*empty\.kv/);
    }
    const st = await openStore(empty);
    try {
      assert.deepEqual(await st.listRuns(), []);
    } finally {
      await st.close();
    }
  });
});

/** Shapes and cross-checks of one example in the `--out` JSON against the fig5 `--out`. */
function checkExample(
  s: ExamplesSummary,
  lineage: "pruned" | "unpruned",
  f5: Fig5Summary,
): void {
  const e = s[lineage];
  assert.ok(e, `${lineage} example`);
  assert.equal(e.lineage, lineage);
  const stored = f5.networks[e.network].levels.find((l) => l.level === s.level)?.[lineage];
  assert.ok(stored && !("failed" in stored), `fig5 has the ${lineage} network ${e.network}`);
  // The weights are the fig5 run's, row-major in the same layout as fig5's --out.
  assert.deepEqual([e.A, e.B, e.C], [stored.A, stored.B, stored.C]);
  assert.equal(e.A!.length, 30);
  assert.equal(e.A![0].length, 30);
  assert.equal(e.B![0].length, 6);
  assert.equal(e.C!.length, 1);
  // Max LE over fig5's window recomputed from the weights equals what fig5 stored: the right
  // network of the right lineage and level was analysed.
  assert.equal(e.maxLEFig5Window, stored.maxLE);
  assert.equal(e.fig5MaxLE, stored.maxLE);
  const desc = (v: number[]): boolean => v.every((x, i) => i === 0 || x <= v[i - 1]);
  const asc = (v: number[]): boolean => v.every((x, i) => i === 0 || x >= v[i - 1]);
  assert.equal(e.singularValues.length, 30);
  assert.ok(desc(e.singularValues), "singular values descending");
  assert.equal(e.pcaEigenvalues.length, 30);
  assert.ok(desc(e.pcaEigenvalues), "PCA eigenvalues descending");
  assert.deepEqual(e.contractionSteps, [18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  assert.equal(e.contraction.length, 13);
  assert.ok(e.contraction.every((v) => v > 0 && Number.isFinite(v)));
  assert.equal(e.leSpectrum.length, 30);
  assert.ok(asc(e.leSpectrum), "spectrum ascending (code order)");
  assert.equal(e.leSpectrumChronological.length, 30);
  assert.deepEqual(e.leWindow, { kOn: 15, kOff: 40, divisor: 25 });
  assert.equal(e.maxLE, e.leSpectrum[29]);
  assert.equal(e.leSpectrumQr?.code.length, 30);
  const t = e.trajectories;
  assert.equal(t.trials.unprobed.length, 4);
  for (const [i, trial] of t.trials.unprobed.entries()) {
    assert.equal(trial.condition, i + 1);
    assert.equal(trial.output.length, 58);
    assert.equal(trial.inputs.cue1.length, 58);
  }
  assert.deepEqual(t.trials.probed.probe, { onset: 20, strength: 0.2 });
  assert.equal(t.trials.probed.inputs.cue1[19], 0.2, "probe at k = 20 opposite to cue 1 (-1)");
  assert.equal(t.projections.probed.pc1.length, 58);
  assert.equal(t.field.unprobed.segments.k.length, 13 * 9);
  assert.deepEqual(t.field.unprobed.steps, e.contractionSteps);
  assert.equal(t.divergence.length, 58);
  assert.equal(t.divergence[18], 0, "no divergence before the probe");
  assert.equal(e.probeScore, 1 - Math.abs(t.trials.probed.response - t.trials.probed.target));
}

function finiteSomewhere(p: Panel): boolean {
  if (p.kind === "table") return (p.table?.rows.length ?? 0) > 0;
  return p.series.some((s) => !s.reference && s.y.some((v) => v !== null && Number.isFinite(v)));
}

Deno.test("fig4/fig3/fig2 from a tiny fig5 run: --out, checks before work, picks, panels, resume", async () => {
  await withTempDir(async (dir) => {
    const store = join(dir, "s.kv");
    const f5Out = join(dir, "fig5.json");
    const r5 = await cli(fig5, [...TINY_FIG5, "--store", store, "--out", f5Out]);
    assert.equal(r5.code, EXIT.ok, r5.err.join(" | "));
    const f5 = await readJson<Fig5Summary>(f5Out);

    // Bad input naming a fig5 run: exit 2, one line, no run written.
    const refused: [string[], RegExp][] = [
      [["--from", "fig5-nope"], /--from: no run 'fig5-nope'/],
      [["--level", "0.5"], /--level 0.5: fig5 run .* has level\(s\) 0\.7 only/],
      [["--pruned", "5"], /--pruned 5: fig5 run .* has no pruned network 5 at level 0\.7/],
      [["--networks", "3"], /--networks 3: fig5 run .* has 2 pairs/],
    ];
    for (const [flags, message] of refused) {
      const r = await cli(fig4, [...QUIET, "--store", store, ...flags]);
      assert.equal(r.code, EXIT.usage, flags.join(" "));
      assert.equal(r.err.length, 1);
      assert.match(r.err[0], message);
    }
    {
      const st = await openStore(store);
      try {
        assert.deepEqual((await st.listRuns()).map((r) => r.figure), ["fig5"]);
      } finally {
        await st.close();
      }
    }

    // The newest finished fig5 run by default; examples by spec 9's rules.
    const out4 = join(dir, "fig4.json");
    const r4 = await cli(fig4, [...QUIET, "--store", store, "--out", out4]);
    assert.equal(r4.code, EXIT.ok, r4.err.join(" | "));
    const s4 = await readJson<ExamplesSummary>(out4);
    assert.equal(s4.figure, "fig4");
    assert.equal(s4.from, f5.runId);
    assert.equal(s4.level, 0.7);
    assert.equal(s4.reduced, true);
    checkExample(s4, "pruned", f5);
    checkExample(s4, "unpruned", f5);
    assert.match(s4.pruned!.reason, /^pruned network \d/);
    assert.ok(["rule-pair", "rule", "nearest"].includes(s4.pruned!.method));
    assert.equal(s4.networks.length, 2);
    assert.equal(s4.population.pairs, 2);
    assert.equal(s4.population.contraction.x.length, 13);
    assert.equal(s4.population.spectrum.x.length, 30);
    for (const pair of s4.networks) {
      for (const l of ["pruned", "unpruned"] as const) {
        const v = pair[l];
        assert.ok(!("missing" in v));
        const stored = f5.networks[pair.network].levels[0][l] as { maxLE: number | null };
        assert.equal(v.maxLEFig5Window, stored.maxLE, `pair ${pair.network} ${l}`);
      }
    }

    // Picks by hand (fig3), a table line per example.
    const out3 = join(dir, "fig3.json");
    const r3 = await cli(fig3, [
      ...QUIET,
      "--store",
      store,
      "--from",
      f5.runId,
      "--pruned",
      "1",
      "--unpruned",
      "0",
      "--out",
      out3,
    ]);
    assert.equal(r3.code, EXIT.ok, r3.err.join(" | "));
    const s3 = await readJson<ExamplesSummary>(out3);
    assert.equal(s3.figure, "fig3");
    assert.deepEqual(
      [s3.pruned!.network, s3.pruned!.method, s3.unpruned!.network, s3.unpruned!.method],
      [1, "hand", 0, "hand"],
    );
    assert.match(r3.out.join("\n"), /^pruned\s+1\s+-?\d/m, "the table names the pick");

    // Stored units: small enough for one Deno KV value; panels agree with --out.
    const st = await openStore(store);
    try {
      const run4 = (await st.listRuns({ figure: "fig4" }))[0];
      assert.equal(run4.status, "done");
      assert.deepEqual(run4.progress, { done: 4, total: 4 });
      const units = await st.listUnits(run4.id);
      for (const u of units) {
        assert.ok(serialize(u.record.metrics).length < 60 * 1024, `${u.key.join("/")} size`);
      }
      const typed = experimentRun<DmsExamplesConfig>(run4);
      const byId = (panels: Panel[]): Map<string, Panel> => new Map(panels.map((p) => [p.id, p]));
      const p4 = byId(fig4.panels(typed, units, {}));
      for (
        const id of ["fig4a", "fig4b", "fig4c", "fig4d", "fig4d-qr", "fig4c-population"]
      ) assert.ok(p4.has(id), id);
      for (const p of p4.values()) assert.ok(finiteSomewhere(p), `${p.id} has data`);
      assert.deepEqual(
        p4.get("fig4c-population")!.series[0].y,
        s4.population.contraction.pruned.mean,
      );
      assert.deepEqual(
        p4.get("fig4d")!.series.find((s) => s.label.startsWith("pruned"))!.y,
        s4.pruned!.leSpectrum,
      );
      const p2 = byId(fig2.panels(typed, units, {}));
      for (const id of ["fig1c", "fig1d", "fig1e", "fig1f", "fig2a", "fig2b", "fig2c", "fig2f"]) {
        assert.ok(p2.has(id) && finiteSomewhere(p2.get(id)!), id);
      }
      const p3 = byId(fig3.panels(typed, units, {}));
      for (const id of ["fig3a", "fig3b", "fig3c", "fig3d", "fig3e", "fig3f", "fig3-population"]) {
        assert.ok(p3.has(id) && finiteSomewhere(p3.get(id)!), id);
      }
    } finally {
      await st.close();
    }

    // Interrupted after the first pair, then resumed: the same --out as the uninterrupted run.
    const controller = new AbortController();
    const interrupting: Experiment<DmsExamplesConfig, ExamplesSummary> = {
      ...fig4,
      run: (ctx) => {
        const put = ctx.store.putUnit.bind(ctx.store);
        ctx.store.putUnit = async (runId, key, unit) => {
          await put(runId, key, unit);
          controller.abort();
        };
        return fig4.run(ctx);
      },
    };
    const ri = await cli(interrupting, [...QUIET, "--store", store], {
      signal: controller.signal,
    });
    assert.equal(ri.code, EXIT.interrupted, ri.err.join(" | "));
    const id = /run id: (fig4-[a-z0-9-]+)/.exec(ri.out.join("\n"))?.[1];
    assert.ok(id);
    const outR = join(dir, "resumed.json");
    const rr = await cli(fig4, ["--resume", id, "--store", store, "--out", outR, ...QUIET]);
    assert.equal(rr.code, EXIT.ok, rr.err.join(" | "));
    const sr = await readJson<ExamplesSummary>(outR);
    assert.deepEqual({ ...sr, runId: "" }, { ...s4, runId: "" });
  });
});

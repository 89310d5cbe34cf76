/**
 * fig5's `validate` preset is sized from the measured variance (spec §15): 80% power of the
 * two-sided paired t-test at alpha 0.01 needs 43 pairs at 0.5 and 60 at 0.7, and the preset differs
 * from the default only in its number of pairs; the CLI accepts it, names the presets when given
 * another, and prints its cost in --help.
 */
import assert from "node:assert/strict";
import { runExperimentCli } from "../core/app/cli.ts";
import { pairedPower } from "../core/util/stats.ts";
import {
  FIG5_DEFAULT,
  FIG5_MEASURED_VARIANCE,
  FIG5_VALIDATE,
  FIG5_VALIDATE_PAIRS,
} from "../experiments/fig5/config.ts";
import { fig5 } from "../experiments/fig5/fig5.ts";

Deno.test("fig5 --preset validate: pairs for 80% power at alpha 0.01, otherwise the default", () => {
  assert.deepEqual(FIG5_VALIDATE_PAIRS, [{ level: 0.5, pairs: 43 }, { level: 0.7, pairs: 60 }]);
  for (const [k, m] of FIG5_MEASURED_VARIANCE.entries()) {
    const n: number = FIG5_VALIDATE_PAIRS[k].pairs;
    assert.ok(pairedPower(m.effect, m.sd, { n, alpha: 0.01 }) >= 0.8);
    assert.ok(pairedPower(m.effect, m.sd, { n: n - 1, alpha: 0.01 }) < 0.8);
  }
  assert.equal(FIG5_VALIDATE.networks, 60);
  const { networks: _a, preset: _b, ...rest } = FIG5_VALIDATE;
  const { networks: _c, preset: _d, ...restDefault } = FIG5_DEFAULT;
  assert.deepEqual(rest, restDefault);
  assert.equal(fig5.presets.validate, FIG5_VALIDATE);
});

Deno.test("fig5 CLI: --preset names the presets; --help states the validate preset's cost", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { print: (l: string) => out.push(l), printError: (l: string) => err.push(l) };
  assert.equal(await runExperimentCli(fig5, ["--preset", "huge"], io), 2);
  assert.equal(err.length, 1);
  assert.match(err[0], /^error: --preset must be one of default, paper, validate, got 'huge'/);
  assert.equal(await runExperimentCli(fig5, ["--help"], io), 0);
  assert.match(out.join("\n"), /--preset validate: 60 lineage pairs .* Cost on 2 cores/);
});

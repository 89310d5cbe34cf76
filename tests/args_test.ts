/**
 * The shared argument parser (core/app/args.ts): values, switches, `--name=value`, one-line
 * errors with a suggestion for a mistyped flag, help lines with defaults.
 */
import assert from "node:assert/strict";
import { flagHelp, type FlagSpec, parseFlags, suggestFlag } from "../core/app/args.ts";
import { UsageError } from "../core/util/errors.ts";

const SPECS: FlagSpec[] = [
  { name: "networks", type: "string", help: "networks", default: "8" },
  { name: "levels", type: "string", value: "LIST", help: "prune levels" },
  { name: "seed", type: "string", help: "master seed", default: "1" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "help", type: "boolean", help: "show this help" },
];

Deno.test("args: values, switches, --name=value, the last value wins, -h", () => {
  const { flags, positionals } = parseFlags(SPECS, [
    "--networks",
    "3",
    "--levels=-0.1,0.5",
    "--quiet",
    "--seed",
    "1",
    "--seed",
    "2",
  ]);
  assert.deepEqual(flags, { networks: "3", levels: "-0.1,0.5", quiet: true, seed: "2" });
  assert.deepEqual(positionals, []);
  assert.equal(parseFlags(SPECS, ["-h"]).flags.help, true);
  assert.deepEqual(parseFlags(SPECS, ["a", "--quiet", "b"], { positionals: true }).positionals, [
    "a",
    "b",
  ]);
});

Deno.test("args: bad input is one UsageError line naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--netwroks", "3"], /^unknown flag --netwroks \(did you mean --networks\?\) \(see --help\)$/],
    [["--net", "3"], /did you mean --networks/],
    [["--bogus"], /^unknown flag --bogus \(see --help\)$/],
    [["--networks"], /^flag --networks needs a value$/],
    [["--seed", "-3"], /^--seed: a value starting with '-' must be written --seed=VALUE$/],
    [["--quiet=yes"], /--quiet is a switch/],
    [["extra"], /^unexpected argument 'extra'$/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parseFlags(SPECS, args), (e: unknown) => {
      assert.ok(e instanceof UsageError, args.join(" "));
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
  assert.equal(suggestFlag("sed", ["seed", "levels"]), "seed");
  assert.equal(suggestFlag("xyzzy", ["seed", "levels"]), null);
});

Deno.test("args: help lines show the value placeholder and the default", () => {
  const lines = flagHelp(SPECS).split("\n");
  assert.equal(lines.length, SPECS.length);
  assert.match(lines[0], /^ {2}--networks VALUE +networks \(default 8\)$/);
  assert.match(lines[1], /^ {2}--levels LIST +prune levels$/);
  assert.match(lines[3], /^ {2}--quiet +no progress bar$/);
});

/**
 * Starting networks (core/dms/starting_networks.ts): cache keys, where finished rounds come from
 * (store cache, then embedded networks, unless `fresh`), and that reused networks are bit for bit
 * what training produces. The embedded networks of the fig5 default are checked by replaying one
 * network's last initial round from the round before it.
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../core/engine/cpu/cpu_engine.ts";
import {
  embeddedSource,
  type EmbeddedStartsFile,
  startCacheKey,
  type StartProtocol,
  trainStartingNetworks,
} from "../core/dms/starting_networks.ts";
import { ResultStore } from "../core/store/kv_store.ts";
import { FIG5_DEFAULT } from "../experiments/fig5/config.ts";
import { FIG5_EMBEDDED_STARTS } from "../experiments/fig5/protocol.ts";
import { withTempDir } from "./fixtures/helpers.ts";

const TINY: StartProtocol = { initialRounds: 2, maxOuterInitial: 1, scgSteps: 12, sigmaY: 0.1 };

Deno.test("start cache key: K and an explicit 1110 steps are one protocol; arithmetic matters", () => {
  const key = { seed: 1, network: 3, round: 2, arithmetic: "cpu-wasm" };
  const base: StartProtocol = {
    initialRounds: 5,
    maxOuterInitial: 100,
    scgSteps: null,
    sigmaY: 0.1,
  };
  assert.equal(startCacheKey(base, key), startCacheKey({ ...base, scgSteps: 1110 }, key));
  assert.notEqual(startCacheKey(base, key), startCacheKey({ ...base, scgSteps: 600 }, key));
  assert.notEqual(startCacheKey(base, key), startCacheKey(base, { ...key, arithmetic: "cpu-js" }));
  assert.notEqual(startCacheKey(base, key), startCacheKey({ ...base, maxOuterInitial: 99 }, key));
});

Deno.test("starting networks: embedded and cached rounds equal trained ones bit for bit", async () => {
  const engine = new CpuEngine({ workers: 0 });
  const arithmetic = engine.arithmetic;
  try {
    const trained = await trainStartingNetworks(engine, [0, 1], {
      protocol: TINY,
      seed: 7,
      store: null,
    });
    assert.equal(trained.networks[0].rounds.length, 2);
    // An "embedded" table holding network 1 after round 1 only: round 2 must be trained from it.
    const partial = await trainStartingNetworks(engine, [1], {
      protocol: { ...TINY, initialRounds: 1 },
      seed: 7,
      store: null,
    });
    const file: EmbeddedStartsFile = {
      provenance: {},
      entries: {
        [startCacheKey(TINY, { seed: 7, network: 0, round: 2, arithmetic })]: {
          w: Array.from(trained.networks[0].w),
          rounds: trained.networks[0].rounds,
        },
        [startCacheKey(TINY, { seed: 7, network: 1, round: 1, arithmetic })]: {
          w: Array.from(partial.networks[0].w),
          rounds: partial.networks[0].rounds,
        },
      },
    };
    await withTempDir(async (dir) => {
      const store = await ResultStore.open(`${dir}/s.kv`);
      try {
        const rounds: number[] = [];
        const reused = await trainStartingNetworks(engine, [0, 1], {
          protocol: TINY,
          seed: 7,
          store,
          sources: [embeddedSource(file)],
          onRound: (r, n) => rounds.push(r, n),
        });
        assert.deepEqual(rounds, [2, 1], "only network 1's round 2 is trained");
        assert.deepEqual(reused.networks.map((n) => n.reused?.from), ["embedded", "embedded"]);
        for (let i = 0; i < 2; i++) {
          assert.deepEqual(reused.networks[i].w, trained.networks[i].w);
          assert.deepEqual(reused.networks[i].rounds, trained.networks[i].rounds);
        }
        // Network 1's round 2 is now in the store's cache, which is consulted before the table;
        // network 0's round 2 exists only in the table.
        const asked: string[] = [];
        const source = embeddedSource(file);
        const again = await trainStartingNetworks(engine, [0, 1], {
          protocol: TINY,
          seed: 7,
          store,
          sources: [(key) => (asked.push(key), source(key))],
        });
        assert.deepEqual(again.networks.map((n) => n.reused?.from), ["embedded", "cache"]);
        assert.ok(asked.every((k) => k.includes("/net=0/")), "network 1 never reaches the table");
        for (let i = 0; i < 2; i++) assert.deepEqual(again.networks[i].w, trained.networks[i].w);
        // fresh ignores both and trains everything again, with the same result.
        const fresh: number[] = [];
        const retrained = await trainStartingNetworks(engine, [0, 1], {
          protocol: TINY,
          seed: 7,
          store,
          sources: [embeddedSource(file)],
          fresh: true,
          onRound: (r, n) => fresh.push(r, n),
        });
        assert.deepEqual(fresh, [1, 2, 2, 2]);
        for (let i = 0; i < 2; i++) {
          assert.deepEqual(retrained.networks[i].w, trained.networks[i].w);
        }
      } finally {
        store.close();
      }
    });
  } finally {
    await engine.close();
  }
});

Deno.test("embedded fig5 starting networks: every default network is there, with the default's protocol", () => {
  const file = FIG5_EMBEDDED_STARTS;
  const arithmetic = String(file.provenance.arithmetic);
  const seed = Number(file.provenance.seed);
  assert.equal(seed, 1, "the default's seed");
  for (let i = 0; i < FIG5_DEFAULT.networks; i++) {
    const key = startCacheKey(FIG5_DEFAULT, {
      seed,
      network: i,
      round: FIG5_DEFAULT.initialRounds,
      arithmetic,
    });
    const e = file.entries[key];
    assert.ok(e, `embedded network ${i} (${key})`);
    assert.equal(e.w.length, 1110);
    assert.equal(e.rounds.length, FIG5_DEFAULT.initialRounds);
    assert.ok(e.w.every(Number.isFinite));
  }
});

Deno.test("embedded fig5 starting networks: replaying the last round reproduces them bit for bit", async () => {
  const file = FIG5_EMBEDDED_STARTS;
  const arithmetic = String(file.provenance.arithmetic);
  assert.ok(file.provenance.arithmetic, "the embedded file records its arithmetic");
  const engine = new CpuEngine({ workers: 0 });
  try {
    if (engine.arithmetic !== arithmetic) {
      // Another kernel build computes differently in the last bits; nothing to compare.
      console.warn(`skipped: the embedded networks were made with ${arithmetic}`);
      return;
    }
    const i = Number(file.provenance.replayNetwork);
    const R = FIG5_DEFAULT.initialRounds;
    const before =
      file.entries[startCacheKey(FIG5_DEFAULT, { seed: 1, network: i, round: R - 1, arithmetic })];
    const after =
      file.entries[startCacheKey(FIG5_DEFAULT, { seed: 1, network: i, round: R, arithmetic })];
    assert.ok(before && after, "the replay network's last two rounds are embedded");
    const replayed = await trainStartingNetworks(engine, [i], {
      protocol: FIG5_DEFAULT,
      seed: 1,
      store: null,
      sources: [
        embeddedSource({
          provenance: {},
          entries: {
            [startCacheKey(FIG5_DEFAULT, { seed: 1, network: i, round: R - 1, arithmetic })]:
              before,
          },
        }),
      ],
    });
    assert.deepEqual(Array.from(replayed.networks[0].w), after.w);
    assert.deepEqual(replayed.networks[0].rounds, after.rounds);
  } finally {
    await engine.close();
  }
});

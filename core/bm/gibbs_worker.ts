/**
 * Worker entry of {@link WorkerBmSampler}: runs one chunk of independent Gibbs chains.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Rng } from "../util/rng.ts";
import { gibbsSamples } from "./sampler.ts";
import type { GibbsJob, GibbsReply } from "./worker_sampler.ts";

self.onmessage = (e: MessageEvent<GibbsJob>): void => {
  const j = e.data;
  const mask = new Uint8Array(j.nv * j.nh).fill(1);
  const s = gibbsSamples(
    { nv: j.nv, nh: j.nh, w: j.w, bv: j.bv, bh: j.bh, mask },
    j.count,
    j.sweeps,
    new Rng(j.seed),
  );
  const reply: GibbsReply = { id: j.id, v: s.v, h: s.h };
  self.postMessage(reply, [
    s.v.buffer as ArrayBuffer,
    s.h.buffer as ArrayBuffer,
  ]);
};

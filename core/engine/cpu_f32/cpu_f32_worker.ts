/**
 * Worker side of the float32 twin engine: runs its kernels and SCG driver for a chunk of the
 * population.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { serveOps } from "../worker_pool.ts";
import { FLOAT32_TWIN_OPS } from "./evaluate.ts";

serveOps(FLOAT32_TWIN_OPS, self);

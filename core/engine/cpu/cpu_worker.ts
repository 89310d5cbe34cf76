/**
 * Worker side of the float64 CPU engine: runs the kernels of a build and SCG for a chunk of the
 * population.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { serveOps } from "../worker_pool.ts";
import { FLOAT64_OPS } from "./evaluate.ts";

serveOps(FLOAT64_OPS, self);

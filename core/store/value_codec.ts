/**
 * Metrics and run records as JSON text that round-trips what Deno KV's structured clone keeps and
 * plain JSON loses: NaN, ±Infinity and -0 (a failed lineage's metrics are NaN), `undefined`
 * (a cleared `message`), and typed arrays. Such values become a one-key object `{"$prunelab": tag}`;
 * an object that happens to own a `$prunelab` key is wrapped so it cannot be mistaken for a tag.
 * Text (not jsonb) keeps key order, so a copied run prints the same JSON as its source.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { StoreError } from "./errors.ts";

const TAG = "$prunelab";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TYPED: Record<string, (b: ArrayBuffer) => ArrayBufferView> = {
  Float64Array: (b) => new Float64Array(b),
  Float32Array: (b) => new Float32Array(b),
  Int32Array: (b) => new Int32Array(b),
  Uint8Array: (b) => new Uint8Array(b),
};

function encode(v: unknown, path: string): Json {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (Number.isFinite(v) && !Object.is(v, -0)) return v;
    return { [TAG]: Object.is(v, -0) ? "-0" : String(v) };
  }
  if (v === undefined) return { [TAG]: "undefined" };
  if (Array.isArray(v)) return v.map((x, i) => encode(x, `${path}[${i}]`));
  if (ArrayBuffer.isView(v) && v.constructor.name in TYPED) {
    const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return { [TAG]: v.constructor.name, b64: bytes.toString("base64") };
  }
  const proto = typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v as object)) out[k] = encode(x, `${path}.${k}`);
    return TAG in out ? { [TAG]: "object", v: out } : out;
  }
  const what = typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v;
  throw new StoreError("backend", `cannot store ${what} at ${path || "the top level"}`);
}

function decode(v: Json): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decode);
  const tag = v[TAG];
  if (typeof tag === "string") {
    switch (tag) {
      case "NaN":
        return NaN;
      case "Infinity":
        return Infinity;
      case "-Infinity":
        return -Infinity;
      case "-0":
        return -0;
      case "undefined":
        return undefined;
      case "object": {
        const inner = v.v;
        return inner !== null && typeof inner === "object" && !Array.isArray(inner)
          ? decodeObject(inner)
          : {};
      }
    }
    const make = TYPED[tag];
    if (make && typeof v.b64 === "string") {
      return make(new Uint8Array(Buffer.from(v.b64, "base64")).buffer);
    }
  }
  return decodeObject(v);
}

function decodeObject(v: { [k: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Assignment (not a JSON reviver) keeps keys whose value decodes to undefined.
  for (const [k, x] of Object.entries(v)) out[k] = decode(x);
  return out;
}

/** Encodes a value (metrics, a run record) as JSON text; unsupported values throw. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(encode(value, ""));
}

/** Decodes text written by {@link encodeValue}. */
export function decodeValue<T>(text: string): T {
  return decode(JSON.parse(text) as Json) as T;
}

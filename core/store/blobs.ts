/**
 * Typed arrays to bytes and back, with the checks that let a reader tell a whole blob from a
 * damaged one. Both backends store a blob's raw little-endian bytes (the platform order of every
 * machine Deno runs on), so a copy between them is bit-identical.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { BlobArray, BlobDescriptor } from "./types.ts";

/** Bytes per chunk in the Deno KV layout (a KV value holds at most 64 KiB). */
export const CHUNK_BYTES = 60 * 1024;

const ELEMENT_BYTES: Record<string, number> = {
  Float64Array: 8,
  Float32Array: 4,
  Int32Array: 4,
  Uint8Array: 1,
};

/** The bytes of a typed array (a view: only its own range, not its whole buffer). */
export function toBytes(a: BlobArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Number of KV chunks `byteLength` bytes take (an empty blob still has one, empty, chunk). */
export function chunkCount(byteLength: number): number {
  return Math.max(1, Math.ceil(byteLength / CHUNK_BYTES));
}

/** The descriptor recorded for a blob. */
export function describeBlob(name: string, a: BlobArray): BlobDescriptor {
  const type = a.constructor.name;
  if (!(type in ELEMENT_BYTES)) {
    throw new StoreError("backend", `blob '${name}' has unsupported type ${type}`);
  }
  return { name, type, length: a.length, chunks: chunkCount(a.byteLength) };
}

/** Bytes a descriptor's blob must have. */
export function expectedBytes(d: BlobDescriptor): number {
  const per = ELEMENT_BYTES[d.type];
  if (per === undefined) return -1;
  return d.length * per;
}

/**
 * Why stored bytes cannot be the blob a descriptor describes, or null when they fit. `chunks` is
 * the number of chunks found (default `d.chunks`, for backends that keep a blob whole).
 */
export function blobProblem(
  d: BlobDescriptor,
  stored: { byteLength: number; chunks?: number },
): string | null {
  const chunks = stored.chunks ?? d.chunks;
  const byteLength = stored.byteLength;
  const want = expectedBytes(d);
  if (want < 0) return `blob '${d.name}' has unknown type ${d.type}`;
  if (chunks !== d.chunks) return `blob '${d.name}' has ${chunks} of ${d.chunks} chunks`;
  if (byteLength !== want) return `blob '${d.name}' has ${byteLength} of ${want} bytes`;
  return null;
}

/**
 * Rebuilds a typed array from its bytes, copied into a fresh buffer of exactly their length (so the
 * result is aligned, and a Node Buffer's shared pool never leaks in: its `slice` is a view).
 */
export function fromBytes(type: string, bytes: Uint8Array): BlobArray {
  const buf = new Uint8Array(bytes).buffer;
  switch (type) {
    case "Float64Array":
      return new Float64Array(buf);
    case "Float32Array":
      return new Float32Array(buf);
    case "Int32Array":
      return new Int32Array(buf);
    case "Uint8Array":
      return new Uint8Array(buf);
  }
  throw new StoreError("damaged", `unknown blob type ${type}`);
}

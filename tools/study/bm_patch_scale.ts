/**
 * How the 13-pixel patch statistics of the embedded photographs depend on the scale at which they
 * are reduced to 32 x 32 images (docs/bm.md, "Data substitute"): for each fixed downscaling factor
 * k (crops of 32k pixels averaged over k x k blocks) and for the embedded substitute's
 * scene-scale mix, the frequencies of the all-on and all-off patterns, the distinct patterns and
 * the neighbour correlation of 90,000 training patches (spec 8.1 pipeline).
 *
 * `deno run -A tools/study/bm_patch_scale.ts [--count 6000]`
 *
 * @module
 */
import {
  decodeImage,
  EMBEDDED_IMAGES,
  greyImage,
  sceneThumbnails,
  TILE,
} from "../../core/data/images.ts";
import { extractPatches, patchStatistics, trainingSubset } from "../../core/data/patches.ts";
import { formatTable } from "../../core/app/text_table.ts";

const countFlag = Deno.args.indexOf("--count");
const count = countFlag >= 0 ? Number(Deno.args[countFlag + 1]) : 6000;
if (!Number.isInteger(count) || count < 1) {
  console.error("error: --count needs a positive integer");
  Deno.exit(2);
}
const photos = EMBEDDED_IMAGES.map((img) => greyImage(decodeImage(img.load(), img.name)));
const rows: string[][] = [];
for (const scale of [1, 2, 4, 8, 12, 16, undefined]) {
  const grey = sceneThumbnails(photos, { count, seed: 42, scale });
  const tiles = {
    count: grey.length / (TILE * TILE),
    grey,
    source: "",
    images: 9,
    substitute: true,
  };
  const s = patchStatistics(trainingSubset(extractPatches(tiles, 2.1), 90000), 2.1);
  rows.push([
    scale === undefined ? "scene-scale mix (embedded default)" : `k = ${scale}`,
    s.uniform.allOn.toFixed(3),
    s.uniform.allOff.toFixed(3),
    (s.uniform.allOn + s.uniform.allOff).toFixed(3),
    `${s.distinct}`,
    s.neighbourCorrelation.toFixed(3),
  ]);
}
console.log(`${count} thumbnails of the ${photos.length} embedded photographs per row`);
console.log(
  formatTable(["reduction", "all-on", "all-off", "uniform", "distinct", "neighbour r"], rows),
);

/**
 * The terminal table of a Fig 5 run: per level, probe accuracy and maximal LE of both lineages
 * with paired p-values, final loss and outer iterations.
 *
 * @module
 */
import type { MeanSem } from "../../core/app/paired_lineages.ts";
import { formatTable } from "../../core/app/text_table.ts";
import type { Fig5Summary } from "./summary.ts";

/** The closing table of `deno task fig5`. */
export function fig5Table(s: Fig5Summary): string {
  const f = (
    v: number | null | undefined,
    d = 3,
  ): string => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "-");
  const pm = (ms: MeanSem, k: number, d = 3): string => `${f(ms.mean[k], d)}±${f(ms.sem[k], d)}`;
  const pf = (p: number | null): string =>
    (p === null ? "-" : p < 0.001 ? "<.001" : p.toFixed(3)) +
    (p !== null && p < 0.01 ? "*" : " ");
  const head = [
    "level",
    "probe acc pruned",
    "unpruned",
    "p",
    "maxLE pruned",
    "unpruned",
    "p",
    "loss P/U",
    "iters P/U",
  ];
  const rows = s.levels.map((lv, k) => [
    lv.toFixed(2),
    pm(s.lineages.pruned.probeAccuracy, k),
    pm(s.lineages.unpruned.probeAccuracy, k),
    pf(s.pValues.probeAccuracy[k]),
    pm(s.lineages.pruned.maxLE, k),
    pm(s.lineages.unpruned.maxLE, k),
    pf(s.pValues.maxLE[k]),
    `${f(s.lineages.pruned.finalLoss.mean[k], 4)}/${f(s.lineages.unpruned.finalLoss.mean[k], 4)}`,
    `${f(s.lineages.pruned.iterations.mean[k], 1)}/${f(s.lineages.unpruned.iterations.mean[k], 1)}`,
  ]);
  const out = [
    `Fig 5 summary (mean±SEM over networks; * p < 0.01, paired t-test)${
      s.reduced ? "  [REDUCED PROTOCOL]" : ""
    }`,
    formatTable(head, rows),
  ];
  if (s.failures.length > 0) {
    out.push(`${s.failures.length} lineage(s) failed (NaN/Inf); see "failures" in the JSON`);
  }
  return out.join("\n");
}

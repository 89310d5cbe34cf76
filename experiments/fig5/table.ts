/**
 * The terminal tables of a Fig 5 run: per level, probe accuracy and maximal LE of both lineages
 * with paired p-values, final loss and outer iterations; then the effects with 99% intervals, Holm
 * and (small n) Wilcoxon p, the retrainings that met the stopping rule, and Fig 5E in both
 * groupings.
 *
 * @module
 */
import { LINEAGES, type MeanSem, type PairedStat } from "../../core/app/paired_lineages.ts";
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
  out.push("", effectsTable(s), "", convergedLines(s), "", fig5eTable(s));
  return out.join("\n");
}

function num(v: number | null | undefined, d = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "-";
}

function pText(p: number | null): string {
  return p === null ? "-" : p < 0.001 ? "<.001" : p.toFixed(3);
}

/** Effects of the metrics the paper marks, pruned - unpruned, with intervals and corrections. */
function effectsTable(s: Fig5Summary): string {
  const metrics: [string, string, number][] = [
    ["probeAccuracy", "probe accuracy", 3],
    ["maxLE", "max LE", 3],
    ["finalLoss", "final loss", 4],
    ["iterations", "outer iterations", 1],
  ];
  const small = metrics.some(([m]) => (s.effects[m] ?? []).some((e) => e.wilcoxonP !== null));
  const head = ["level", "metric", "n", "pruned - unpruned [99% CI]", "p", "Holm p"]
    .concat(small ? ["Wilcoxon p"] : []);
  const rows: string[][] = [];
  s.levels.forEach((lv, k) => {
    for (const [m, label, d] of metrics) {
      const e: PairedStat | undefined = s.effects[m]?.[k];
      if (!e) continue;
      rows.push([
        lv.toFixed(2),
        label,
        String(e.n),
        `${num(e.meanDiff, d)} [${num(e.ci?.[0], d)}, ${num(e.ci?.[1], d)}]`,
        pText(e.p),
        pText(e.pHolm),
        ...(small ? [pText(e.wilcoxonP)] : []),
      ]);
    }
  });
  return [
    `Effects over complete pairs (mean difference with its 99% t interval; p: paired t-test, the ` +
    `paper's test; Holm over the ${s.levels.length} level(s) of each metric` +
    (small ? "; Wilcoxon: exact signed-rank test, shown because n < 30" : "") + "):",
    formatTable(head, rows, {
      align: ["left", "left", "right", "right", "right", "right", "right"],
    }),
  ].join("\n");
}

/** Retrainings that met the stopping rule, per lineage and level, and the starting networks. */
function convergedLines(s: Fig5Summary): string {
  const c = s.converged;
  const per = s.levels.map((lv, k) =>
    `${lv.toFixed(2)}: ` +
    LINEAGES.map((l) => `${l} ${c.levels[l].converged[k]}/${c.levels[l].n[k]}`).join(", ")
  );
  return `Retrainings that met the stopping rule (the others hit the cap of ` +
    `${s.config.maxOuterRetrain} outer iterations and are kept, as in the paper's pipeline): ` +
    `${per.join("; ")}. Starting networks with every initial round converged: ` +
    `${c.start.converged}/${c.start.n}.`;
}

/** Fig 5E in both groupings: mean max LE (± SEM, n) per group at the analysis level. */
function fig5eTable(s: Fig5Summary): string {
  const a = s.atLevel;
  const cell = (g: { mean: (number | null)[]; sem: (number | null)[]; n: number[] }, i: number) =>
    g.n[i] === 0 ? "-" : `${num(g.mean[i])}±${num(g.sem[i])} (${g.n[i]})`;
  const rows: string[][] = [];
  for (
    const [name, key] of [["code", "leByCorrect"], ["legend", "leByCorrectAllTrials"]] as const
  ) {
    for (const l of LINEAGES) {
      rows.push([name, l, ...[0, 1, 2, 3].map((i) => cell(a[key][l], i))]);
    }
  }
  return [
    `Fig 5E at level ${a.level}: mean max LE ± SEM (networks) by group; code = ` +
    `${s.fig5eGroupings.leByCorrect}; legend = ${s.fig5eGroupings.leByCorrectAllTrials}; ` +
    `group 0 not shown:`,
    formatTable(["grouping", "lineage", "0.25", "0.5", "0.75", "1"], rows, {
      align: ["left", "left", "right", "right", "right", "right"],
    }),
  ].join("\n");
}

/**
 * The two tables every example figure shows: which networks were chosen and why, and the
 * candidates with how far each falls short of the selection rule.
 *
 * @module
 */
import type { Lineage } from "../../core/app/paired_lineages.ts";
import type { Panel, TableCell } from "../../core/app/panels.ts";
import { SPEC_SELECTION_RULE } from "../../core/dms/examples/protocol.ts";
import { ruleShortfall } from "../../core/dms/examples/selection.ts";
import type { NetworkDynamics } from "../../core/dms/examples/analyse.ts";
import type { ExampleFigure } from "./summary.ts";
import { fin, lineages, type PanelData, tablePanel } from "./panel_parts.ts";

export function examplesTable(fig: ExampleFigure, d: PanelData): Panel {
  const rows: TableCell[][] = lineages(d).map((e) => [
    { value: e.lineage },
    { value: e.network },
    { value: fin(e.scores.maxLE) },
    { value: fin(e.scores.maxLEFig5Window) },
    { value: e.scores.probeScore },
    { value: e.scores.probedCorrect.map((v) => (v ? "1" : "0")).join("") },
    { value: `${e.selection.method}${e.selection.meetsRule ? "" : " (misses the rule)"}` },
  ]);
  return tablePanel(
    {
      id: `${fig}-examples`,
      title: `Example networks at level ${d.config.level} and why they were chosen`,
    },
    {
      columns: [
        { label: "example", role: "label" },
        { label: "network (0-based)", role: "value", digits: 0 },
        { label: "max LE 15..40 (code order)", role: "value", digits: 3 },
        { label: "max LE 16..36 (fig5's)", role: "value", digits: 3 },
        { label: "probe-trial score", role: "value", digits: 3 },
        { label: "probed conditions 1-4 correct", role: "note" },
        { label: "chosen by", role: "note" },
      ],
      rows,
    },
    {
      caption: `Networks of fig5 run ${d.config.from}. ` +
        lineages(d).map((e) => e.selection.reason).join(" ") +
        ` Spec 9's rules: unpruned max LE >= ${SPEC_SELECTION_RULE.unprunedMinLE} and score <= ` +
        `${SPEC_SELECTION_RULE.unprunedMaxScore}; pruned max LE <= ${SPEC_SELECTION_RULE.prunedMaxLE}` +
        ` and score >= ${SPEC_SELECTION_RULE.prunedMinScore}. Pick by hand with --pruned N ` +
        `--unpruned M.`,
    },
  );
}

/** Rows of the candidates table beyond which only networks that meet a rule are listed. */
const MAX_CANDIDATE_ROWS = 40;

export function candidatesTable(fig: ExampleFigure, d: PanelData): Panel {
  const meets = (l: Lineage, x: NetworkDynamics | null): boolean =>
    x !== null && ruleShortfall(l, x) === 0;
  const chosen = new Set(lineages(d).map((e) => `${e.lineage}/${e.network}`));
  const all = d.networks;
  const shown = all.length <= MAX_CANDIDATE_ROWS
    ? all
    : all.filter((u) =>
      meets("pruned", u.pruned.dynamics) || meets("unpruned", u.unpruned.dynamics) ||
      chosen.has(`pruned/${u.network}`) || chosen.has(`unpruned/${u.network}`)
    );
  const rows: TableCell[][] = shown.map((u) => {
    const p = u.pruned.dynamics;
    const q = u.unpruned.dynamics;
    const tags = [
      meets("pruned", p) ? "pruned" : "",
      meets("unpruned", q) ? "unpruned" : "",
    ].filter((s) => s).join(", ");
    const picked = (["pruned", "unpruned"] as const).filter((l) => chosen.has(`${l}/${u.network}`))
      .map((l) => `${l} example`).join(", ");
    return [
      { value: `network ${u.network}` },
      { value: fin(p?.maxLE) },
      { value: p ? p.probeScore : null },
      { value: fin(q?.maxLE) },
      { value: q ? q.probeScore : null },
      { value: tags || "-" },
      { value: picked || "" },
    ];
  });
  return tablePanel(
    {
      id: `${fig}-candidates`,
      title: `Every lineage pair at level ${d.config.level}: the numbers spec 9's rules look at`,
    },
    {
      columns: [
        { label: "pair", role: "label" },
        { label: "pruned max LE 15..40", role: "value", digits: 3 },
        { label: "pruned probe-trial score", role: "value", digits: 3 },
        { label: "unpruned max LE 15..40", role: "value", digits: 3 },
        { label: "unpruned probe-trial score", role: "value", digits: 3 },
        { label: "meets its lineage's rule", role: "note" },
        { label: "chosen", role: "note" },
      ],
      rows,
    },
    {
      caption:
        (shown.length < all.length
          ? `${shown.length} of ${all.length} pairs shown (those meeting a rule or chosen); --out ` +
            `lists all. `
          : "") +
        "Probe-trial score = 1 - |mean(y52, y53) - target| of condition 4 probed at k = 20 with " +
        "strength 0.2 (spec 3.6, exact target). Max LE over k = 15..40, divisor 25, code order.",
    },
  );
}

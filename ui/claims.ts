/// <reference lib="dom" />
/**
 * The reproduction scorecard on the dashboard: the `#/claims` page (every claim of both papers
 * judged on the store, as `deno task claims` prints it) and the claims card of a run page (the
 * claims of the run's experiment judged on that run). Verdicts link to the run that decided them.
 *
 * @module
 */
import { h, type JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import {
  type ClaimRow,
  fetchClaims,
  fetchRunClaims,
  onChange,
  type RunClaimsBody,
  type ScorecardBody,
} from "./api.ts";

function num(v: number | null, digits = 3): string {
  return v === null || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

function pText(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return "–";
  return p < 1e-4 ? "<1e-4" : p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}

function effectText(r: ClaimRow): string {
  if (r.effect === null) return "–";
  return r.ci99 && r.ci99[0] !== r.ci99[1]
    ? `${num(r.effect)} [${num(r.ci99[0])}, ${num(r.ci99[1])}]`
    : num(r.effect);
}

/** A table of claim rows; `withRun` adds the column of the run that decided each row. */
function ClaimsTable(
  { rows, withRun }: { rows: ClaimRow[]; withRun: boolean },
): JSX.Element {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "panel-table claims" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["figure", "claim", "verdict", "effect [99% CI]", "p", "α", "n", "n for 80%"]
            .concat(withRun ? ["run"] : [])
            .map((t) => h("th", null, t)),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((r) =>
          h(
            "tr",
            { key: r.id, "data-claim": r.id, "data-verdict": r.verdict },
            h("td", { class: "role-label" }, r.figure),
            h(
              "td",
              { title: [r.metric ?? r.measure, r.test, r.note].filter(Boolean).join("; ") },
              r.claim,
            ),
            h("td", null, h("span", { class: `verdict ${r.verdict}` }, r.verdict)),
            h("td", null, effectText(r)),
            h("td", null, pText(r.p)),
            h("td", null, String(r.alpha)),
            h("td", null, r.n === null ? "–" : String(r.n)),
            h("td", null, r.nFor80Power === null ? "–" : String(r.nFor80Power)),
            withRun
              ? h(
                "td",
                null,
                r.run ? h("a", { href: `#/run/${r.run.id}` }, r.run.id) : (r.note ?? "–"),
              )
              : null,
          )
        ),
      ),
    ),
  );
}

const RULE = "Verdicts: reproduced = in the paper's direction and p below the paper's α; " +
  "direction = in the paper's direction, not significant (or n = 1); not-reproduced = zero or " +
  "opposite; not-run = no stored run can test it. Effects are signed so that positive is the " +
  "paper's direction; hover a claim for its measure, test and note.";

/** The `#/claims` page: the scorecard of the whole store, per paper. */
export function ClaimsView(): JSX.Element {
  const [body, setBody] = useState<ScorecardBody | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    () => fetchClaims().then((b) => (setBody(b), setError(null)), (e) => setError(String(e))),
    [],
  );
  useEffect(() => {
    void load();
    return onChange(() => void load());
  }, []);
  if (error) return h("div", { class: "error" }, `Could not load the scorecard: ${error}`);
  if (!body) return h("p", { class: "empty" }, "Judging every claim on the store…");
  const papers = [...new Set(body.claims.map((c) => c.paper))];
  const count = (rows: ClaimRow[], v: string): number => rows.filter((r) => r.verdict === v).length;
  return h(
    "div",
    { class: "claims-page" },
    h("h1", null, "Reproduction scorecard"),
    h("p", { class: "small" }, RULE, " Run rule: ", body.rule, "."),
    ...papers.flatMap((paper) => {
      const rows = body.claims.filter((c) => c.paper === paper);
      return [
        h(
          "h2",
          null,
          `${paper}: ${count(rows, "reproduced")} reproduced, ${
            count(rows, "direction")
          } direction, ${count(rows, "not-reproduced")} not reproduced, ${
            count(rows, "not-run")
          } not run`,
        ),
        h(ClaimsTable, { rows, withRun: true }),
      ];
    }),
  );
}

/** The claims card of a run page (nothing when the run's figure tests no claim). */
export function RunClaims({ id, stamp }: { id: string; stamp: string }): JSX.Element | null {
  const [body, setBody] = useState<RunClaimsBody | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetchRunClaims(id).then((b) => (setBody(b), setError(null)), (e) => setError(String(e)));
  }, [id, stamp]);
  if (error) return h("div", { class: "error" }, `Claims of ${id}: ${error}`);
  if (!body || body.claims.length === 0) return null;
  return h(
    "section",
    { class: "card run-claims", id: "run-claims" },
    h("h2", null, "The papers' claims this run tests"),
    body.notice ? h("p", { class: "notice" }, body.notice) : null,
    h(ClaimsTable, { rows: body.claims, withRun: false }),
    h(
      "p",
      { class: "small" },
      RULE,
      " ",
      h("a", { href: "#/claims" }, "All claims of both papers"),
    ),
  );
}

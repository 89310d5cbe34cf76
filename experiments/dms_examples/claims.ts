/**
 * The claims the example figures test (catalogue: experiments/claims_catalogue.ts): Fig 2's two
 * example networks (one network per lineage, so no test is possible and a verdict is at most
 * `direction`), and the population versions of Figs 3 and 4 over every lineage pair of the fig5
 * run (paired t-tests from the summary's means and p, `pairedEvidenceFromP`). Each experiment
 * (fig2, fig3, fig4) takes the claims whose catalogue entry names it.
 *
 * @module
 */
import { type Claim, pairedEvidenceFromP, singleEvidence } from "../../core/app/claims.ts";
import { claim } from "../claims_catalogue.ts";
import type { ExampleOut, ExamplesSummary } from "./summary.ts";

/** The step at which the legend says the unpruned example's trajectories diverge (Fig 3). */
export const DIVERGENCE_STEP = 30;

/** Share of the non-zero recurrent weights in the histogram bins centred at ±0.05. */
export function nearZeroShare(e: Pick<ExampleOut, "histogram" | "histogramCentres">): number {
  let share = 0;
  e.histogramCentres.forEach((c, b) => {
    if (Math.abs(Math.abs(c) - 0.05) < 1e-9) share += e.histogram[b];
  });
  return share;
}

/** A paired population comparison of the summary at index i: unpruned minus pruned. */
export function populationAt(
  curves: {
    pruned: { mean: number[]; n: number[] };
    unpruned: { mean: number[]; n: number[] };
  },
  at: { i: number; p: number; metric: string },
): ReturnType<typeof pairedEvidenceFromP> {
  const { i, p } = at;
  if (i < 0) return null;
  const n = Math.min(curves.pruned.n[i] ?? 0, curves.unpruned.n[i] ?? 0);
  return pairedEvidenceFromP(
    { meanDiff: curves.unpruned.mean[i] - curves.pruned.mean[i], p, n },
    {
      metric: at.metric,
      note: `pruned ${curves.pruned.mean[i].toFixed(3)}, unpruned ${
        curves.unpruned.mean[i].toFixed(3)
      }; n = the smaller lineage count (pairs with both lineages)`,
    },
  );
}

/** What Fig 2C-F needs of an example network. */
export type ExampleAnswers = Pick<
  ExampleOut,
  "probedCorrect" | "unprobedCorrect" | "probeScore" | "method"
>;

/**
 * Fig 2C-F: probed condition 4 answered correctly (1) or not (0), pruned minus unpruned example,
 * given both answer the unprobed condition-4 trial correctly (else the effect is 0).
 */
export function exampleProbeEvidence(
  p: ExampleAnswers,
  u: ExampleAnswers,
): ReturnType<typeof singleEvidence> {
  // Condition 4 is the example trial of Figs 2 and 3 (index 3).
  const clean = p.unprobedCorrect[3] && u.unprobedCorrect[3];
  const score = (e: ExampleAnswers): number => (e.probedCorrect[3] ? 1 : 0);
  return singleEvidence(clean ? score(p) - score(u) : 0, {
    metric: "probed condition 4 answered correctly (1) or not (0), pruned example - unpruned " +
      "example, given both answer the unprobed trial correctly",
    note:
      `${clean ? "" : "an example fails the unprobed condition-4 trial, so the effect is 0; "}` +
      `probe-trial scores: pruned ${p.probeScore.toFixed(3)} (${p.method}), unpruned ` +
      `${u.probeScore.toFixed(3)} (${u.method}); examples chosen by spec 9's rule satisfy ` +
      `it by construction, so the population version is Fig 5A`,
  });
}

/** The claims of the example figures, each tagged with its experiment (fig2, fig3 or fig4). */
export const EXAMPLES_CLAIMS: Claim<ExamplesSummary>[] = [
  claim<ExamplesSummary>("averbeck2022/2A/weight-gap-example", (s) => {
    if (!s.pruned || !s.unpruned) return null;
    const p = nearZeroShare(s.pruned);
    const u = nearZeroShare(s.unpruned);
    return singleEvidence(u - p, {
      metric: `share of non-zero weights in the bins at ±0.05, unpruned example ` +
        `(network ${s.unpruned.network}) - pruned example (network ${s.pruned.network})`,
      note: `pruned ${p.toFixed(3)}, unpruned ${u.toFixed(3)}; the population version is Fig 5F`,
    });
  }),
  claim<ExamplesSummary>(
    "averbeck2022/2CF/example-probe",
    (s) => (s.pruned && s.unpruned ? exampleProbeEvidence(s.pruned, s.unpruned) : null),
  ),
  claim<ExamplesSummary>("averbeck2022/3/divergence", (s) => {
    const d = s.population.divergence;
    const i = d.x.indexOf(DIVERGENCE_STEP);
    return populationAt(d, {
      i,
      p: d.p[i],
      metric: `|x_probed(k) - x(k)| of condition 4 at k = ${DIVERGENCE_STEP}, unpruned - ` +
        `pruned, over the fig5 run's pairs at level ${s.level}`,
    });
  }),
  claim<ExamplesSummary>("averbeck2022/4C/contraction", (s) => {
    const c = s.population.contractionAtProbe;
    return populationAt(c, {
      i: 0,
      p: c.p,
      metric: `contraction at k = ${c.k} (the code's metric), unpruned - pruned, over the fig5 ` +
        `run's pairs at level ${s.level}`,
    });
  }),
];

/**
 * The flexibility claims a dms-new-problem run tests (catalogue: experiments/claims_catalogue.ts):
 * per problem, whether pruned networks learn it more slowly, measured from each network's own
 * loss before training (`learning` in summary.ts: the mean over the curve of log(loss / start)),
 * pruned minus unpruned, paired over lineage pairs; and the "but not all" half: the problem on
 * which pruned networks are least slowed, with the sign turned so that a problem they learn as
 * fast or faster is the paper's direction.
 *
 * @module
 */
import { type Claim, type ClaimEvidence, pairedEvidence } from "../../core/app/claims.ts";
import { claim, type ClaimId } from "../claims_catalogue.ts";
import type { ProblemName } from "./config.ts";
import type { DnpSummary, ProblemSummary } from "./summary.ts";

const METRIC = "mean over the learning curve of log(loss / the network's own loss before " +
  "training), pruned - unpruned";

/** Pruned - unpruned `learning` of one problem (> 0: pruned learn more slowly). */
export function slowingEvidence(p: ProblemSummary | undefined, name: string): ClaimEvidence | null {
  if (!p) return null;
  const ev = pairedEvidence(
    p.networks.map((n) => n.pruned.learning),
    p.networks.map((n) => n.unpruned.learning),
    {
      metric: `${METRIC}, problem '${name}'`,
      note:
        `start pruned ${p.start.pruned?.toFixed(4) ?? "-"} vs unpruned ${
          p.start.unpruned?.toFixed(4) ?? "-"
        }; end change pruned - unpruned ${p.endSlowing.meanDiff?.toFixed(3) ?? "-"}` +
        (p.skipped > 0 ? `; ${p.skipped} pair(s) skipped (failed fig5 lineage)` : ""),
    },
  );
  return ev;
}

function perProblem(id: ClaimId, name: ProblemName): Claim<DnpSummary> {
  return claim<DnpSummary>(id, (s) => slowingEvidence(s.problems[name], name));
}

/** The claims of a dms-new-problem run. */
export const DNP_CLAIMS: Claim<DnpSummary>[] = [
  perProblem("averbeck2022/flex/dms-combined", "combined"),
  perProblem("averbeck2022/flex/dms-reversal", "reversal"),
  perProblem("averbeck2022/flex/dms-new-channels", "newChannels"),
  claim<DnpSummary>("averbeck2022/flex/not-all", (s) => {
    const all = Object.entries(s.problems)
      .map(([name, p]) => ({ name, ev: slowingEvidence(p, name) }))
      .filter((x): x is { name: string; ev: ClaimEvidence } => x.ev !== null);
    if (all.length < 2) return null;
    const least = all.reduce((a, b) => (b.ev.effect < a.ev.effect ? b : a));
    const [lo, hi] = least.ev.ci99;
    return {
      ...least.ev,
      metric: `minus the smallest slowing over ${all.length} problems (problem ` +
        `'${least.name}': unpruned - pruned learning from the own start)`,
      effect: -least.ev.effect,
      ci99: [-hi, -lo],
      note: `slowing per problem: ${
        all.map((x) => `${x.name} ${x.ev.effect.toFixed(3)}`).join(", ")
      }; a positive effect means pruned networks learn that problem at least as fast; the ` +
        `problem is the least slowed of several, so its p is not corrected for that choice`,
    };
  }),
];

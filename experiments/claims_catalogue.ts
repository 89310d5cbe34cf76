/**
 * Every finding of both papers, once: the one source of truth for what the scorecard
 * (`deno task claims`), the terminal summaries, the dashboard and docs/reproduction.md call a
 * claim. An entry holds the sentence, figure, source, the paper's alpha, the experiment whose runs
 * test it and what those runs compare (`measure`). It never holds a result: evidence is computed
 * from a stored run by the claim's `evaluate`, which lives in the experiment's folder.
 *
 * How to add an evaluate (one per catalogue id, in `experiments/<family>/claims.ts`):
 *
 * ```ts
 * import { claim } from "../claims_catalogue.ts";
 * import { pairedEvidence } from "../../core/app/claims.ts";
 * export const FIG5_CLAIMS: Claim<Fig5Summary>[] = [
 *   claim("averbeck2022/5D/max-le", (s) => pairedEvidence(unprunedLE(s), prunedLE(s), {...})),
 * ];
 * ```
 *
 * then set `claims: FIG5_CLAIMS` on the experiment. `evaluate(summary)` receives the run's
 * `--out` summary and returns a `ClaimEvidence` whose `effect` is positive in the paper's
 * direction (with its 99% CI, p, n, the test and, for a paired t-test, `sdDiff` so the scorecard
 * can say what n 80% power needs), or null when that run cannot test the claim (e.g. it lacks the
 * level). The builders in `core/app/claims.ts` (`pairedEvidence`, `correlationEvidence`,
 * `singleEvidence`, ...) make the common cases one call. The id is type-checked against this
 * catalogue. A claim whose experiment has no evaluate yet still gets a `not-run` row.
 *
 * To add a finding, append an entry here (ids are `paper/figure/slug`, never renamed once used).
 * Alpha: Averbeck 2022 marks p < 0.01 (paired t-test, spec 8.8); Scholl et al. 2021 state no
 * significance level ("significant" once, without a test), so their claims use 0.05.
 *
 * @module
 */
import type { Claim, ClaimEvidence, ClaimSpec } from "../core/app/claims.ts";

const AVERBECK = { paper: "averbeck2022", alpha: 0.01 } as const;
const SCHOLL = { paper: "scholl2021", alpha: 0.05 } as const;

/** The catalogue: every claim of both papers, in the order the scorecard lists them. */
export const CLAIMS_CATALOGUE = [
  // ---- Averbeck 2022: DMS working memory (fig5 and the example figures) ----
  {
    ...AVERBECK,
    id: "averbeck2022/5A/probe-accuracy",
    figure: "Fig 5A",
    claim: "Pruned DMS networks are more resistant to distraction: over a range of prune " +
      "fractions they are more accurate on probe trials than their matched unpruned networks.",
    source: "abstract; Fig 5A legend",
    experiment: "fig5",
    measure: "per lineage pair, pruned minus unpruned probe accuracy averaged over the run's " +
      "levels; paired t-test over pairs (each level's test in the note)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5B/probe-onset",
    figure: "Fig 5B",
    claim: "At prune fraction 0.7, pruned networks are more accurate than unpruned ones at every " +
      "probe time in the delay.",
    source: "Fig 5B legend",
    experiment: "fig5",
    measure: "pruned minus unpruned accuracy at 0.7 per probe onset (mean over non-zero " +
      "strengths); intersection-union test: the weakest onset's difference and the largest p",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5C/probe-strength",
    figure: "Fig 5C",
    claim: "At prune fraction 0.7, pruned networks are more accurate than unpruned ones at every " +
      "probe strength above 0.",
    source: "Fig 5C legend",
    experiment: "fig5",
    measure: "pruned minus unpruned accuracy at 0.7 per non-zero strength (mean over onsets); " +
      "intersection-union test: the weakest strength's difference and the largest p",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5D/max-le",
    figure: "Fig 5D",
    claim: "Pruned networks have a lower maximal Lyapunov exponent than unpruned networks.",
    source: "Fig 5D legend; results (spec §10)",
    experiment: "fig5",
    measure: "per lineage pair, unpruned minus pruned maximal LE (code order) averaged over the " +
      "run's levels; paired t-test over pairs",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5E/le-by-correct-code",
    figure: "Fig 5E",
    claim: "Networks that answer correctly in more conditions have lower maximal Lyapunov " +
      "exponents (grouped as the code does: one probe, onset 20, strength 0.2).",
    source: "Fig 5E legend; spec 8.8, D14",
    experiment: "fig5",
    measure: "at 0.7, Pearson r between conditions correct on the code's probe and maximal LE " +
      "over all networks of both lineages; effect = -r",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5E/le-by-correct-legend",
    figure: "Fig 5E",
    claim: "Networks that answer correctly more often over all probe trials have lower maximal " +
      "Lyapunov exponents (grouped as the legend says: all probe trials).",
    source: "Fig 5E legend; spec D14",
    experiment: "fig5",
    measure: "at 0.7, Pearson r between the fraction of all probe trials answered correctly and " +
      "maximal LE over all networks of both lineages; effect = -r",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/5F/weight-gap",
    figure: "Fig 5F",
    claim: "Pruned networks lose their small weights: their weight distribution has a gap around " +
      "0 except for the central bin.",
    source: "Fig 5F legend; Fig 2A",
    experiment: "fig5",
    measure: "at 0.7, per lineage pair, unpruned minus pruned fraction of non-zero recurrent " +
      "weights in the bins centred at ±0.05; paired t-test over pairs",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/2A/weight-gap-example",
    figure: "Fig 2A",
    claim: "The example pruned network's weight distribution has a gap around 0 that the " +
      "unpruned example's lacks.",
    source: "Fig 2A legend",
    experiment: "fig2",
    measure: "unpruned minus pruned example's fraction of non-zero recurrent weights in the bins " +
      "centred at ±0.05 (one network each: no test)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/2CF/example-probe",
    figure: "Fig 2C-F, 3C, 3F",
    claim: "Both example networks answer condition 4 correctly without a probe; after a probe " +
      "the unpruned example answers wrongly and the pruned example correctly.",
    source: "Fig 2 and 3 legends",
    experiment: "fig2",
    measure: "pruned minus unpruned example's probe-trial score of probed condition 4 (spec " +
      "3.6), with both unprobed trials correct (one network each: no test; the population " +
      "version is Fig 5A)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/3/divergence",
    figure: "Fig 3A-B, 3D-E",
    claim: "Probed and unprobed trajectories of condition 4 diverge less, and only late, in the " +
      "pruned network; the unpruned network's diverge around time step 30.",
    source: "Fig 3 legend",
    experiment: "fig3",
    measure: "at 0.7, unpruned minus pruned |x_probed(k) - x(k)| of condition 4 at k = 30 over " +
      "every lineage pair (population version of the examples); paired t-test",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/4C/contraction",
    figure: "Fig 4C",
    claim: "Pruned networks contract perturbations of their trajectory more strongly than " +
      "unpruned networks (consistent with their Lyapunov exponents).",
    source: "Fig 4C legend; spec §10",
    experiment: "fig4",
    measure: "at 0.7, unpruned minus pruned contraction at the probe onset (the code's metric) " +
      "over every lineage pair (population version of the examples); paired t-test",
  },
  // ---- Averbeck 2022: RL bandit (fig6, fig7) ----
  {
    ...AVERBECK,
    id: "averbeck2022/7A/value-error",
    figure: "Fig 7A",
    claim: "At noise 0.1, pruned RL networks estimate values more accurately: lower error " +
      "against the noise-free Q-values on new blocks than their matched unpruned networks.",
    source: "abstract; Fig 7A legend",
    experiment: "fig7",
    measure: "noise 0.1, unpruned minus pruned value error (paired over lineages)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/7B/agreement",
    figure: "Fig 7B",
    claim: "At noise 0.1, pruned RL networks agree more often with the Q-learner's choices than " +
      "unpruned networks.",
    source: "Fig 7B legend",
    experiment: "fig7",
    measure: "noise 0.1, pruned minus unpruned agreement with the Q-learner (paired over lineages)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/abstract/optimal-choices",
    figure: "Fig 7 (abstract)",
    claim: "Pruned RL networks make optimal choices more consistently.",
    source: "abstract",
    experiment: "fig7",
    measure: "noise 0.1, pruned minus unpruned rate of choosing the better option (optimalRate, " +
      "paired over lineages)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/7G/mahalanobis",
    figure: "Fig 7G",
    claim: "Pruned RL networks separate fixation-phase and choice-phase activity more (larger " +
      "Mahalanobis distance between the two clouds).",
    source: "Fig 6H and 7G legends; direction spec §10 [INFERRED]",
    experiment: "fig7",
    measure: "noise 0.1, pruned minus unpruned Mahalanobis distance (paired over lineages)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/6H/example-separation",
    figure: "Fig 6H-I",
    claim: "In the unpruned example RL network the fixation-phase and choice-phase activity " +
      "clouds are poorly separated (less than in the pruned example).",
    source: "Fig 6H legend",
    experiment: "fig6",
    measure: "pruned minus unpruned example's fixation/choice separation (one network each)",
  },
  // ---- Averbeck 2022: flexibility (new problems) ----
  {
    ...AVERBECK,
    id: "averbeck2022/flex/dms-combined",
    figure: "Flexibility (DMS, spec 7.2)",
    claim: "Pruned networks learn some new problems more slowly: the DMS new-problem set of the " +
      "code (reversed response mapping and new cue channels together).",
    source: "abstract; spec 7.2",
    experiment: "dms-new-problem",
    measure: "per lineage pair, pruned minus unpruned log(final loss / the network's own loss " +
      "before training on the problem); paired t-test (positive = pruned learns more slowly)",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/flex/dms-reversal",
    figure: "Flexibility (DMS, D22)",
    claim: "Pruned networks learn some new problems more slowly: the reversed response mapping " +
      "alone (conditions 1-4 of the new set).",
    source: "abstract; spec D22 [REC] split",
    experiment: "dms-new-problem",
    measure: "as the combined set, on the reversal problem",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/flex/dms-new-channels",
    figure: "Flexibility (DMS, D22)",
    claim: "Pruned networks learn some new problems more slowly: the new cue channels alone " +
      "(conditions 5-8 of the new set).",
    source: "abstract; spec D22 [REC] split",
    experiment: "dms-new-problem",
    measure: "as the combined set, on the new-channel problem",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/flex/not-all",
    figure: "Flexibility (DMS, D22)",
    claim: "…but not all new problems: at least one new problem is not learned more slowly by " +
      "pruned networks.",
    source: "abstract",
    experiment: "dms-new-problem",
    measure: "the DMS problem on which pruned networks are least slowed: minus its pruned minus " +
      "unpruned log loss ratio, with that problem's paired t-test",
  },
  {
    ...AVERBECK,
    id: "averbeck2022/flex/rl-new-option",
    figure: "Flexibility (RL, spec 7.5)",
    claim: "Pruned networks learn some new problems more slowly: the RL task with a new option.",
    source: "abstract; spec 7.5",
    experiment: "fig7",
    measure: "pruned minus unpruned change of loss from each network's own start on the " +
      "new-option task (paired over lineages; positive = pruned learns more slowly)",
  },
  // ---- Scholl et al. 2021, family A: RBMs on image patches ----
  {
    ...SCHOLL,
    id: "scholl2021/fig1/rank-one",
    figure: "Fig 1",
    claim: "The Fisher information matrix of the initial RBM is close to rank one: its largest " +
      "eigenvalue exceeds the second by an order of magnitude (23.97 vs 1.60).",
    source: "results",
    experiment: "bm-fig1",
    measure: "log10(λ0 / λ1) - 1 (positive = an order of magnitude or more)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig1/sparse-units",
    figure: "Fig 1B-D",
    claim: "The FIM is sparse and important weights cluster on a few hidden units, in both the " +
      "leading eigenvector and the diagonal.",
    source: "Fig 1 legend; results",
    experiment: "bm-fig1",
    measure: "concentration of importance on few hidden units (e.g. share of the importance on " +
      "the top 10% of units minus the uniform share)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/kl-rises-after-pruning",
    figure: "Fig 2C",
    claim: "Right after pruning, every criterion raises the KL divergence between the data and " +
      "the generated patterns.",
    source: "Fig 2C legend; results",
    experiment: "bm-fig2",
    measure: "KL after pruning minus KL before, for the criterion that raises it least (paired " +
      "over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/fi-mag-recover",
    figure: "Fig 2C",
    claim: "After retraining, models pruned by Fisher information (VAR, HEU, EIG) or weight " +
      "magnitude return to about the initial model's KL divergence.",
    source: "Fig 2C legend; results",
    experiment: "bm-fig2",
    measure: "KL after retraining versus the initial KL for VAR, HEU, EIG and MAG (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/rw-anti-worse",
    figure: "Fig 2C",
    claim: "Random-weight and anti-FI pruning stay worse after retraining: the KL divergence is " +
      "only partly rescued.",
    source: "results",
    experiment: "bm-fig2",
    measure: "KL after retraining of RW and ANTI minus that of the FI criteria (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/ru-recovers",
    figure: "Fig 2C",
    claim: "Random-unit pruning is bad right after pruning but recovers with retraining.",
    source: "results",
    experiment: "bm-fig2",
    measure: "RU's KL after pruning minus after retraining (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/logp-matching",
    figure: "Fig 2B",
    claim:
      "Log-probability matching of patterns stays good after magnitude and FI pruning and is " +
      "poor after random-weight and anti-FI pruning, even for some frequent patterns.",
    source: "Fig 2B legend; results",
    experiment: "bm-fig2",
    measure: "MSE of log-probabilities after retraining: RW and ANTI minus MAG and FI (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig2/rare-patterns-worse",
    figure: "Fig 2A-B",
    claim: "The error of the matched log-probabilities is larger for rare patterns than for " +
      "frequent ones.",
    source: "results",
    experiment: "bm-fig2",
    measure: "MSE of log-probabilities of the rarer half of the training patterns minus that of " +
      "the more frequent half (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/table1/fi-fewer-units-than-mag",
    figure: "Table 1",
    claim: "Pruning by Fisher information leaves fewer hidden units than pruning by weight " +
      "magnitude after three iterations (about 9-10 vs 35 of 70): weight alone does not optimise " +
      "network size.",
    source: "abstract; Table 1; results",
    experiment: "bm-table1",
    measure: "hidden units left after round 3: MAG minus the FI criteria (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/table1/fi-fewer-units-than-anti",
    figure: "Table 1",
    claim: "Anti-FI pruning keeps more hidden units than FI pruning (about 35 vs 9-10 of 70).",
    source: "Table 1; results",
    experiment: "bm-table1",
    measure: "hidden units left after round 3: ANTI minus the FI criteria (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/table1/rw-keeps-units",
    figure: "Table 1",
    claim: "Random weight pruning disconnects relatively few units (about 60 of 70 remain after " +
      "three iterations).",
    source: "Table 1; results",
    experiment: "bm-table1",
    measure: "hidden units left after round 3: RW minus every other weight criterion (over seeds)",
  },
  // ---- Scholl et al. 2021, family B: DBMs on MNIST ----
  {
    ...SCHOLL,
    id: "scholl2021/fig3/encoding-beats-raw",
    figure: "Fig 3B",
    claim: "Before pruning, a classifier on the h2 encodings has a lower error than one on the " +
      "raw digits.",
    source: "results",
    experiment: "bm-fig3",
    measure: "raw-digit classifier error minus the h2-encoding classifier's, before pruning",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/fi-first-iteration-h2",
    figure: "Fig 3B-C",
    claim: "In the first FI pruning iteration more than 25% of the h2 weights have zero " +
      "importance and are all removed.",
    source: "results",
    experiment: "bm-fig3",
    measure: "fraction of h2 weights removed by VAR/HEU in iteration 1 minus 0.25",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/fi-removes-units",
    figure: "Fig 3C",
    claim: "FI pruning removes units in every hidden layer: n_h2 falls sharply and some h1 units " +
      "go, making the encoding more efficient.",
    source: "Fig 3C; results",
    experiment: "bm-fig3",
    measure: "hidden units removed by VAR/HEU minus those removed by MAG at a matched n_w",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/mag-rw-keep-units",
    figure: "Fig 3C-D",
    claim: "Magnitude and random-weight pruning disconnect no hidden unit and at most one pixel.",
    source: "results",
    experiment: "bm-fig3",
    measure: "hidden units and pixels disconnected by MAG and RW at the end (0 hidden units, at " +
      "most 1 pixel)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/heu-below-baseline",
    figure: "Fig 3B",
    claim: "With heuristic-FI pruning the classifier error stays below the raw-digit baseline " +
      "until the number of weights has fallen by more than an order of magnitude.",
    source: "results",
    experiment: "bm-fig3",
    measure: "baseline minus HEU's error at every iteration with n_w above a tenth of the start",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/var-dip",
    figure: "Fig 3B",
    claim: "Models pruned by the variance FI estimate dip in performance after the third " +
      "pruning iteration.",
    source: "results",
    experiment: "bm-fig3",
    measure: "VAR's error after iteration 4 minus after iteration 3",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/fi-fewer-iterations",
    figure: "Fig 3B",
    claim: "FI pruning reaches in about six iterations the number of weights that magnitude and " +
      "random-weight pruning reach in ten.",
    source: "results",
    experiment: "bm-fig3",
    measure: "n_w of MAG/RW after iteration 10 minus n_w of VAR/HEU after iteration 6",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/mag-error-low",
    figure: "Fig 3B",
    claim: "With magnitude pruning the classification error stays low and even decreases " +
      "slightly over ten iterations.",
    source: "results",
    experiment: "bm-fig3",
    measure: "MAG's error before pruning minus after iteration 10",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/random-degrades",
    figure: "Fig 3B",
    claim: "Random removal of weights or of whole units degrades the classification error " +
      "rapidly.",
    source: "results",
    experiment: "bm-fig3",
    measure: "error of RW and RU minus that of the FI criteria at matched iterations",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/anti-chance",
    figure: "Fig 3B",
    claim: "Anti-FI pruning degrades performance from the first iteration and ends no better " +
      "than chance.",
    source: "results",
    experiment: "bm-fig3",
    measure: "ANTI's final error minus the chance error (0.9)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/pixels",
    figure: "Fig 3D",
    claim: "FI pruning disconnects uninformative border pixels, while anti-FI pruning removes " +
      "links to the central pixels.",
    source: "Fig 3D; results",
    experiment: "bm-fig3",
    measure: "distance from the image centre of pixels disconnected by FI minus by ANTI",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig3/h1-less-sparse",
    figure: "Fig 3 (results)",
    claim: "In the first pruning iteration mean unit activity is 0.37-0.43 in h1 and " +
      "0.0006-0.018 in h2: h1 is far less sparse.",
    source: "results",
    experiment: "bm-fig3",
    measure: "mean h1 activity minus mean h2 activity in iteration 1",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig4/unpruned-diverse",
    figure: "Fig 4B",
    claim: "Unpruned models generate every digit class (7-18% each, entropy near the maximum of " +
      "2.30 nats).",
    source: "results",
    experiment: "bm-fig4",
    measure: "entropy of the unpruned models' generated classes minus 2.2 nats",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig4/anti-quality-worst",
    figure: "Fig 4A",
    claim: "Anti-FI pruning degrades the quality of generated digits most; retraining cannot " +
      "compensate.",
    source: "Fig 4A; results",
    experiment: "bm-fig4",
    measure: "quality of the next-worst criterion minus ANTI's after retraining",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig4/random-quality",
    figure: "Fig 4A",
    claim: "Random-weight and random-unit pruning degrade the quality of generated digits " +
      "significantly, less than anti-FI.",
    source: "results",
    experiment: "bm-fig4",
    measure: "quality of MAG/FI minus that of RW and RU after retraining (over seeds)",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig4/fi-mag-quality",
    figure: "Fig 4A, 4C",
    claim: "Digits generated after magnitude or FI pruning keep a reasonably high quality and " +
      "still partly resemble digits.",
    source: "Fig 4 legend; results",
    experiment: "bm-fig4",
    measure: "quality of MAG and FI minus that of random patterns after retraining",
  },
  {
    ...SCHOLL,
    id: "scholl2021/fig4/fi-diversity",
    figure: "Fig 4B",
    claim: "FI pruning reduces the diversity (entropy) of generated digits more than the other " +
      "criteria.",
    source: "Fig 4B; results",
    experiment: "bm-fig4",
    measure: "entropy of the other criteria minus that of VAR/HEU after retraining",
  },
] as const satisfies readonly ClaimSpec[];

/** The id of a catalogued claim (a typo is a type error). */
export type ClaimId = (typeof CLAIMS_CATALOGUE)[number]["id"];

/**
 * Panels whose direction the papers do not state (spec §10 "check but do not assume"): runs show
 * them, the scorecard does not judge them.
 */
export const UNSTATED_PANELS: readonly { figure: string; experiment: string; what: string }[] = [
  { figure: "Fig 1H", experiment: "fig5", what: "final training loss per level" },
  { figure: "Fig 1I", experiment: "fig5", what: "outer SCG iterations per retraining" },
  { figure: "Fig 2B, 6B", experiment: "fig2, fig6", what: "singular-value profiles of A" },
  { figure: "Fig 4D", experiment: "fig4", what: "Lyapunov spectra of the examples" },
  { figure: "Fig 7C", experiment: "fig7", what: "reward per block" },
  { figure: "Fig 7D", experiment: "fig7", what: "RL maximal Lyapunov exponent" },
  { figure: "Fig 7E", experiment: "fig7", what: "cumulative variance of the RL activity" },
  { figure: "Fig 7H-I", experiment: "fig7", what: "agreement vs maximal LE scatter" },
];

/** The catalogue entry of an id (throws on an unknown id, which the type already excludes). */
export function catalogued(id: ClaimId): ClaimSpec {
  const spec = CLAIMS_CATALOGUE.find((c) => c.id === id);
  if (!spec) throw new Error(`claim '${id}' is not in experiments/claims_catalogue.ts`);
  return spec;
}

/** A catalogued claim with the evaluate that judges it from an experiment's summary. */
export function claim<S extends object>(
  id: ClaimId,
  evaluate: (summary: S) => ClaimEvidence | null,
): Claim<S> {
  return { ...catalogued(id), evaluate };
}

/**
 * Population versions of Fig 4C-D (issue 16): two hand-picked networks can mislead, so the
 * contraction curve and the Lyapunov spectrum are also averaged over every lineage pair of a run,
 * mean +/- SEM per lineage with a paired t-test per point (spec 8.8, `core/util/stats.ts`).
 * Exponents at the bottom of the spectrum can be -Infinity (a singular product); like every
 * missing value they are dropped, and the count behind each mean is reported.
 *
 * @module
 */
import { mean, pairedTTest, sem } from "../../util/stats.ts";
import type { NetworkDynamics } from "./analyse.ts";
import { EXAMPLE_PROTOCOL } from "./protocol.ts";
import type { LineageKind } from "./selection.ts";

/** Both lineages of one network index; null when a lineage has no usable network. */
export interface PairDynamics {
  /** Network (lineage pair) index. */
  network: number;
  /** Pruned lineage's record. */
  pruned: NetworkDynamics | null;
  /** Unpruned lineage's record. */
  unpruned: NetworkDynamics | null;
}

/** Mean, SEM and count per x of one lineage. */
export interface MeanSemCurve {
  /** Mean over networks with a finite value. */
  mean: number[];
  /** SEM (NaN for fewer than two values). */
  sem: number[];
  /** Networks with a finite value. */
  n: number[];
}

/** A curve of both lineages with paired p-values. */
export interface PairedCurves {
  /** x values (steps k or exponent index 1..N). */
  x: number[];
  /** Pruned lineage. */
  pruned: MeanSemCurve;
  /** Unpruned lineage. */
  unpruned: MeanSemCurve;
  /** Two-sided paired t-test (pruned - unpruned) per x, over complete pairs. */
  p: number[];
}

/** Population summary of a run at one level. */
export interface PopulationDynamics {
  /** Lineage pairs given. */
  pairs: number;
  /** Fig 4C averaged: contraction(k) around the unprobed trajectory. */
  contraction: PairedCurves;
  /** Contraction at the probe onset, the curve's value at k = t_p. */
  contractionAtProbe: { k: number; pruned: MeanSemCurve; unpruned: MeanSemCurve; p: number };
  /** Fig 4D averaged, code order; exponent i = i-th smallest (ascending, as plotted). */
  spectrum: PairedCurves;
  /** Fig 4D averaged, chronological order. */
  spectrumChronological: PairedCurves;
  /** Max LE over the spectrum window, code order. */
  maxLE: { pruned: MeanSemCurve; unpruned: MeanSemCurve; p: number };
  /** Max LE over the spectrum window, chronological order. */
  maxLEChronological: { pruned: MeanSemCurve; unpruned: MeanSemCurve; p: number };
  /** Fig 3 averaged: |x_probed(k) - x(k)| of condition 4 over every step k = 1..T. */
  divergence: PairedCurves;
  /** Fig 2B averaged: normalised cumulative singular values of A, i = 1..N. */
  singularCumulative: PairedCurves;
}

function pairedCurves(
  pairs: readonly PairDynamics[],
  x: number[],
  pick: (d: NetworkDynamics) => readonly (number | null)[],
): PairedCurves {
  const column = (lineage: LineageKind, i: number): (number | null)[] =>
    pairs.map((p) => {
      const d = p[lineage];
      return d ? pick(d)[i] ?? null : null;
    });
  const curve = (lineage: LineageKind): MeanSemCurve => {
    const out: MeanSemCurve = { mean: [], sem: [], n: [] };
    x.forEach((_, i) => {
      const col = column(lineage, i);
      out.mean.push(mean(col));
      out.sem.push(sem(col));
      out.n.push(col.filter((v) => typeof v === "number" && Number.isFinite(v)).length);
    });
    return out;
  };
  return {
    x,
    pruned: curve("pruned"),
    unpruned: curve("unpruned"),
    p: x.map((_, i) => pairedTTest(column("pruned", i), column("unpruned", i)).p),
  };
}

function single(c: PairedCurves, i: number): { pruned: MeanSemCurve; unpruned: MeanSemCurve } {
  const one = (m: MeanSemCurve): MeanSemCurve => ({
    mean: [m.mean[i]],
    sem: [m.sem[i]],
    n: [m.n[i]],
  });
  return { pruned: one(c.pruned), unpruned: one(c.unpruned) };
}

/** Averages the per-network records of every pair (from `networkDynamics`). */
export function populationDynamics(pairs: readonly PairDynamics[]): PopulationDynamics {
  const [first, last] = EXAMPLE_PROTOCOL.fieldSteps;
  const steps = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  // 1..the longest record's length: every lineage of a run has the same lengths, but a pair may
  // miss a lineage.
  const indices = (pick: (d: NetworkDynamics) => readonly unknown[]): number[] => {
    let m = 0;
    for (const p of pairs) {
      for (const d of [p.pruned, p.unpruned]) if (d) m = Math.max(m, pick(d).length);
    }
    return Array.from({ length: m }, (_, i) => i + 1);
  };
  const index = indices((d) => d.spectrum);
  const contraction = pairedCurves(pairs, steps, (d) => d.contraction);
  const probeAt = steps.indexOf(EXAMPLE_PROTOCOL.fieldLabels.P);
  const maxLE = pairedCurves(pairs, [0], (d) => [d.maxLE]);
  const maxLEChronological = pairedCurves(pairs, [0], (d) => [d.maxLEChronological]);
  return {
    pairs: pairs.length,
    contraction,
    contractionAtProbe: {
      k: EXAMPLE_PROTOCOL.fieldLabels.P,
      ...single(contraction, probeAt),
      p: contraction.p[probeAt],
    },
    spectrum: pairedCurves(pairs, index, (d) => d.spectrum),
    spectrumChronological: pairedCurves(pairs, index, (d) => d.spectrumChronological),
    maxLE: { ...single(maxLE, 0), p: maxLE.p[0] },
    maxLEChronological: { ...single(maxLEChronological, 0), p: maxLEChronological.p[0] },
    divergence: pairedCurves(pairs, indices((d) => d.divergence), (d) => d.divergence),
    singularCumulative: pairedCurves(
      pairs,
      indices((d) => d.singularCumulative),
      (d) => d.singularCumulative,
    ),
  };
}

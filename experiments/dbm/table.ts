/**
 * The terminal table of bm-fig3 / bm-fig4: per criterion and iteration the weights and units
 * left, the encoding error (when measured), and the quality and entropy of generated digits,
 * under the references of the raw-digit classifier.
 *
 * @module
 */
import { formatTable } from "../../core/app/text_table.ts";
import type { DbmSummary } from "./summary.ts";

const f = (x: number | null, digits: number): string => x === null ? "-" : x.toFixed(digits);

/** Renders the summary table. */
export function dbmTable(s: DbmSummary): string {
  const lines: string[] = [`${s.title}; ${s.protocol}`];
  if (s.reference && s.baselineError !== null) {
    const t = s.reference.testDigits;
    const r = s.reference.randomPatterns;
    lines.push(
      `references (raw-digit classifier): baseline error ${f(s.baselineError, 4)}; test digits ` +
        `quality ${f(t.qualityPerClass, 3)} (plain ${f(t.quality, 3)}), entropy ` +
        `${f(t.entropy, 3)}; random patterns quality ${f(r.qualityPerClass, 3)} ` +
        `(plain ${f(r.quality, 3)})`,
    );
    if (s.baselineSubset) {
      lines.push(
        `raw-digit classifier trained on the DBM's ${s.baselineSubset.digits} digits only ` +
          `(the encoding classifier's data): test error ${f(s.baselineSubset.error, 4)}`,
      );
    }
  }
  const rows: string[][] = [];
  for (const [id, c] of Object.entries(s.criteria)) {
    for (const it of c.iterations) {
      rows.push([
        it.iteration === 0 ? `${c.label} (${id})` : "",
        String(it.iteration),
        String(Math.round(it.remainingWeights)),
        `${Math.round(it.weightsLayer1)}/${Math.round(it.weightsLayer2)}`,
        `${f(it.unitsH1, 0)}/${f(it.unitsH2, 0)}`,
        f(it.classifierError, 4),
        f(it.qualityPerClass, 3),
        f(it.quality, 3),
        f(it.entropy, 3),
        String(it.n),
      ]);
    }
    for (const st of c.stopped) {
      rows.push(["", `stop ${st.iteration}`, `seed ${st.seed}: ${st.reason}`]);
    }
  }
  lines.push(formatTable(
    [
      "criterion",
      "round",
      "weights",
      "w1/w2",
      "units h1/h2",
      "enc. error",
      "quality",
      "(plain)",
      "entropy",
      "seeds",
    ],
    rows,
  ));
  lines.push(
    "quality: per-class mean winning probability (notebook, plotted); (plain): mean over " +
      "samples. Means over seeds.",
  );
  return lines.join("\n");
}

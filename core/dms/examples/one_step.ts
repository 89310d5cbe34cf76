/**
 * The one-step map around a trajectory (spec 8.3, 8.4), shared by the contraction metric (Fig 4C)
 * and the vector field (Fig 4A-B). At each step k of a window the state x(k) is displaced on a
 * 3 x 3 grid in the plane of the first two principal components, the network update is applied
 * once in the full space, and start and end are read in the three plotting coordinates
 * (v1, v2, C), as the original code does. The map itself is a parameter, so the same grid code
 * runs on the tanh network and on hand-built linear maps whose answers are known.
 *
 * @module
 */
import { DMS_SHAPE, paramLayout } from "../../rnn/network.ts";
import { UsageError } from "../../util/errors.ts";
import { dot } from "./pca.ts";
import { EXAMPLE_PROTOCOL, type StepRange } from "./protocol.ts";
import { checkDmsWeights, inputVector, type TrialTrace } from "./trials.ts";

/** One-step change s -> step(s, k) (the update minus the state) at 1-based step k. */
export type StepMap = (state: Float64Array, k: number) => Float64Array;

/** A point triple in the plotting coordinates (v1, v2, C). */
export type Coords3 = [number, number, number];

/** One displaced point of the grid. */
export interface GridPoint {
  /** Offsets (o1, o2) along v1 and v2. */
  offset: [number, number];
  /** (v1 . x + o1, v2 . x + o2, C . x): the code leaves the third coordinate undisplaced. */
  start: Coords3;
  /** start + (v1 . step, v2 . step, C . step). */
  end: Coords3;
}

/** The grid over a window of steps. */
export interface OneStepGrid {
  /** Steps k of the window. */
  steps: number[];
  /** `points[i][p]`: grid point p at `steps[i]`, offsets in row-major order over the offset list. */
  points: GridPoint[][];
  /** Index p of the undisplaced centre point (0, 0). */
  centre: number;
}

/** Options of {@link oneStepGrid}. */
export interface OneStepGridOptions {
  /** Plotting basis [v1, v2, third axis]; v1 and v2 must be unit vectors for `start` to hold. */
  basis: readonly (readonly number[])[];
  /** Window (default spec 8.3's t_p - 2 .. t_p + 10). */
  steps?: StepRange;
  /** Offsets along v1 and v2 (default -0.05, 0, 0.05); must contain 0. */
  offsets?: readonly number[];
}

/**
 * The one-step change of the DMS network, B u(k) + A tanh(s) - s, with u(k) the input of
 * `inputTrial` at step k. Spec 8.3 takes u from the unprobed trial even around the probed
 * trajectory, as the code does; inside the window it is the bias alone.
 */
export function networkStepMap(w: Float64Array, inputTrial: TrialTrace): StepMap {
  checkDmsWeights(w);
  const { n, ni } = DMS_SHAPE;
  const L = paramLayout(DMS_SHAPE);
  return (s, k) => {
    const u = inputVector(inputTrial, k);
    const r = s.map(Math.tanh);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let acc = -s[i];
      for (let c = 0; c < ni; c++) acc += w[L.b + i + n * c] * u[c];
      for (let j = 0; j < n; j++) acc += w[L.a + i + n * j] * r[j];
      out[i] = acc;
    }
    return out;
  };
}

/** Applies `map` once at every grid point around `trajectory` (`[k - 1][unit]`) in the window. */
export function oneStepGrid(
  map: StepMap,
  trajectory: readonly (readonly number[])[],
  options: OneStepGridOptions,
): OneStepGrid {
  const [first, last] = options.steps ?? EXAMPLE_PROTOCOL.fieldSteps;
  const offsets = options.offsets ?? EXAMPLE_PROTOCOL.gridOffsets;
  const basis = options.basis;
  if (basis.length !== 3) throw new UsageError("the plotting basis needs three vectors");
  if (!offsets.includes(0)) throw new UsageError("grid offsets must include 0 (the centre)");
  if (first < 1 || last > trajectory.length || last < first) {
    throw new UsageError(
      `window ${first}..${last} outside the trajectory's 1..${trajectory.length}`,
    );
  }
  const [v1, v2, v3] = basis;
  const steps: number[] = [];
  const points: GridPoint[][] = [];
  for (let k = first; k <= last; k++) {
    const x = trajectory[k - 1];
    const base: Coords3 = [dot(v1, x), dot(v2, x), dot(v3, x)];
    const row: GridPoint[] = [];
    for (const o1 of offsets) {
      for (const o2 of offsets) {
        const s = Float64Array.from(x, (xi, i) => xi + o1 * v1[i] + o2 * v2[i]);
        const step = map(s, k);
        const start: Coords3 = [base[0] + o1, base[1] + o2, base[2]];
        const end: Coords3 = [
          start[0] + dot(v1, step),
          start[1] + dot(v2, step),
          start[2] + dot(v3, step),
        ];
        row.push({ offset: [o1, o2], start, end });
      }
    }
    steps.push(k);
    points.push(row);
  }
  const z = offsets.indexOf(0);
  return { steps, points, centre: z * offsets.length + z };
}

/** One segment of the vector field: a grid point and where one update takes it, in PC1-PC2. */
export interface FieldSegment {
  /** Step k. */
  k: number;
  /** Offsets (o1, o2) of the grid point. */
  offset: [number, number];
  /** Grid point (PC1, PC2). */
  from: [number, number];
  /** After one update (PC1, PC2). */
  to: [number, number];
}

/** The vector field of Fig 4A-B: every grid point's segment in the PC1-PC2 plane (spec 8.4). */
export function vectorField(grid: OneStepGrid): FieldSegment[] {
  const out: FieldSegment[] = [];
  grid.points.forEach((row, i) => {
    for (const p of row) {
      out.push({
        k: grid.steps[i],
        offset: p.offset,
        from: [p.start[0], p.start[1]],
        to: [p.end[0], p.end[1]],
      });
    }
  });
  return out;
}

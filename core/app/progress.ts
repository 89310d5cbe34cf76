/**
 * Terminal progress with an ETA, and the same state for the dashboard (the run record's `phase`,
 * `eta` and `liveLoss`, see docs/dashboard.md).
 *
 * A run is a sequence of phases (fig5: the starting networks, then each prune level), each with
 * its work in one measure (network-outer-iterations at their caps). Each phase gets its own bar;
 * the ETA covers the rest of the run. Work that turns out not to be needed (networks that met
 * their stopping rule before the cap, units finished before a resume, reused networks) leaves the
 * total instead of counting as done, so the bar shows work actually done against work that may
 * still be needed, and the rate is measured only on work this process did. When capped work
 * stops early, the ETA assumes the rest will stop early in the same proportion and says how long
 * it would take at the caps ("ETA 3m (up to 12m at the caps)").
 *
 * Experiments without phases keep the older calls: `update` (a label and a fraction of the
 * current unit), `setWork` (done / total in their own measure) and `tick` (finished units); the
 * line then shows units or work, never both.
 *
 * Output goes to stderr; when stderr is not a terminal, a plain line at most every 5 s and at
 * every phase change.
 *
 * @module
 */

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Units already done before this process started (resume). */
  alreadyDone?: number;
  /** Suppress all output. */
  quiet?: boolean;
  /** Output stream; default stderr. */
  write?: (text: string) => void;
  /** Whether to redraw in place; default: stderr is a terminal. */
  interactive?: boolean;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** One phase of a run as planned: what it is and its work at the caps. */
export interface PhasePlan {
  /** What is done, e.g. "starting networks" or "level 0.3". */
  label: string;
  /** Work of the phase in the run's measure (an upper bound when `capped`). */
  work: number;
}

/** Options of {@link Progress.plan}. */
export interface PlanOptions {
  /** The measure of work, for the dashboard, e.g. "network-iterations" (default "work"). */
  unit?: string;
  /**
   * True when work is counted at caps that training may stop before (outer iterations to a
   * stopping rule): the ETA is then an estimate with an upper bound.
   */
  capped?: boolean;
}

/** Loss per outer iteration so far of one network training now. */
export interface LiveLossEntry {
  /** Lineage ("pruned", "unpruned", "starting", ...). */
  lineage: string;
  /** Network index. */
  network: number;
  /** Loss at the start of each outer iteration so far. */
  loss: number[];
}

/** What the dashboard shows of a running run (written into the run record by the CLI). */
export interface ProgressSnapshot {
  /** The current phase, in its own measure. */
  phase: { label: string; done: number; total: number } | null;
  /** Time left, estimated now. */
  eta: { remainingMs: number; at: string; note?: string } | null;
  /** Networks training now. */
  liveLoss: LiveLossEntry[];
}

interface PhaseState extends PhasePlan {
  done: number;
}

/** A progress reporter: phases of work, or (older calls) units with fractions or work. */
export class Progress {
  /** Total units (what the store counts). */
  readonly total: number;
  #done: number;
  #startDone: number;
  #fraction = 0;
  #label = "";
  #detail = "";
  #work: { done: number; total: number; startDone: number } | null = null;
  #phases: PhaseState[] = [];
  #plan: Required<PlanOptions> = { unit: "work", capped: false };
  #current = -1;
  #phaseStart = 0;
  /** Work done by this process (the rate's numerator) and when the first of it started. */
  #worked = 0;
  #workStart = -1;
  /** Capped work not needed because training stopped before the cap. */
  #savedEarly = 0;
  #live: LiveLossEntry[] = [];
  #start: number;
  #lastPlain = -Infinity;
  #opts: Required<Omit<ProgressOptions, "alreadyDone">>;
  #encoder = new TextEncoder();

  /** Creates a reporter for `total` units. */
  constructor(total: number, options: ProgressOptions = {}) {
    this.total = total;
    this.#done = options.alreadyDone ?? 0;
    this.#startDone = this.#done;
    const interactive = options.interactive ?? safeIsTerminal();
    this.#opts = {
      quiet: options.quiet ?? false,
      write: options.write ?? ((t: string) => Deno.stderr.writeSync(this.#encoder.encode(t))),
      interactive,
      now: options.now ?? (() => performance.now()),
    };
    this.#start = this.#opts.now();
  }

  /** Units finished so far. */
  get done(): number {
    return this.#done;
  }

  /**
   * Declares the phases of the run and their work (in one measure, at the caps when `capped`).
   * Phases are entered in order with {@link enter}.
   */
  plan(phases: readonly PhasePlan[], options: PlanOptions = {}): void {
    this.#phases = phases.map((p) => ({ label: p.label, work: Math.max(0, p.work), done: 0 }));
    this.#plan = { unit: options.unit ?? "work", capped: options.capped ?? false };
    this.#current = -1;
  }

  /**
   * Starts phase `which` (its index or label); phases before it are complete (their remaining work
   * is dropped). Ends the previous phase's bar with a line of its own.
   */
  enter(which: number | string): void {
    const i = typeof which === "number" ? which : this.#phases.findIndex((p) => p.label === which);
    if (i < 0 || i >= this.#phases.length) throw new Error(`progress: no phase ${which}`);
    if (i === this.#current) return;
    if (this.#current >= 0) this.#closePhase();
    for (let k = 0; k < i; k++) this.#phases[k].work = this.#phases[k].done;
    this.#current = i;
    this.#phaseStart = this.#opts.now();
    this.#detail = "";
    this.#live = [];
    this.#render(true);
  }

  /** Sets the work done in the current phase (absolute, in the plan's measure). */
  advance(done: number, detail?: string): void {
    const ph = this.#phases[this.#current];
    if (!ph) return;
    const d = Math.max(0, Math.min(done, ph.work));
    if (d > ph.done) {
      if (this.#workStart < 0) this.#workStart = this.#opts.now();
      this.#worked += d - ph.done;
      ph.done = d;
    }
    if (detail !== undefined) this.#detail = detail;
    this.#render(false);
  }

  /**
   * Removes work of the current phase that will not be done. `early: true` marks capped work
   * saved because training met its stopping rule before the cap: the ETA expects the rest of the
   * capped work to stop early in the same proportion. Without it (reused networks, units kept from
   * before a resume) the work simply leaves the total.
   */
  skip(work: number, options: { early?: boolean } = {}): void {
    const ph = this.#phases[this.#current];
    if (!ph || !(work > 0)) return;
    const w = Math.min(work, ph.work - ph.done);
    ph.work -= w;
    if (options.early) this.#savedEarly += w;
    this.#render(false);
  }

  /** The networks training now and their loss per outer iteration so far (the dashboard's card). */
  liveLoss(entries: readonly LiveLossEntry[]): void {
    this.#live = entries.map((e) => ({ ...e, loss: [...e.loss] }));
  }

  /** Seconds left, estimated from this process's rate; NaN before any work was measured. */
  eta(): number {
    return this.#estimate().expected;
  }

  /** Sets what is being worked on and how far into the current unit(s) we are (0..1 of a unit). */
  update(label: string, fraction = 0): void {
    if (this.#current >= 0) this.#detail = label;
    else this.#label = label;
    this.#fraction = Math.max(0, Math.min(1, fraction));
    this.#render(false);
  }

  /**
   * Reports progress in the experiment's own measure of work (older call; phases are better): the
   * first call fixes the baseline, so work done before this process does not distort the rate.
   */
  setWork(done: number, total: number, label?: string): void {
    if (!this.#work) this.#work = { done, total, startDone: done };
    this.#work.done = done;
    this.#work.total = total;
    if (label !== undefined) {
      if (this.#current >= 0) this.#detail = label;
      else this.#label = label;
    }
    this.#render(false);
  }

  /** Marks `n` units finished. */
  tick(n = 1, label?: string): void {
    this.#done = Math.min(this.total, this.#done + n);
    this.#fraction = 0;
    if (label !== undefined) {
      if (this.#current >= 0) this.#detail = label;
      else this.#label = label;
    }
    this.#render(false);
  }

  /**
   * Prints a message on its own line without breaking the bar. `--quiet` silences messages, but
   * not notices, warnings and errors (lines starting `notice:`, `warning:`, `error:`).
   */
  log(message: string): void {
    if (this.#opts.quiet) {
      if (/^(notice|warning|error):/.test(message)) this.#opts.write(`${message}\n`);
      return;
    }
    this.#opts.write(this.#opts.interactive ? `\r\x1b[2K${message}\n` : `${message}\n`);
    this.#render(true);
  }

  /** Ends the bar with a newline; `stopped`: the run ended before its work did (interrupted, failed). */
  finish(options: { stopped?: boolean } = {}): void {
    if (this.#opts.quiet) return;
    if (this.#current >= 0) {
      this.#closePhase(options.stopped ?? false);
      this.#current = -1;
      return;
    }
    this.#render(true);
    if (this.#opts.interactive) this.#opts.write("\n");
  }

  /** What the dashboard shows: the phase, the ETA and the networks training now. */
  snapshot(): ProgressSnapshot {
    const e = this.#estimate();
    const eta = Number.isFinite(e.expected)
      ? {
        remainingMs: Math.round(e.expected * 1000),
        at: new Date().toISOString(),
        ...(e.note ? { note: e.note } : {}),
      }
      : null;
    return { phase: this.#phaseSnapshot(), eta, liveLoss: this.#live.map((l) => ({ ...l })) };
  }

  /** The current line as text (without control characters). */
  line(): string {
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    const e = this.#estimate();
    const eta = Number.isNaN(e.expected) ? "ETA ?" : `ETA ${formatDuration(e.expected)}` +
      (e.upper > e.expected * 1.05 ? ` (up to ${formatDuration(e.upper)} at the caps)` : "");
    const ph = this.#phases[this.#current];
    if (ph) {
      const frac = ph.work > 0 ? ph.done / ph.work : 1;
      return `[${this.#current + 1}/${this.#phases.length}] ${ph.label} ${bar(frac)} ` +
        `${percent(frac)}  elapsed ${formatDuration(elapsed)}  ${eta}` +
        (this.#detail ? `  ${this.#detail}` : "");
    }
    const work = this.#work && this.#work.total > 0 ? this.#work : null;
    const frac = work
      ? Math.min(1, work.done / work.total)
      : this.total > 0
      ? (this.#done + this.#fraction) / this.total
      : 1;
    // One measure per line: work as a percentage, or units counted.
    const amount = work ? percent(frac) : `${this.#done}/${this.total} units`;
    return `${bar(frac)} ${amount}  elapsed ${formatDuration(elapsed)}  ${eta}` +
      (this.#label ? `  ${this.#label}` : "");
  }

  #phaseSnapshot(): ProgressSnapshot["phase"] {
    const ph = this.#phases[this.#current];
    if (ph) {
      return {
        label: `${ph.label} (phase ${this.#current + 1} of ${this.#phases.length}; ` +
          `${this.#plan.unit}${this.#plan.capped ? " at the caps" : ""})`,
        done: Math.round(ph.done),
        total: Math.round(ph.work),
      };
    }
    if (this.#work) {
      return {
        label: this.#label || "work",
        done: Math.round(this.#work.done),
        total: Math.round(this.#work.total),
      };
    }
    return { label: this.#label || "units", done: this.#done, total: this.total };
  }

  /** Seconds left: expected, and at the caps; with the note the dashboard shows. */
  #estimate(): { expected: number; upper: number; note?: string } {
    const now = this.#opts.now();
    if (this.#current >= 0 || this.#phases.length > 0 && this.#worked > 0) {
      const left = this.#phases.reduce((s, p) => s + Math.max(0, p.work - p.done), 0);
      if (this.#worked <= 0 || this.#workStart < 0) return { expected: NaN, upper: NaN };
      const rate = this.#worked / Math.max(1e-3, (now - this.#workStart) / 1000);
      const upper = left / rate;
      if (!this.#plan.capped) return { expected: upper, upper };
      // The share of capped work that turned out unnecessary so far, applied to what is left.
      const saved = this.#savedEarly / (this.#savedEarly + this.#worked);
      const expected = upper * (1 - saved);
      return {
        expected,
        upper,
        note: saved > 0
          ? `up to ${formatDuration(upper)} if training runs to the caps`
          : "at the caps: an upper bound until networks stop early",
      };
    }
    const elapsed = (now - this.#start) / 1000;
    if (this.#work) {
      const w = this.#work;
      const progressed = w.done - w.startDone;
      if (progressed <= 0) return { expected: NaN, upper: NaN };
      const t = elapsed / progressed * Math.max(0, w.total - w.done);
      return { expected: t, upper: t };
    }
    const progressed = this.#done - this.#startDone + this.#fraction;
    if (progressed <= 0) return { expected: NaN, upper: NaN };
    const t = elapsed / progressed * (this.total - this.#done - this.#fraction);
    return { expected: t, upper: t };
  }

  /** Leaves the finished (or stopped) phase's bar on a line of its own. */
  #closePhase(stopped = false): void {
    const ph = this.#phases[this.#current];
    if (!ph || this.#opts.quiet) return;
    const took = formatDuration((this.#opts.now() - this.#phaseStart) / 1000);
    const frac = ph.work > 0 ? ph.done / ph.work : 1;
    const head = `[${this.#current + 1}/${this.#phases.length}] ${ph.label}`;
    const line = stopped
      ? `${head} ${bar(frac)} ${percent(frac)}, stopped after ${took}`
      : `${head} ${bar(1)} done in ${took}`;
    this.#opts.write(this.#opts.interactive ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  #render(force: boolean): void {
    if (this.#opts.quiet) return;
    if (this.#opts.interactive) {
      this.#opts.write(`\r\x1b[2K${this.line()}`);
      return;
    }
    const t = this.#opts.now();
    if (force || t - this.#lastPlain > 5000) {
      this.#lastPlain = t;
      this.#opts.write(`${this.line()}\n`);
    }
  }
}

function bar(frac: number): string {
  const width = 24;
  const filled = Math.round(Math.max(0, Math.min(1, frac)) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

function percent(frac: number): string {
  return `${Math.floor(Math.max(0, Math.min(1, frac)) * 100)}%`;
}

function safeIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Terminal progress bar with ETA. Counts work units; the ETA uses the mean time of units finished
 * in this process (resumed units do not distort it). Writes to stderr so `--out -` style stdout
 * stays clean; when stderr is not a terminal it prints a plain line at most every few seconds.
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

/** A progress reporter for a fixed number of units, with sub-unit fractions for smooth ETAs. */
export class Progress {
  /** Total units. */
  readonly total: number;
  #done: number;
  #startDone: number;
  #fraction = 0;
  #label = "";
  #work: { done: number; total: number; startDone: number } | null = null;
  #start: number;
  #lastPlain = 0;
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

  /** Seconds left, estimated from this process's rate; NaN before the first unit. */
  eta(): number {
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    if (this.#work) {
      const w = this.#work;
      const progressedWork = w.done - w.startDone;
      if (progressedWork <= 0) return NaN;
      return elapsed / progressedWork * Math.max(0, w.total - w.done);
    }
    const progressed = this.#done - this.#startDone + this.#fraction;
    if (progressed <= 0) return NaN;
    return elapsed / progressed * (this.total - this.#done - this.#fraction);
  }

  /** Sets what is being worked on and how far into the current unit(s) we are (0..1 of a unit). */
  update(label: string, fraction = 0): void {
    this.#label = label;
    this.#fraction = Math.max(0, Math.min(1, fraction));
    this.#render(false);
  }

  /**
   * Reports progress in the experiment's own measure of work (e.g. outer SCG iterations at their
   * caps), which predicts the remaining time better than counting unequal units. The first call
   * fixes the baseline, so work done before this process (resume) does not distort the rate.
   */
  setWork(done: number, total: number, label?: string): void {
    if (!this.#work) this.#work = { done, total, startDone: done };
    this.#work.done = done;
    this.#work.total = total;
    if (label !== undefined) this.#label = label;
    this.#render(false);
  }

  /** Marks `n` units finished. */
  tick(n = 1, label?: string): void {
    this.#done = Math.min(this.total, this.#done + n);
    this.#fraction = 0;
    if (label !== undefined) this.#label = label;
    this.#render(true);
  }

  /** Prints a message on its own line without breaking the bar. */
  log(message: string): void {
    if (this.#opts.quiet) return;
    this.#opts.write(this.#opts.interactive ? `\r\x1b[2K${message}\n` : `${message}\n`);
    this.#render(true);
  }

  /** Ends the bar with a newline. */
  finish(): void {
    if (this.#opts.quiet) return;
    this.#render(true);
    if (this.#opts.interactive) this.#opts.write("\n");
  }

  /** The current bar as text (without control characters). */
  line(): string {
    const width = 28;
    const frac = this.#work && this.#work.total > 0
      ? Math.min(1, this.#work.done / this.#work.total)
      : this.total > 0
      ? (this.#done + this.#fraction) / this.total
      : 1;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    const eta = this.eta();
    return `[${bar}] ${this.#done}/${this.total} ${(frac * 100).toFixed(0)}% ` +
      `elapsed ${formatDuration(elapsed)} ETA ${Number.isNaN(eta) ? "?" : formatDuration(eta)}` +
      (this.#label ? `  ${this.#label}` : "");
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

function safeIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/// <reference lib="dom" />
/**
 * Hooks that keep a view current: re-loading when the server announces a change that matters,
 * and a clock for the elapsed time and ETA of running runs.
 *
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type Change, onChange } from "./api.ts";

/** Re-renders every `ms` while `active` (elapsed time and ETA of a running run). */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

/**
 * Re-runs `load` whenever the server announces a change that `matters`. At most one load runs at
 * a time; changes announced meanwhile cause one more load when it ends, so a burst of unit writes
 * costs the server a few aggregations, not one per write.
 */
export function useLive(matters: (c: Change) => boolean, load: () => Promise<void>): void {
  const ref = useRef({ matters, load });
  ref.current = { matters, load };
  useEffect(() => {
    let busy = false;
    let pending = false;
    let alive = true;
    const run = async (): Promise<void> => {
      busy = true;
      pending = false;
      try {
        await ref.current.load();
      } finally {
        busy = false;
        if (pending && alive) void run();
      }
    };
    const off = onChange((c) => {
      if (!ref.current.matters(c)) return;
      if (busy) pending = true;
      else void run();
    });
    return () => {
      alive = false;
      off();
    };
  }, []);
}

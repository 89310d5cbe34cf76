/**
 * How the browser test and the dashboard benchmark launch Debian's headless Chromium: one place for
 * the executable path and the flags this closed-network machine needs.
 *
 * @module
 */

/** Debian's chromium; override with the CHROMIUM_PATH environment variable. */
export const CHROMIUM_PATH: string = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Headless flags; the networking ones stop Chromium's refused background connections. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
]);

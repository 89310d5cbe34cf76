/**
 * What keeps the dashboard's read-only HTTP server safe to run on a workstation:
 *
 * - **Host allow-list.** A page on any web site can point its own host name at 127.0.0.1 (DNS
 *   rebinding) and then read a loopback server as "same origin". The browser still sends that
 *   name in the `Host` header, so only requests naming this server are answered: loopback names
 *   and addresses, the address it is bound to, and for a wildcard bind (`--host 0.0.0.0`) this
 *   machine's name and interface addresses; `serve --allow-host NAME` adds names (a reverse
 *   proxy's). Anything else gets 403.
 * - **Headers on every response** (errors and 405s included): a Content-Security-Policy that lets
 *   the page load only its own bundle, styles and API (no inline script, no framing, no foreign
 *   connections), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and
 *   `X-Content-Type-Options: nosniff`.
 *
 * @module
 */

/**
 * The dashboard's Content-Security-Policy. `style-src-attr 'unsafe-inline'` is for style
 * attributes set from script (svgcanvas measures fonts on a detached element with one when it
 * exports a panel as SVG); style elements and scripts must come from the server itself.
 * `data:`/`blob:` images are the exported PNGs and the embedded heat-map images.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers set on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
});

/** Host names and addresses every dashboard answers to. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/** A host name or address in the form compared: lower case, no brackets, no trailing dot. */
function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** The host part of a `Host` header value (`name`, `name:port`, `[v6]:port`), normalised. */
export function hostOfHeader(value: string): string {
  const v = value.trim();
  if (v.startsWith("[")) return normalHost(v.slice(0, v.indexOf("]") + 1));
  // More than one colon and no brackets: a bare IPv6 address without a port.
  const colons = v.split(":").length - 1;
  return normalHost(colons === 1 ? v.slice(0, v.indexOf(":")) : v);
}

function isWildcard(host: string): boolean {
  const h = normalHost(host);
  return h === "0.0.0.0" || h === "::" || h === "";
}

/** Options of {@link allowedHosts}. */
export interface HostPolicyOptions {
  /** The address the server is bound to (`--host`). */
  bind: string;
  /** Further names to answer to (`--allow-host`). */
  extra?: readonly string[];
}

/**
 * The host names the server answers to: loopback, the bind address, and for a wildcard bind this
 * machine's host name and interface addresses; plus `extra`.
 */
export function allowedHosts(options: HostPolicyOptions): Set<string> {
  const hosts = new Set(LOOPBACK_NAMES);
  if (/^127\./.test(normalHost(options.bind))) hosts.add(normalHost(options.bind));
  if (isWildcard(options.bind)) {
    try {
      hosts.add(normalHost(Deno.hostname()));
    } catch {
      // No --allow-sys: the addresses below and --allow-host still work.
    }
    try {
      for (const ni of Deno.networkInterfaces()) hosts.add(normalHost(ni.address));
    } catch {
      // As above.
    }
  } else {
    hosts.add(normalHost(options.bind));
  }
  for (const h of options.extra ?? []) hosts.add(normalHost(h));
  return hosts;
}

/** Whether a request whose `Host` header is `header` may be answered. */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined || header.trim() === "") return false;
  const host = hostOfHeader(header);
  // Every 127.x.y.z address is this machine.
  return allowed.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

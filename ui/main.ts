/// <reference lib="dom" />
/**
 * Dashboard entry point: hash routing (`#/`, `#/run/ID?level=0.7`, `#/compare/A/B/C?level=0.7&by=all`,
 * `#/claims`),
 * the live connection indicator, and the page frame. Bundled to ui/dist/app.js by
 * `deno task build-ui`.
 *
 * @module
 */
import { h, type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { connectEvents, onConnection } from "./api.ts";
import { CompareView } from "./compare_view.ts";
import { RunsList } from "./runs_list.ts";
import { RunView } from "./run_view.ts";
import { ClaimsView } from "./claims.ts";

/** A parsed location hash. */
interface Route {
  page: "list" | "run" | "compare" | "claims";
  ids: string[];
  params: Record<string, number>;
  /** Compare grouping (`by=run`, `by=all`, `by=config.field`); not an experiment parameter. */
  by?: string;
}

function parseHash(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const params: Record<string, number> = {};
  let by: string | undefined;
  for (const [k, v] of new URLSearchParams(query)) {
    if (k === "by") {
      by = v;
      continue;
    }
    const n = Number(v);
    if (Number.isFinite(n)) params[k] = n;
  }
  const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  if (parts[0] === "run" && parts.length === 2) return { page: "run", ids: [parts[1]], params };
  if (parts[0] === "claims") return { page: "claims", ids: [], params };
  if (parts[0] === "compare" && parts.length >= 2) {
    return { page: "compare", ids: [...new Set(parts.slice(1))], params, by };
  }
  return { page: "list", ids: [], params };
}

function hashFor(route: Route): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(route.params)) q.set(k, String(v));
  if (route.by && route.by !== "run") q.set("by", route.by);
  const qs = q.toString() ? `?${q}` : "";
  if (route.page === "run") return `#/run/${route.ids[0]}${qs}`;
  if (route.page === "compare") return `#/compare/${route.ids.join("/")}${qs}`;
  if (route.page === "claims") return "#/claims";
  return "#/";
}

function App(): JSX.Element {
  const [route, setRoute] = useState<Route>(parseHash(location.hash));
  const [live, setLive] = useState(false);
  useEffect(() => {
    const onHash = (): void => setRoute(parseHash(location.hash));
    addEventListener("hashchange", onHash);
    const off = onConnection(setLive);
    return () => {
      removeEventListener("hashchange", onHash);
      off();
    };
  }, []);
  const onParams = (params: Record<string, number>): void => {
    location.hash = hashFor({ ...route, params });
  };
  let body: JSX.Element;
  if (route.page === "run") {
    body = h(RunView, { id: route.ids[0], params: route.params, onParams });
  } else if (route.page === "compare") {
    body = h(CompareView, {
      ids: route.ids,
      params: route.params,
      by: route.by,
      onParams,
      onBy: (by: string) => {
        location.hash = hashFor({ ...route, by });
      },
    });
  } else if (route.page === "claims") {
    body = h(ClaimsView, {});
  } else {
    body = h(RunsList, {});
  }
  return h(
    "div",
    null,
    h(
      "header",
      { class: "top" },
      h("a", { href: "#/" }, "prunelab"),
      h("span", null, "results dashboard"),
      h("a", { href: "#/claims", id: "claims-link" }, "claims"),
      h(
        "span",
        { class: `live ${live ? "on" : "off"}`, id: "live" },
        live ? "live" : "reconnecting",
      ),
    ),
    h("main", null, body),
  );
}

connectEvents();
const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(h(App, null), root);
}

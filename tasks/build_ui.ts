/**
 * `deno task build-ui`: bundles the dashboard into ui/dist/ (always rebuilds).
 *
 * @module
 */
import { buildUi } from "../server/build_ui.ts";

try {
  await buildUi({ verbose: true });
} catch (err) {
  console.error(`build-ui: ${err instanceof Error ? err.message : err}`);
  Deno.exit(1);
}

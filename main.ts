/**
 * The `pryx-core` command. Runs the bundle of `lib/cli.ts` in `dist/cli/`
 * (`deno task build` regenerates it; see scripts/build_cli.ts for why), so
 * the CLI starts from a handful of files instead of two dozen modules.
 *
 * @example
 * ```sh
 * deno task start --listen :0
 * deno task pryx discover --format url
 * ```
 *
 * @module
 */

import { main } from "./dist/cli/cli.js";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

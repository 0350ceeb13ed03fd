/**
 * The `pryx-core` command: runs the CLI dispatcher of `lib/cli/main.ts` with
 * the process arguments and exits with its code. Nothing else lives here.
 *
 * @example
 * ```sh
 * deno task -q start --listen :0
 * deno task -q pryx discover --format url
 * ```
 *
 * @module
 */

import { main } from "./lib/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

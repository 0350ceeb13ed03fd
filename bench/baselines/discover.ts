/**
 * Baseline for "discover": reads `$PRYX_HOME/runtime.port`, checks
 * `/health` on that port, and prints the port. What a shell script's
 * hand-written discovery does, as a Deno program.
 *
 * @example
 * ```sh
 * PRYX_HOME=/tmp/x deno run -A bench/baselines/discover.ts
 * ```
 *
 * @module
 */

const home = Deno.env.get("PRYX_HOME") ?? ".";
const port = Number(Deno.readTextFileSync(`${home}/runtime.port`));
const res = await fetch(`http://127.0.0.1:${port}/health`);
const body = await res.json();
if (!res.ok || body.status !== "ok") Deno.exit(1);
console.log(port);

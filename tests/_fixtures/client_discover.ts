/**
 * A Deno program that uses the client module as an application would, from
 * its own process and environment (proxy variables, blank variables, `~`):
 * prints `{"runtime": ..., "error": ...}` as one JSON line. The options of
 * `discover()` come as JSON in the first argument.
 *
 * @module
 */

import { discover } from "../../lib/client.ts";

const options = JSON.parse(Deno.args[0] ?? "{}");
const out: { runtime: unknown; error: string | null } = {
  runtime: null,
  error: null,
};
try {
  out.runtime = (await discover(options)) ?? null;
} catch (err) {
  out.error = `${(err as Error).name}: ${(err as Error).message}`;
}
console.log(JSON.stringify(out));

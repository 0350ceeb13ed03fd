/**
 * Runs the client module in a process of its own, as an application would:
 * on Deno (`tests/_fixtures/client_discover.ts`) and on Node.js (the bundle
 * of `deno task build:client`), with exactly the environment given.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runProgram } from "./cli.ts";

const FIXTURE = fileURLToPath(
  new URL("../_fixtures/client_discover.ts", import.meta.url),
);

/** What the client found: the runtime, or the error it threw. */
export interface ClientRun {
  /** `discover()`'s answer, `null` when nothing live. */
  runtime: Record<string, unknown> | null;
  /** `Name: message` of what it threw, or `null`. */
  error: string | null;
}

/**
 * Runs `discover(options)` of `lib/client.ts` in a Deno child with
 * `childEnv(env)` (so proxy variables reach it only when given here).
 */
export async function denoClientDiscover(
  env: Record<string, string>,
  options: Record<string, unknown> = {},
  permissions: string[] = ["--allow-net", "--allow-read", "--allow-env"],
): Promise<ClientRun> {
  const out = await runProgram(Deno.execPath(), [
    "run",
    ...permissions,
    FIXTURE,
    JSON.stringify(options),
  ], { env });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** The Node program of {@linkcode nodeClientDiscover}. */
const NODE_DISCOVER = `
const client = await import(process.argv[1]);
const out = { runtime: null, error: null };
try {
  out.runtime = (await client.discover(JSON.parse(process.argv[2]))) ?? null;
} catch (err) {
  out.error = err.name + ": " + err.message;
}
console.log(JSON.stringify(out));
`;

/**
 * Runs `discover(options)` of the Node bundle `bundle` on the machine's
 * `node`, with `PATH` plus exactly `env`.
 */
export async function nodeClientDiscover(
  bundle: string,
  env: Record<string, string>,
  options: Record<string, unknown> = {},
): Promise<ClientRun> {
  const out = await runProgram("node", [
    "--input-type=module",
    "-e",
    NODE_DISCOVER,
    bundle,
    JSON.stringify(options),
  ], { env, inherit: false });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

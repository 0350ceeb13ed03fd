/**
 * Smoke test of `deno task bench --quick`: it runs to the end and prints
 * every figure with a median for pryx-core, one for the baseline and their
 * ratio. It asserts that the bench works, never what the numbers are.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The figures the report must contain, by the start of their label. */
const FIGURES = [
  "ready: spawn to port file (ms)",
  "discover: wall time (ms)",
  "/health (req/s, 32 conns",
  "  server CPU per request (us)",
  "pub/sub 1 to 1 (events/s)",
  "  server CPU per event, 1 to 1 (us)",
  "fan-out 1 to 1000 (events/s)",
  "  server CPU per event, 1 to 1000 (us)",
  "idle RSS (MiB)",
  "RSS, 1000 idle WS clients (MiB)",
  "reconnect: port file to event (ms)",
  "client CPU, no runtime",
];

const NUMBER = String.raw`\d+(?:\.\d+)?`;

Deno.test("deno task bench --quick prints a median and a ratio for every figure", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench", "--quick", "--json"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.deepStrictEqual(out.code, 0, `bench failed:\n${stdout}\n${stderr}`);
  for (const label of FIGURES) {
    const line = stdout.split("\n").find((l) => l.startsWith(label));
    assert(line !== undefined, `no line for "${label}" in:\n${stdout}`);
    const figures = new RegExp(
      String.raw`\)\s+(${NUMBER})\s+(${NUMBER})\s+(${NUMBER})\s`,
    ).exec(line + " ");
    assert(
      figures !== null,
      `"${label}" lacks pryx, baseline and ratio: ${line}`,
    );
    assert(
      figures.slice(1).every((n) => Number(n) > 0),
      `every figure is positive: ${line}`,
    );
  }
  const json = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.deepStrictEqual(json.length, FIGURES.length);
});

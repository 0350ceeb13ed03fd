/**
 * Smoke test of `deno task bench --quick`: it runs to the end and prints
 * every figure with a median for pryx-core, one for the baseline and their
 * ratio. It asserts that the bench works, never what the numbers are.
 *
 * The sections run as three `--only` groups at once: the smoke test needs
 * no quiet machine, and much of a quick bench is waiting (idle RSS, client
 * CPU with no runtime, restarts), so the groups overlap instead of adding up.
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

/**
 * The bench's sections (`--only` names) in groups that run at once: the
 * two loads that keep the CPU busy apart, each with sections that mostly
 * wait. Together: every section.
 */
const GROUPS = [
  "pubsub,fanout",
  "health,idle,clients",
  "ready,discover,reconnect,clientcpu",
];

const NUMBER = String.raw`\d+(?:\.\d+)?`;

/** Runs `deno task bench --quick --json --only SECTIONS`; returns its stdout. */
async function quickBench(sections: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench", "--quick", "--json", "--only", sections],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.deepStrictEqual(
    out.code,
    0,
    `bench --only ${sections} failed:\n${stdout}\n${stderr}`,
  );
  return stdout;
}

Deno.test("deno task bench --quick prints a median and a ratio for every figure", async () => {
  const outputs = await Promise.all(GROUPS.map(quickBench));
  const stdout = outputs.join("\n");
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
  const json = outputs.flatMap((out) =>
    JSON.parse(out.trim().split("\n").at(-1)!)
  );
  assert.deepStrictEqual(json.length, FIGURES.length);
});

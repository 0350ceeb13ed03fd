/**
 * Smoke test of `deno task bench --quick`: every figure of `bench/figures/`
 * runs to the end and reports a value for pryx-core, one for the baseline
 * and their ratio, in the markdown table and in `--json`. It asserts that
 * the bench works, never what the numbers are.
 *
 * The figures run as three `--only` groups at once: the smoke test needs
 * no quiet machine, and much of a quick bench is waiting (idle RSS, client
 * CPU with no runtime, restarts), so the groups overlap instead of adding up.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { BENCHES } from "../bench/run.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The figures in groups that run at once: the two loads that keep the CPU
 * busy apart, each with figures that mostly wait. Together: every figure.
 */
const GROUPS = [
  "pubsub,fanout,restart",
  "health,idle_rss,clients",
  "ready,discover,discover_socket,reconnect,client_cpu",
];

/** Runs `deno task bench --quick --json --only NAMES`; returns its stdout. */
async function quickBench(names: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench", "--quick", "--json", "--only", names],
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
    `bench --only ${names} failed:\n${stdout}\n${stderr}`,
  );
  return stdout;
}

Deno.test("the smoke groups name every figure of the bench once", () => {
  assert.deepStrictEqual(
    GROUPS.flatMap((g) => g.split(",")).sort(),
    BENCHES.map((b) => b.name).sort(),
  );
});

Deno.test("deno task bench --quick prints ours, the baseline and a ratio for every figure", async () => {
  const outputs = await Promise.all(GROUPS.map(quickBench));
  const rows = outputs.flatMap((out) =>
    out.split("\n").filter((l) =>
      l.startsWith("| ") && !l.startsWith("| figure")
    )
  );
  const json = outputs.flatMap((out) =>
    JSON.parse(out.trim().split("\n").at(-1)!) as {
      key: string;
      pryx: number;
      baseline: number;
      ratio: number;
      error?: string;
    }[]
  );
  assert.deepStrictEqual(rows.length, json.length, outputs.join("\n"));
  for (const fig of json) {
    assert.deepStrictEqual(fig.error, undefined, fig.key);
    assert(
      [fig.pryx, fig.baseline, fig.ratio].every((n) => n > 0),
      `${fig.key} lacks ours, baseline or ratio: ${JSON.stringify(fig)}`,
    );
  }
  for (const row of rows) {
    const cells = row.split("|").slice(2, 5).map((c) => Number(c.trim()));
    assert(cells.every((n) => n > 0), `a row without three values: ${row}`);
  }
  // Each file's figures are there: a figure that measured nothing shows.
  assert(json.length >= BENCHES.length);
});

/**
 * Unit tests of the flag parser and duration parser.
 *
 * @module
 */

import { assertEquals, assertRejects } from "./_assert.ts";
import { parseDuration, parseFlags } from "../lib/args.ts";
import { UsageError } from "../lib/errors.ts";

const SPEC = {
  listen: "string",
  quiet: "boolean",
  origin: "list",
  wait: "optional",
} as const;

Deno.test("flags take values inline or as the next argument", () => {
  const { flags } = parseFlags([
    "--listen",
    ":0",
    "--origin=a",
    "--origin",
    "b",
    "--quiet",
  ], SPEC);
  assertEquals(flags, { listen: ":0", origin: ["a", "b"], quiet: true });
});

Deno.test("an optional value is taken only when one follows", () => {
  assertEquals(parseFlags(["--wait", "5s"], SPEC).flags.wait, "5s");
  assertEquals(parseFlags(["--wait", "--quiet"], SPEC).flags.wait, true);
  assertEquals(parseFlags(["--wait"], SPEC).flags.wait, true);
});

Deno.test("everything after -- is left untouched", () => {
  const parsed = parseFlags(["--quiet", "--", "sh", "-c", "--listen"], SPEC);
  assertEquals(parsed.rest, ["sh", "-c", "--listen"]);
});

Deno.test("unknown flags, missing values and values on booleans are usage errors", async () => {
  await assertRejects(
    () => parseFlags(["--nope"], SPEC),
    UsageError,
    "Unknown flag",
  );
  await assertRejects(
    () => parseFlags(["--listen"], SPEC),
    UsageError,
    "needs a value",
  );
  await assertRejects(
    () => parseFlags(["--quiet=1"], SPEC),
    UsageError,
    "takes no value",
  );
});

Deno.test("durations accept seconds, s, ms and m", async () => {
  assertEquals(
    ["15", "15s", "500ms", "2m", "0.5"].map(parseDuration),
    [15_000, 15_000, 500, 120_000, 500],
  );
  await assertRejects(
    () => parseDuration("soon"),
    UsageError,
    "Invalid duration",
  );
});

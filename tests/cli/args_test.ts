/**
 * Unit tests of the flag parser and duration parser.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseDuration, parseFlags } from "../../lib/cli/args.ts";
import { UsageError } from "../../lib/shared/errors.ts";

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
  assert.deepStrictEqual(flags, {
    listen: ":0",
    origin: ["a", "b"],
    quiet: true,
  });
});

Deno.test("an optional value is taken only when one follows", () => {
  assert.deepStrictEqual(parseFlags(["--wait", "5s"], SPEC).flags.wait, "5s");
  assert.deepStrictEqual(
    parseFlags(["--wait", "--quiet"], SPEC).flags.wait,
    true,
  );
  assert.deepStrictEqual(parseFlags(["--wait"], SPEC).flags.wait, true);
});

Deno.test("everything after -- is left untouched", () => {
  const parsed = parseFlags(["--quiet", "--", "sh", "-c", "--listen"], SPEC);
  assert.deepStrictEqual(parsed.rest, ["sh", "-c", "--listen"]);
});

Deno.test("unknown flags, missing values and values on booleans are usage errors", () => {
  assert.throws(
    () => parseFlags(["--nope"], SPEC),
    (err: unknown) =>
      err instanceof UsageError && err.message.includes("Unknown flag --nope"),
  );
  assert.throws(
    () => parseFlags(["--listen"], SPEC),
    (err: unknown) =>
      err instanceof UsageError && err.message.includes("needs a value"),
  );
  assert.throws(
    () => parseFlags(["--quiet=1"], SPEC),
    (err: unknown) =>
      err instanceof UsageError && err.message.includes("takes no value"),
  );
});

Deno.test("an unknown flag names the flag it most likely stands for and the subcommand", () => {
  assert.throws(
    () => parseFlags(["--lisen", ":0"], SPEC, {}, { command: "serve" }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message ===
        `Unknown flag --lisen for serve; did you mean --listen? Run "pryx-core serve --help" for its flags`,
  );
  assert.throws(
    () => parseFlags(["--zzz"], SPEC, {}, { command: "serve" }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message ===
        `Unknown flag --zzz for serve; run "pryx-core serve --help" for its flags`,
  );
});

Deno.test("a long flag written with one dash is suggested with two, an unknown letter is not guessed", () => {
  assert.throws(
    () => parseFlags(["-quiet"], SPEC),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message ===
        "Unknown flag -quiet; did you mean --quiet? Run with --help for the flags",
  );
  assert.throws(
    () => parseFlags(["-q"], SPEC),
    (err: unknown) =>
      err instanceof UsageError &&
      err.message === "Unknown flag -q; run with --help for the flags",
  );
});

Deno.test("durations accept seconds, s, ms and m", () => {
  assert.deepStrictEqual(
    ["15", "15s", "500ms", "2m", "0.5"].map(parseDuration),
    [15_000, 15_000, 500, 120_000, 500],
  );
  assert.throws(
    () => parseDuration("soon"),
    (err: unknown) =>
      err instanceof UsageError && err.message.includes("Invalid duration"),
  );
});

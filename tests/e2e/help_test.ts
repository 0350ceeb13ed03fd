/**
 * Black-box tests of the help texts: in `pryx-core --help` and in every
 * subcommand's `--help`, no flag or command runs into its description.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli } from "../_harness/cli.ts";
import { SUBCOMMANDS } from "../../lib/cli/subcommands.ts";

/**
 * A word of a flag's own column: the flag (`--json,`, `-h,`), a
 * metavariable (`NAME`, `[DURATION]`) or choices (`none|token`).
 */
const FLAG_WORD =
  /^(-{1,2}[a-zA-Z][-a-z]*,?|[A-Z][A-Z_]*|\[[A-Z_]+\]|[a-z]+(\|[a-z]+)+)$/;

/** The lines of `help` whose flag column holds more than flag words. */
function slips(help: string): string[] {
  return help.split("\n").filter((line) => /^ {2}-/.test(line)).filter(
    (line) => {
      const flagColumn = line.trim().split(/ {2,}/)[0];
      return !flagColumn.split(" ").every((word) => FLAG_WORD.test(word));
    },
  );
}

Deno.test("no flag of any subcommand's --help runs into its description", async () => {
  for (const name of Object.keys(SUBCOMMANDS)) {
    const r = await runCli([name, "--help"]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.deepEqual(slips(r.stdout), [], `${name} --help`);
  }
});

Deno.test("no command of pryx-core --help runs into its description", async () => {
  const r = await runCli(["--help"]);
  const commands = r.stdout.split("Commands:\n")[1].split("\n\n")[0]
    .split("\n");
  assert.deepEqual(
    commands.map((line) => line.trim().split(/ {2,}/)[0]),
    Object.keys(SUBCOMMANDS),
  );
  assert.deepEqual(slips(r.stdout), []);
});

Deno.test("the check itself catches a slip", () => {
  assert.deepEqual(
    slips("  --log-format text|json log format\n  --auth none|token  ok"),
    ["  --log-format text|json log format"],
  );
  assert.deepEqual(slips("  -h, --help   show\n  --wait [DURATION]  x"), []);
});

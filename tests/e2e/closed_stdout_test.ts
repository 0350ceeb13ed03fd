/**
 * A reader that closes stdout (`pryx-core discover --json | true`,
 * `list | head -0`) ends every subcommand quietly: no `BrokenPipe`, no
 * stack trace, and the exit code the subcommand would have had anyway. A
 * stdout that cannot be written (a full disk) is one line and exit 1.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** Command lines that print to stdout, with the exit code each must keep. */
const QUIET_ENDS: [string[], number][] = [
  [["discover", "--json"], 0],
  [["discover"], 0],
  [["discover", "--env"], 0],
  [["list"], 0],
  [["list", "--json"], 0],
  [["prune", "--json"], 0],
  [["prune", "--help"], 0],
  [["--help"], 0],
  [["help"], 0],
  [["--version"], 0],
  [["discover", "--help"], 0],
  [["list", "--help"], 0],
  [["stop", "--help"], 0],
  [["run", "--help"], 0],
  [["serve", "--help"], 0],
  [["serve", "--version"], 0],
];

Deno.test("a closed stdout ends every subcommand quietly with its own exit code", () =>
  withHome(async (home) => {
    await using _server = await startServer(home);
    for (const [args, code] of QUIET_ENDS) {
      const r = await runCli(args, {
        env: { PRYX_HOME: home },
        closeStdout: true,
      });
      assert.doesNotMatch(
        r.stderr,
        /BrokenPipe|Uncaught|\n\s+at /,
        `${args.join(" ")} printed a stack trace`,
      );
      // prune says what it did on stderr; the others have nothing to say.
      if (args[0] !== "prune") assert.equal(r.stderr, "", args.join(" "));
      assert.equal(r.code, code, args.join(" "));
    }
  }));

Deno.test("list of 300 instances into a closed pipe ends quietly", () =>
  withHome(async (home) => {
    for (let i = 0; i < 300; i++) {
      Deno.writeTextFileSync(`${home}/i${i}.port`, "9\n");
    }
    const r = await runCli(["list", "--no-check"], {
      env: { PRYX_HOME: home },
      closeStdout: true,
    });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
  }));

Deno.test({
  name:
    "a stdout that cannot be written (/dev/full) is one line and exit 1, never a stack trace",
  ignore: !exists("/dev/full"),
  fn: () =>
    withHome(async (home) => {
      await using _server = await startServer(home);
      const toFull = ["sh", "-c", 'exec "$@" > /dev/full', "sh"];
      for (
        const args of [
          ["discover"],
          ["list"],
          ["completions", "bash"],
          ["--help"],
          ["--version"],
          ["discover", "--help"],
        ]
      ) {
        const r = await runCli(args, {
          env: { PRYX_HOME: home },
          prefix: toFull,
        });
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
        assert.match(
          r.stderr,
          /^pryx-core: Cannot write to standard output: .+\n$/,
          args.join(" "),
        );
      }
    }),
});

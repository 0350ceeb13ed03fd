/**
 * Black-box tests of mistyped command lines: every subcommand names itself
 * and the flag a mistyped one most likely stands for, a mistyped subcommand
 * gets the subcommand, and nothing is guessed when nothing is close.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, withHome } from "../_harness/cli.ts";

/** One mistyped flag per subcommand, and the flag it stands for. */
const TYPOS: [string[], string, string][] = [
  [["discover", "--formt", "url"], "discover", "--format"],
  [["serve", "--lisen", ":0"], "serve", "--listen"],
  [["list", "--josn"], "list", "--json"],
  [["stop", "--instnace", "dev"], "stop", "--instance"],
  [["prune", "--dryrun"], "prune", "--dry-run"],
  [["run", "--timout", "5s", "--", "true"], "run", "--timeout"],
  [["completions", "--instnces"], "completions", "--instances"],
];

Deno.test("discover --formt url says which subcommand and suggests --format, exit 2", () =>
  withHome(async (home) => {
    const r = await runCli(["discover", "--formt", "url"], {
      env: { PRYX_HOME: home },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `pryx-core: Unknown flag --formt for discover; did you mean --format? Run "pryx-core discover --help" for its flags\n`,
    );
  }));

Deno.test("every subcommand names itself and the flag a mistyped one stands for", () =>
  withHome(async (home) => {
    const results = await Promise.all(
      TYPOS.map(([args]) => runCli(args, { env: { PRYX_HOME: home } })),
    );
    for (const [i, [args, command, meant]] of TYPOS.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      const typed = args.find((a) => a.startsWith("--"))!;
      assert.equal(
        r.stderr,
        `pryx-core: Unknown flag ${typed} for ${command}; did you mean ${meant}? Run "pryx-core ${command} --help" for its flags\n`,
      );
    }
    // Nothing was started or run on the way.
    assert.deepEqual([...Deno.readDirSync(home)], []);
  }));

Deno.test("an unknown flag that is no near typo gets no suggestion, only the help to run", () =>
  withHome(async (home) => {
    for (const args of [["discover", "--port"], ["list", "--ab"]]) {
      const r = await runCli(args, { env: { PRYX_HOME: home } });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(
        r.stderr,
        `pryx-core: Unknown flag ${args[1]} for ${args[0]}; run "pryx-core ${
          args[0]
        } --help" for its flags\n`,
      );
    }
  }));

Deno.test("a flag typed without its dashes is suggested with them", () =>
  withHome(async (home) => {
    const r = await runCli(["list", "json"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^pryx-core: Unexpected argument "json": list takes flags only; did you mean --json\? Run "pryx-core list --help"\n$/,
    );
  }));

Deno.test("a misspelled subcommand suggests the subcommand: discovr is discover", async () => {
  const r = await runCli(["discovr"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `pryx-core: Unknown command "discovr"; did you mean discover? Run "pryx-core --help" for the commands\n`,
  );
  const help = await runCli(["hlep"]);
  assert.equal(help.code, 2, help.stderr);
  assert.match(help.stderr, /; did you mean help\? /);
  const far = await runCli(["frobnicate"]);
  assert.equal(far.code, 2, far.stderr);
  assert.equal(
    far.stderr,
    `pryx-core: Unknown command "frobnicate"; run "pryx-core --help" for the commands\n`,
  );
});

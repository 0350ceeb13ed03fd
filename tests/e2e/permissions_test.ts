/**
 * Run without a permission it needs, the CLI and the client name the
 * missing Deno flag, instead of a misleading "owner is not ready" (no
 * `--allow-net`) or "set HOME" (no `--allow-env`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { childEnv, startServer, withHome } from "../_harness/cli.ts";
import { denoClientDiscover } from "../_harness/client.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** `deno run PERMISSIONS main.ts ARGS`: the sources, with these flags only. */
async function runWith(
  permissions: string[],
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, MAIN, ...args],
    env: childEnv(env),
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const MISSING: [string, string[]][] = [
  ["--allow-net", ["--allow-read", "--allow-env"]],
  ["--allow-env", ["--allow-read", "--allow-net"]],
  ["--allow-read", ["--allow-env", "--allow-net"]],
];

Deno.test({
  name: "discover, list and stop name the permission they lack",
  // A compiled binary carries its permissions: nothing can be missing.
  ignore: Deno.env.get("PRYX_CORE_BIN") !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using _server = await startServer(home);
      for (const [flag, granted] of MISSING) {
        for (const sub of ["discover", "list", "stop"]) {
          const r = await runWith(granted, [sub], { PRYX_HOME: home });
          assert.equal(r.code, 2, `${sub} without ${flag}: ${r.stderr}`);
          assert(r.stderr.includes(flag), `${sub}: ${r.stderr}`);
          assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
        }
      }
    }),
});

Deno.test({
  name:
    "a state directory under /proc that lacks --allow-read gets the missing-flag hint, not the /proc refusal",
  // A compiled binary carries its permissions; /proc is Linux's.
  ignore: Deno.env.get("PRYX_CORE_BIN") !== undefined ||
    Deno.build.os !== "linux",
  fn: async () => {
    // Read granted for the sources only: the subcommand loads, the state
    // directory is not covered.
    const sources = fileURLToPath(new URL("../..", import.meta.url));
    for (const sub of ["discover", "list"]) {
      const r = await runWith(
        [`--allow-read=${sources}`, "--allow-env", "--allow-net"],
        [sub],
        { PRYX_HOME: "/proc/foo" },
      );
      assert.equal(r.code, 2, `${sub}: ${r.stderr}`);
      assert(r.stderr.includes("--allow-read"), `${sub}: ${r.stderr}`);
      assert(!r.stderr.includes("Cannot use state directory"), r.stderr);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    }
  },
});

Deno.test("the client on Deno names the permission it lacks", () =>
  withHome(async (home) => {
    await using _server = await startServer(home);
    for (const [flag, granted] of MISSING) {
      const r = await denoClientDiscover({ PRYX_HOME: home }, {}, granted);
      assert.equal(r.runtime, null);
      assert(r.error?.includes(flag), `${flag}: ${r.error}`);
    }
  }));

Deno.test({
  name:
    "serve names the permission it lacks instead of a bind or state directory error",
  ignore: Deno.env.get("PRYX_CORE_BIN") !== undefined,
  fn: () =>
    withHome(async (home) => {
      const all = [
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
      ];
      for (const flag of ["--allow-net", "--allow-write"]) {
        const r = await runWith(
          all.filter((f) => f !== flag),
          ["serve"],
          { PRYX_HOME: home },
        );
        assert.equal(r.code, 2, `serve without ${flag}: ${r.stderr}`);
        assert(r.stderr.includes(flag), r.stderr);
        assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      }
    }),
});

/**
 * Black-box tests of `nohup` (SPEC 3): a SIGHUP ignored when `serve` or
 * `run` started stays ignored, in `serve`, in `run` and in CMD; a plain
 * `serve` still drains on SIGHUP. `trap '' HUP; exec ...` hands the
 * program SIGHUP ignored exactly as `nohup` does, without its `nohup.out`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { spawnCli, waitUntil, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** The prefix that starts the CLI with SIGHUP ignored, or not. */
const shell = (ignoreHup: boolean) => [
  "sh",
  "-c",
  `${ignoreHup ? "trap '' HUP; " : ""}exec "$@"`,
  "sh",
];

for (const ignoreHup of [true, false]) {
  Deno.test({
    name: ignoreHup
      ? "serve started with SIGHUP ignored (nohup) keeps serving through a SIGHUP"
      : "a plain serve drains on SIGHUP",
    ignore: Deno.build.os === "windows",
    fn: () =>
      withHome(async (home) => {
        await using serve = spawnCli(["serve"], {
          env: { PRYX_HOME: home },
          prefix: shell(ignoreHup),
        });
        let exited = false;
        const status = serve.exited().then((s) => {
          exited = true;
          return s;
        });
        assert(
          await waitUntil(
            () => /Starting server on/.test(serve.stderr()),
            15_000,
          ),
          `it did not start: ${serve.stderr()}`,
        );
        serve.child.kill("SIGHUP");
        if (ignoreHup) {
          await new Promise((r) => setTimeout(r, 500));
          assert(!exited, serve.stderr());
          const info = JSON.parse(
            Deno.readTextFileSync(`${home}/runtime.json`),
          );
          const res = await fetch(`${info.url}/health`);
          assert.deepStrictEqual(res.status, 200);
          await res.body?.cancel();
          assert.doesNotMatch(serve.stderr(), /SIGHUP/);
          serve.child.kill("SIGTERM");
        }
        assert.deepStrictEqual((await status).code, 0);
        if (!ignoreHup) {
          assert.match(serve.stderr(), /Received SIGHUP, shutting down/);
        }
        assert(!exists(`${home}/runtime.port`));
      }),
  });
}

Deno.test({
  name:
    "run started with SIGHUP ignored neither dies of a SIGHUP nor passes it to CMD, which inherits it ignored",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      // CMD says when it runs, then sends itself a SIGHUP (ignored, as it
      // inherited) and lives on; run gets one too.
      const cmd = "echo started; kill -HUP $$; sleep 1; echo alive";
      await using run = spawnCli(["run", "--", "sh", "-c", cmd], {
        env: { PRYX_HOME: home },
        prefix: shell(true),
      });
      await run.readUntil("started");
      run.child.kill("SIGHUP");
      const status = await run.exited();
      assert.deepStrictEqual(status.code, 0, status.stderr);
      assert.match(run.stdout(), /started\nalive\n/);
      // The runtime run started leaves once idle.
      await waitUntil(() => !exists(`${home}/runtime.port`), 5000);
    }),
});

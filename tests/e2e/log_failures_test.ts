/**
 * Black-box test of a runtime whose log cannot be written (SPEC 3): with
 * stderr on a full disk (`2>/dev/full`, ENOSPC, as a terminal that hung up
 * gives EIO) it starts, serves, and on SIGTERM runs every shutdown step:
 * its files go and it exits 0.
 *
 * @module
 */

import assert from "node:assert/strict";
import { spawnCli, waitUntil, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

Deno.test({
  name:
    "serve 2>/dev/full starts, serves and drains on SIGTERM, its files removed",
  ignore: Deno.build.os === "windows" || !exists("/dev/full"),
  fn: () =>
    withHome(async (home) => {
      // exec: the shell's pid is the runtime's, and only its stderr moves.
      await using serve = spawnCli(["serve"], {
        env: { PRYX_HOME: home },
        prefix: ["sh", "-c", 'exec "$@" 2>/dev/full', "sh"],
      });
      const json = `${home}/runtime.json`;
      assert(
        await waitUntil(() => exists(`${home}/runtime.port`), 15_000),
        "it did not start",
      );
      const info = JSON.parse(Deno.readTextFileSync(json));
      assert.deepStrictEqual(info.pid, serve.child.pid);
      const res = await fetch(`${info.url}/health`);
      assert.deepStrictEqual(res.status, 200);
      await res.body?.cancel();
      serve.child.kill("SIGTERM");
      assert.deepStrictEqual((await serve.exited()).code, 0);
      assert(!exists(`${home}/runtime.port`), "the port file is gone");
      assert(!exists(json), "the metadata file is gone");
    }),
});

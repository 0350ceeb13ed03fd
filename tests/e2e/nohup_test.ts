/**
 * Black-box tests of `nohup` (SPEC 3): a SIGHUP ignored when `serve` or
 * `run` started stays ignored, in `serve`, in `run` and in CMD; a plain
 * `serve` still drains on SIGHUP. `trap '' HUP; exec ...` hands the
 * program SIGHUP ignored exactly as `nohup` does, without its `nohup.out`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { childEnv, cliCommand, waitUntil, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** Starts the CLI with `args` through sh, SIGHUP ignored or not. */
function spawnCli(
  args: string[],
  home: string,
  ignoreHup: boolean,
): Deno.ChildProcess {
  const [bin, argv] = cliCommand(args);
  const script = `${ignoreHup ? "trap '' HUP; " : ""}exec "$@"`;
  return new Deno.Command("sh", {
    args: ["-c", script, "sh", bin, ...argv],
    env: childEnv({ PRYX_HOME: home }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a stream's text as it comes. */
function collect(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  (async () => {
    for await (const c of stream.pipeThrough(new TextDecoderStream())) {
      text += c;
    }
  })();
  return () => text;
}

/** Whether process `pid` still answers signal 0. */
function alive(child: Deno.ChildProcess, exited: () => boolean): boolean {
  return !exited() && child.pid > 0;
}

for (const ignoreHup of [true, false]) {
  Deno.test({
    name: ignoreHup
      ? "serve started with SIGHUP ignored (nohup) keeps serving through a SIGHUP"
      : "a plain serve drains on SIGHUP",
    ignore: Deno.build.os === "windows",
    fn: () =>
      withHome(async (home) => {
        const child = spawnCli(["serve"], home, ignoreHup);
        let exited = false;
        const status = child.status.then((s) => {
          exited = true;
          return s;
        });
        const stderr = collect(child.stderr);
        await child.stdout.cancel();
        try {
          assert(
            await waitUntil(() => /Starting server on/.test(stderr()), 15_000),
            `it did not start: ${stderr()}`,
          );
          // The check of the inherited disposition runs after publishing.
          await new Promise((r) => setTimeout(r, 300));
          child.kill("SIGHUP");
          if (ignoreHup) {
            await new Promise((r) => setTimeout(r, 500));
            assert(alive(child, () => exited), stderr());
            const info = JSON.parse(
              Deno.readTextFileSync(`${home}/runtime.json`),
            );
            const res = await fetch(`${info.url}/health`);
            assert.deepStrictEqual(res.status, 200);
            await res.body?.cancel();
            assert.doesNotMatch(stderr(), /SIGHUP/);
            child.kill("SIGTERM");
          }
          assert.deepStrictEqual((await status).code, 0);
          if (!ignoreHup) {
            assert.match(stderr(), /Received SIGHUP, shutting down/);
          }
          assert(!exists(`${home}/runtime.port`));
        } finally {
          if (!exited) child.kill("SIGKILL");
          await status;
        }
      }),
  });
}

Deno.test({
  name:
    "run started with SIGHUP ignored neither dies of a SIGHUP nor passes it to CMD, which inherits it ignored",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      // CMD says when it runs, then outlives a SIGHUP sent to run's group
      // and to itself (ignored, inherited).
      const cmd = "echo started; kill -HUP $$; sleep 1; echo alive";
      const child = spawnCli(["run", "--", "sh", "-c", cmd], home, true);
      let exited = false;
      const status = child.status.then((s) => {
        exited = true;
        return s;
      });
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      try {
        assert(
          await waitUntil(() => stdout().includes("started"), 20_000),
          `CMD did not start: ${stderr()}`,
        );
        child.kill("SIGHUP");
        const s = await status;
        assert.deepStrictEqual(s.code, 0, stderr());
        assert.match(stdout(), /started\nalive\n/);
      } finally {
        if (!exited) child.kill("SIGKILL");
        await status;
        // The runtime run started leaves once idle.
        await waitUntil(() => !exists(`${home}/runtime.port`), 5000);
      }
    }),
});

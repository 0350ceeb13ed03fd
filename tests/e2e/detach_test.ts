/**
 * Black-box tests of `pryx-core serve --detach` (SPEC 3) and of the log of
 * a runtime in the background (`<instance>.log`, SPEC 2).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  runCli,
  waitForLockFree,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists, isRunning } from "../_harness/fs.ts";

/** The pid in `<instance>.json`, if any. */
function recordedPid(home: string, instance = "runtime"): number | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(`${home}/${instance}.json`)).pid;
  } catch {
    return undefined;
  }
}

/** SIGKILLs the runtime of `home` when one is still there (a failed test). */
function killLeftover(home: string): void {
  const pid = recordedPid(home);
  if (pid !== undefined && isRunning(pid)) Deno.kill(pid, "SIGKILL");
}

Deno.test({
  name:
    "serve --detach prints the URL of a ready runtime in a session of its own, logging to <instance>.log, and exits 0",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const env = { PRYX_HOME: home };
      try {
        const r = await runCli(["serve", "--detach"], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
        const port = Number(Deno.readTextFileSync(`${home}/runtime.port`));
        assert.equal(r.stdout, `http://127.0.0.1:${port}\n`);
        const pid = recordedPid(home)!;
        assert(isRunning(pid), "the runtime outlives the command");
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        assert.equal((await health.json()).pid, pid);
        // setsid(2): it leads a session of its own, with no terminal.
        const ps = new Deno.Command("ps", {
          args: ["-o", "sid=,tty=", "-p", String(pid)],
          stdout: "piped",
        }).outputSync();
        const [sid, tty] = new TextDecoder().decode(ps.stdout).trim().split(
          /\s+/,
        );
        assert.deepEqual([Number(sid), tty], [pid, "?"]);
        assert.match(
          Deno.readTextFileSync(`${home}/runtime.log`),
          new RegExp(`Z Starting server on http://127\\.0\\.0\\.1:${port}\n`),
        );
        const again = await runCli(["serve", "--detach"], { env });
        assert.equal(again.code, 4, again.stderr);
        assert.match(again.stderr, /already running by pid \d+/);
        const stop = await runCli(["stop"], { env });
        assert.equal(stop.code, 0, stop.stderr);
        assert(await waitForLockFree(home), "the runtime went");
        assert.match(
          Deno.readTextFileSync(`${home}/runtime.log`),
          /Shutdown requested over HTTP/,
        );
      } finally {
        killLeftover(home);
      }
    }),
});

Deno.test("serve --detach on a busy strict port exits 3 with the start's own message and names the holder", () =>
  withHome(async (home) => {
    using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (held.addr as Deno.NetAddr).port;
    try {
      const r = await runCli(
        ["serve", "--detach", "--listen", `127.0.0.1:${port}`],
        { env: { PRYX_HOME: home } },
      );
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, "");
      const failure = JSON.parse(
        Deno.readTextFileSync(`${home}/runtime.error`),
      );
      assert.equal(r.stderr, `pryx-core: ${failure.message}\n`);
      assert.match(
        failure.message,
        Deno.build.os === "linux"
          ? new RegExp(`port ${port} is in use by pid ${Deno.pid} `)
          : new RegExp(`port ${port} is in use`),
      );
      assert.match(
        Deno.readTextFileSync(`${home}/runtime.log`),
        /error: Cannot listen on/,
      );
    } finally {
      killLeftover(home);
    }
  }));

Deno.test("the runtime that run starts logs to <instance>.log, which outlives the run", () =>
  withHome(async (home) => {
    const r = await runCli(["run", "--", "true"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    try {
      assert(await waitForLockFree(home), "the idle runtime went");
      assert(
        await waitUntil(
          () =>
            exists(`${home}/runtime.log`) &&
            /--exit-when-idle\), shutting down/.test(
              Deno.readTextFileSync(`${home}/runtime.log`),
            ),
          5000,
        ),
        exists(`${home}/runtime.log`)
          ? Deno.readTextFileSync(`${home}/runtime.log`)
          : "no log",
      );
      assert.match(
        Deno.readTextFileSync(`${home}/runtime.log`),
        /Starting server on http:\/\/127\.0\.0\.1:\d+/,
      );
    } finally {
      killLeftover(home);
    }
  }));

Deno.test("serve --detach --log-format json that finds the instance running exits 4 and points at the log", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    try {
      const first = await runCli(["serve", "--detach"], { env });
      assert.equal(first.code, 0, first.stderr);
      const r = await runCli(["serve", "--detach", "--log-format", "json"], {
        env,
      });
      assert.equal(r.code, 4, r.stderr);
      assert.equal(
        r.stderr,
        `pryx-core: The runtime exited with code 4 before it was ready; see its log, ${home}/runtime.log\n`,
      );
      const last = Deno.readTextFileSync(`${home}/runtime.log`).trimEnd()
        .split("\n").at(-1)!;
      assert.equal(JSON.parse(last).exitCode, 4);
      const stop = await runCli(["stop"], { env });
      assert.equal(stop.code, 0, stop.stderr);
      assert(await waitForLockFree(home));
    } finally {
      killLeftover(home);
    }
  }));

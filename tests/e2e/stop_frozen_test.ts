/**
 * Black-box tests of `pryx-core stop` against a frozen runtime (`kill
 * -STOP`), in this PID namespace and in another: `stop` leaves an owner
 * that does not answer alone, and `stop --force` signals only the process
 * the kernel names as the lock's holder in this PID namespace. The other
 * cases of `stop` are in `stop_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import {
  pidOne,
  processState,
  UNSHARE,
  unshareUnavailable,
} from "../_harness/pid_namespace.ts";
import { isInstanceLocked } from "../../lib/shared/lock.ts";

const NO_UNSHARE = await unshareUnavailable();
if (NO_UNSHARE !== undefined) {
  console.warn(
    `stop_frozen_test: skipping the PID namespace tests: ${NO_UNSHARE}`,
  );
}
const NOT_LINUX = Deno.build.os !== "linux";

Deno.test({
  name:
    "a frozen owner: serve exits 4 advising stop --force, stop leaves it alone, stop --force ends it",
  // kill -STOP and /proc/locks: Linux.
  ignore: NOT_LINUX,
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home);
      const pid = server.child.pid;
      const env = { PRYX_HOME: home };
      Deno.kill(pid, "SIGSTOP");
      try {
        const second = await runCli(["serve"], { env });
        assert.deepStrictEqual(second.code, 4, second.stderr);
        assert.match(second.stderr, /does not answer/);
        // The default instance in the state directory the shell selects:
        // the advice needs no more words to work as given.
        assert.match(second.stderr, /"pryx-core stop --force"/);

        const stop = await runCli(["stop"], { env });
        assert.deepStrictEqual(stop.code, 1, stop.stderr);
        assert.match(
          stop.stderr,
          /its owner holds the lock but does not answer/,
        );
        assert.match(stop.stderr, /pryx-core stop --force/);
        assert.deepStrictEqual(stop.stderr.trim().split("\n").length, 1);
        assert.deepStrictEqual(processState(pid), "T", "still frozen");

        const force = await runCli(["stop", "--force"], { env });
        assert.deepStrictEqual(force.code, 0, force.stderr);
        assert.match(
          force.stderr,
          new RegExp(`pid ${pid}, the holder of its lock, ended with SIGTERM`),
        );
        // SIGCONT let it act on SIGTERM: a drain, not a kill.
        const { code, stderr } = await server.exited();
        assert.deepStrictEqual(code, 0, stderr);
        assert.match(stderr, /Received SIGTERM/);
        assert(!isInstanceLocked(`${home}/runtime.lock`));
      } finally {
        try {
          Deno.kill(pid, "SIGCONT");
        } catch {
          // Already gone.
        }
      }
    }),
});

Deno.test({
  name:
    "stop --force ends a frozen runtime of another PID namespace by the host pid the kernel names, not the pid in its file",
  ignore: NO_UNSHARE !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home, [], { prefix: UNSHARE });
      const hostPid = pidOne(server.child.pid);
      assert.notDeepStrictEqual(hostPid, 1);
      const env = { PRYX_HOME: home };
      Deno.kill(hostPid, "SIGSTOP");
      try {
        const stop = await runCli(["stop"], { env });
        assert.deepStrictEqual(stop.code, 1, stop.stderr);
        assert.match(stop.stderr, /holds the lock but does not answer/);
        const force = await runCli(["stop", "--force"], { env });
        assert.deepStrictEqual(force.code, 0, force.stderr);
        assert.match(force.stderr, new RegExp(`pid ${hostPid}, the holder`));
        const { code, stderr } = await server.exited();
        assert.deepStrictEqual(code, 0, stderr);
        assert.match(stderr, /Received SIGTERM/);
      } finally {
        try {
          Deno.kill(hostPid, "SIGCONT");
        } catch {
          // Already gone.
        }
      }
    }),
});

Deno.test({
  name:
    "stop --force from another PID namespace refuses to signal an owner it cannot see",
  ignore: NO_UNSHARE !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home);
      const pid = server.child.pid;
      Deno.kill(pid, "SIGSTOP");
      try {
        const r = await runCli(["stop", "--force"], {
          env: { PRYX_HOME: home },
          prefix: UNSHARE,
        });
        assert.deepStrictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /another PID namespace/);
        assert.deepStrictEqual(processState(pid), "T", "left alone");
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      assert.deepStrictEqual(
        (await fetch(`http://127.0.0.1:${server.port}/health`)).status,
        200,
      );
    }),
});

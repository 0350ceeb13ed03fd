/**
 * Black-box tests of `pryx-core stop` against owners that do not answer
 * and runtimes in other PID namespaces: `stop` asks over HTTP, never
 * signals a pid read from a file, and with `--force` signals only the
 * process the kernel names as the lock's holder in this PID namespace.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { startImpostor } from "../_harness/impostor.ts";
import {
  pidOne,
  processState,
  UNSHARE,
  unshareUnavailable,
} from "../_harness/pid_namespace.ts";
import { isInstanceLocked } from "../../lib/shared/lock.ts";

const NO_UNSHARE = await unshareUnavailable();
if (NO_UNSHARE !== undefined) {
  console.warn(`stop_test: skipping the PID namespace tests: ${NO_UNSHARE}`);
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
    "stop --force sends SIGKILL to a lock holder that ignores SIGTERM, after a bounded wait",
  ignore: NOT_LINUX,
  fn: () =>
    withHome(async (home) => {
      await using holder = await startImpostor({
        lock: `${home}/runtime.lock`,
        ignoreTerm: true,
      });
      const env = { PRYX_HOME: home };
      const stop = await runCli(["stop"], { env });
      assert.deepStrictEqual(stop.code, 1, stop.stderr);
      assert.match(stop.stderr, /holds the lock but does not answer/);
      assert(holder.alive(), "stop without --force sends nothing");

      const force = await runCli(["stop", "--force"], { env });
      assert.deepStrictEqual(force.code, 0, force.stderr);
      assert.match(
        force.stderr,
        new RegExp(`pid ${holder.child.pid}, .* ended with SIGKILL`),
      );
      assert.deepStrictEqual((await holder.status).signal, "SIGKILL");
    }),
});

Deno.test("stop --force with nothing live exits 1 and signals nothing", () =>
  withHome(async (home) => {
    const dead = await startServer(home);
    await dead.stop("SIGKILL");
    const r = await runCli(["stop", "--force"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 1, r.stderr);
    assert.match(r.stderr, /Nothing to stop/);
  }));

Deno.test({
  name:
    "stop stops a runtime of another PID namespace over HTTP and never signals the pid in its file",
  ignore: NO_UNSHARE !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home, [], { prefix: UNSHARE });
      const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.deepStrictEqual(info.pid, 1, "PID 1 of its namespace");
      const r = await runCli(["stop"], { env: { PRYX_HOME: home } });
      assert.deepStrictEqual(r.code, 0, r.stderr);
      const { code, stderr } = await server.exited();
      assert.deepStrictEqual(code, 0, stderr);
      assert.match(stderr, /POST \/control\/shutdown/);
      assert.doesNotMatch(stderr, /Received SIG/);
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

Deno.test("the stop command a second serve suggests works as given, also with --state-dir and --instance", () =>
  withHome(async (root) => {
    const state = `${root}/elsewhere`;
    // The user's shell: a home of its own, no PRYX_* variables.
    const env = { HOME: `${root}/home` };
    const args = ["--state-dir", state, "--instance", "dev"];
    await using server = await startServer(state, args, {
      instance: "dev",
      env,
    });
    const second = await runCli(["serve", ...args], { env });
    assert.equal(second.code, 4, second.stderr);
    const advice = /"(pryx-core stop [^"]*)"/.exec(second.stderr)?.[1];
    assert(advice !== undefined, second.stderr);
    assert.match(advice, /--instance dev/);
    assert.match(advice, /--state-dir /);
    const words = advice.split(" ").slice(1); // no spaces in these paths
    const stopped = await runCli(words, { env });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((await server.exited()).code, 0);
  }));

/**
 * Black-box tests of `pryx-core stop` against owners that do not answer
 * and runtimes in other PID namespaces: `stop` asks over HTTP, never
 * signals a pid read from a file, and with `--force` signals only the
 * process the kernel names as the lock's holder in this PID namespace.
 * Frozen runtimes (`kill -STOP`) are in `stop_frozen_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { startImpostor } from "../_harness/impostor.ts";
import { UNSHARE, unshareUnavailable } from "../_harness/pid_namespace.ts";

const NO_UNSHARE = await unshareUnavailable();
if (NO_UNSHARE !== undefined) {
  console.warn(`stop_test: skipping the PID namespace tests: ${NO_UNSHARE}`);
}
const NOT_LINUX = Deno.build.os !== "linux";

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

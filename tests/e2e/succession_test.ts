/**
 * Black-box tests of succession (SPEC 3): a `serve` that arrives as an idle
 * runtime exits gets a runtime, not exit 4; an idle runtime of an older
 * version or another protocol is replaced by `serve` and `run`, with one
 * line; one in use is left alone (and used by `run` where it can), with one
 * line that names both versions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { startFakeRuntime } from "../_harness/fake.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { ExitCode } from "../../lib/shared/errors.ts";

const idle = { clients: 0, leases: 0 };
const busy = { clients: 1, leases: 1 };

/** `run` of a command that prints the URL it was given. */
const printUrl = ["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'];

/** Waits (at most 5 s) for `alive()` to turn false. */
async function gone(alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive();
}

/** Stops whatever runtime the instance has now (a run's, or a serve's). */
async function stopAll(env: Record<string, string>): Promise<void> {
  await runCli(["stop"], { env });
}

Deno.test("a serve started right after run -- true ends waits for the idle runtime and gets one of its own", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const ran = await runCli(printUrl, { env });
    assert.deepStrictEqual(ran.code, 0, ran.stderr);
    const before = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    // Within the second of idle time the run's runtime has left.
    await using server = await startServer(home);
    const after = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    assert.deepStrictEqual(after.pid, server.child.pid);
    assert.notDeepStrictEqual(after.runId, before.runId);
    assert.doesNotMatch(server.stderr(), /already running/);
  }));

Deno.test("serve replaces an idle runtime of an older version, with one line", () =>
  withHome(async (home) => {
    await using old = await startFakeRuntime(home, {
      protocol: 1,
      version: "0.0.1",
      occupancy: idle,
    });
    await using server = await startServer(home);
    assert(await gone(old.alive), "the old runtime was asked to go");
    const lines = server.stderr().split("\n").filter((l) =>
      l.includes("Replacing the idle runtime")
    );
    assert.deepStrictEqual(lines.length, 1, server.stderr());
    assert.match(
      lines[0],
      new RegExp(
        `pid ${old.child.pid}, version 0\\.0\\.1\\) with version ${VERSION}`,
      ),
    );
    const found = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(found.stdout, `${server.port}\n`);
  }));

Deno.test("serve replaces an idle runtime of another protocol, and leaves one in use alone naming both versions", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    {
      await using busyOne = await startFakeRuntime(home, { occupancy: busy });
      const r = await runCli(["serve"], { env });
      assert.deepStrictEqual(r.code, 4, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `version 9\\.0\\.0, in use, so left alone; this is ${VERSION}`,
        ),
      );
      assert(busyOne.alive());
    }
    await using idleOne = await startFakeRuntime(home, { occupancy: idle });
    await using server = await startServer(home);
    assert(await gone(idleOne.alive));
    assert.match(server.stderr(), /version 9\.0\.0, protocol 2\) with version/);
  }));

Deno.test("an older runtime in use is left alone by serve and used by run, each with one line naming both versions", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    await using old = await startFakeRuntime(home, {
      protocol: 1,
      version: "0.0.1",
      occupancy: busy,
    });
    const serve = await runCli(["serve"], { env });
    assert.deepStrictEqual(serve.code, 4, serve.stderr);
    assert.match(serve.stderr, /version 0\.0\.1, in use, so left alone/);
    const ran = await runCli(printUrl, { env });
    assert.deepStrictEqual(ran.code, 0, ran.stderr);
    assert.deepStrictEqual(ran.stdout, `http://127.0.0.1:${old.port}\n`);
    assert.match(
      ran.stderr,
      new RegExp(
        `Using runtime "runtime" at http://127\\.0\\.0\\.1:${old.port} \\(version 0\\.0\\.1, in use, so left alone; this is ${VERSION}\\)`,
      ),
    );
    assert(old.alive());
  }));

Deno.test("run replaces an idle runtime of an older version or another protocol and runs CMD against its own", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    try {
      for (const fake of [{ protocol: 1, version: "0.0.1" }, { protocol: 2 }]) {
        await using old = await startFakeRuntime(home, {
          ...fake,
          occupancy: idle,
        });
        const ran = await runCli(printUrl, { env });
        assert.deepStrictEqual(ran.code, 0, ran.stderr);
        assert.notDeepStrictEqual(
          ran.stdout,
          `http://127.0.0.1:${old.port}\n`,
        );
        assert.match(ran.stderr, /Replacing the idle runtime/);
        assert.match(ran.stderr, /Started runtime "runtime"/);
        assert(await gone(old.alive));
        await stopAll(env);
      }
    } finally {
      await stopAll(env);
    }
  }));

Deno.test("run refuses a runtime of another protocol that is in use", () =>
  withHome(async (home) => {
    await using other = await startFakeRuntime(home, { occupancy: busy });
    const ran = await runCli(printUrl, { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(ran.code, ExitCode.NotFound, ran.stderr);
    assert.match(ran.stderr, /speaks protocol 2/);
    assert(other.alive());
  }));

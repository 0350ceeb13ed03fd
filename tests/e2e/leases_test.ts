/**
 * Black-box tests of leases and the idle exit (SPEC sections 3-5): the
 * `lease` frame and `serve --exit-when-idle`. The runtimes `run` starts and
 * shares are in `leases_run_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  connectWs,
  spawnCli,
  startServer,
  withHome,
  withServer,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

Deno.test("a lease frame is acknowledged with its id; one without an id gets missing_field and the connection stays open", () =>
  withServer([], async (server) => {
    const c = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
    c.ws.send(JSON.stringify({ type: "lease", id: "l-1" }));
    assert.deepStrictEqual(await c.next(), { type: "ack", id: "l-1" });
    c.ws.send(JSON.stringify({ type: "lease" }));
    const err = await c.next();
    assert.deepStrictEqual([err.type, err.code], ["error", "missing_field"]);
    c.ws.send(JSON.stringify({ type: "ping", id: 2 }));
    assert.deepStrictEqual(await c.next(), { type: "pong", id: 2 });
    c.ws.close();
  }));

Deno.test("serve --exit-when-idle stays while a lease is held and drains once the last client goes", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--exit-when-idle", "300ms"]);
    const c = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
    c.ws.send(JSON.stringify({ type: "lease", id: "keep" }));
    assert.deepStrictEqual(await c.next(), { type: "ack", id: "keep" });
    // Three idle times with a lease held: still there.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert(exists(`${home}/runtime.port`), "it stays while leased");
    const before = await fetch(`http://127.0.0.1:${server.port}/health`);
    assert.deepStrictEqual(before.status, 200);
    await before.body?.cancel();
    c.ws.close();
    const { code, stderr } = await server.exited();
    assert.deepStrictEqual(code, 0, stderr);
    assert.match(
      stderr,
      /No lease and no client for 300 ms \(--exit-when-idle\)/,
    );
    assert(!exists(`${home}/runtime.port`), "the port file is gone");
  }));

Deno.test("serve --exit-when-idle stays while a client without a lease is connected", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--exit-when-idle", "300ms"]);
    const c = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert(exists(`${home}/runtime.port`), "it stays while a client is there");
    c.ws.close();
    assert.deepStrictEqual((await server.exited()).code, 0);
  }));

Deno.test("serve --exit-when-idle stops a runtime that nobody ever connects to", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--exit-when-idle", "200ms"]);
    const { code, stderr } = await server.exited();
    assert.deepStrictEqual(code, 0, stderr);
    assert(!exists(`${home}/runtime.port`), "the port file is gone");
  }));

Deno.test("PRYX_EXIT_WHEN_IDLE sets the idle exit; a zero or malformed duration is a usage error", () =>
  withHome(async (home) => {
    await using server = await startServer(home, [], {
      env: { PRYX_EXIT_WHEN_IDLE: "200ms" },
    });
    assert.deepStrictEqual((await server.exited()).code, 0);
    for (const bad of ["0", "soon"]) {
      await using cli = spawnCli(["serve", "--exit-when-idle", bad], {
        env: { PRYX_HOME: home },
      });
      const { code, stderr } = await cli.exited();
      assert.deepStrictEqual(code, 2, stderr);
      assert.match(stderr, /^pryx-core: Invalid (--exit-when-idle|duration)/);
    }
  }));

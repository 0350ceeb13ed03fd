/**
 * Black-box test of running out of file descriptors (SPEC 3): under
 * `ulimit -n 256` a burst of 300 connections does not end `serve`; a
 * WebSocket client it had keeps working, one line says so, and it serves
 * new connections again once the burst has closed.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  childEnv,
  cliCommand,
  connectWs,
  startServer,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** Opens up to `n` TCP connections to `port` (refused ones stop the burst). */
async function burst(port: number, n: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const req = new TextEncoder().encode(
    "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  );
  for (let i = 0; i < n; i++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      await conn.write(req).catch(() => {});
    } catch {
      break; // refused: the listener is out of descriptors
    }
  }
  return conns;
}

Deno.test({
  name:
    "under ulimit -n 256 a burst of 300 connections leaves serve running, its clients served, and it accepts again",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home, [], {
        prefix: ["sh", "-c", 'ulimit -n 256 && exec "$@"', "sh"],
      });
      const { ws, next } = await connectWs(
        `ws://127.0.0.1:${server.port}/ws`,
      );
      ws.send(JSON.stringify({ type: "subscribe", topic: "t" }));
      try {
        const conns = await burst(server.port, 300);
        await new Promise((r) => setTimeout(r, 500));
        assert(server.stderr().includes("Out of file descriptors"));
        for (const c of conns) c.close();
        const healthy = await waitUntil(
          async () => {
            try {
              const res = await fetch(`http://127.0.0.1:${server.port}/health`);
              await res.body?.cancel();
              return res.status === 200;
            } catch {
              return false;
            }
          },
          10_000,
          100,
        );
        assert(healthy, `not serving again: ${server.stderr()}`);
        assert.match(
          server.stderr(),
          /Accepting connections on port \d+ again/,
        );
        const lines = server.stderr().split("\n").filter((l) =>
          l.includes("Out of file descriptors")
        );
        assert(lines.length <= 3, `one line a second at most: ${lines.length}`);
        // The client it had still gets events.
        const res = await fetch(
          `http://127.0.0.1:${server.port}/publish/t`,
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ n: 1 }),
          },
        );
        assert.deepStrictEqual((await res.json()).delivered, 1);
        let frame = await next();
        while (frame.type !== "event") frame = await next();
        assert.deepStrictEqual(frame.data, { n: 1 });
      } finally {
        ws.close();
      }
    }),
});

Deno.test({
  name:
    "a limit too low to start is one line and exit 5, never a stack trace from the program",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      // From limits where Deno itself cannot start, up to one where serve
      // starts: every failure on the way that is ours is one line.
      let started = false;
      for (let limit = 20; limit <= 60 && !started; limit += 2) {
        const [bin, args] = cliCommand(["serve"]);
        const child = new Deno.Command("sh", {
          args: ["-c", `ulimit -n ${limit} && exec "$@"`, "sh", bin, ...args],
          env: childEnv({ PRYX_HOME: `${home}/${limit}` }),
          clearEnv: true,
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const port = `${home}/${limit}/runtime.port`;
        const outcome = await Promise.race([
          child.output().then((o) => ({ o })),
          waitUntil(() => exists(port), 15_000).then(() => undefined),
        ]);
        if (outcome === undefined) {
          started = true;
          child.kill("SIGTERM");
          await child.status;
          continue;
        }
        const stderr = new TextDecoder().decode(outcome.o.stderr);
        // A stack through our sources is the defect; Deno's own failures at
        // the lowest limits (it cannot load its modules) name none.
        assert.doesNotMatch(stderr, /lib\/[\w/]+\.ts:\d+/, `limit ${limit}`);
        if (stderr.includes("pryx-core:")) {
          assert.deepStrictEqual(
            outcome.o.code,
            5,
            `limit ${limit}: ${stderr}`,
          );
        }
      }
      assert(started, "serve never started up to a limit of 60");
    }),
});

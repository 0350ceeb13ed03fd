/**
 * Resource leaks under abuse: 1,000 connections opened and dropped at every
 * stage of the HTTP and WebSocket handshakes must leave the server with as
 * many open file descriptors as before (read from `/proc/PID/fd`), still
 * answering, and with nothing logged as a failed request.
 *
 * @module
 */

import assert from "node:assert/strict";
import { withServer } from "../_harness/cli.ts";
import {
  mustRequest,
  RawConnection,
  requestHead,
  upgradeHeaders,
  wsFrame,
} from "../_harness/raw_http.ts";

const CONNECTIONS = 1000;
const CONCURRENCY = 50;
const SETTLE_MS = 15_000;

const enc = new TextEncoder();

/** One way to abandon a connection; the caller closes it afterwards. */
type Drop = (conn: RawConnection, port: number) => Promise<void>;

const DROPS: Record<string, Drop> = {
  "nothing sent": async () => {},
  "half a request line": async (c) => {
    await c.write("GET /ws HT");
  },
  "upgrade headers without the blank line": async (c, port) => {
    await c.write(upgradeHead(port).slice(0, -2));
  },
  "whole upgrade, response unread": async (c, port) => {
    await c.write(upgradeHead(port));
  },
  "after the 101, no close frame": async (c, port) => {
    await c.write(upgradeHead(port));
    await c.readResponse();
  },
  "subscribed, then half a frame": async (c, port) => {
    await c.write(upgradeHead(port));
    await c.readResponse();
    await c.write(
      wsFrame(0x81, enc.encode('{"type":"subscribe","topic":"t"}')),
    );
    await c.write(wsFrame(0x81, new Uint8Array(1000)).subarray(0, 100));
  },
  "half a POST body": async (c, port) => {
    await c.write(
      requestHead(port, {
        method: "POST",
        path: "/publish/t",
        headers: [
          ["Content-Type", "application/json"],
          ["Content-Length", "1000"],
        ],
      }) + '{"a":',
    );
  },
  "a refused upgrade, response unread": async (c, port) => {
    await c.write(
      requestHead(port, {
        path: "/ws",
        headers: [...upgradeHeaders(), ["Origin", "http://evil.example"]],
      }),
    );
  },
};

function upgradeHead(port: number): string {
  return requestHead(port, { path: "/ws", headers: upgradeHeaders() });
}

/** The open file descriptors of `pid`, as `fd -> target`. */
function openFds(pid: number): Map<string, string> {
  const fds = new Map<string, string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      fds.set(entry.name, Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`));
    } catch (err) {
      // Closed between the listing and the readlink.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return fds;
}

/** Waits (bounded) until `pid` has at most `limit` open fds; returns the last count. */
async function settle(pid: number, limit: number): Promise<number> {
  const deadline = Date.now() + SETTLE_MS;
  let count = openFds(pid).size;
  while (count > limit && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    count = openFds(pid).size;
  }
  return count;
}

/** Opens one connection, abandons it the way `drop` says, and closes it. */
async function dropOne(port: number, drop: Drop): Promise<void> {
  using conn = await RawConnection.open(port);
  await drop(conn, port);
}

Deno.test({
  name:
    "1,000 connections dropped mid-handshake leave the server's fds at baseline",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withServer([], async (server, home) => {
      const { port } = server;
      // The server's own pid, even when the CLI runs under a wrapper.
      const pid: number = JSON.parse(
        Deno.readTextFileSync(`${home}/runtime.json`),
      ).pid;
      const drops = Object.values(DROPS);
      // Warm up every path once, so lazily opened resources count as baseline.
      for (const drop of drops) await dropOne(port, drop);
      assert.deepStrictEqual((await mustRequest(port)).status, 200);
      let baseline = openFds(pid).size;
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        baseline = Math.min(baseline, openFds(pid).size);
      }
      const before = openFds(pid);

      let peak = 0;
      for (let done = 0; done < CONNECTIONS; done += CONCURRENCY) {
        await Promise.all(
          Array.from(
            { length: CONCURRENCY },
            (_, i) => dropOne(port, drops[(done + i) % drops.length]),
          ),
        );
        peak = Math.max(peak, openFds(pid).size);
      }

      const after = await settle(pid, baseline);
      if (after > baseline) {
        const leaked = [...openFds(pid)].filter(([fd]) => !before.has(fd));
        throw new Error(
          `${after} fds open, baseline ${baseline} (peak ${peak}); new: ${
            leaked.slice(0, 10).map(([fd, t]) => `${fd} -> ${t}`).join(", ")
          }`,
        );
      }
      const health = await mustRequest(port);
      assert.deepStrictEqual(health.status, 200, "/health after the churn");
      assert.deepStrictEqual(
        JSON.parse(health.body).pid,
        pid,
        "the same process",
      );
      const failures = server.stderr().split("\n").filter((line) =>
        /Request failed|Uncaught|panicked/.test(line)
      );
      assert.deepStrictEqual(
        failures.length,
        0,
        `logged failures: ${failures[0]}`,
      );
    });
  },
});

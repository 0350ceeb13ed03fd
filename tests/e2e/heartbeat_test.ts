/**
 * Black-box test of the heartbeat (SPEC 4): a `connect()` client that
 * reaches the runtime through a relay (as through an `ssh -L` tunnel or a
 * VM port forward) whose path dies without a FIN or RST notices within two
 * beats and discovers again, and `close()` then ends within a second.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startServer, waitUntil, withHome } from "../_harness/cli.ts";
import { connect } from "../../lib/client.ts";

/**
 * A TCP relay to `port` on loopback that can freeze: from then on it
 * forwards nothing and closes nothing, as a dead tunnel does.
 */
function startRelay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let frozen = false;
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null || frozen) return;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // closed at disposal
    }
  };
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      if (frozen) continue; // accepted, never answered
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(upstream);
      pipe(conn, upstream);
      pipe(upstream, conn);
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    freeze() {
      frozen = true;
    },
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
    },
  };
}

Deno.test("through a relay whose path dies silently, connect() leaves open within two beats, and close() ends within a second", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const relay = startRelay(server.port);
    const conn = connect({
      env: {
        PRYX_API_URL: `http://127.0.0.1:${relay.port}`,
        PRYX_WS_URL: `ws://127.0.0.1:${relay.port}/ws`,
      },
      heartbeatMs: 200,
    });
    try {
      assert(await waitUntil(() => conn.state === "open", 10_000), conn.state);
      // Beats answered: it stays open for several of them.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepStrictEqual(conn.state, "open");
      relay.freeze();
      assert(
        await waitUntil(() => conn.state !== "open", 5000),
        "still open on a dead path",
      );
      assert.deepStrictEqual(conn.state, "reconnecting");
    } finally {
      conn.close();
      const ended = await Promise.race([
        conn.closed.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3000)),
      ]);
      relay.close();
      assert(ended, "close() did not end on a dead path");
    }
  }));

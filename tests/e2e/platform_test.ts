/**
 * Black-box tests of the behaviour that differs by OS, run on whichever OS
 * runs the suite: a strict port that another process holds on the wildcard
 * is busy (exit 3) even where the socket layer would let 127.0.0.1 share it
 * (macOS, Windows), and a range scan moves past such a port.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";

/** A listener of another process stands in: this test process holds it. */
function holdWildcard(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
  };
}

Deno.test("a strict 127.0.0.1 port that another process holds on 0.0.0.0 is busy: exit 3, no files", () =>
  withHome(async (home) => {
    const other = holdWildcard();
    try {
      const r = await runCli(["serve", "--listen", `127.0.0.1:${other.port}`], {
        env: { PRYX_HOME: home },
      });
      assert.deepStrictEqual(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`port ${other.port} is in use`));
      assert.deepStrictEqual(
        [...Deno.readDirSync(home)].filter((e) => e.name.endsWith(".port")),
        [],
      );
    } finally {
      other.close();
    }
  }));

Deno.test("a range scan skips a port that another process holds on 0.0.0.0", () =>
  withHome(async (home) => {
    const other = holdWildcard();
    try {
      const next = other.port + 1;
      await using server = await startServer(home, [
        "--listen",
        `127.0.0.1:${other.port}-${Math.min(next + 20, 65535)}`,
      ]);
      assert(server.port > other.port, `took ${server.port}`);
    } finally {
      other.close();
    }
  }));

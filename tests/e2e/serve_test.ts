/**
 * Black-box tests of `pryx-core serve`: files, routes, lifecycle.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { startServer, tempHome } from "./_cli.ts";

Deno.test("serve writes the port file and answers /health on it", async () => {
  const home = await tempHome();
  try {
    await using server = await startServer(home);
    assertEquals(
      Deno.readTextFileSync(`${home}/runtime.port`),
      `${server.port}\n`,
    );
    const res = await fetch(`http://127.0.0.1:${server.port}/health`);
    const body = await res.json();
    assertEquals(res.status, 200);
    assertEquals(body.status, "ok");
    assertEquals(body.service, "pryx-core");
    assertEquals(body.pid, server.child.pid);
    assertMatch(
      server.stderr(),
      new RegExp(`Starting server on http://127\\.0\\.0\\.1:${server.port}`),
    );
    const { code } = await server.stop("SIGTERM");
    assertEquals(code, 0);
    assert(!exists(`${home}/runtime.port`), "port file removed on SIGTERM");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

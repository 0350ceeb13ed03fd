/**
 * Black-box tests of the likely guesses of a new user (issue 22): port
 * flags of other servers and commands of other daemons get what to run
 * instead, exit 2; an exposed start line says who reaches it and what
 * token auth asks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";

Deno.test("serve --port 8080 and -p 8080 say to use --listen :8080, exit 2", async () => {
  for (const args of [["--port", "8080"], ["-p", "8080"], ["--port=8080"]]) {
    const r = await runCli(["serve", ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `pryx-core: Unknown flag ${
        args[0].split("=")[0]
      } for serve; to listen on port 8080, use --listen :8080\n`,
    );
  }
  const bare = await runCli(["--port"]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /use --listen :PORT \(or --listen :0/);
});

Deno.test("pryx-core start, status and version say what to run, exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["start", /run "pryx-core serve", or "pryx-core serve --detach"/],
    ["status", /run "pryx-core list", or "pryx-core doctor"/],
    ["version", /run "pryx-core --version"/],
  ];
  for (const [command, advice] of cases) {
    const r = await runCli([command]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^pryx-core: Unknown command "${command}"; `),
    );
    assert.match(r.stderr, advice);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
  }
});

Deno.test("serve --listen 0.0.0.0:0 says in its start line that other machines reach it and that token auth is on", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--listen", "0.0.0.0:0"]);
    const line = server.stderr().split("\n").find((l) =>
      l.includes("Starting server on")
    )!;
    assert.equal(
      line,
      `Starting server on http://127.0.0.1:${server.port}, listening on all interfaces (0.0.0.0), so other machines reach it at port ${server.port}; token auth is on: /ws, /publish and /info need the token ("pryx-core discover --json" prints it, from ${home}/runtime.json)`,
    );
    await server.stop();
  }));

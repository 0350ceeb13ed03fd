/**
 * Any loopback address: a runtime bound to `127.0.0.2` answers its own URL
 * and `discover`, `list` and `stop` see it live; the Host check accepts the
 * bound address, `*.localhost` names (RFC 6761) and `--allow-host` /
 * `PRYX_ALLOW_HOSTS` names, with or without a port, and refuses the rest.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mustRequest } from "../_harness/raw_http.ts";
import { runCli, startServer, withHome, withServer } from "../_harness/cli.ts";

/** Whether this machine can bind 127.0.0.2 (Linux can; macOS needs an alias). */
function canBind127_0_0_2(): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.2", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "serve --listen 127.0.0.2:0 answers its own URL, and discover, list and stop see it live",
  ignore: !canBind127_0_0_2(),
  fn: () =>
    withHome(async (home) => {
      await using server = await startServer(home, [
        "--listen",
        "127.0.0.2:0",
      ]);
      const url = `http://127.0.0.2:${server.port}`;
      assert.match(server.stderr(), new RegExp(`Starting server on ${url}`));
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).service, "pryx-core");

      const env = { PRYX_HOME: home };
      const found = await runCli(["discover", "--format", "url"], { env });
      assert.equal(found.code, 0, found.stderr);
      assert.equal(found.stdout, `${url}\n`);
      const list = await runCli(["list", "--json"], { env });
      const [entry] = JSON.parse(list.stdout);
      assert.deepEqual([entry.status, entry.url], ["live", url]);
      const stop = await runCli(["stop"], { env });
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await server.exited()).code, 0);
    }),
});

Deno.test("*.localhost and --allow-host / PRYX_ALLOW_HOSTS names pass the Host check, with or without the port", () =>
  withServer(
    ["--allow-host", "host.docker.internal", "--allow-host", "[::1]"],
    async ({ port }) => {
      for (
        const host of [
          "app.localhost",
          `app.localhost:${port}`,
          "a.b.localhost",
          "host.docker.internal",
          `HOST.docker.internal:${port}`,
          "env-one.test",
          `env-two.test:${port}`,
        ]
      ) {
        const res = await mustRequest(port, { host });
        assert.equal(res.status, 200, `${host}: ${res.body}`);
      }
      for (
        const host of [
          "evil.example",
          "127.0.0.2",
          `127.0.0.2:${port}`,
          "docker.internal",
          "three.test",
          "app.localhost.evil.example",
        ]
      ) {
        const res = await mustRequest(port, { host });
        assert.equal(res.status, 403, host);
        assert.equal(JSON.parse(res.body).error, "forbidden_host", host);
      }
    },
    { env: { PRYX_ALLOW_HOSTS: "env-one.test, env-two.test" } },
  ));

Deno.test("a bad --allow-host or PRYX_ALLOW_HOSTS value is a usage error", () =>
  withHome(async (home) => {
    for (
      const [args, env] of [
        [["--allow-host", "http://app.test"], {}],
        [["--allow-host", "app.test:80"], {}],
        [["--allow-host", "*.test"], {}],
        [[], { PRYX_ALLOW_HOSTS: "ok.test,bad host" }],
      ] as [string[], Record<string, string>][]
    ) {
      const r = await runCli(["serve", ...args], {
        env: { PRYX_HOME: home, ...env },
      });
      assert.equal(r.code, 2, `${args} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, /Invalid host/);
    }
  }));

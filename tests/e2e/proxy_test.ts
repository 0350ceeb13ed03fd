/**
 * Proxy variables never apply to the loopback checks (`/health` of every
 * candidate), in the CLI (`discover`, `list`, `run`, `stop`) and in the
 * client module on Deno and Node. The proxy named here is a dead port: any
 * check sent through it would call a live runtime dead.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  clientBundle,
  denoClientDiscover,
  nodeClientDiscover,
} from "../_harness/client.ts";
import {
  runCli,
  startServer,
  waitForLockFree,
  withHome,
} from "../_harness/cli.ts";

const DEAD_PROXY = "http://127.0.0.1:9";

/** Each proxy variable on its own, as users set them. */
const PROXY_VARS = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "ALL_PROXY",
  "all_proxy",
];

/** Every proxy variable at once, with a NO_PROXY that does not cover 127.0.0.1. */
const ALL_PROXIES: Record<string, string> = {
  ...Object.fromEntries(PROXY_VARS.map((name) => [name, DEAD_PROXY])),
  NO_PROXY: "localhost",
};

Deno.test("discover finds a live runtime whatever proxy variable is set", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    for (const name of PROXY_VARS) {
      const r = await runCli(["discover"], {
        env: { PRYX_HOME: home, [name]: DEAD_PROXY },
      });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, `${server.port}\n`, name);
    }
  }));

Deno.test("list, run and stop ignore proxy variables for their loopback checks", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home, ...ALL_PROXIES };
    await using server = await startServer(home);
    const list = await runCli(["list", "--json"], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout)[0].status, "live");

    const run = await runCli(
      ["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'],
      {
        env,
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `http://127.0.0.1:${server.port}\n`);

    const stop = await runCli(["stop"], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await server.exited()).code, 0);
  }));

Deno.test("run starts its own runtime and waits for it through a dead proxy setting", () =>
  withHome(async (home) => {
    const r = await runCli(["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'], {
      env: { PRYX_HOME: home, ...ALL_PROXIES },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^http:\/\/127\.0\.0\.1:\d+\n$/);
    assert(await waitForLockFree(home), "the runtime run started is gone");
  }));

Deno.test("the client module on Deno ignores proxy variables for loopback checks", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const found = await denoClientDiscover({ PRYX_HOME: home, ...ALL_PROXIES });
    assert.equal(found.error, null);
    assert.equal(found.runtime?.port, server.port);
    const viaUrl = await denoClientDiscover({
      ...ALL_PROXIES,
      PRYX_API_URL: `http://localhost:${server.port}`,
    });
    assert.equal(viaUrl.error, null);
    assert.equal(viaUrl.runtime?.port, server.port);
  }));

Deno.test("the bundled client on Node ignores proxy variables, also with NODE_USE_ENV_PROXY", async () => {
  const bundle = await clientBundle();
  await withHome(async (home) => {
    await using server = await startServer(home);
    const found = await nodeClientDiscover(bundle, {
      PRYX_HOME: home,
      NODE_USE_ENV_PROXY: "1",
      ...ALL_PROXIES,
    });
    assert.equal(found.error, null);
    assert.equal(found.runtime?.port, server.port);
  });
});

/**
 * Tests of the client module against a real runtime: on
 * Deno from `lib/client.ts`, and on the machine's Node.js through the
 * `deno task build:client` bundle, the way a Node user consumes it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  discover,
  getApiUrl,
  getRuntimeUrl,
  NotFoundError,
  waitForRuntime,
} from "../../lib/client.ts";
import { clientBundle } from "../_harness/client.ts";
import { runProgram, startServer, withHome } from "../_harness/cli.ts";

Deno.test("the client finds the runtime on Deno: getApiUrl, getRuntimeUrl, discover", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    assert.deepStrictEqual(
      await getApiUrl({ env }),
      `http://127.0.0.1:${server.port}`,
    );
    assert.deepStrictEqual(
      await getRuntimeUrl({ env }),
      `ws://127.0.0.1:${server.port}/ws`,
    );
    const rt = await discover({ env });
    assert.deepStrictEqual(rt?.port, server.port);
    assert.deepStrictEqual(rt?.pid, server.child.pid);
    assert.deepStrictEqual(rt?.source, "file");
  }));

Deno.test("the client answers undefined, or NotFoundError, when nothing is live", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    assert.deepStrictEqual(await discover({ env }), undefined);
    await assert.rejects(() => getApiUrl({ env }), NotFoundError);
  }));

Deno.test("the client skips a stale instance and honours PRYX_API_URL like the CLI", () =>
  withHome(async (home) => {
    const dead = await startServer(home);
    await dead.stop("SIGKILL");
    const stale: string[] = [];
    const env = { PRYX_HOME: home };
    assert.deepStrictEqual(
      await discover({ env, onStale: (m) => stale.push(m) }),
      undefined,
    );
    assert(stale.some((m) => m.includes(`${home}/runtime.port`)), `${stale}`);

    await using other = await startServer(`${home}/other`);
    const url = `http://127.0.0.1:${other.port}`;
    assert.deepStrictEqual(
      await getRuntimeUrl({ env: { ...env, PRYX_API_URL: url } }),
      `ws://127.0.0.1:${other.port}/ws`,
    );
  }));

Deno.test("waitForRuntime resolves once a runtime comes up", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const waiting = waitForRuntime({ env, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 100));
    await using server = await startServer(home);
    const rt = await waiting;
    assert.deepStrictEqual(rt.url, `http://127.0.0.1:${server.port}`);
    await assert.rejects(
      () => waitForRuntime({ env: { PRYX_HOME: `${home}/x` }, timeoutMs: 200 }),
      NotFoundError,
    );
  }));

/** A Node script that prints what the bundled client finds, as JSON. */
const NODE_SCRIPT = `
const client = await import(process.argv[1]);
const out = { api: null, ws: null, discovered: null, error: null, waited: null };
try {
  out.discovered = (await client.discover()) ?? null;
  out.api = await client.getApiUrl();
  out.ws = await client.getRuntimeUrl();
  out.waited = (await client.waitForRuntime({ timeoutMs: 5000 })).url;
} catch (err) {
  out.error = err.name + ": " + err.message;
}
console.log(JSON.stringify(out));
`;

async function runNode(
  bundle: string,
  script: string,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const out = await runProgram(
    "node",
    ["--input-type=module", "-e", script, bundle],
    { env, inherit: false },
  );
  assert.deepStrictEqual(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

Deno.test("the bundled client runs on Node.js with the same precedence and checks", async () => {
  const bundle = await clientBundle();
  const text = Deno.readTextFileSync(bundle);
  assert(!/^\s*import\s[^(]*["']node:/m.test(text), "no static node: import");
  await withHome(async (home) => {
    const none = await runNode(bundle, NODE_SCRIPT, { PRYX_HOME: home });
    assert.deepStrictEqual(none.discovered, null);
    assert(String(none.error).startsWith("NotFoundError"), `${none.error}`);

    const server = await startServer(home);
    try {
      const live = await runNode(bundle, NODE_SCRIPT, { PRYX_HOME: home });
      assert.deepStrictEqual(live.error, null);
      assert.deepStrictEqual(live.api, `http://127.0.0.1:${server.port}`);
      assert.deepStrictEqual(live.ws, `ws://127.0.0.1:${server.port}/ws`);
      assert.deepStrictEqual(live.waited, `http://127.0.0.1:${server.port}`);
      const d = live.discovered as Record<string, unknown>;
      assert.deepStrictEqual([d.port, d.pid, d.source], [
        server.port,
        server.child.pid,
        "file",
      ]);
    } finally {
      await server.stop("SIGKILL");
    }
    // Node has no flock: the dead pid's silence on /health decides.
    const stale = await runNode(bundle, NODE_SCRIPT, { PRYX_HOME: home });
    assert.deepStrictEqual(stale.discovered, null);

    await using other = await startServer(`${home}/other`);
    const viaEnv = await runNode(bundle, NODE_SCRIPT, {
      PRYX_HOME: home,
      PRYX_WS_URL: `ws://127.0.0.1:${other.port}/ws`,
    });
    assert.deepStrictEqual(viaEnv.api, `http://127.0.0.1:${other.port}`);
  });
});

Deno.test("waitForRuntime on Node.js resolves once a runtime comes up", async () => {
  const bundle = await clientBundle();
  await withHome(async (home) => {
    const state = `${home}/later`;
    const script = `
const client = await import(process.argv[1]);
const rt = await client.waitForRuntime({ timeoutMs: 30000 });
console.log(JSON.stringify(rt));`;
    const waiting = runNode(bundle, script, { PRYX_HOME: state });
    await new Promise((r) => setTimeout(r, 300));
    await using server = await startServer(state);
    const rt = await waiting;
    assert.deepStrictEqual(rt.port, server.port);
  });
});

Deno.test("waitForRuntime aborted by its signal rejects with the abort reason", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const controller = new AbortController();
    const reason = new Error("the user gave up");
    const waiting = waitForRuntime({ env, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(waiting, (err) => err === reason);
    const plain = new AbortController();
    const second = waitForRuntime({ env, signal: plain.signal });
    plain.abort();
    await assert.rejects(
      second,
      (err) => err instanceof DOMException && err.name === "AbortError",
    );
  }));

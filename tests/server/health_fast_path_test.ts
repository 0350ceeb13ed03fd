/**
 * The `/health` fast path and the Hono route answer the same (issue 20):
 * for every request the fast path takes, the route's answer has the same
 * status, content type and body (the timestamp aside); every request it
 * leaves to the app (a refused Host, an Origin, a challenge, HEAD, another
 * path, draining) it really leaves, over TCP and over the socket. In
 * process, against the real app, in milliseconds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createApp, healthFastPath } from "../../lib/server/app.ts";
import { WsHub } from "../../lib/server/hub.ts";
import { RequestCounts } from "../../lib/server/metrics.ts";
import {
  runIdentity,
  type RuntimeInfo,
} from "../../lib/shared/instance_files.ts";
import { PROTOCOL } from "../../lib/shared/protocol.ts";

const INFO: RuntimeInfo = {
  pid: 4242,
  port: 38124,
  hostname: "127.0.0.1",
  url: "http://127.0.0.1:38124",
  wsUrl: "ws://127.0.0.1:38124/ws",
  startedAt: "2026-12-03T00:00:00.000Z",
  version: "0.1.0",
  instance: "runtime",
  runId: "a".repeat(32),
  protocol: PROTOCOL,
  token: "t".repeat(48),
  auth: "none",
};

function appOf(draining = false) {
  const state = {
    info: INFO,
    hub: new WsHub(runIdentity(INFO)),
    policy: {
      checkHost: true,
      allowedHosts: new Set(["127.0.0.1"]),
      allowedOrigins: new Set<string>(),
      controlToken: INFO.token!,
    },
    draining: () => draining,
    log: { log() {} },
    loopback: true,
    stop() {},
    requests: new RequestCounts(),
  };
  return { app: createApp(state), fast: healthFastPath(state), state };
}

/** Connection info as `Deno.serve` gives it, over TCP or the socket. */
function connInfo(overSocket: boolean) {
  return {
    remoteAddr: overSocket
      ? { transport: "unix", path: "" }
      : { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
    completed: Promise.resolve(),
  };
}

/** The body without its timestamp, which the two format at their own ms. */
async function comparable(res: Response) {
  const body = await res.json();
  assert.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  delete body.timestamp;
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body,
  };
}

const TAKEN: [string, RequestInit][] = [
  ["http://127.0.0.1:38124/health", { headers: { host: "127.0.0.1:38124" } }],
  ["http://localhost:38124/health", { headers: { host: "localhost:38124" } }],
  ["http://[::1]:38124/health", { headers: { host: "[::1]:38124" } }],
  ["http://app.localhost:38124/health", {
    headers: { host: "app.localhost" },
  }],
];

Deno.test("the fast path and the route give the same answer to every request the fast path takes", async () => {
  const { app, fast } = appOf();
  for (const [url, init] of TAKEN) {
    for (const overSocket of [false, true]) {
      const quick = fast(new Request(url, init), overSocket);
      assert(quick !== undefined, `the fast path leaves ${url}`);
      const routed = await app.fetch(
        new Request(url, init),
        connInfo(overSocket),
      );
      assert.deepEqual(
        await comparable(quick),
        await comparable(routed),
        `${url} over ${overSocket ? "the socket" : "TCP"}`,
      );
    }
  }
});

Deno.test("the fast path leaves to the app whatever it does not answer the same way: a foreign Host over TCP, an Origin, a challenge, HEAD, other paths, draining", async () => {
  const { app, fast } = appOf();
  const left: [string, RequestInit, number][] = [
    ["http://evil.example/health", { headers: { host: "evil.example" } }, 403],
    ["http://127.0.0.1/health", {
      headers: { host: "127.0.0.1", origin: "http://127.0.0.1:1" },
    }, 200],
    [`http://127.0.0.1/health?challenge=${"0".repeat(32)}`, {
      headers: { host: "127.0.0.1" },
    }, 200],
    ["http://127.0.0.1/health", {
      method: "HEAD",
      headers: { host: "127.0.0.1" },
    }, 200],
    ["http://127.0.0.1/healthz", { headers: { host: "127.0.0.1" } }, 404],
    ["http://127.0.0.1/health/", { headers: { host: "127.0.0.1" } }, 404],
  ];
  for (const [url, init, status] of left) {
    assert.equal(fast(new Request(url, init), false), undefined, url);
    const res = await app.fetch(new Request(url, init), connInfo(false));
    assert.equal(res.status, status, url);
    await res.body?.cancel();
  }
  // Over the socket the Host check does not apply: both answer 200.
  const foreign = { headers: { host: "evil.example" } };
  const quick = fast(new Request("http://evil.example/health", foreign), true);
  assert(quick !== undefined);
  const routed = await app.fetch(
    new Request("http://evil.example/health", foreign),
    connInfo(true),
  );
  assert.deepEqual(await comparable(quick), await comparable(routed));
  // Draining: the route's 503, never the fast path's 200.
  const stopping = appOf(true);
  const req = () => new Request(TAKEN[0][0], TAKEN[0][1]);
  assert.equal(stopping.fast(req(), false), undefined);
  const res = await stopping.app.fetch(req(), connInfo(false));
  assert.equal(res.status, 503);
  assert.equal((await res.json()).status, "shutting_down");
});

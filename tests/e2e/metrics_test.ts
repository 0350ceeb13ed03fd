/**
 * Black-box tests of `GET /metrics` (SPEC 4): the exposition of a real
 * runtime passes the strict reader of the text format, its figures follow
 * what clients do, and it answers under the token rules of `/info` and the
 * Host rule of every route.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, withServer } from "../_harness/cli.ts";
import { mustRequest } from "../_harness/raw_http.ts";
import {
  type MetricFamily,
  parseExposition,
  sampleValue,
} from "../_harness/prometheus.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { PROTOCOL } from "../../lib/shared/protocol.ts";

async function scrape(
  port: number,
  token?: string,
): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  assert.strictEqual(res.status, 200);
  assert.strictEqual(
    res.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  return parseExposition(await res.text());
}

Deno.test("GET /metrics is a valid exposition whose figures follow clients, leases, events and requests", () =>
  withServer([], async (server) => {
    const { port } = server;
    const first = await scrape(port);
    assert.deepStrictEqual(first.get("pryx_core_build_info")?.samples, [
      { labels: { version: VERSION, protocol: String(PROTOCOL) }, value: 1 },
    ]);
    const started = sampleValue(first, "process_start_time_seconds");
    assert(Math.abs(started - Date.now() / 1000) < 120, `start ${started}`);
    assert(sampleValue(first, "process_resident_memory_bytes") > 1e6);
    assert.strictEqual(sampleValue(first, "pryx_core_websocket_clients"), 0);
    assert.strictEqual(
      sampleValue(first, "pryx_core_events_published_total"),
      0,
    );

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    await health.body?.cancel();
    const missing = await fetch(`http://127.0.0.1:${port}/no/such/route`);
    await missing.body?.cancel();
    const a = await connectWs(`ws://127.0.0.1:${port}/ws`);
    const b = await connectWs(`ws://127.0.0.1:${port}/ws`);
    try {
      a.ws.send(JSON.stringify({ type: "lease", id: "l" }));
      await a.next();
      b.ws.send(JSON.stringify({ type: "subscribe", topic: "t", id: 1 }));
      await b.next();
      a.ws.send(JSON.stringify({ type: "publish", topic: "t", data: 1 }));
      await b.next();
      a.ws.send(
        JSON.stringify({ type: "publish", topic: "none", data: 2, id: 2 }),
      );
      assert.deepStrictEqual(await a.next(), {
        type: "ack",
        id: 2,
        delivered: 0,
      });
      const res = await fetch(`http://127.0.0.1:${port}/publish/t`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "3",
      });
      assert.deepStrictEqual(await res.json(), { delivered: 1 });
      await b.next();

      const m = await scrape(port);
      assert.strictEqual(sampleValue(m, "pryx_core_websocket_clients"), 2);
      assert.strictEqual(sampleValue(m, "pryx_core_leases"), 1);
      assert.strictEqual(sampleValue(m, "pryx_core_topics"), 1);
      assert.strictEqual(sampleValue(m, "pryx_core_events_published_total"), 3);
      assert.strictEqual(sampleValue(m, "pryx_core_events_delivered_total"), 2);
      assert.strictEqual(
        sampleValue(m, "pryx_core_slow_consumers_dropped_total"),
        0,
      );
      const req = (route: string, status: string) =>
        sampleValue(m, "pryx_core_http_requests_total", { route, status });
      assert.strictEqual(req("/health", "200"), 1);
      assert.strictEqual(req("other", "404"), 1);
      assert.strictEqual(req("/ws", "101"), 2);
      assert.strictEqual(req("/publish/:topic", "200"), 1);
      assert.strictEqual(req("/metrics", "200"), 1);
    } finally {
      a.ws.close();
      b.ws.close();
    }
    // The clients gone: the gauges fall back, the counters stay.
    const deadline = Date.now() + 5000;
    let after = await scrape(port);
    while (
      sampleValue(after, "pryx_core_websocket_clients") !== 0 &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
      after = await scrape(port);
    }
    assert.strictEqual(sampleValue(after, "pryx_core_websocket_clients"), 0);
    assert.strictEqual(sampleValue(after, "pryx_core_leases"), 0);
    assert.strictEqual(
      sampleValue(after, "pryx_core_events_published_total"),
      3,
    );
  }));

Deno.test("GET /metrics refuses a foreign Host with 403 and answers HEAD; POST gets 405", () =>
  withServer([], async (server) => {
    const evil = await mustRequest(server.port, {
      path: "/metrics",
      host: "evil.example",
    });
    assert.strictEqual(evil.status, 403);
    assert.doesNotMatch(evil.body, /pryx_core/);
    const head = await mustRequest(server.port, {
      method: "HEAD",
      path: "/metrics",
    });
    assert.strictEqual(head.status, 200);
    const post = await mustRequest(server.port, {
      method: "POST",
      path: "/metrics",
    });
    assert.strictEqual(post.status, 405);
    // The refused ones are counted too.
    const m = await scrape(server.port);
    assert.strictEqual(
      sampleValue(m, "pryx_core_http_requests_total", {
        route: "/metrics",
        status: "403",
      }),
      1,
    );
  }));

Deno.test("with --auth token, GET /metrics needs the token as /info does", () =>
  withServer(["--auth", "token"], async (server, home) => {
    const token = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`))
      .token as string;
    const bare = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.strictEqual(bare.status, 401);
    await bare.body?.cancel();
    const wrong = await fetch(`http://127.0.0.1:${server.port}/metrics`, {
      headers: { authorization: `Bearer ${token}x` },
    });
    assert.strictEqual(wrong.status, 401);
    await wrong.body?.cancel();
    const m = await scrape(server.port, token);
    assert.strictEqual(sampleValue(m, "pryx_core_build_info"), 1);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    })).text();
    assert(!text.includes(token), "the token is never in the exposition");
  }));

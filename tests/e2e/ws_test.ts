/**
 * Black-box tests of the WebSocket event bus and `POST /publish/:topic`,
 * with real WebSocket clients against the real CLI. The tests share one
 * runtime ({@linkcode sharedServer}); each uses topics of its own and
 * closes its clients.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, sharedServer } from "../_harness/cli.ts";
import {
  Opcode,
  RawConnection,
  requestHead,
  upgradeHeaders,
  wsFrame,
} from "../_harness/raw_http.ts";

type Client = Awaited<ReturnType<typeof connectWs>>;

/** Sends `msg` as a JSON text frame. */
function send(client: Client, msg: unknown): void {
  client.ws.send(JSON.stringify(msg));
}

/** Resolves with the close event of `ws`. */
function closed(ws: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) =>
    ws.addEventListener("close", resolve, { once: true })
  );
}

Deno.test("a client is greeted with hello naming version, pid, instance, runId and protocol", async () => {
  const { server, home } = await sharedServer();
  const { ws, hello } = await connectWs(`ws://localhost:${server.port}/ws`);
  const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
  assert.deepStrictEqual(hello, {
    type: "hello",
    version: info.version,
    pid: info.pid,
    instance: "runtime",
    runId: info.runId,
    protocol: 1,
  });
  ws.close();
});

Deno.test("ping is answered with pong carrying the same id", async () => {
  const { server } = await sharedServer();
  const c = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
  send(c, { type: "ping", id: "p-1" });
  assert.deepStrictEqual(await c.next(), { type: "pong", id: "p-1" });
  send(c, { type: "ping", id: 7 });
  assert.deepStrictEqual(await c.next(), { type: "pong", id: 7 });
  c.ws.close();
});

Deno.test("publish reaches every other subscriber of the topic, not the sender or others", async () => {
  const { server } = await sharedServer();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const [a, b, c, other] = await Promise.all(
    [url, url, url, url].map((u) => connectWs(u)),
  );
  for (
    const [client, topic] of [[a, "chat"], [b, "chat"], [c, "chat"], [
      other,
      "else",
    ]] as const
  ) {
    send(client, { type: "subscribe", topic, id: `sub-${topic}` });
    assert.deepStrictEqual(await client.next(), {
      type: "ack",
      id: `sub-${topic}`,
    });
  }
  send(a, { type: "publish", topic: "chat", data: { n: 1, s: "hé" } });
  for (const client of [b, c]) {
    assert.deepStrictEqual(await client.next(), {
      type: "event",
      topic: "chat",
      data: { n: 1, s: "hé" },
    });
  }
  // The sender and the other topic's subscriber got nothing: their next frame is the pong.
  for (const client of [a, other]) {
    send(client, { type: "ping", id: "after" });
    assert.deepStrictEqual(await client.next(), {
      type: "pong",
      id: "after",
    });
  }
  for (const client of [a, b, c, other]) client.ws.close();
});

Deno.test("unsubscribe stops the events and acks when an id is given", async () => {
  const { server } = await sharedServer();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const [pub, sub] = await Promise.all([connectWs(url), connectWs(url)]);
  send(sub, { type: "subscribe", topic: "t" });
  send(sub, { type: "unsubscribe", topic: "t", id: 2 });
  // No ack for the subscribe without id: the first answer is the unsubscribe's.
  assert.deepStrictEqual(await sub.next(), { type: "ack", id: 2 });
  send(pub, { type: "publish", topic: "t", data: 1 });
  send(pub, { type: "ping", id: "sync" });
  assert.deepStrictEqual(await pub.next(), { type: "pong", id: "sync" });
  send(sub, { type: "ping", id: "none" });
  assert.deepStrictEqual(await sub.next(), { type: "pong", id: "none" });
  pub.ws.close();
  sub.ws.close();
});

Deno.test("bad frames get an error frame and the connection stays open", async () => {
  const { server } = await sharedServer();
  const c = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
  const bad: [string, string][] = [
    ["{not json", "bad_json"],
    ["[1,2]", "bad_message"],
    ['"text"', "bad_message"],
    ['{"type":"dance"}', "unknown_type"],
    ['{"topic":"x"}', "missing_field"],
    ['{"type":"subscribe"}', "missing_field"],
    ['{"type":"publish","topic":"x"}', "missing_field"],
    ['{"type":"subscribe","topic":42}', "bad_field"],
    ['{"type":"subscribe","topic":""}', "bad_field"],
  ];
  for (const [frame, code] of bad) {
    c.ws.send(frame);
    const msg = await c.next();
    assert.deepStrictEqual([msg.type, msg.code], ["error", code], frame);
    assert(typeof msg.message === "string" && msg.message.length > 0);
  }
  c.ws.send(new Uint8Array([1, 2, 3]));
  assert.deepStrictEqual((await c.next()).type, "error");
  send(c, { type: "ping", id: "still-open" });
  assert.deepStrictEqual(await c.next(), { type: "pong", id: "still-open" });
  c.ws.close();
});

Deno.test("a frame over 1 MiB closes the connection with 1009; 1 MiB passes", async () => {
  const { server } = await sharedServer();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const ok = await connectWs(url);
  const exact = JSON.stringify({ type: "ping", id: "" });
  ok.ws.send(
    JSON.stringify({
      type: "ping",
      id: "x".repeat(1024 * 1024 - exact.length),
    }),
  );
  assert.deepStrictEqual((await ok.next()).type, "pong");
  ok.ws.close();
  const big = await connectWs(url);
  const done = closed(big.ws);
  big.ws.send(JSON.stringify({ type: "ping", id: "x".repeat(1024 * 1024) }));
  assert.deepStrictEqual((await done).code, 1009);
});

Deno.test("POST /publish/:topic delivers the JSON body to subscribers and counts them", async () => {
  const { server } = await sharedServer();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const [a, b] = await Promise.all([connectWs(url), connectWs(url)]);
  for (const c of [a, b]) {
    send(c, { type: "subscribe", topic: "jobs", id: 1 });
    await c.next();
  }
  const res = await fetch(`http://127.0.0.1:${server.port}/publish/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ job: 42 }),
  });
  assert.deepStrictEqual([res.status, await res.json()], [200, {
    delivered: 2,
  }]);
  for (const c of [a, b]) {
    assert.deepStrictEqual(await c.next(), {
      type: "event",
      topic: "jobs",
      data: { job: 42 },
    });
  }
  const none = await fetch(`http://127.0.0.1:${server.port}/publish/empty`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "null",
  });
  assert.deepStrictEqual(await none.json(), { delivered: 0 });
  a.ws.close();
  b.ws.close();
});

Deno.test("a subscriber that stops reading is disconnected before its backlog is unbounded", async () => {
  const { server } = await sharedServer();
  // A raw client: upgrade, subscribe, then never read again.
  using slow = await RawConnection.open(server.port);
  await slow.write(
    requestHead(server.port, {
      path: "/ws",
      headers: [...upgradeHeaders(), ["Connection", "Upgrade"]],
    }),
  );
  const head = await slow.readResponse();
  assert.deepStrictEqual(head?.status, 101);
  await slow.write(
    wsFrame(
      0x80 | Opcode.text,
      new TextEncoder().encode(
        JSON.stringify({ type: "subscribe", topic: "flood" }),
      ),
    ),
  );
  const chunk = JSON.stringify({ blob: "y".repeat(512 * 1024) });
  let delivered = 1;
  let posts = 0;
  // At most 400 × 512 KiB = 200 MiB may be offered; the cut-off is at 8 MiB of backlog.
  for (; posts < 400 && delivered > 0; posts++) {
    const res = await fetch(`http://127.0.0.1:${server.port}/publish/flood`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunk,
    });
    delivered = (await res.json()).delivered;
  }
  assert.deepStrictEqual(
    delivered,
    0,
    `still delivering after ${posts} posts`,
  );
  const health = await fetch(`http://127.0.0.1:${server.port}/health`);
  assert.deepStrictEqual(health.status, 200);
  await health.body?.cancel();
});

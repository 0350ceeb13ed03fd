/**
 * Hostile HTTP against the real CLI: absurd headers, paths and framing,
 * oversized, malformed and mistyped bodies. Every answer must be a 4xx,
 * never a 5xx, and an oversized body must be refused before the server has
 * read it all: the tests stop sending part-way and still expect the 413.
 * The tests share one runtime ({@linkcode sharedServer}), which must stay
 * healthy through all of them.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  connectWs,
  type RunningServer,
  sharedServer,
} from "../_harness/cli.ts";
import {
  mustRequest,
  RawConnection,
  type RawRequest,
  rawRequest,
  type RawResponse,
  requestHead,
} from "../_harness/raw_http.ts";

const MIB = 1024 * 1024;
const JSON_TYPE: [string, string] = ["Content-Type", "application/json"];

function assert4xx(res: RawResponse | undefined, what: string): void {
  assert(res !== undefined, `${what}: no response`);
  assert(
    res.status >= 400 && res.status < 500,
    `${what}: expected a 4xx, got ${res.statusLine}`,
  );
}

/** `/health` still answers and no request ended in the 500 handler. */
async function assertStillHealthy(server: RunningServer): Promise<void> {
  const res = await mustRequest(server.port);
  assert.deepStrictEqual(res.status, 200, "/health after the hostile requests");
  assert.doesNotMatch(server.stderr(), /Request failed|Uncaught|panicked/);
}

function post(path: string, body: string | Uint8Array, type = JSON_TYPE) {
  return { method: "POST", path, headers: [type], body } satisfies RawRequest;
}

/** `size` bytes in 64 KiB chunks of chunked transfer coding (no final chunk). */
function chunks(size: number): string[] {
  const out: string[] = [];
  for (let left = size; left > 0; left -= 65536) {
    const n = Math.min(left, 65536);
    out.push(`${n.toString(16)}\r\n${" ".repeat(n)}\r\n`);
  }
  return out;
}

Deno.test("absurdly large or numerous headers get a 4xx and the server stays up", async () => {
  const { server } = await sharedServer();
  const { port } = server;
  const cases: [string, [string, string][]][] = [
    ["a 64 KiB header", [["X-Big", "a".repeat(64 * 1024)]]],
    ["a 1 MiB header", [["X-Big", "a".repeat(MIB)]]],
    [
      "1,000 headers",
      Array.from({ length: 1000 }, (_, i) => [`X-H${i}`, "v"]),
    ],
    ["a 64 KiB cookie", [["Cookie", `a=${"b".repeat(64 * 1024)}`]]],
    ["a 64 KiB Origin", [["Origin", `http://${"a".repeat(64 * 1024)}`]]],
  ];
  for (const [what, headers] of cases) {
    assert4xx(await rawRequest(port, { headers }), what);
    assert4xx(
      await rawRequest(port, { ...post("/publish/t", "{}"), headers }),
      `POST with ${what}`,
    );
  }
  await assertStillHealthy(server);
});

Deno.test("absurd paths and request lines get a 4xx, never a 5xx", async () => {
  const { server } = await sharedServer();
  const { port } = server;
  const paths = [
    `/${"a".repeat(64 * 1024)}`,
    `/${"a".repeat(MIB)}`,
    `/health?${"q=1&".repeat(20_000)}`,
    "/../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%zz",
    "/%00",
    "/%ff%fe",
    "/publish",
    "/publish/",
    "/ws/x",
    "*",
    "//",
  ];
  for (const path of paths) {
    assert4xx(await rawRequest(port, { path }), `GET ${path.slice(0, 40)}`);
  }
  for (const method of ["FOO", "TRACE", "PUT", "DELETE", "PATCH"]) {
    assert4xx(await rawRequest(port, { method }), `${method} /health`);
  }
  const long = await mustRequest(
    port,
    post(`/publish/${"t".repeat(10_000)}`, "{}"),
  );
  assert.deepStrictEqual(long.status, 400, "a 10,000-character topic");
  assert.deepStrictEqual(JSON.parse(long.body).error, "bad_topic");
  await assertStillHealthy(server);
});

Deno.test("malformed request framing gets a 4xx", async () => {
  const { server } = await sharedServer();
  const { port } = server;
  const framings: [string, [string, string][]][] = [
    ["a negative Content-Length", [["Content-Length", "-1"]]],
    ["a 23-digit Content-Length", [["Content-Length", "9".repeat(23)]]],
    ["two Content-Lengths", [["Content-Length", "2"], [
      "Content-Length",
      "3",
    ]]],
    ["Content-Length with chunked", [["Content-Length", "2"], [
      "Transfer-Encoding",
      "chunked",
    ]]],
    ["an unknown transfer coding", [["Transfer-Encoding", "gzip"]]],
  ];
  for (const [what, headers] of framings) {
    assert4xx(
      await rawRequest(port, {
        method: "POST",
        path: "/publish/t",
        headers: [JSON_TYPE, ...headers],
        body: "{}",
      }),
      what,
    );
  }
  for (const line of ["\x00\x01\x02 garbage", "GET", "GET / HTTP/9.9"]) {
    using conn = await RawConnection.open(port);
    await conn.write(`${line}\r\nHost: 127.0.0.1\r\n\r\n`);
    const res = await conn.readResponse();
    assert(
      res === undefined || (res.status >= 400 && res.status < 500),
      `${JSON.stringify(line)}: ${res?.statusLine}`,
    );
  }
  await assertStillHealthy(server);
});

Deno.test("a 10 MiB body with Content-Length gets 413 before the body is sent", async () => {
  const { server } = await sharedServer();
  using conn = await RawConnection.open(server.port);
  await conn.write(requestHead(server.port, {
    method: "POST",
    path: "/publish/x",
    headers: [JSON_TYPE, ["Content-Length", String(10 * MIB)]],
  }));
  // A taste of the body, then nothing: the answer must not wait for the rest.
  await conn.write(" ".repeat(64 * 1024));
  const res = await conn.readResponse(5000);
  assert(res !== undefined, "no response");
  assert.deepStrictEqual(res.status, 413);
  assert.deepStrictEqual(JSON.parse(res.body).error, "too_large");
  conn.close();
  await assertStillHealthy(server);
});

Deno.test("a chunked body is refused with 413 as soon as it passes 1 MiB", async () => {
  const { server } = await sharedServer();
  using conn = await RawConnection.open(server.port);
  await conn.write(requestHead(server.port, {
    method: "POST",
    path: "/publish/x",
    headers: [JSON_TYPE, ["Transfer-Encoding", "chunked"]],
  }));
  // 1 MiB + 128 KiB of a 10 MiB body, then silence: no final chunk.
  for (const chunk of chunks(MIB + 128 * 1024)) {
    assert(await conn.write(chunk), "server closed while under the limit");
  }
  const res = await conn.readResponse(5000);
  assert(res !== undefined, "no response");
  assert.deepStrictEqual(res.status, 413);
  assert.deepStrictEqual(JSON.parse(res.body).error, "too_large");
  conn.close();
  await assertStillHealthy(server);
});

Deno.test("a whole 10 MiB body, with or without Content-Length, gets 413", async () => {
  const { server } = await sharedServer();
  const body = new Uint8Array(10 * MIB).fill(0x20);
  const sized = await rawRequest(server.port, post("/publish/x", body));
  assert.deepStrictEqual(sized?.status, 413, "with Content-Length");
  const chunked = await rawRequest(server.port, {
    method: "POST",
    path: "/publish/x",
    headers: [JSON_TYPE, ["Transfer-Encoding", "chunked"]],
    body: [...chunks(10 * MIB), "0\r\n\r\n"].join(""),
  });
  assert.deepStrictEqual(chunked?.status, 413, "chunked");
  await assertStillHealthy(server);
});

Deno.test("a body of exactly 1 MiB is published and one byte more gets 413", async () => {
  const { server } = await sharedServer();
  const exact = `"${"a".repeat(MIB - 2)}"`;
  const ok = await mustRequest(server.port, post("/publish/x", exact));
  assert.deepStrictEqual(ok.status, 200, "1 MiB with Content-Length");
  const over = `"${"a".repeat(MIB - 1)}"`;
  const big = await mustRequest(server.port, post("/publish/x", over));
  assert.deepStrictEqual(big.status, 413, "1 MiB + 1 with Content-Length");
  const chunked = (text: string) =>
    mustRequest(server.port, {
      method: "POST",
      path: "/publish/x",
      headers: [JSON_TYPE, ["Transfer-Encoding", "chunked"]],
      body: `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`,
    });
  assert.deepStrictEqual((await chunked(exact)).status, 200, "1 MiB chunked");
  assert.deepStrictEqual(
    (await chunked(over)).status,
    413,
    "1 MiB + 1 chunked",
  );
  await assertStillHealthy(server);
});

Deno.test("invalid JSON on /publish gets 400", async () => {
  const { server } = await sharedServer();
  const bodies: (string | Uint8Array)[] = [
    "{nope",
    "",
    "{}x",
    '{"a":',
    "NaN",
    "undefined",
    "'single'",
    new Uint8Array([0x22, 0xff, 0xfe, 0x22]),
    new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x00]),
  ];
  for (const body of bodies) {
    const res = await mustRequest(server.port, post("/publish/x", body));
    assert.deepStrictEqual(
      res.status,
      400,
      `body ${JSON.stringify(String(body))}`,
    );
    assert.deepStrictEqual(JSON.parse(res.body).error, "bad_json");
  }
  await assertStillHealthy(server);
});

Deno.test("a wrong or missing content type on /publish gets 415", async () => {
  const { server } = await sharedServer();
  // The first three are what a cross-site form may send without a preflight.
  const types = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/xml",
    "json",
    "",
  ];
  for (const type of types) {
    const res = await mustRequest(
      server.port,
      post("/publish/x", "{}", ["Content-Type", type]),
    );
    assert.deepStrictEqual(
      res.status,
      415,
      `Content-Type ${JSON.stringify(type)}`,
    );
  }
  const none = await mustRequest(server.port, {
    method: "POST",
    path: "/publish/x",
    body: "{}",
  });
  assert.deepStrictEqual(none.status, 415, "no Content-Type");
  const big = await mustRequest(server.port, {
    method: "POST",
    path: "/publish/x",
    headers: [["Content-Type", "text/plain"]],
    body: new Uint8Array(10 * MIB),
  });
  assert.deepStrictEqual(big.status, 415, "10 MiB of text/plain");
  await assertStillHealthy(server);
});

Deno.test("deeply nested JSON on /publish is delivered, not a 5xx", async () => {
  const { server } = await sharedServer();
  const sub = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
  try {
    sub.ws.send(JSON.stringify({ type: "subscribe", topic: "x", id: 1 }));
    assert.deepStrictEqual((await sub.next()).type, "ack");
    const depth = 100_000;
    for (
      const body of [
        "[".repeat(depth) + "]".repeat(depth),
        '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
      ]
    ) {
      const res = await mustRequest(server.port, post("/publish/x", body));
      assert.deepStrictEqual(res.status, 200, body.slice(0, 10));
      assert.deepStrictEqual(JSON.parse(res.body), { delivered: 1 });
      assert.deepStrictEqual((await sub.next()).type, "event");
    }
  } finally {
    sub.ws.close();
  }
  await assertStillHealthy(server);
});

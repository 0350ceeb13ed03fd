/**
 * Tests of `lib/shared/http1.ts`: one HTTP/1.1 exchange over `Deno.connect`,
 * against scripted servers on loopback (every framing of RFC 9112 it
 * claims, answers split across writes, and hostile answers: malformed,
 * too large, cut short, never finished), a real `Deno.serve`, and a Unix
 * socket.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  HTTP1_MAX_BYTES,
  http1Fetch,
  type Http1Target,
  localAnswer,
  type LocalRequest,
} from "../../lib/shared/http1.ts";

const enc = new TextEncoder();

/**
 * Runs `fn` against a TCP listener on 127.0.0.1 port 0 whose every
 * connection reads the request head and then gets `answer` (the pieces
 * written one by one, a short pause between them). Resolves to what `fn`
 * returned and the request heads the server read.
 */
async function withScripted<T>(
  answer: (string | Uint8Array)[],
  fn: (target: Http1Target, url: URL) => Promise<T>,
): Promise<{ result: T; requests: string[] }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      served.push((async () => {
        try {
          const buf = new Uint8Array(64 * 1024);
          let text = "";
          while (!text.includes("\r\n\r\n")) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += new TextDecoder().decode(buf.subarray(0, n));
          }
          requests.push(text);
          for (const piece of answer) {
            await conn.write(
              typeof piece === "string" ? enc.encode(piece) : piece,
            );
            await new Promise((r) => setTimeout(r, 2));
          }
        } catch {
          // The client went away: part of some tests.
        } finally {
          try {
            conn.close();
          } catch {
            // Closed.
          }
        }
      })());
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  try {
    const result = await fn(
      { transport: "tcp", hostname: "127.0.0.1", port },
      new URL(`http://127.0.0.1:${port}/health?challenge=ab`),
    );
    return { result, requests };
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await Promise.all(served);
  }
}

Deno.test("http1Fetch reads a Content-Length body split across writes", async () => {
  const body = '{"status":"ok","service":"pryx-core"}';
  const { result, requests } = await withScripted(
    [
      "HTTP/1.1 200 OK\r\nContent-Ty",
      `pe: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      body.slice(0, 5),
      body.slice(5),
    ],
    async (target, url) => {
      const res = await http1Fetch(target, url);
      return {
        status: res.status,
        type: res.headers.get("content-type"),
        json: res.json(),
      };
    },
  );
  assert.deepEqual(result, {
    status: 200,
    type: "application/json",
    json: { status: "ok", service: "pryx-core" },
  });
  const [head] = requests;
  assert.match(head, /^GET \/health\?challenge=ab HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
  assert.match(head, /\r\nconnection: close\r\n/);
});

Deno.test("http1Fetch decodes a chunked body with extensions and trailers", async () => {
  const { result } = await withScripted(
    [
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n",
      "4;ext=1\r\nabcd\r",
      "\n3\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n",
    ],
    async (target, url) => {
      const res = await http1Fetch(target, url);
      return [res.status, res.text()];
    },
  );
  assert.deepEqual(result, [503, "abcdefg"]);
});

Deno.test("http1Fetch reads to the end of the connection when nothing frames the body", async () => {
  const { result } = await withScripted(
    ["HTTP/1.0 200 OK\r\n\r\nhello ", "world"],
    async (target, url) => (await http1Fetch(target, url)).text(),
  );
  assert.equal(result, "hello world");
});

Deno.test("http1Fetch skips an interim 1xx answer", async () => {
  const { result } = await withScripted(
    [
      "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
      "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
    ],
    async (target, url) => {
      const res = await http1Fetch(target, url);
      return [res.status, res.text()];
    },
  );
  assert.deepEqual(result, [202, "ok"]);
});

Deno.test("http1Fetch gives HEAD, 204 and 304 answers no body", async () => {
  for (
    const [status, method] of [[200, "HEAD"], [204, "GET"], [
      304,
      "GET",
    ]] as const
  ) {
    const { result } = await withScripted(
      [`HTTP/1.1 ${status} X\r\nContent-Length: 5\r\n\r\n`],
      async (target, url) => {
        const res = await http1Fetch(target, url, { method });
        return [res.status, res.body];
      },
    );
    assert.deepEqual(result, [status, null], `${method} ${status}`);
  }
});

Deno.test("http1Fetch sends a POST body with its length and the caller's headers", async () => {
  const { result, requests } = await withScripted(
    ["HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"],
    async (target, url) =>
      (await http1Fetch(target, url, {
        method: "POST",
        headers: { authorization: "Bearer t0k" },
        body: "{}",
      })).status,
  );
  assert.equal(result, 202);
  assert.match(requests[0], /^POST \/health\?challenge=ab HTTP\/1\.1\r\n/);
  assert.match(requests[0], /\r\nauthorization: Bearer t0k\r\n/);
  assert.match(requests[0], /\r\ncontent-length: 2\r\n/);
});

Deno.test("http1Fetch refuses header values that would split the request", async () => {
  await assert.rejects(
    http1Fetch(
      { transport: "tcp", hostname: "127.0.0.1", port: 9 },
      new URL("http://127.0.0.1:9/"),
      { headers: { authorization: "Bearer a\r\nX-Evil: 1" } },
    ),
    TypeError,
  );
});

/** Every hostile answer rejects with fetch's TypeError, its cause saying why. */
const HOSTILE: [string, (string | Uint8Array)[], RegExp][] = [
  ["not HTTP", ["SSH-2.0-OpenSSH_9.6\r\n\r\n"], /malformed status line/],
  [
    "a status out of range",
    ["HTTP/1.1 700 Odd\r\n\r\n"],
    /malformed status line/,
  ],
  [
    "a field without a colon",
    ["HTTP/1.1 200 OK\r\nbroken\r\n\r\n"],
    /malformed header field/,
  ],
  [
    "a bad Content-Length",
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    /malformed content-length/,
  ],
  [
    "a body cut short",
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
    /ended early/,
  ],
  ["a head cut short", ["HTTP/1.1 200 OK\r\nContent-"], /ended early/],
  ["a bad chunk size", [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  ], /malformed chunk size/],
  ["a chunk without its CRLF", [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n",
  ], /no CRLF/],
  ["another transfer coding", [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
  ], /unsupported transfer coding/],
  ["a Content-Length over the limit", [
    `HTTP/1.1 200 OK\r\nContent-Length: ${HTTP1_MAX_BYTES + 1}\r\n\r\n`,
  ], /too large/],
  ["an endless head", [
    "HTTP/1.1 200 OK\r\n",
    new Uint8Array(20 * 1024).fill(0x61),
  ], /too large/],
  ["an unframed body over the limit", [
    "HTTP/1.1 200 OK\r\n\r\n",
    new Uint8Array(HTTP1_MAX_BYTES + 10).fill(0x61),
  ], /too large/],
];

for (const [what, answer, why] of HOSTILE) {
  Deno.test(`http1Fetch rejects ${what} as fetch does`, async () => {
    await withScripted(answer, async (target, url) => {
      const err = await http1Fetch(target, url).then(
        () => assert.fail("it resolved"),
        (e: unknown) => e,
      );
      assert(err instanceof TypeError, String(err));
      assert.equal(err.message, "fetch failed");
      assert.match(String((err.cause as Error).message), why);
    });
  });
}

Deno.test("http1Fetch rejects with the signal's reason when the answer never comes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const { port } = listener.addr as Deno.NetAddr;
    const t0 = performance.now();
    const err = await http1Fetch(
      { transport: "tcp", hostname: "127.0.0.1", port },
      new URL(`http://127.0.0.1:${port}/health`),
      { signal: AbortSignal.timeout(100) },
    ).then(() => assert.fail("it resolved"), (e: unknown) => e);
    assert(
      err instanceof DOMException && err.name === "TimeoutError",
      String(err),
    );
    assert(performance.now() - t0 < 2000, "the abort closed the connection");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

Deno.test("http1Fetch rejects a refused connection with TypeError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const err = await http1Fetch(
    { transport: "tcp", hostname: "127.0.0.1", port },
    new URL(`http://127.0.0.1:${port}/`),
  ).then(() => assert.fail("it resolved"), (e: unknown) => e);
  assert(err instanceof TypeError);
  assert((err.cause as Error) instanceof Deno.errors.ConnectionRefused);
});

Deno.test("http1Fetch answers as fetch does against Deno.serve, over TCP and a Unix socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-test-" });
  const handler = async (req: Request) =>
    Response.json({
      method: req.method,
      path: new URL(req.url).pathname,
      host: req.headers.get("host"),
      body: req.method === "POST" ? await req.text() : null,
    }, { status: req.method === "POST" ? 202 : 200 });
  const ac = new AbortController();
  const tcp = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen() {},
  }, handler);
  const path = `${dir}/s.sock`;
  const unix = Deno.serve({ path, signal: ac.signal, onListen() {} }, handler);
  try {
    const port = tcp.addr.port;
    const viaTcp = await http1Fetch(
      { transport: "tcp", hostname: "127.0.0.1", port },
      new URL(`http://127.0.0.1:${port}/info`),
    );
    assert.deepEqual(viaTcp.json(), {
      method: "GET",
      path: "/info",
      host: `127.0.0.1:${port}`,
      body: null,
    });
    const viaSocket = await http1Fetch(
      { transport: "unix", path },
      new URL("http://pryx-socket/control/shutdown"),
      { method: "POST", body: "x" },
    );
    assert.equal(viaSocket.status, 202);
    assert.deepEqual(viaSocket.json(), {
      method: "POST",
      path: "/control/shutdown",
      host: "pryx-socket",
      body: "x",
    });
  } finally {
    ac.abort();
    await tcp.finished;
    await unix.finished;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http1Fetch refuses a header name or method HTTP does not allow, before it connects", async () => {
  for (
    const init of <LocalRequest[]> [
      { headers: { "bad name": "x" } },
      { headers: { "x-ok": "a\nb" } },
      { method: "GET /x HTTP/1.1\r\n" },
    ]
  ) {
    await assert.rejects(
      http1Fetch(
        { transport: "tcp", hostname: "127.0.0.1", port: 9 },
        new URL("http://127.0.0.1:9/"),
        init,
      ),
      (err: unknown) =>
        err instanceof TypeError && err.message !== "fetch failed",
      JSON.stringify(init),
    );
  }
});

Deno.test("http1Fetch joins repeated header fields, names in lower case", async () => {
  const { result } = await withScripted(
    ["HTTP/1.1 200 OK\r\nVary: a\r\nVARY: b\r\nContent-Length: 0\r\n\r\n"],
    async (target, url) => (await http1Fetch(target, url)).headers.get("vary"),
  );
  assert.equal(result, "a, b");
});

Deno.test("localAnswer refuses a status outside 200-599, as Response does", () => {
  for (const status of [101, 199, 600, 200.5]) {
    assert.throws(() => localAnswer(status, new Map(), null), TypeError);
  }
  const a = localAnswer(404, new Map(), new TextEncoder().encode('{"a":1}'));
  assert.deepEqual([a.ok, a.json()], [false, { a: 1 }]);
  assert.throws(() => localAnswer(200, new Map(), null).json(), SyntaxError);
});

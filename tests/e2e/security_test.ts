/**
 * Black-box tests of the HTTP and WebSocket security against the real CLI: the
 * Host check (DNS rebinding), the Origin check and CORS (cross-site
 * WebSocket hijacking), and token auth. Raw HTTP is used wherever `fetch`
 * would not send the header under test. The tests that only send requests
 * share one loopback runtime and one `--auth token` runtime; those that
 * need other settings, stop the runtime or read its files and log start
 * their own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import {
  connectWs,
  NO_POSIX_SIGNALS,
  NOT_LINUX,
  type RunningServer,
  sharedServer,
  withServer,
} from "../_harness/cli.ts";
import {
  mustRequest,
  type RawResponse,
  upgradeHeaders,
} from "../_harness/raw_http.ts";

const EVIL = "http://evil.example";

/** A WebSocket upgrade of `/ws` with extra headers; the status tells the outcome. */
function upgrade(
  port: number,
  headers: [string, string][] = [],
  path = "/ws",
): Promise<RawResponse> {
  return mustRequest(port, {
    path,
    headers: [...upgradeHeaders(), ...headers],
  });
}

/** `POST /publish/t` with a JSON body and extra headers. */
function publish(
  port: number,
  headers: [string, string][] = [],
  path = "/publish/t",
): Promise<RawResponse> {
  return mustRequest(port, {
    method: "POST",
    path,
    headers: [["Content-Type", "application/json"], ...headers],
    body: '{"n":1}',
  });
}

function readToken(home: string): string | undefined {
  return JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).token;
}

/**
 * The port of the loopback runtime with default settings that the tests
 * which only send it requests share ({@linkcode sharedServer}).
 */
async function loopbackServer(): Promise<{ port: number }> {
  return { port: (await sharedServer()).server.port };
}

/**
 * The port and token of the `--auth token` runtime that the tests which
 * only send it requests share ({@linkcode sharedServer}).
 */
async function tokenServer(): Promise<{ port: number; token: string }> {
  const { server, home } = await sharedServer(["--auth", "token"]);
  return { port: server.port, token: readToken(home)! };
}

function assertForbidden(res: RawResponse, error: string, what: string) {
  assert.deepStrictEqual(res.status, 403, what);
  assert.deepStrictEqual(JSON.parse(res.body).error, error, what);
}

// --- Host (DNS rebinding) --------------------------------------------------

Deno.test("a foreign Host gets 403 with a JSON error while bound to loopback", async () => {
  const { port } = await loopbackServer();
  for (
    const host of [
      "evil.example",
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `192.168.1.10:${port}`,
    ]
  ) {
    for (const path of ["/health", "/info", "/ws", "/nowhere"]) {
      const res = await mustRequest(port, { host, path });
      assertForbidden(res, "forbidden_host", `${host} ${path}`);
      assert.match(res.headers.get("content-type") ?? "", /json/);
    }
  }
});

Deno.test("a WebSocket upgrade and a POST with a foreign Host get 403", async () => {
  const { port } = await loopbackServer();
  const host = `evil.example:${port}`;
  const ws = await mustRequest(port, {
    host,
    path: "/ws",
    headers: upgradeHeaders(),
  });
  assertForbidden(ws, "forbidden_host", "upgrade");
  const post = await mustRequest(port, {
    host,
    method: "POST",
    path: "/publish/t",
    headers: [["Content-Type", "application/json"]],
    body: "{}",
  });
  assertForbidden(post, "forbidden_host", "publish");
});

Deno.test("an empty or missing Host gets 403", async () => {
  const { port } = await loopbackServer();
  assertForbidden(
    await mustRequest(port, { host: "" }),
    "forbidden_host",
    "empty Host",
  );
  assertForbidden(
    await mustRequest(port, { host: null }),
    "forbidden_host",
    "no Host",
  );
  assertForbidden(
    await mustRequest(port, {
      host: null,
      path: "/ws",
      headers: upgradeHeaders(),
    }),
    "forbidden_host",
    "upgrade without Host",
  );
});

Deno.test("Host localhost, 127.0.0.1 and [::1], with or without the port, passes", async () => {
  const { port } = await loopbackServer();
  for (
    const host of [
      "localhost",
      `localhost:${port}`,
      "127.0.0.1",
      `127.0.0.1:${port}`,
      "[::1]",
      `[::1]:${port}`,
    ]
  ) {
    const res = await mustRequest(port, { host });
    assert.deepStrictEqual(res.status, 200, host);
    assert.deepStrictEqual(JSON.parse(res.body).service, "pryx-core", host);
  }
  const ws = await mustRequest(port, {
    host: `localhost:${port}`,
    path: "/ws",
    headers: upgradeHeaders(),
  });
  assert.deepStrictEqual(ws.status, 101, "upgrade with Host localhost");
});

Deno.test("the Host check is off when bound to all interfaces with token auth", async () => {
  await withServer(["--listen", "0.0.0.0:0"], async ({ port }, home) => {
    const res = await mustRequest(port, { host: `10.1.2.3:${port}` });
    assert.deepStrictEqual(res.status, 200);
    const token = readToken(home);
    assert(token !== undefined, "token auth is on by default");
    const info = await mustRequest(port, {
      host: "pryx.internal",
      path: "/info",
      headers: [["Authorization", `Bearer ${token}`]],
    });
    assert.deepStrictEqual(info.status, 200);
  });
});

Deno.test("the Host check is off when bound to all interfaces with --auth none", async () => {
  await withServer(
    ["--listen", "0.0.0.0:0", "--auth", "none"],
    async ({ port }) => {
      for (const host of ["evil.example", `172.17.0.2:${port}`]) {
        assert.deepStrictEqual(
          (await mustRequest(port, { host })).status,
          200,
          host,
        );
      }
      const info = await mustRequest(port, { host: "pryx", path: "/info" });
      assert.deepStrictEqual(info.status, 200);
    },
  );
});

// --- Origin (cross-site WebSocket hijacking) and CORS ----------------------

Deno.test("a WebSocket upgrade from a foreign Origin gets 403", async () => {
  const { port } = await loopbackServer();
  for (
    const origin of [
      EVIL,
      "https://evil.example:5173",
      "http://localhost.evil.example:5173",
      "http://127.0.0.1.nip.io",
    ]
  ) {
    assertForbidden(
      await upgrade(port, [["Origin", origin]]),
      "forbidden_origin",
      origin,
    );
  }
});

Deno.test("a POST from a foreign Origin gets 403 and publishes nothing", async () => {
  const { port } = await loopbackServer();
  const sub = await connectWs(`ws://127.0.0.1:${port}/ws`);
  try {
    sub.ws.send(JSON.stringify({ type: "subscribe", topic: "t", id: 1 }));
    assert.deepStrictEqual((await sub.next()).type, "ack");
    assertForbidden(
      await publish(port, [["Origin", EVIL]]),
      "forbidden_origin",
      "POST",
    );
    // A later allowed publish is the first event the subscriber sees.
    const ok = await publish(port, [], "/publish/t");
    assert.deepStrictEqual(JSON.parse(ok.body), { delivered: 1 });
    assert.deepStrictEqual(await sub.next(), {
      type: "event",
      topic: "t",
      data: { n: 1 },
    });
  } finally {
    sub.ws.close();
  }
});

Deno.test("Origin null is refused on WebSocket upgrade and POST", async () => {
  const { port } = await loopbackServer();
  assertForbidden(
    await upgrade(port, [["Origin", "null"]]),
    "forbidden_origin",
    "upgrade",
  );
  assertForbidden(
    await publish(port, [["Origin", "null"]]),
    "forbidden_origin",
    "POST",
  );
});

Deno.test("a WebSocket upgrade and a POST from a loopback Origin are allowed", async () => {
  const { port } = await loopbackServer();
  for (
    const origin of [
      "http://localhost:5173",
      "http://127.0.0.1:3000",
      "http://[::1]:8080",
    ]
  ) {
    assert.deepStrictEqual(
      (await upgrade(port, [["Origin", origin]])).status,
      101,
      origin,
    );
    const post = await publish(port, [["Origin", origin]]);
    assert.deepStrictEqual(post.status, 200, origin);
    assert.deepStrictEqual(
      post.headers.get("access-control-allow-origin"),
      origin,
    );
  }
});

Deno.test("a WebSocket upgrade and a POST without Origin are allowed", async () => {
  const { port } = await loopbackServer();
  assert.deepStrictEqual((await upgrade(port)).status, 101);
  const post = await publish(port);
  assert.deepStrictEqual(post.status, 200);
  assert.deepStrictEqual(
    post.headers.get("access-control-allow-origin"),
    null,
  );
  const { ws, hello } = await connectWs(`ws://127.0.0.1:${port}/ws`);
  ws.close();
  assert.deepStrictEqual(hello.type, "hello");
});

Deno.test("--allow-origin adds exactly the origins it names", async () => {
  await withServer(
    [
      "--allow-origin",
      "https://app.example",
      "--allow-origin",
      "http://tool.example:8080",
    ],
    async ({ port }) => {
      for (
        const origin of ["https://app.example", "http://tool.example:8080"]
      ) {
        assert.deepStrictEqual(
          (await upgrade(port, [["Origin", origin]])).status,
          101,
          origin,
        );
        assert.deepStrictEqual(
          (await publish(port, [["Origin", origin]])).status,
          200,
        );
      }
      for (
        const origin of [
          "http://app.example",
          "https://app.example:8443",
          "https://sub.app.example",
          EVIL,
        ]
      ) {
        assertForbidden(
          await upgrade(port, [["Origin", origin]]),
          "forbidden_origin",
          origin,
        );
      }
    },
  );
});

Deno.test("PRYX_ALLOW_ORIGINS adds comma-separated origins", async () => {
  await withServer([], async ({ port }) => {
    for (const origin of ["https://a.example", "https://b.example"]) {
      assert.deepStrictEqual(
        (await upgrade(port, [["Origin", origin]])).status,
        101,
        origin,
      );
    }
    assertForbidden(
      await upgrade(port, [["Origin", "https://c.example"]]),
      "forbidden_origin",
      "unlisted",
    );
  }, { env: { PRYX_ALLOW_ORIGINS: "https://a.example, https://b.example" } });
});

Deno.test("a CORS preflight from an allowed origin gets 204 with that origin", async () => {
  await withServer(
    ["--allow-origin", "https://app.example"],
    async ({ port }) => {
      for (const origin of ["http://localhost:5173", "https://app.example"]) {
        const res = await mustRequest(port, {
          method: "OPTIONS",
          path: "/publish/t",
          headers: [
            ["Origin", origin],
            ["Access-Control-Request-Method", "POST"],
            ["Access-Control-Request-Headers", "content-type, authorization"],
          ],
        });
        assert.deepStrictEqual(res.status, 204, origin);
        assert.deepStrictEqual(
          res.headers.get("access-control-allow-origin"),
          origin,
        );
        assert.match(
          res.headers.get("access-control-allow-methods") ?? "",
          /POST/,
        );
        assert.match(
          res.headers.get("access-control-allow-headers") ?? "",
          /authorization/i,
        );
        assert.match(res.headers.get("vary") ?? "", /origin/i);
      }
    },
  );
});

Deno.test("a CORS preflight from a foreign origin gets 403 without CORS headers", async () => {
  const { port } = await loopbackServer();
  for (const origin of [EVIL, "null"]) {
    const res = await mustRequest(port, {
      method: "OPTIONS",
      path: "/publish/t",
      headers: [
        ["Origin", origin],
        ["Access-Control-Request-Method", "POST"],
      ],
    });
    assertForbidden(res, "forbidden_origin", origin);
    assert.deepStrictEqual(
      res.headers.get("access-control-allow-origin"),
      null,
    );
    assert.deepStrictEqual(
      res.headers.get("access-control-allow-methods"),
      null,
    );
  }
});

Deno.test("no response carries a wildcard or a foreign Access-Control-Allow-Origin", async () => {
  const { port, token } = await tokenServer();
  const origins = [undefined, EVIL, "null", "http://localhost:5173"];
  const requests = [
    { path: "/health" },
    { method: "HEAD", path: "/health" },
    { path: "/info" },
    { path: "/info", auth: true },
    { path: "/ws" },
    { path: "/ws", auth: true },
    { path: "/nowhere" },
    { method: "POST", path: "/publish/t", auth: true },
    { method: "POST", path: "/publish/t" },
    { method: "OPTIONS", path: "/health" },
    { method: "OPTIONS", path: "/ws" },
    { method: "DELETE", path: "/info" },
  ];
  for (const origin of origins) {
    for (const r of requests) {
      const headers: [string, string][] = [
        ["Content-Type", "application/json"],
      ];
      if (origin) headers.push(["Origin", origin]);
      if (r.auth) headers.push(["Authorization", `Bearer ${token}`]);
      const res = await mustRequest(port, {
        method: r.method,
        path: r.path,
        headers,
        body: r.method === "POST" ? "{}" : undefined,
      });
      const what = `${r.method ?? "GET"} ${r.path} from ${origin}`;
      const acao = res.headers.get("access-control-allow-origin");
      assert(acao !== "*", `${what}: wildcard ACAO`);
      assert(
        acao === null || acao === "http://localhost:5173",
        `${what}: ACAO ${acao}`,
      );
      assert(
        res.headers.get("access-control-allow-credentials") === null ||
          acao !== null,
        `${what}: credentials without an origin`,
      );
    }
  }
});

// --- Token auth --------------------------------------------------------------

Deno.test("with --auth token, /ws, /publish and /info answer 401 without the token", async () => {
  const { port } = await tokenServer();
  const ws = await upgrade(port);
  assert.deepStrictEqual(ws.status, 401, "/ws upgrade");
  assert.deepStrictEqual(JSON.parse(ws.body).error, "unauthorized");
  assert.deepStrictEqual((await publish(port)).status, 401, "/publish");
  assert.deepStrictEqual(
    (await mustRequest(port, { path: "/info" })).status,
    401,
    "/info",
  );
  const res = await fetch(`http://127.0.0.1:${port}/info`);
  await res.body?.cancel();
  assert.deepStrictEqual(res.status, 401, "/info via fetch");
});

Deno.test("with --auth token, a wrong token gets 401", async () => {
  const { port, token } = await tokenServer();
  const wrong = [
    "",
    "x",
    token.slice(0, -1),
    token + "A",
    token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"),
    token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
  ];
  for (const w of wrong) {
    const bearer: [string, string] = ["Authorization", `Bearer ${w}`];
    assert.deepStrictEqual(
      (await upgrade(port, [bearer])).status,
      401,
      `ws ${w}`,
    );
    assert.deepStrictEqual(
      (await upgrade(port, [], `/ws?token=${encodeURIComponent(w)}`)).status,
      401,
      `ws ?token=${w}`,
    );
    assert.deepStrictEqual(
      (await publish(port, [bearer])).status,
      401,
      `publish ${w}`,
    );
    assert.deepStrictEqual(
      (await mustRequest(port, { path: "/info", headers: [bearer] })).status,
      401,
      `info ${w}`,
    );
  }
  const basic: [string, string] = [
    "Authorization",
    `Basic ${btoa(`x:${token}`)}`,
  ];
  assert.deepStrictEqual(
    (await mustRequest(port, { path: "/info", headers: [basic] })).status,
    401,
  );
});

Deno.test("with --auth token, ?token= opens the WebSocket", async () => {
  const { port, token } = await tokenServer();
  const { ws, hello, next } = await connectWs(
    `ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`,
  );
  try {
    assert.deepStrictEqual(hello.type, "hello");
    ws.send(JSON.stringify({ type: "ping", id: 7 }));
    assert.deepStrictEqual(await next(), { type: "pong", id: 7 });
  } finally {
    ws.close();
  }
});

Deno.test("with --auth token, a Bearer token opens /ws and authorizes /publish and /info", async () => {
  const { port, token } = await tokenServer();
  const bearer: [string, string] = ["Authorization", `Bearer ${token}`];
  assert.deepStrictEqual((await upgrade(port, [bearer])).status, 101);
  const post = await publish(port, [bearer]);
  assert.deepStrictEqual(post.status, 200);
  assert.deepStrictEqual(JSON.parse(post.body), { delivered: 0 });
  const info = await fetch(`http://127.0.0.1:${port}/info`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = await info.json();
  assert.deepStrictEqual(info.status, 200);
  assert.deepStrictEqual(body.port, port);
  assert.deepStrictEqual(
    body.token,
    undefined,
    "/info does not echo the token",
  );
});

Deno.test("with --auth token, ?token= is not accepted on /publish and /info", async () => {
  const { port, token } = await tokenServer();
  const q = `?token=${encodeURIComponent(token)}`;
  assert.deepStrictEqual(
    (await publish(port, [], `/publish/t${q}`)).status,
    401,
  );
  assert.deepStrictEqual(
    (await mustRequest(port, { path: `/info${q}` })).status,
    401,
  );
});

Deno.test("with --auth token, /health needs no token", async () => {
  const { port } = await tokenServer();
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.deepStrictEqual(res.status, 200);
  assert.deepStrictEqual((await res.json()).status, "ok");
});

Deno.test("PRYX_AUTH=token turns token auth on", async () => {
  await withServer([], async ({ port }, home) => {
    assert(readToken(home) !== undefined, "token in the instance file");
    assert.deepStrictEqual(
      (await mustRequest(port, { path: "/info" })).status,
      401,
    );
  }, { env: { PRYX_AUTH: "token" } });
});

Deno.test(
  "the token is long, fresh per start, and only in the 0600 instance file",
  { ignore: NOT_LINUX },
  async () => {
    const tokens: string[] = [];
    for (const format of ["text", "json"]) {
      await withServer(
        ["--auth", "token", "--log-format", format],
        async (server: RunningServer, home) => {
          const token = readToken(home)!;
          assert(token.length >= 32, `token of ${token.length} characters`);
          assert.match(token, /^[A-Za-z0-9_-]+$/);
          tokens.push(token);
          assertMode(`${home}/runtime.json`, 0o600);
          assert(
            !Deno.readTextFileSync(`${home}/runtime.port`).includes(token),
            "not in the port file",
          );
          const cmdline = Deno.readTextFileSync(
            `/proc/${server.child.pid}/cmdline`,
          );
          assert(!cmdline.includes(token), "not on the command line");
          // Requests with and without it must not make it appear in the log.
          await upgrade(server.port, [["Authorization", `Bearer ${token}`]]);
          await upgrade(server.port);
          await publish(server.port, [["Authorization", "Bearer nope"]]);
          const { stderr } = await server.stop("SIGTERM");
          assert.match(stderr, /Starting server on/);
          assert(!stderr.includes(token), `token in stderr: ${stderr}`);
        },
      );
    }
    assert(tokens[0] !== tokens[1], "each start gets a new token");
  },
);

Deno.test("--listen 0.0.0.0:0 turns token auth on by default", async () => {
  await withServer(["--listen", "0.0.0.0:0"], async ({ port }, home) => {
    const token = readToken(home);
    assert(token !== undefined && token.length >= 32, "token written");
    assert.deepStrictEqual((await upgrade(port)).status, 401);
    assert.deepStrictEqual(
      (await mustRequest(port, { path: "/info" })).status,
      401,
    );
    assert.deepStrictEqual(
      (await mustRequest(port)).status,
      200,
      "/health stays open",
    );
  });
});

Deno.test("--auth none on all interfaces prints a warning and leaves the bus open", async () => {
  await withServer(
    ["--listen", "0.0.0.0:0", "--auth", "none"],
    async (server, home) => {
      assert(
        (readToken(home)?.length ?? 0) >= 32,
        "the token is still written: the control routes need it",
      );
      assert.deepStrictEqual(
        (await mustRequest(server.port, { path: "/info" })).status,
        200,
      );
      assert.match(server.stderr(), /without a token/);
    },
  );
});

Deno.test("token auth is off by default on loopback, without a warning", {
  ignore: NO_POSIX_SIGNALS,
}, async () => {
  await withServer([], async (server, home) => {
    assert(
      (readToken(home)?.length ?? 0) >= 32,
      "the token is still written: the control routes need it",
    );
    assert.deepStrictEqual(
      (await mustRequest(server.port, { path: "/info" })).status,
      200,
    );
    const { stderr } = await server.stop("SIGTERM");
    assert(!/without a token/i.test(stderr), stderr);
  });
});

/**
 * Black-box tests of `pryx-core serve`: instance files, listen addresses,
 * routes, bad input and the shutdown lifecycle.
 *
 * @module
 */

import { holdAdjacentPorts } from "../_harness/net.ts";
import assert from "node:assert/strict";
import {
  connectWs,
  NO_POSIX_SIGNALS,
  runCli,
  startServer,
  withHome,
  withServer,
} from "../_harness/cli.ts";
import { assertMode, exists } from "../_harness/fs.ts";
import {
  mustRequest,
  RawConnection,
  requestHead,
} from "../_harness/raw_http.ts";

/** A port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Asserts a one-line error on stderr with no stack trace. */
function assertOneLineError(stderr: string): void {
  const lines = stderr.trim().split("\n");
  assert.deepStrictEqual(lines.length, 1, `one line on stderr: ${stderr}`);
  assert.match(lines[0], /^pryx-core: /);
  assert.doesNotMatch(stderr, /\n\s+at |Stack backtrace|error: Uncaught/);
}

/** The socket beside the port, where the OS has Unix sockets (SPEC 4). */
const SOCKET = Deno.build.os === "windows" ? [] : ["runtime.sock"];

Deno.test("serve publishes 0600 port and metadata files in a 0700 state directory", () =>
  withHome(async (home) => {
    const state = `${home}/state`;
    // A state directory that does not exist yet: serve creates it, 0700.
    await using server = await startServer(state);
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${state}/runtime.port`),
      `${server.port}\n`,
    );
    const info = JSON.parse(Deno.readTextFileSync(`${state}/runtime.json`));
    assert.deepStrictEqual(info.port, server.port);
    assert.deepStrictEqual(info.url, `http://127.0.0.1:${server.port}`);
    assert.deepStrictEqual(info.wsUrl, `ws://127.0.0.1:${server.port}/ws`);
    assert.deepStrictEqual(info.instance, "runtime");
    assert.deepStrictEqual(info.hostname, "127.0.0.1");
    assert(typeof info.pid === "number" && typeof info.version === "string");
    assert(!Number.isNaN(Date.parse(info.startedAt)), "startedAt is ISO 8601");
    assert(
      typeof info.token === "string" && info.token.length >= 32,
      "a token, always: the control routes need it",
    );
    assertMode(state, 0o700);
    const files = ["runtime.json", "runtime.lock", "runtime.port", ...SOCKET];
    for (const f of files) assertMode(`${state}/${f}`, 0o600, f);
    assert.deepStrictEqual(
      [...Deno.readDirSync(state)].map((e) => e.name).sort(),
      files,
    );
  }));

Deno.test("serve logs the Starting server line and answers GET and HEAD /health", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    assert.match(
      server.stderr(),
      new RegExp(`Starting server on http://127\\.0\\.0\\.1:${server.port}\\b`),
    );
    const res = await fetch(`http://localhost:${server.port}/health`);
    const body = await res.json();
    assert.deepStrictEqual(res.status, 200);
    assert.deepStrictEqual(
      Object.keys(body).sort(),
      [
        "instance",
        "pid",
        "protocol",
        "runId",
        "service",
        "status",
        "timestamp",
        "version",
      ],
    );
    assert.deepStrictEqual([body.status, body.service, body.instance], [
      "ok",
      "pryx-core",
      "runtime",
    ]);
    const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    assert.deepStrictEqual(body.pid, info.pid);
    assert.deepStrictEqual(body.runId, info.runId);
    assert.match(body.runId, /^[0-9a-f]{32}$/);
    assert.deepStrictEqual(body.protocol, 1);
    const head = await fetch(`http://127.0.0.1:${server.port}/health`, {
      method: "HEAD",
    });
    assert.deepStrictEqual(head.status, 200);
    assert.deepStrictEqual(await head.text(), "");
  }));

Deno.test("serve answers on [::1] at the same port when the loopback host is used", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const res = await fetch(`http://[::1]:${server.port}/health`);
    assert.deepStrictEqual((await res.json()).status, "ok");
    const { ws, hello } = await connectWs(`ws://[::1]:${server.port}/ws`);
    assert.deepStrictEqual(hello.type, "hello");
    ws.close();
  }));

Deno.test("a plain GET /ws gets 426 and unknown routes 404", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const res = await fetch(`http://127.0.0.1:${server.port}/ws`);
    assert.deepStrictEqual(res.status, 426);
    await res.body?.cancel();
    const missing = await fetch(`http://127.0.0.1:${server.port}/nope`);
    assert.deepStrictEqual(missing.status, 404);
    await missing.body?.cancel();
  }));

Deno.test("GET /info returns the instance metadata with the counts of clients and leases", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--instance", "info-test"], {
      instance: "info-test",
    });
    const { clients, leases, ...info } =
      await (await fetch(`http://127.0.0.1:${server.port}/info`)).json();
    const { token, ...visible } = JSON.parse(
      Deno.readTextFileSync(`${home}/info-test.json`),
    );
    assert.deepStrictEqual(info, visible, "all but the token");
    assert.deepStrictEqual(typeof token, "string");
    assert.deepStrictEqual({ clients, leases }, { clients: 0, leases: 0 });
  }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(
    `${signal} sends runtime.shutdown and 1001, removes the files, exits 0`,
    { ignore: NO_POSIX_SIGNALS },
    () =>
      withHome(async (home) => {
        await using server = await startServer(home);
        const { ws, next } = await connectWs(
          `ws://localhost:${server.port}/ws`,
        );
        const closed = new Promise<CloseEvent>((resolve) =>
          ws.addEventListener("close", resolve)
        );
        const stopping = server.stop(signal);
        const event = await next();
        assert.deepStrictEqual([event.type, event.topic], [
          "event",
          "runtime.shutdown",
        ]);
        assert.deepStrictEqual((await closed).code, 1001);
        const { code, stderr } = await stopping;
        assert.deepStrictEqual(code, 0, stderr);
        assert(!exists(`${home}/runtime.port`), "port file removed");
        assert(!exists(`${home}/runtime.json`), "metadata file removed");
      }),
  );
}

Deno.test("a fixed port is used strictly and a busy one exits 3", () =>
  withHome(async (home) => {
    const port = freePort();
    {
      await using server = await startServer(home, [
        "--listen",
        `127.0.0.1:${port}`,
      ]);
      assert.deepStrictEqual(server.port, port);
    }
    const holder = Deno.listen({ hostname: "127.0.0.1", port });
    try {
      const res = await runCli(["serve", "--listen", `:${port}`], {
        env: { PRYX_HOME: home },
      });
      assert.deepStrictEqual(res.code, 3, res.stderr);
      assertOneLineError(res.stderr);
      assert.match(res.stderr, new RegExp(`${port}`));
      assert(
        !exists(`${home}/runtime.port`),
        "no port file after a failed bind",
      );
    } finally {
      holder.close();
    }
  }));

Deno.test("PRYX_LISTEN_ADDR is used, and --listen wins over it", () =>
  withHome(async (home) => {
    const [a, b] = [freePort(), freePort()];
    {
      await using server = await startServer(home, [], {
        env: { PRYX_LISTEN_ADDR: `:${a}` },
      });
      assert.deepStrictEqual(server.port, a);
    }
    await using server = await startServer(home, ["--listen", `:${b}`], {
      env: { PRYX_LISTEN_ADDR: `:${a}` },
    });
    assert.deepStrictEqual(server.port, b);
  }));

Deno.test("a range takes its first free port and exits 3 naming the range when all are busy", () =>
  withHome(async (home) => {
    // Three free ports in a row; the first two stay held by "another program".
    const held = holdAdjacentPorts(3);
    const first = (held[0].addr as Deno.NetAddr).port;
    held[2].close();
    try {
      const range = `127.0.0.1:${first}-${first + 2}`;
      {
        await using server = await startServer(home, ["--listen", range]);
        assert.deepStrictEqual(server.port, first + 2);
      }
      const busy = `127.0.0.1:${first}-${first + 1}`;
      const res = await runCli(["serve", "--listen", busy], {
        env: { PRYX_HOME: home },
      });
      assert.deepStrictEqual(res.code, 3, res.stderr);
      assertOneLineError(res.stderr);
      assert.match(res.stderr, new RegExp(`${first}-${first + 1}`));
    } finally {
      for (const l of held.slice(0, 2)) l.close();
    }
  }));

Deno.test("the legacy :3000 takes an OS-assigned port even when 3000 is busy", () =>
  withHome(async (home) => {
    let holder: Deno.Listener | undefined;
    try {
      holder = Deno.listen({ hostname: "127.0.0.1", port: 3000 });
    } catch {
      // 3000 is already busy: that is the case this test wants anyway
    }
    try {
      await using server = await startServer(home, ["--listen", ":3000"]);
      assert(server.port !== 3000, `got ${server.port}`);
      // The rewrite is said, in one line, so a user who typed 3000 knows.
      const said = server.stderr().split("\n").filter((l) =>
        l.includes("OS-assigned port instead of :3000")
      );
      assert.equal(said.length, 1, server.stderr());
    } finally {
      holder?.close();
    }
  }));

Deno.test("the legacy rewrite is logged for PRYX_LISTEN_ADDR too", () =>
  withHome(async (home) => {
    await using server = await startServer(home, [], {
      env: { PRYX_LISTEN_ADDR: ":3000" },
    });
    assert.match(server.stderr(), /OS-assigned port instead of :3000/);
  }));

Deno.test("all interfaces serve on every address and default to token auth", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--listen", "0.0.0.0:0"]);
    const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    assert.deepStrictEqual([info.hostname, info.url], [
      "0.0.0.0",
      `http://127.0.0.1:${server.port}`,
    ]);
    assert(typeof info.token === "string" && info.token.length >= 32);
    const res = await fetch(`http://127.0.0.1:${server.port}/health`);
    assert.deepStrictEqual(res.status, 200);
    await res.body?.cancel();
  }));

Deno.test("bad addresses, instance names and flags exit 2 with one line and write nothing", () =>
  withHome(async (home) => {
    const cases = [
      ["--listen", "abc"],
      ["--listen", ":99999"],
      ["--listen", ":-1"],
      ["--listen", "1.2.3.4.5:80"],
      ["--listen", "127.0.0.1:50-40"],
      ["--listen", "[::1"],
      ["--listen", "example.com:80"],
      ["--instance", "../x"],
      ["--instance", "a/b"],
      ["--instance", ""],
      ["--instance", "Upper"],
      ["--instance", "nul"],
      ["--instance", "con.x"],
      ["--instance", "com1"],
      ["--bogus"],
      ["--auth", "maybe"],
      ["--log-format", "xml"],
      ["--allow-origin", "not an origin"],
    ];
    const state = `${home}/state`;
    for (const args of cases) {
      const res = await runCli(["serve", ...args], {
        env: { PRYX_HOME: state },
      });
      assert.deepStrictEqual(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
      assertOneLineError(res.stderr);
    }
    const env = await runCli(["serve"], {
      env: { PRYX_HOME: state, PRYX_INSTANCE: "../evil" },
    });
    assert.deepStrictEqual(env.code, 2, env.stderr);
    assert.deepStrictEqual(
      [...Deno.readDirSync(home)].map((e) => e.name),
      [],
      "nothing written",
    );
  }));

Deno.test("an unusable state directory exits 5 with one line", () =>
  withHome(async (home) => {
    Deno.writeTextFileSync(`${home}/file`, "");
    const res = await runCli(["serve"], {
      env: { PRYX_HOME: `${home}/file/state` },
    });
    assert.deepStrictEqual(res.code, 5, res.stderr);
    assertOneLineError(res.stderr);
  }));

Deno.test("a corrupt stale port file is replaced; a directory in its place exits 5", () =>
  withHome(async (home) => {
    Deno.writeTextFileSync(`${home}/runtime.port`, "garbage");
    Deno.writeTextFileSync(`${home}/runtime.json`, "{not json");
    {
      await using server = await startServer(home);
      assert.deepStrictEqual(
        Deno.readTextFileSync(`${home}/runtime.port`),
        `${server.port}\n`,
      );
    }
    const other = `${home}/other`;
    Deno.mkdirSync(`${other}/runtime.port`, { recursive: true });
    const res = await runCli(["serve"], { env: { PRYX_HOME: other } });
    assert.deepStrictEqual(res.code, 5, res.stderr);
    assertOneLineError(res.stderr);
  }));

Deno.test("a port file that is a symlink is replaced, never written through", () =>
  withHome(async (home) => {
    const outside = `${home}/outside.txt`;
    Deno.writeTextFileSync(outside, "keep");
    Deno.mkdirSync(`${home}/state`);
    Deno.symlinkSync(outside, `${home}/state/runtime.port`);
    await using server = await startServer(`${home}/state`);
    assert.deepStrictEqual(Deno.readTextFileSync(outside), "keep");
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/state/runtime.port`),
      `${server.port}\n`,
    );
  }));

Deno.test("a second start of a live instance exits 4 naming the owner and leaves its files", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const before = Deno.readTextFileSync(`${home}/runtime.json`);
    const pid = JSON.parse(before).pid;
    const res = await runCli(["serve"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(res.code, 4, res.stderr);
    assertOneLineError(res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`pid ${pid}\\b.*http://127\\.0\\.0\\.1:${server.port}`),
    );
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/runtime.json`),
      before,
    );
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/runtime.port`),
      `${server.port}\n`,
    );
  }));

Deno.test("instances are independent: two names, two ports, two sets of files", () =>
  withHome(async (home) => {
    await using a = await startServer(home, ["--instance", "a"], {
      instance: "a",
    });
    await using b = await startServer(home, [], {
      instance: "b",
      env: { PRYX_INSTANCE: "b" },
    });
    assert(a.port !== b.port);
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/b.port`),
      `${b.port}\n`,
    );
  }));

Deno.test("shutdown leaves files alone that no longer describe this process", {
  ignore: NO_POSIX_SIGNALS,
}, () =>
  withHome(async (home) => {
    const server = await startServer(home);
    const foreign = {
      ...JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)),
      pid: 1,
    };
    Deno.writeTextFileSync(`${home}/runtime.json`, JSON.stringify(foreign));
    Deno.writeTextFileSync(`${home}/runtime.port`, "1234\n");
    const { code } = await server.stop("SIGTERM");
    assert.deepStrictEqual(code, 0);
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/runtime.port`),
      "1234\n",
    );
    assert.deepStrictEqual(
      JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).pid,
      1,
    );
  }));

Deno.test("a stale instance of a SIGKILLed process is replaced without asking", () =>
  withHome(async (home) => {
    const first = await startServer(home);
    const stale = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    await first.stop("SIGKILL");
    assert(
      exists(`${home}/runtime.port`),
      "SIGKILL leaves the port file behind",
    );
    await using second = await startServer(home);
    const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
    assert(info.pid !== stale.pid, "the metadata is the new owner's");
    assert.deepStrictEqual(
      Deno.readTextFileSync(`${home}/runtime.port`),
      `${second.port}\n`,
    );
    const health = await (await fetch(`http://127.0.0.1:${second.port}/health`))
      .json();
    assert.deepStrictEqual(health.pid, info.pid);
  }));

Deno.test("temp files of an owner killed while publishing are removed, another instance's are kept", () =>
  withHome(async (home) => {
    const leftovers = [
      ".runtime.port.4194301.k2x9q1.tmp",
      ".runtime.json.4194301.a7b3c0.tmp",
    ];
    // Instance "runtime.port" is another instance: its temp files are not ours.
    const foreign = ".runtime.port.port.4194301.z9y8x7.tmp";
    for (const name of [...leftovers, foreign]) {
      Deno.writeTextFileSync(`${home}/${name}`, "partial");
    }
    await using _server = await startServer(home);
    const names = [...Deno.readDirSync(home)].map((e) => e.name).sort();
    assert.deepStrictEqual(names, [
      foreign,
      "runtime.json",
      "runtime.lock",
      "runtime.port",
      ...SOCKET,
    ]);
  }));

/** Whether this machine has an IPv6 loopback to listen on. */
function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "a strict port held by another program on [::1] only is busy: exit 3 naming the port",
  ignore: !hasIpv6Loopback(),
  fn: () =>
    withHome(async (home) => {
      using holder = Deno.listen({ hostname: "::1", port: 0 });
      const port = (holder.addr as Deno.NetAddr).port;
      for (const listen of [`:${port}`, `127.0.0.1:${port}`, `${port}`]) {
        const r = await runCli(["serve", "--listen", listen], {
          env: { PRYX_HOME: home },
        });
        assert.deepStrictEqual(r.code, 3, `${listen}: ${r.stderr}`);
        assertOneLineError(r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`port ${port} is in use on \\[::1\\]`),
        );
        assert(!exists(`${home}/runtime.port`), "nothing published");
      }
    }),
});

Deno.test({
  name: "a range skips a port held by another program on [::1] only",
  ignore: !hasIpv6Loopback(),
  fn: () =>
    withHome(async (home) => {
      // [::1]:P held by "another program", P+1 free on both families.
      for (let attempt = 0; attempt < 20; attempt++) {
        using holder = Deno.listen({ hostname: "::1", port: 0 });
        const port = (holder.addr as Deno.NetAddr).port;
        if (port >= 65535 || !portFree(port + 1)) continue;
        await using server = await startServer(home, [
          "--listen",
          `127.0.0.1:${port}-${port + 1}`,
        ]);
        assert.deepStrictEqual(server.port, port + 1);
        return;
      }
      assert.fail("no free pair of adjacent ports in 20 tries");
    }),
});

/** Whether `port` is free on 127.0.0.1 and [::1]. */
function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    Deno.listen({ hostname: "::1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("serve --help and --version print to stdout and exit 0 without starting", async () => {
  const help = await runCli(["serve", "--help"]);
  assert.deepStrictEqual(help.code, 0);
  assert.match(help.stdout, /Usage: pryx-core serve/);
  const expected = (await runCli(["--version"])).stdout.trim();
  assert.match(expected, /^\d+\.\d+\.\d+/);
  for (const flag of ["--version", "-V"]) {
    const version = await runCli(["serve", flag]);
    assert.deepStrictEqual([version.code, version.stdout.trim()], [
      0,
      expected,
    ]);
  }
});

Deno.test(
  "while draining, /health is 503 and a request in flight is still answered",
  { ignore: NO_POSIX_SIGNALS },
  () =>
    withHome(async (home) => {
      const server = await startServer(home);
      using conn = await RawConnection.open(server.port);
      const body = JSON.stringify({ late: true });
      await conn.write(requestHead(server.port, {
        method: "POST",
        path: "/publish/late",
        headers: [["Content-Type", "application/json"], [
          "Content-Length",
          String(body.length),
        ]],
      }));
      await conn.write(body.slice(0, 5));
      // Nothing observable tells that the handler is now awaiting the rest of
      // the body; give the server ample time to dispatch the request.
      await new Promise((r) => setTimeout(r, 250));
      // Wait (bounded) until the server is draining, then finish the body.
      const stopping = server.stop("SIGTERM");
      for (
        let i = 0;
        i < 200 && !server.stderr().includes("Received SIGTERM");
        i++
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.match(server.stderr(), /Received SIGTERM/);
      // Draining: /health says so while the request is still in flight.
      const health = await fetch(`http://127.0.0.1:${server.port}/health`);
      assert.deepStrictEqual([health.status, (await health.json()).status], [
        503,
        "shutting_down",
      ]);
      await conn.write(body.slice(5));
      const res = await conn.readResponse(5000);
      assert.deepStrictEqual(res?.status, 200, res?.body);
      assert.deepStrictEqual(JSON.parse(res!.body), { delivered: 0 });
      assert.deepStrictEqual((await stopping).code, 0);
    }),
);

Deno.test("a known route asked with another method gets 405 with Allow; an unknown route 404", () =>
  withServer([], async ({ port }) => {
    for (
      const [method, path, allow] of [
        ["POST", "/health", "GET, HEAD"],
        ["DELETE", "/health", "GET, HEAD"],
        ["PUT", "/ws", "GET"],
        ["GET", "/publish/topic", "POST"],
        ["DELETE", "/info", "GET, HEAD"],
        ["GET", "/control/shutdown", "POST"],
      ]
    ) {
      const res = await mustRequest(port, { method, path });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal(JSON.parse(res.body).error, "method_not_allowed");
    }
    const head = await mustRequest(port, { method: "HEAD", path: "/health" });
    assert.equal(head.status, 200);
    const none = await mustRequest(port, { method: "POST", path: "/nowhere" });
    assert.equal(none.status, 404);
  }));

Deno.test({
  name:
    "an existing state directory open to others is made private (0700) with one log line",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const state = `${home}/state`;
      Deno.mkdirSync(state);
      Deno.chmodSync(state, 0o755);
      Deno.writeTextFileSync(`${state}/old.port`, "1\n");
      await using server = await startServer(state);
      assertMode(state, 0o700);
      const lines = server.stderr().split("\n").filter((l) =>
        l.includes("private")
      );
      assert.equal(lines.length, 1, server.stderr());
      assert.match(lines[0], /0755 -> 0700/);
    }),
});

Deno.test({
  name:
    "a shared state directory open to others is left as it is, with one warning",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      Deno.chmodSync(home, 0o755);
      Deno.writeTextFileSync(`${home}/notes.txt`, "mine");
      await using server = await startServer(home);
      assertMode(home, 0o755);
      const lines = server.stderr().split("\n").filter((l) =>
        l.includes("open to other users")
      );
      assert.equal(lines.length, 1, server.stderr());
      assert.match(lines[0], /chmod 700/);
    }),
});

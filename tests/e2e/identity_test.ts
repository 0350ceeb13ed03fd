/**
 * Black-box tests of what identifies a runtime: the token in every
 * metadata file (0600), `--token-file`, the proof of ownership on
 * `/health?challenge=`, `POST /control/shutdown`, and an impostor that
 * binds a dead runtime's port and answers `/health` with its copied pid,
 * run id and service: `discover`, `list`, `stop`, `run` and the client on
 * Deno and Node must call it stale, and `stop` must not touch it. The
 * tests that only send requests to a runtime share one
 * ({@linkcode sharedServer}).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { discover } from "../../lib/client.ts";
import {
  connectWs,
  NO_POSIX_SIGNALS,
  NOT_LINUX,
  runCli,
  sharedServer,
  startServer,
  withHome,
  withServer,
} from "../_harness/cli.ts";
import { clientBundle } from "../_harness/client.ts";
import { assertMode, exists } from "../_harness/fs.ts";
import { type Impostor, startImpostor } from "../_harness/impostor.ts";
import { mustRequest } from "../_harness/raw_http.ts";

function readInfo(home: string, instance = "runtime") {
  return JSON.parse(Deno.readTextFileSync(`${home}/${instance}.json`));
}

Deno.test(
  "every metadata file holds a long token in a 0600 file, with or without --auth",
  { ignore: NO_POSIX_SIGNALS },
  async () => {
    for (const args of [[], ["--auth", "none"], ["--auth", "token"]]) {
      await withServer(args, async (server, home) => {
        const info = readInfo(home);
        assert.deepStrictEqual(typeof info.token, "string", `${args}`);
        // 192 bits or more: at least 32 base64url characters.
        assert(info.token.length >= 32, `token of ${info.token.length} chars`);
        assertMode(`${home}/runtime.json`, 0o600);
        const res = await fetch(`http://127.0.0.1:${server.port}/info`, {
          headers: { Authorization: `Bearer ${info.token}` },
        });
        const visible = await res.json();
        assert.deepStrictEqual(
          visible.token,
          undefined,
          "/info never shows it",
        );
        const { stderr } = await server.stop("SIGTERM");
        assert(!stderr.includes(info.token), "not in the log");
      });
    }
  },
);

Deno.test("each start gets a new token", async () => {
  const tokens = new Set<string>();
  for (let i = 0; i < 2; i++) {
    await withServer([], (_server, home) => {
      tokens.add(readInfo(home).token);
      return Promise.resolve();
    });
  }
  assert.deepStrictEqual(tokens.size, 2);
});

Deno.test("/health?challenge= answers hex(HMAC-SHA256(token, challenge)); plain /health has no proof", async () => {
  const { server: { port }, home } = await sharedServer();
  const { token } = readInfo(home);
  for (const challenge of ["0123456789abcdef", "AB".repeat(64)]) {
    const res = await fetch(
      `http://127.0.0.1:${port}/health?challenge=${challenge}`,
    );
    assert.deepStrictEqual(res.status, 200);
    const body = await res.json();
    assert.deepStrictEqual(
      body.proof,
      createHmac("sha256", token).update(challenge).digest("hex"),
    );
    assert.deepStrictEqual(body.status, "ok");
    assert.deepStrictEqual(body.runId, readInfo(home).runId);
  }
  const plain = await (await fetch(`http://127.0.0.1:${port}/health`))
    .json();
  assert.deepStrictEqual(plain.proof, undefined);
  assert.deepStrictEqual(plain.status, "ok");
});

Deno.test("a bad challenge gets 400 with a JSON error, never a 5xx", async () => {
  const { server: { port } } = await sharedServer();
  const bad = [
    "",
    "0123456789abcde", // 15: too short
    "a".repeat(129), // too long
    "0123456789abcdeg", // not hex
    "0123456789abcdef&challenge=0123456789abcdef", // twice
    "%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
    "0123456789abcdef%20",
    "%F0%9F%98%80".repeat(8),
  ];
  for (const c of bad) {
    for (const method of ["GET", "HEAD"]) {
      const res = await mustRequest(port, {
        method,
        path: `/health?challenge=${c}`,
      });
      assert.deepStrictEqual(res.status, 400, `${method} ?challenge=${c}`);
      if (method === "GET") {
        const body = JSON.parse(res.body);
        assert.deepStrictEqual(body.error, "bad_challenge");
        assert.match(body.message, /16-128 hex/);
      }
    }
  }
});

Deno.test("POST /control/shutdown needs the token: none or a wrong one gets 401, other methods 405", async () => {
  const { server: { port }, home } = await sharedServer();
  const { token } = readInfo(home);
  const post = (headers: [string, string][] = []) =>
    mustRequest(port, {
      method: "POST",
      path: "/control/shutdown",
      headers,
    });
  assert.deepStrictEqual((await post()).status, 401);
  for (
    const wrong of [
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Basic ${btoa(`x:${token}`)}`,
      "Bearer",
    ]
  ) {
    const res = await post([["Authorization", wrong]]);
    assert.deepStrictEqual(res.status, 401, wrong);
    assert.deepStrictEqual(JSON.parse(res.body).error, "unauthorized");
  }
  const query = await mustRequest(port, {
    method: "POST",
    path: `/control/shutdown?token=${token}`,
  });
  assert.deepStrictEqual(query.status, 401, "?token= is not accepted");
  for (const method of ["GET", "PUT", "DELETE"]) {
    const res = await mustRequest(port, {
      method,
      path: "/control/shutdown",
      headers: [["Authorization", `Bearer ${token}`]],
    });
    assert.deepStrictEqual(res.status, 405, method);
    assert.deepStrictEqual(res.headers.get("allow"), "POST");
  }
  const health = await mustRequest(port);
  assert.deepStrictEqual(health.status, 200, "still running");
});

Deno.test("POST /control/shutdown obeys the Host and Origin rules", async () => {
  const { server: { port }, home } = await sharedServer();
  const bearer: [string, string] = [
    "Authorization",
    `Bearer ${readInfo(home).token}`,
  ];
  const evilHost = await mustRequest(port, {
    method: "POST",
    path: "/control/shutdown",
    host: "evil.example",
    headers: [bearer],
  });
  assert.deepStrictEqual(evilHost.status, 403);
  const evilOrigin = await mustRequest(port, {
    method: "POST",
    path: "/control/shutdown",
    headers: [bearer, ["Origin", "https://evil.example"]],
  });
  assert.deepStrictEqual(evilOrigin.status, 403);
  assert.deepStrictEqual((await mustRequest(port)).status, 200);
});

Deno.test("POST /control/shutdown with the token answers 202 and drains as on SIGTERM", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const { token } = readInfo(home);
    const { ws, next } = await connectWs(
      `ws://127.0.0.1:${server.port}/ws`,
    );
    const closed = new Promise<number>((resolve) => {
      ws.onclose = (e) => resolve(e.code);
    });
    const res = await fetch(
      `http://127.0.0.1:${server.port}/control/shutdown`,
      { method: "POST", headers: { Authorization: `Bearer ${token}` } },
    );
    assert.deepStrictEqual(res.status, 202);
    assert.deepStrictEqual((await res.json()).status, "shutting_down");
    const event = await next();
    assert.deepStrictEqual(event.topic, "runtime.shutdown");
    assert.deepStrictEqual(
      (event.data as Record<string, unknown>).reason,
      "control",
    );
    assert.deepStrictEqual(await closed, 1001);
    const { code, stderr } = await server.exited();
    assert.deepStrictEqual(code, 0, stderr);
    assert.match(stderr, /Shutdown requested over HTTP/);
    assert(!exists(`${home}/runtime.port`), "port file removed");
    assert(!exists(`${home}/runtime.json`), "metadata removed");
  }));

/** Writes `text` to a fresh file of `mode` in `dir`; returns its path. */
function tokenFile(dir: string, text: string, mode = 0o600): string {
  const path = `${dir}/token-${crypto.randomUUID()}`;
  Deno.writeTextFileSync(path, text, { mode });
  Deno.chmodSync(path, mode);
  return path;
}

Deno.test(
  "--token-file and PRYX_TOKEN_FILE supply the token; it stays out of logs and the command line",
  { ignore: NOT_LINUX },
  () =>
    withHome(async (home) => {
      const token = crypto.randomUUID().replaceAll("-", "") + "Zz_-";
      const path = tokenFile(home, `${token}\n`);
      for (
        const [args, env] of [
          [["--token-file", path], {}],
          [[], { PRYX_TOKEN_FILE: path }],
        ] as const
      ) {
        const state = `${home}/state-${args.length}`;
        await using server = await startServer(state, [...args], { env });
        assert.deepStrictEqual(readInfo(state).token, token);
        const cmdline = Deno.readTextFileSync(
          `/proc/${server.child.pid}/cmdline`,
        );
        assert(!cmdline.includes(token), "not on the command line");
        const stop = await runCli(["stop"], { env: { PRYX_HOME: state } });
        assert.deepStrictEqual(stop.code, 0, stop.stderr);
        const { stderr } = await server.exited();
        assert(!stderr.includes(token), "not in the log");
        assert(!stop.stderr.includes(token), "not in stop's messages");
      }
    }),
);

Deno.test("--token-file refuses a file others can read, an empty or a short token, with exit 2 and one line", () =>
  withHome(async (home) => {
    const good = "x".repeat(40);
    const cases: [string, RegExp][] = [
      [tokenFile(home, good, 0o644), /chmod 600/],
      [tokenFile(home, good, 0o640), /chmod 600/],
      [tokenFile(home, good, 0o606), /chmod 600/],
      [tokenFile(home, ""), /empty/],
      [tokenFile(home, "\n\n"), /empty/],
      [tokenFile(home, "short-token\n"), /too short/],
      [tokenFile(home, `${good} ${good}`), /more than one token|characters/],
      [`${home}/missing`, /Cannot read the token file/],
      [home, /not a regular file|Cannot read/],
    ];
    for (const [path, why] of cases) {
      const r = await runCli(["serve", "--token-file", path], {
        env: { PRYX_HOME: `${home}/state` },
      });
      assert.deepStrictEqual(r.code, 2, `${path}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.deepStrictEqual(lines.length, 1, r.stderr);
      assert.match(lines[0], why);
      assert(!r.stderr.includes(good), "the token is not echoed");
      assert(!exists(`${home}/state/runtime.port`));
    }
  }));

/**
 * A runtime killed with SIGKILL, and an impostor on its port that answers
 * `/health` with the dead runtime's pid, run id, instance and service.
 */
async function deadRuntimeAndImpostor(
  home: string,
  options: { holdLock?: boolean } = {},
): Promise<
  { impostor: Impostor; port: number; info: Record<string, unknown> }
> {
  const dead = await startServer(home);
  await dead.stop("SIGKILL");
  const info = readInfo(home);
  const impostor = await startImpostor({
    port: dead.port,
    health: {
      service: "pryx-core",
      pid: info.pid,
      runId: info.runId,
      instance: info.instance,
      version: info.version,
      protocol: info.protocol,
    },
    ...(options.holdLock ? { lock: `${home}/runtime.lock` } : {}),
  });
  return { impostor, port: dead.port, info };
}

Deno.test("an impostor on a dead runtime's port is stale to discover, list and stop, and stop leaves it alone", () =>
  withHome(async (home) => {
    const { impostor, port } = await deadRuntimeAndImpostor(home);
    await using _ = impostor;
    const env = { PRYX_HOME: home };
    const d = await runCli(["discover"], { env });
    assert.deepStrictEqual(d.code, 1, d.stdout);
    assert.match(d.stderr, /stale/i);
    const rows = JSON.parse(
      (await runCli(["list", "--json"], { env })).stdout,
    ) as Record<string, unknown>[];
    assert.deepStrictEqual(rows[0].status, "stale");
    assert.deepStrictEqual(rows[0].port, port);
    const stop = await runCli(["stop"], { env });
    assert.deepStrictEqual(stop.code, 1, stop.stderr);
    assert.match(stop.stderr, /Nothing to stop/);
    await new Promise((r) => setTimeout(r, 200));
    assert(impostor.alive(), "stop did not touch the impostor");
  }));

Deno.test("an impostor that also holds the lock fails the proof: discover, list and the client name it, stop does not touch it", () =>
  withHome(async (home) => {
    const { impostor, port } = await deadRuntimeAndImpostor(home, {
      holdLock: true,
    });
    await using _ = impostor;
    const env = { PRYX_HOME: home };
    const wrongProof = new RegExp(
      `127\\.0\\.0\\.1:${port} answers with a wrong proof: not the owner of ${home}/runtime\\.json`,
    );
    const d = await runCli(["discover"], { env });
    assert.deepStrictEqual(d.code, 1, d.stdout);
    assert.match(d.stderr, wrongProof);
    const rows = JSON.parse(
      (await runCli(["list", "--json"], { env })).stdout,
    ) as Record<string, unknown>[];
    // It holds the lock and answers, but not as the owner: hung, not stale.
    assert.deepStrictEqual(rows[0].status, "hung");
    assert.match(String(rows[0].reason), wrongProof);
    const stale: string[] = [];
    assert.deepStrictEqual(
      await discover({ env, onStale: (m) => stale.push(m) }),
      undefined,
    );
    assert(stale.some((m) => wrongProof.test(m)), `${stale}`);
    const stop = await runCli(["stop"], { env });
    assert.deepStrictEqual(stop.code, 1, stop.stderr);
    assert.match(stop.stderr, /holds the lock but does not answer/);
    assert.match(stop.stderr, /--force/);
    await new Promise((r) => setTimeout(r, 200));
    assert(impostor.alive(), "stop did not touch the impostor");
  }));

Deno.test("discover --probe skips an impostor that claims a run it cannot prove", () =>
  withHome(async (home) => {
    const { impostor, port } = await deadRuntimeAndImpostor(home);
    await using _ = impostor;
    const r = await runCli(["discover", "--probe", String(port)], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 1, r.stdout);
    assert.match(r.stderr, /wrong proof/);
  }));

Deno.test("run does not use an impostor: it starts its own runtime", () =>
  withHome(async (home) => {
    const { impostor, port } = await deadRuntimeAndImpostor(home);
    await using _ = impostor;
    const r = await runCli(
      ["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'],
      { env: { PRYX_HOME: home } },
    );
    assert.deepStrictEqual(r.code, 0, r.stderr);
    const url = r.stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notDeepStrictEqual(url, `http://127.0.0.1:${port}`);
    assert(impostor.alive());
  }));

Deno.test("the client on Node.js, which has no flock, rejects an impostor by its proof", async () => {
  const bundle = await clientBundle();
  await withHome(async (home) => {
    const { impostor } = await deadRuntimeAndImpostor(home);
    await using _ = impostor;
    const script = `
const client = await import(process.argv[1]);
const stale = [];
const rt = await client.discover({ onStale: (m) => stale.push(m) });
console.log(JSON.stringify({ rt: rt ?? null, stale }));`;
    const out = await new Deno.Command("node", {
      args: ["--input-type=module", "-e", script, bundle],
      env: { PATH: Deno.env.get("PATH") ?? "", PRYX_HOME: home },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.deepStrictEqual(out.code, 0, dec.decode(out.stderr));
    const { rt, stale } = JSON.parse(dec.decode(out.stdout));
    assert.deepStrictEqual(rt, null);
    assert(
      (stale as string[]).some((m) => /wrong proof/.test(m)),
      `${stale}`,
    );
  });
});

Deno.test("without --auth token, discover --json shows the token but --env and run do not export it", () =>
  withHome(async (home) => {
    await using _server = await startServer(home);
    const env = { PRYX_HOME: home };
    const { token } = readInfo(home);
    const json = await runCli(["discover", "--json"], { env });
    assert.deepStrictEqual(JSON.parse(json.stdout).token, token);
    const e = await runCli(["discover", "--env"], { env });
    assert.deepStrictEqual(e.code, 0, e.stderr);
    assert.doesNotMatch(e.stdout, /PRYX_TOKEN/);
    const r = await runCli(
      ["run", "--", "sh", "-c", 'echo "token=${PRYX_TOKEN:-none}"'],
      { env },
    );
    assert.deepStrictEqual(r.stdout, "token=none\n", r.stderr);
  }));

Deno.test("PRYX_API_URL with PRYX_TOKEN must prove it holds that token", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const { token } = readInfo(home);
    const url = `http://127.0.0.1:${server.port}`;
    const env = { PRYX_HOME: `${home}/elsewhere`, PRYX_API_URL: url };
    const right = await runCli(["discover", "--format", "url"], {
      env: { ...env, PRYX_TOKEN: token },
    });
    assert.deepStrictEqual(right.code, 0, right.stderr);
    assert.deepStrictEqual(right.stdout, `${url}\n`);
    const wrong = await runCli(["discover"], {
      env: { ...env, PRYX_TOKEN: "x".repeat(43) },
    });
    assert.deepStrictEqual(wrong.code, 1, wrong.stdout);
    assert.match(
      wrong.stderr,
      /wrong proof: not the owner of the token in PRYX_TOKEN/,
    );
  }));

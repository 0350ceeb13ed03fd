/**
 * Black-box tests of `pryx-core discover`: every format's
 * exact stdout, exit codes, stale files, restarts, the URL overrides,
 * `--wait`, `--probe`, `--any` and token auth.
 *
 * @module
 */

import assert from "node:assert/strict";
import { cliCommand, runCli, startServer, withHome } from "../_harness/cli.ts";
import { denoClientDiscover } from "../_harness/client.ts";

const EXITS_ONE_LINE = /^pryx-core: No live runtime/m;

Deno.test("discover prints exactly the port and a newline by default", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const r = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `${server.port}\n`);
    assert.deepStrictEqual(r.stderr, "");
  }));

Deno.test("discover prints the url, ws, json and env formats exactly", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    const p = server.port;
    const out = async (args: string[]) => {
      const r = await runCli(["discover", ...args], { env });
      assert.deepStrictEqual(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.deepStrictEqual(await out(["--format", "port"]), `${p}\n`);
    assert.deepStrictEqual(
      await out(["--format", "url"]),
      `http://127.0.0.1:${p}\n`,
    );
    assert.deepStrictEqual(
      await out(["--format=ws"]),
      `ws://127.0.0.1:${p}/ws\n`,
    );
    const file = Deno.readTextFileSync(`${home}/runtime.json`);
    assert.deepStrictEqual(await out(["--format", "json"]), file);
    assert.deepStrictEqual(await out(["--json"]), file);
    const envText = `export PRYX_API_URL=http://127.0.0.1:${p}\n` +
      `export PRYX_WS_URL=ws://127.0.0.1:${p}/ws\n` +
      (Deno.build.os === "windows"
        ? ""
        : `export PRYX_SOCKET=${home}/runtime.sock\n`);
    assert.deepStrictEqual(await out(["--format", "env"]), envText);
    assert.deepStrictEqual(await out(["--env"]), envText);
  }));

Deno.test("the env format can be eval'd by a POSIX shell", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const [cmd, args] = cliCommand(["discover", "--env"]);
    const line = [cmd, ...args].map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("sh", {
      args: ["-c", `eval "$(${line})" && echo "$PRYX_API_URL $PRYX_WS_URL"`],
      env: { PRYX_HOME: home, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.deepStrictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepStrictEqual(
      new TextDecoder().decode(out.stdout),
      `http://127.0.0.1:${server.port} ws://127.0.0.1:${server.port}/ws\n`,
    );
  }));

Deno.test("discover exits 1 with nothing running and says what it tried", () =>
  withHome(async (home) => {
    const r = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 1);
    assert.deepStrictEqual(r.stdout, "");
    assert.match(r.stderr, EXITS_ONE_LINE);
    assert(r.stderr.includes(`${home}/runtime.port`), r.stderr);
  }));

Deno.test("discover --quiet prints nothing and answers with the exit code", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const none = await runCli(["discover", "--quiet"], { env });
    assert.deepStrictEqual([none.code, none.stdout], [1, ""]);
    await using _server = await startServer(home);
    const live = await runCli(["discover", "-q"], { env });
    assert.deepStrictEqual([live.code, live.stdout, live.stderr], [0, "", ""]);
  }));

Deno.test("discover skips and names the stale file after kill -9, then finds the restarted runtime", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const first = await startServer(home);
    await first.stop("SIGKILL");
    const stale = await runCli(["discover"], { env });
    assert.deepStrictEqual(stale.code, 1);
    assert.deepStrictEqual(stale.stdout, "");
    assert.match(stale.stderr, /stale/i);
    assert(stale.stderr.includes(`${home}/runtime.port`), stale.stderr);
    assert.deepStrictEqual(
      stale.stderr.trim().split("\n").length,
      1,
      "one line on exit 1",
    );

    const unchecked = await runCli(["discover", "--no-check"], { env });
    assert.deepStrictEqual(unchecked.stdout, `${first.port}\n`);

    await using second = await startServer(home);
    const live = await runCli(["discover"], { env });
    assert.deepStrictEqual(live.code, 0, live.stderr);
    assert.deepStrictEqual(live.stdout, `${second.port}\n`);
  }));

Deno.test("discover does not trust a port file whose runId disagrees with /health, whatever its pid", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const path = `${home}/runtime.json`;
    const info = JSON.parse(Deno.readTextFileSync(path));
    // Same pid and port, another run: a pid says nothing across restarts.
    Deno.writeTextFileSync(
      path,
      JSON.stringify({ ...info, runId: "f".repeat(32) }),
    );
    const r = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 1);
    assert.match(r.stderr, /stale.*runtime\.port.*another run/i);
    assert(server.port > 0);
  }));

Deno.test("a live PRYX_API_URL wins over the instance files", () =>
  withHome(async (home) => {
    await using other = await startServer(`${home}/other`);
    await using _local = await startServer(home);
    const r = await runCli(["discover", "--format", "env"], {
      env: {
        PRYX_HOME: home,
        PRYX_API_URL: `http://127.0.0.1:${other.port}`,
      },
    });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(
      r.stdout,
      `export PRYX_API_URL=http://127.0.0.1:${other.port}\n` +
        `export PRYX_WS_URL=ws://127.0.0.1:${other.port}/ws\n`,
    );
  }));

Deno.test("PRYX_WS_URL alone derives the API URL", () =>
  withHome(async (home) => {
    await using server = await startServer(`${home}/other`);
    const r = await runCli(["discover", "--format", "url"], {
      env: {
        PRYX_HOME: home,
        PRYX_WS_URL: `ws://127.0.0.1:${server.port}/ws`,
      },
    });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `http://127.0.0.1:${server.port}\n`);
  }));

Deno.test("a dead PRYX_API_URL is final: exit 1 even with a live instance", () =>
  withHome(async (home) => {
    await using _server = await startServer(home);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dead = (l.addr as Deno.NetAddr).port;
    l.close();
    const r = await runCli(["discover"], {
      env: { PRYX_HOME: home, PRYX_API_URL: `http://127.0.0.1:${dead}` },
    });
    assert.deepStrictEqual(r.code, 1);
    assert.deepStrictEqual(r.stdout, "");
    assert(r.stderr.includes("PRYX_API_URL"), r.stderr);
  }));

Deno.test("an invalid PRYX_API_URL is a usage error", () =>
  withHome(async (home) => {
    const r = await runCli(["discover"], {
      env: { PRYX_HOME: home, PRYX_API_URL: "localhost:3000" },
    });
    assert.deepStrictEqual(r.code, 2);
    assert.match(r.stderr, /^pryx-core: Invalid PRYX_API_URL/);
  }));

Deno.test("discover --wait started before the runtime returns once it is up", () =>
  withHome(async (home) => {
    const state = `${home}/not/yet`;
    const waiting = runCli(["discover", "--wait", "60s", "--format", "url"], {
      env: { PRYX_HOME: state },
    });
    await new Promise((r) => setTimeout(r, 300));
    await using server = await startServer(state);
    const r = await waiting;
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `http://127.0.0.1:${server.port}\n`);
  }));

Deno.test("discover --wait exits 1 when nothing comes up in time", () =>
  withHome(async (home) => {
    const r = await runCli(["discover", "--wait", "300ms"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 1);
    assert.deepStrictEqual(r.stdout, "");
    assert.match(r.stderr, /No live runtime within 300 ms/);
  }));

Deno.test("discover --probe ignores another HTTP server and finds the runtime in the range", () =>
  withHome(async (home) => {
    await using fake = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => Response.json({ status: "ok" }),
    );
    const low = fake.addr.port;
    const high = Math.min(low + 10, 65535);
    await using server = await startServer(`${home}/elsewhere`, [
      "--listen",
      `127.0.0.1:${low}-${high}`,
    ]);
    assert(server.port > low && server.port <= high);
    const r = await runCli(["discover", "--probe", `${low}-${high}`], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `${server.port}\n`);

    const only = await runCli(["discover"], {
      env: { PRYX_HOME: home, PRYX_PROBE_PORTS: `${low}` },
    });
    assert.deepStrictEqual(only.code, 1);
    assert.match(
      only.stderr,
      new RegExp(`tried .*ports ${low} on 127\\.0\\.0\\.1`),
    );
  }));

Deno.test("discover --any takes the first live instance when the named one is not live", () =>
  withHome(async (home) => {
    await using b = await startServer(home, ["--instance", "b"], {
      instance: "b",
    });
    const env = { PRYX_HOME: home };
    const strict = await runCli(["discover"], { env });
    assert.deepStrictEqual(strict.code, 1);
    const any = await runCli(["discover", "--any"], { env });
    assert.deepStrictEqual(any.code, 0, any.stderr);
    assert.deepStrictEqual(any.stdout, `${b.port}\n`);
    const named = await runCli(["discover", "--instance", "b"], { env });
    assert.deepStrictEqual(named.stdout, `${b.port}\n`);
  }));

Deno.test("with token auth, json includes the token and env exports PRYX_TOKEN", () =>
  withHome(async (home) => {
    await using _server = await startServer(home, ["--auth", "token"]);
    const env = { PRYX_HOME: home };
    const token = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`))
      .token;
    assert(typeof token === "string" && token.length >= 32);
    const json = await runCli(["discover", "--json"], { env });
    assert.deepStrictEqual(JSON.parse(json.stdout).token, token);
    const e = await runCli(["discover", "--env"], { env });
    assert.match(e.stdout, /^export PRYX_TOKEN=.+$/m);
    assert(e.stdout.includes(token), e.stdout);
  }));

Deno.test("discover rejects bad flags with exit 2", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    for (
      const args of [
        ["--format", "yaml"],
        ["--json", "--env"],
        ["--wait", "soon"],
        ["--probe", "70000"],
        ["--bogus"],
        ["extra"],
      ]
    ) {
      const r = await runCli(["discover", ...args], { env });
      assert.deepStrictEqual(r.code, 2, args.join(" "));
      assert.deepStrictEqual(r.stdout, "");
      assert.match(r.stderr, /^pryx-core: /);
    }
  }));

Deno.test("a dead PRYX_API_URL is named once, in one line that says it is final", async () => {
  const r = await runCli(["discover"], {
    env: { PRYX_API_URL: "http://127.0.0.1:9" },
  });
  assert.equal(r.code, 1);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(lines[0].split("PRYX_API_URL=").length, 2, r.stderr);
  assert(!r.stderr.includes("pRYX"), r.stderr);
  assert.match(r.stderr, /final/);
});

Deno.test("an override needs no home directory, in the CLI and the client", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_API_URL: `http://127.0.0.1:${server.port}` };
    const cli = await runCli(["discover"], {
      env: { ...env, HOME: "", USERPROFILE: "" },
    });
    assert.equal(cli.stdout, `${server.port}\n`, cli.stderr);
    const client = await denoClientDiscover({ ...env, HOME: "" });
    assert.equal(client.error, null);
    assert.equal(client.runtime?.port, server.port);
    const record = await denoClientDiscover({ HOME: "" }, { env });
    assert.equal(record.error, null);
    assert.equal(record.runtime?.port, server.port);
  }));

Deno.test("discover --wait says once on stderr what it waits for, unless --quiet or already live", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const r = await runCli(["discover", "--wait", "300ms"], { env });
    assert.equal(r.code, 1);
    const waiting = r.stderr.split("\n").filter((l) => l.includes("Waiting"));
    assert.deepEqual(waiting, [
      `pryx-core: Waiting up to 300 ms for instance "runtime" to be live (${home}/runtime.port)`,
    ]);
    const quiet = await runCli(["discover", "--wait", "300ms", "--quiet"], {
      env,
    });
    assert(!quiet.stderr.includes("Waiting"), quiet.stderr);
    await using server = await startServer(home);
    const live = await runCli(["discover", "--wait"], { env });
    assert.equal(live.stdout, `${server.port}\n`);
    assert.equal(live.stderr, "");
  }));

/**
 * Black-box tests of `pryx-core run -- CMD`: the runtime
 * it starts, the environment CMD gets, exit codes, and cleanup.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  NO_POSIX_SIGNALS,
  NOT_LINUX,
  runCli,
  spawnRun,
  startServer,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

Deno.test("run starts a runtime, runs CMD with its URLs, exits with CMD's code, and the runtime stops once its lease ends", () =>
  withHome(async (home) => {
    const env = { PRYX_HOME: home };
    const r = await runCli([
      "run",
      "--",
      "sh",
      "-c",
      'echo "$PRYX_API_URL $PRYX_WS_URL $PRYX_SOCKET"; exit 7',
    ], { env });
    assert.deepStrictEqual(r.code, 7, r.stderr);
    const m =
      /^http:\/\/127\.0\.0\.1:(\d+) ws:\/\/127\.0\.0\.1:(\d+)\/ws (\S*)\n$/
        .exec(r.stdout);
    assert(m !== null && m[1] === m[2], `stdout: ${r.stdout}`);
    // Beside the URLs, the socket (none on Windows).
    assert.deepStrictEqual(
      m[3],
      Deno.build.os === "windows" ? "" : `${home}/runtime.sock`,
    );
    assert(
      await waitUntil(() => !exists(`${home}/runtime.port`), 10_000),
      "the port file is gone",
    );
    const after = await runCli(["discover"], { env });
    assert.deepStrictEqual(after.code, 1, "the runtime is gone");
  }));

Deno.test("run reuses a live runtime and leaves it running", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    const r = await runCli(["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'], {
      env,
    });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `http://127.0.0.1:${server.port}\n`);
    assert.deepStrictEqual(
      (await runCli(["discover"], { env })).stdout,
      `${server.port}\n`,
    );
  }));

Deno.test("run --instance passes the token of a token-auth runtime", () =>
  withHome(async (home) => {
    await using _server = await startServer(home, [
      "--instance",
      "dev",
      "--auth",
      "token",
    ], { instance: "dev" });
    const token = JSON.parse(Deno.readTextFileSync(`${home}/dev.json`)).token;
    const r = await runCli(
      ["run", "--instance", "dev", "--", "sh", "-c", 'echo "$PRYX_TOKEN"'],
      { env: { PRYX_HOME: home } },
    );
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `${token}\n`);
  }));

Deno.test("run exits 127 when CMD is not found", () =>
  withHome(async (home) => {
    const r = await runCli(["run", "--", "pryx-no-such-command-xyz"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 127);
    assert.match(r.stderr, /not found/i);
    assert(!exists(`${home}/runtime.port`), "no runtime is left behind");
  }));

Deno.test("run exits 128+N when signal N ends CMD", {
  ignore: NO_POSIX_SIGNALS,
}, () =>
  withHome(async (home) => {
    const r = await runCli(["run", "--", "sh", "-c", "kill -TERM $$"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 128 + 15);
  }));

Deno.test(
  "run forwards SIGTERM to CMD",
  { ignore: NO_POSIX_SIGNALS },
  () =>
    withHome(async (home) => {
      await using run = spawnRun(
        home,
        'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done',
      );
      await run.readUntil("ready");
      run.child.kill("SIGTERM");
      const out = await run.readUntil(null);
      const status = await run.child.status;
      assert.deepStrictEqual(status.code, 3, out);
      assert.match(out, /got-term/);
      assert(
        await waitUntil(() => !exists(`${home}/runtime.port`), 10_000),
        "the runtime it started is gone",
      );
    }),
);

Deno.test("the runtime run started stops when run is SIGKILLed", {
  ignore: NOT_LINUX,
}, () =>
  withHome(async (home) => {
    await using run = spawnRun(home, 'echo "$$ $PRYX_API_URL"; exec sleep 30');
    const stragglers: number[] = [];
    try {
      const [pid, url] = (await run.readUntil("\n")).trim().split(" ");
      stragglers.push(Number(pid));
      const runtime = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      stragglers.push(runtime.pid);
      assert.deepStrictEqual(runtime.url, url);
      run.child.kill("SIGKILL");
      await run.child.status;
      const deadline = Date.now() + 10_000;
      while (
        (exists(`/proc/${runtime.pid}`) || exists(`${home}/runtime.port`)) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert(!exists(`${home}/runtime.port`), "the port file is gone");
      assert(!exists(`/proc/${runtime.pid}`), "the runtime has exited");
    } finally {
      // CMD (sleep) outlives a SIGKILLed run; so would the runtime without
      // the fix under test.
      for (const pid of stragglers) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
  }));

Deno.test("run without a command is a usage error", () =>
  withHome(async (home) => {
    const r = await runCli(["run", "--"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 2);
    assert.match(r.stderr, /^pryx-core: run needs a command/);
  }));

Deno.test("two runs that start at once share one runtime, and only the one whose serve won says it started it", () =>
  withHome(async (home) => {
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        runCli(["run", "--", "sleep", "0.5"], { env: { PRYX_HOME: home } })
      ),
    );
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const both = a.stderr + b.stderr;
    assert.equal(both.match(/Started runtime/g)?.length, 1, both);
    assert.doesNotMatch(both, /already running/, both);
  }));

/**
 * Black-box tests of pryx-core as a container entrypoint: PID 1 in a PID
 * namespace (`unshare`, as a container runtime would start it), SIGTERM and
 * SIGINT drain and exit 0 within Docker's default grace period, JSON logs
 * for log collectors, and `discover --quiet` as the `HEALTHCHECK`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  connectWs,
  runCli,
  type RunningServer,
  startServer,
  tempHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";
import {
  pidOne,
  UNSHARE,
  unshareUnavailable,
} from "../_harness/pid_namespace.ts";

/** `docker stop` waits this long before SIGKILL. */
const GRACE_PERIOD_MS = 10_000;

const NO_UNSHARE = await unshareUnavailable();
if (NO_UNSHARE !== undefined) {
  console.warn(`container_test: skipping the PID 1 tests: ${NO_UNSHARE}`);
}

/** Waits for the exit, failing (and killing) past the grace period. */
async function exitWithinGrace(
  server: RunningServer,
): Promise<{ code: number; stderr: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), GRACE_PERIOD_MS);
  });
  try {
    const result = await Promise.race([server.exited(), late]);
    if (result === "late") {
      await server.stop("SIGKILL");
      throw new Error(`did not exit within ${GRACE_PERIOD_MS} ms`);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

function readToken(home: string): string {
  const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
  assert.deepStrictEqual(
    typeof info.token,
    "string",
    "0.0.0.0 turns token auth on",
  );
  return info.token;
}

Deno.test({
  name:
    "serve --listen 0.0.0.0 as PID 1 drains on SIGTERM and exits 0 within the grace period",
  ignore: NO_UNSHARE !== undefined,
  async fn() {
    const home = await tempHome();
    try {
      // 0.0.0.0:0 is the container's 0.0.0.0:8080 without the chance of a
      // busy port on a shared test machine.
      await using server = await startServer(
        home,
        ["--listen", "0.0.0.0:0"],
        { prefix: UNSHARE },
      );
      const res = await fetch(`http://127.0.0.1:${server.port}/health`);
      const health = await res.json();
      assert.deepStrictEqual(
        health.pid,
        1,
        "the server is PID 1 of its namespace",
      );
      const { ws, next } = await connectWs(
        `ws://127.0.0.1:${server.port}/ws?token=${readToken(home)}`,
      );
      const closed = new Promise<number>((resolve) => {
        ws.onclose = (e) => resolve(e.code);
      });

      Deno.kill(pidOne(server.child.pid), "SIGTERM");
      const event = await next();
      assert.deepStrictEqual(event.type, "event");
      assert.deepStrictEqual(event.topic, "runtime.shutdown");
      assert.deepStrictEqual(await closed, 1001);
      const { code, stderr } = await exitWithinGrace(server);
      assert.deepStrictEqual(code, 0, `PID 1 and unshare exit 0: ${stderr}`);
      assert.match(stderr, /Received SIGTERM/);
      assert(!exists(`${home}/runtime.port`), "port file removed");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve as PID 1 exits 0 on SIGINT",
  ignore: NO_UNSHARE !== undefined,
  async fn() {
    const home = await tempHome();
    try {
      await using server = await startServer(
        home,
        ["--listen", "0.0.0.0:0"],
        { prefix: UNSHARE },
      );
      Deno.kill(pidOne(server.child.pid), "SIGINT");
      const { code, stderr } = await exitWithinGrace(server);
      assert.deepStrictEqual(code, 0, stderr);
      assert.match(stderr, /Received SIGINT/);
      assert(!exists(`${home}/runtime.port`), "port file removed");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("serve --log-format json writes every stderr line as one JSON object", async () => {
  const home = await tempHome();
  try {
    await using server = await startServer(home, [
      "--listen",
      "0.0.0.0:0",
      "--auth",
      "none", // also provokes a warning line
      "--log-format",
      "json",
    ]);
    const { code, stderr } = await server.stop("SIGTERM");
    assert.deepStrictEqual(code, 0, stderr);
    const lines = stderr.split("\n").filter((l) => l !== "");
    assert(lines.length >= 3, `start, warning and shutdown lines: ${stderr}`);
    const records = lines.map((line) => {
      const record = JSON.parse(line);
      assert(
        record !== null && typeof record === "object" && !Array.isArray(record),
        `one object per line: ${line}`,
      );
      assert.deepStrictEqual(typeof record.time, "string", line);
      assert.match(record.level, /^(info|warn|error)$/, line);
      assert.deepStrictEqual(typeof record.msg, "string", line);
      return record;
    });
    const start = records.find((r) => r.msg.startsWith("Starting server on"));
    assert(start !== undefined, "the start line is there");
    assert.deepStrictEqual(start.url, `http://127.0.0.1:${server.port}`);
    assert(records.some((r) => r.level === "warn"), "the warning is JSON too");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("serve --log-format json reports a startup failure as one JSON line", async () => {
  const home = await tempHome();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { code, stderr } = await runCli(
      [
        "serve",
        "--listen",
        `127.0.0.1:${busy.addr.port}`,
        "--log-format",
        "json",
      ],
      { env: { PRYX_HOME: home } },
    );
    assert.deepStrictEqual(code, 3, stderr);
    const lines = stderr.split("\n").filter((l) => l !== "");
    assert.deepStrictEqual(lines.length, 1, stderr);
    const record = JSON.parse(lines[0]);
    assert.deepStrictEqual(record.level, "error");
    assert.match(record.msg, new RegExp(`${busy.addr.port}.*in use`));
  } finally {
    busy.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("discover --quiet as a HEALTHCHECK exits 0 while the runtime is live and 1 once it stopped", async () => {
  const home = await tempHome();
  try {
    const server = await startServer(home, ["--listen", "0.0.0.0:0"]);
    try {
      const live = await runCli(["discover", "--quiet"], {
        env: { PRYX_HOME: home },
      });
      assert.deepStrictEqual(live.code, 0, live.stderr);
      assert.deepStrictEqual(
        live.stdout,
        "",
        "--quiet prints nothing on stdout",
      );
    } finally {
      const { code } = await server.stop("SIGTERM");
      assert.deepStrictEqual(code, 0);
    }
    const gone = await runCli(["discover", "--quiet"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(gone.code, 1, gone.stderr);
    assert.deepStrictEqual(gone.stdout, "");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/**
 * Black-box tests of `pryx-core discover --watch [--json]` (SPEC section
 * 5): one line per change of the instances of the state directory, from
 * the directory watch (and the slow poll for a SIGKILLed runtime), ending
 * cleanly on SIGINT, SIGTERM and a closed stdout.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  runCli,
  spawnCli,
  startServer,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";

type Line = Record<string, unknown>;

/** `discover --watch --json` in `home`, its JSON lines parsed as they come. */
function spawnWatch(home: string) {
  const cli = spawnCli(["discover", "--watch", "--json"], {
    env: { PRYX_HOME: home },
  });
  const lines = (): Line[] =>
    cli.stdout().split("\n").filter((l) => l.trim() !== "").map((l) =>
      JSON.parse(l)
    );
  return {
    cli,
    lines,
    /** Waits (bounded) for a JSON line matching `match`; returns it. */
    async line(match: (l: Line) => boolean): Promise<Line> {
      const ok = await waitUntil(() => lines().some(match), 15_000);
      assert(ok, `watch printed: ${cli.stdout()} ${cli.stderr()}`);
      return lines().find(match)!;
    },
  };
}

Deno.test("discover --watch --json reports appeared, ready, draining and gone as a runtime starts and stops", () =>
  withHome(async (home) => {
    const watch = spawnWatch(home);
    await using _cli = watch.cli;
    // Once it reports another instance, the watch is running for sure.
    await using _primer = await startServer(home, ["--instance", "primer"], {
      instance: "primer",
    });
    await watch.line((l) => l.event === "ready" && l.instance === "primer");
    const server = await startServer(home);
    try {
      const ready = await watch.line((l) =>
        l.event === "ready" && l.instance === "runtime"
      );
      const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.deepStrictEqual(ready, {
        time: ready.time,
        event: "ready",
        instance: "runtime",
        port: server.port,
        url: `http://127.0.0.1:${server.port}`,
        wsUrl: `ws://127.0.0.1:${server.port}/ws`,
        runId: info.runId,
        pid: info.pid,
      });
      await server.stop("SIGTERM");
      const gone = await watch.line((l) =>
        l.event === "gone" && l.instance === "runtime"
      );
      assert.deepStrictEqual([gone.port, gone.runId], [
        server.port,
        info.runId,
      ]);
      const events = watch.lines().filter((l) => l.instance === "runtime")
        .map((l) => l.event as string);
      assert.deepStrictEqual(events[0], "appeared");
      assert.deepStrictEqual(events.at(-1), "gone");
      assert(
        events.every((e) =>
          ["appeared", "ready", "draining", "gone"].includes(e)
        ),
        `${events}`,
      );
    } finally {
      await server.stop("SIGKILL");
    }
    watch.cli.child.kill("SIGINT");
    const { code, stderr } = await watch.cli.exited();
    assert.deepStrictEqual(code, 0, stderr);
    assert.deepStrictEqual(stderr, "");
  }));

Deno.test("discover --watch reports a restart on a new port as ready and moved", () =>
  withHome(async (home) => {
    const first = await startServer(home);
    const watch = spawnWatch(home);
    await using _cli = watch.cli;
    let blocker: Deno.Listener | undefined;
    try {
      await watch.line((l) => l.event === "ready" && l.port === first.port);
      await first.stop("SIGTERM");
      blocker = Deno.listen({ hostname: "127.0.0.1", port: first.port });
      await using second = await startServer(home);
      const moved = await watch.line((l) => l.event === "moved");
      assert.deepStrictEqual([moved.port, moved.from], [
        second.port,
        first.port,
      ]);
      await watch.line((l) => l.event === "ready" && l.port === second.port);
    } finally {
      blocker?.close();
      await first.stop("SIGKILL");
    }
    watch.cli.child.kill("SIGTERM");
    assert.deepStrictEqual((await watch.cli.exited()).code, 0);
  }));

Deno.test("discover --watch reports a runtime killed with SIGKILL as gone", () =>
  withHome(async (home) => {
    const server = await startServer(home);
    const watch = spawnWatch(home);
    await using _cli = watch.cli;
    await watch.line((l) => l.event === "ready");
    await server.stop("SIGKILL");
    const gone = await watch.line((l) => l.event === "gone");
    assert.deepStrictEqual(gone.port, server.port);
    assert.match(String(gone.reason), /died/);
  }));

Deno.test("discover --watch prints text lines for people", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    await using cli = spawnCli(["discover", "--watch"], {
      env: { PRYX_HOME: home },
    });
    const out = await cli.readUntil("\n");
    assert.match(
      out,
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ready runtime http://127\\.0\\.0\\.1:${server.port} \\(pid ${server.child.pid}\\)\\n$`,
      ),
    );
  }));

Deno.test("discover --watch ends quietly with exit 0 once its stdout is closed", () =>
  withHome(async (home) => {
    await using cli = spawnCli(["discover", "--watch"], {
      env: { PRYX_HOME: home },
    });
    await cli.closeStdout();
    await using _server = await startServer(home);
    const { code, stderr } = await cli.exited();
    assert.deepStrictEqual(code, 0, stderr);
    assert.doesNotMatch(stderr, /error|at /i);
  }));

Deno.test("discover --watch with --wait or --quiet is a usage error", () =>
  withHome(async (home) => {
    for (const flag of ["--wait", "--quiet"]) {
      const r = await runCli(["discover", "--watch", flag], {
        env: { PRYX_HOME: home },
      });
      assert.deepStrictEqual(r.code, 2, r.stderr);
      assert.match(r.stderr, /--watch and --(wait|quiet) do not go together/);
    }
  }));

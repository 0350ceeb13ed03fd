/**
 * Black-box tests of a running server whose state files vanish: when its
 * `.port` or `.json` file, its lock file or the whole state directory is
 * removed, it publishes them again (and takes its lock again) within 50 ms,
 * every time, so a second `serve` of the instance still exits 4 and
 * `discover`, `list` and `stop` still find it. When another process owns
 * the instance by then, it does not fight: it says so in one line and shuts
 * down as on SIGTERM (SPEC 2).
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { startImpostor } from "../_harness/impostor.ts";
import { socketFetch } from "../_harness/unix_socket.ts";

/** `rm -rf DIR`, the real command: it must succeed, even as the server puts files back. */
async function rmRf(dir: string): Promise<void> {
  const out = await new Deno.Command("rm", {
    args: ["-rf", dir],
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

/** Runs `discover` until it answers `port` (at most `ms`); returns how long it took. */
async function rediscovered(
  env: Record<string, string>,
  port: number,
  ms = 3000,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const r = await runCli(["discover"], { env });
    if (r.code === 0 && r.stdout === `${port}\n`) return Date.now() - start;
    if (Date.now() - start > ms) {
      throw new Error(`not found again within ${ms} ms: ${r.stderr}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

Deno.test("rm -rf of the state directory under a running server: it comes back, and a second serve exits 4", () =>
  withHome(async (root) => {
    const home = `${root}/state`;
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    await rmRf(home);
    await rediscovered(env, server.port);
    assertMode(home, 0o700);
    assertMode(`${home}/runtime.json`, 0o600);
    const second = await runCli(["serve"], { env });
    assert.deepStrictEqual(second.code, 4, second.stderr);
    assert.match(second.stderr, new RegExp(`pid ${server.child.pid}`));
    const rows = JSON.parse((await runCli(["list", "--json"], { env })).stdout);
    assert.deepStrictEqual(rows[0].status, "live");
    assert.match(server.stderr(), /published them again/);
    // And again and again.
    for (let i = 0; i < 3; i++) {
      await rmRf(home);
      await rediscovered(env, server.port);
    }
    const stop = await runCli(["stop"], { env });
    assert.deepStrictEqual(stop.code, 0, stop.stderr);
    assert.deepStrictEqual((await server.exited()).code, 0);
  }));

Deno.test("after each of five removals of the state directory, a serve started 0.1 s later exits 4", () =>
  withHome(async (root) => {
    const home = `${root}/state`;
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    for (let i = 0; i < 5; i++) {
      await rmRf(home);
      // A login item or a second tool that starts right after the removal:
      // by the time it claims the instance the owner is back.
      await new Promise((r) => setTimeout(r, 100));
      const second = await runCli(["serve"], { env });
      assert.deepStrictEqual(second.code, 4, `round ${i}: ${second.stderr}`);
      assert.match(second.stderr, new RegExp(`pid ${server.child.pid}`));
    }
    assert.deepStrictEqual(
      (await runCli(["discover"], { env })).stdout,
      `${server.port}\n`,
    );
  }));

Deno.test("a removed port file, metadata file or lock file is put back", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    for (const name of ["runtime.port", "runtime.json", "runtime.lock"]) {
      Deno.removeSync(`${home}/${name}`);
      await rediscovered(env, server.port);
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        try {
          Deno.statSync(`${home}/runtime.lock`);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const second = await runCli(["serve"], { env });
      assert.deepStrictEqual(second.code, 4, `${name}: ${second.stderr}`);
    }
  }));

Deno.test("a state directory replaced by an empty one is filled again", () =>
  withHome(async (root) => {
    const home = `${root}/state`;
    await using server = await startServer(home);
    Deno.removeSync(home, { recursive: true });
    Deno.mkdirSync(home, { mode: 0o700 });
    await rediscovered({ PRYX_HOME: home }, server.port);
  }));

Deno.test("when another process took the instance after the files were removed, the server says so in one line and shuts down", () =>
  withHome(async (root) => {
    const home = `${root}/state`;
    await using server = await startServer(home);
    // A new owner, with a lock of its own, moves in faster than the
    // server's check: its directory replaces the removed one at once.
    const theirs = `${root}/theirs`;
    Deno.mkdirSync(theirs, { mode: 0o700 });
    await using other = await startImpostor({
      lock: `${theirs}/runtime.lock`,
    });
    Deno.removeSync(home, { recursive: true });
    Deno.renameSync(theirs, home);
    const exit = await server.exited();
    assert.deepStrictEqual(exit.code, 0, server.stderr());
    const taken = server.stderr().split("\n").filter((l) =>
      l.includes("Another process took instance")
    );
    assert.deepStrictEqual(taken.length, 1, server.stderr());
    assert(other.alive());
    assert.deepStrictEqual(
      Deno.readDirSync(home).toArray().map((e) => e.name).sort(),
      ["runtime.lock"],
      "nothing published beside the new owner, nothing of theirs removed",
    );
  }));

Deno.test("an orphan that wakes up to find a new live owner steps down and leaves the new owner's files alone", () =>
  withHome(async (root) => {
    const home = `${root}/state`;
    const env = { PRYX_HOME: home };
    await using first = await startServer(home);
    // Frozen (a suspended laptop, a debugger) while the directory goes and
    // a second serve takes the instance.
    Deno.kill(first.child.pid, "SIGSTOP");
    let resumed = false;
    try {
      await rmRf(home);
      await using second = await startServer(home);
      Deno.kill(first.child.pid, "SIGCONT");
      resumed = true;
      const exit = await first.exited();
      assert.deepStrictEqual(exit.code, 0, first.stderr());
      assert.match(first.stderr(), /Another process took instance "runtime"/);
      const found = await runCli(["discover"], { env });
      assert.deepStrictEqual(found.stdout, `${second.port}\n`, found.stderr);
      if (Deno.build.os !== "windows") {
        // The new owner's socket (at the same path) is left alone too.
        const { runId } = JSON.parse(
          Deno.readTextFileSync(`${home}/runtime.json`),
        );
        const health = await socketFetch(`${home}/runtime.sock`, "/health");
        assert.deepStrictEqual(JSON.parse(health.body).runId, runId);
      }
      const again = await runCli(["serve"], { env });
      assert.deepStrictEqual(again.code, 4, again.stderr);
      assert.match(again.stderr, new RegExp(`pid ${second.child.pid}`));
    } finally {
      if (!resumed) Deno.kill(first.child.pid, "SIGCONT");
    }
  }));

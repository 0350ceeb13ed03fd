/**
 * Black-box tests of a running server whose state files vanish: when its
 * `.port` or `.json` file, its lock file or the whole state directory is
 * removed, it publishes them again (and takes its lock again) within about
 * a second, so a second `serve` of the instance still exits 4 and
 * `discover`, `list` and `stop` still find it. When another process owns
 * the instance by then, it does not fight.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { startImpostor } from "../_harness/impostor.ts";

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
    assert.deepStrictEqual(Deno.statSync(home).mode! & 0o777, 0o700);
    assert.deepStrictEqual(
      Deno.statSync(`${home}/runtime.json`).mode! & 0o777,
      0o600,
    );
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

Deno.test("when another process took the instance after the files were removed, the server does not fight and serves on", () =>
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
    const deadline = Date.now() + 3000;
    while (!/Another process took instance/.test(server.stderr())) {
      assert(Date.now() < deadline, `no warning: ${server.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(other.alive());
    assert.deepStrictEqual(
      Deno.readDirSync(home).toArray().map((e) => e.name).sort(),
      ["runtime.lock"],
      "nothing published beside the new owner",
    );
    const res = await fetch(`http://127.0.0.1:${server.port}/health`);
    assert.deepStrictEqual(res.status, 200, "still serving");
    await res.body?.cancel();
  }));

/**
 * Stale floods: hundreds of leftovers in the state directory give bounded
 * messages (a count and the first few names) in `discover`, `discover
 * --any`, `run` and the client; `list` hides lock-only leftovers unless
 * `--all`; `prune` removes the files of instances whose lock is free and
 * never those of a live or starting one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { discover } from "../../lib/client.ts";
import {
  runCli,
  startServer,
  waitForLockFree,
  withHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** `count` stale instances `s000`...: a port file and a free lock each. */
function plantStale(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const name = `s${String(i).padStart(3, "0")}`;
    Deno.writeTextFileSync(`${dir}/${name}.port`, "9\n");
    Deno.writeTextFileSync(`${dir}/${name}.lock`, "");
  }
}

/** Asserts a bounded stderr: at most `lines` lines, none over 600 bytes. */
function assertBounded(stderr: string, lines: number): void {
  const all = stderr.trimEnd().split("\n");
  assert(all.length <= lines, `${all.length} lines:\n${stderr.slice(0, 2000)}`);
  for (const line of all) {
    assert(
      line.length <= 600,
      `a ${line.length}-byte line: ${line.slice(0, 200)}`,
    );
  }
}

Deno.test("discover and discover --any with 300 stale instances print a bounded summary", () =>
  withHome(async (home) => {
    plantStale(home, 300);
    Deno.writeTextFileSync(`${home}/runtime.port`, "9\n");
    const env = { PRYX_HOME: home };
    const plain = await runCli(["discover"], { env });
    assert.equal(plain.code, 1);
    assertBounded(plain.stderr, 1);

    const any = await runCli(["discover", "--any"], { env });
    assert.equal(any.code, 1);
    assertBounded(any.stderr, 1);
    assert.match(any.stderr, /s000\.port/);
    assert.match(any.stderr, /Skipping 298 more stale instances/i);

    await using server = await startServer(home, ["--instance", "zzz"], {
      instance: "zzz",
    });
    const found = await runCli(["discover", "--any"], { env });
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stdout, `${server.port}\n`);
    assertBounded(found.stderr, 4);
    assert.match(found.stderr, /298 more stale instances/);
  }));

Deno.test("run and the client's onStale stay bounded with 300 stale instances", () =>
  withHome(async (home) => {
    plantStale(home, 300);
    Deno.writeTextFileSync(`${home}/runtime.port`, "9\n");
    const r = await runCli(["run", "--", "true"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assertBounded(r.stderr, 4);
    assert(await waitForLockFree(home), "the runtime run started is gone");

    const messages: string[] = [];
    const rt = await discover({
      env: { PRYX_HOME: home },
      any: true,
      onStale: (m) => messages.push(m),
    });
    assert.equal(rt, undefined);
    assert(messages.length <= 4, `${messages.length} calls`);
    assert.match(messages.at(-1)!, /more stale instances/);
  }));

Deno.test("list hides lock-only leftovers unless --all", () =>
  withHome(async (home) => {
    for (const name of ["a", "b", "c"]) {
      Deno.writeTextFileSync(`${home}/${name}.lock`, "");
    }
    Deno.writeTextFileSync(`${home}/old.port`, "9\n");
    const env = { PRYX_HOME: home };
    const list = await runCli(["list", "--json"], { env });
    assert.deepEqual(
      JSON.parse(list.stdout).map((e: { instance: string }) => e.instance),
      ["old"],
    );
    assert.equal(list.stderr, "");
    const all = await runCli(["list", "--all", "--json"], { env });
    assert.deepEqual(
      JSON.parse(all.stdout).map((e: { status: string }) => e.status),
      ["stopped", "stopped", "stopped", "stale"],
    );
    assert.equal(all.stderr, "");
  }));

Deno.test("prune removes the files of instances whose lock is free, never a live or starting one's", () =>
  withHome(async (home) => {
    plantStale(home, 3);
    Deno.writeTextFileSync(`${home}/failed.lock`, "");
    Deno.writeTextFileSync(`${home}/.gone.port.4194301.k2x9q1.tmp`, "1");
    Deno.writeTextFileSync(`${home}/notes.txt`, "not ours");
    await using live = await startServer(home, ["--instance", "live"], {
      instance: "live",
    });
    // A starting server: it holds its lock and has written nothing else.
    using starting = await Deno.open(`${home}/starting.lock`, {
      create: true,
      write: true,
    });
    await starting.lock(true);
    const env = { PRYX_HOME: home };
    const before = [...Deno.readDirSync(home)].map((e) => e.name).sort();

    const dry = await runCli(["prune", "--dry-run", "--json"], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      [...Deno.readDirSync(home)].map((e) => e.name).sort(),
      before,
      "--dry-run removes nothing",
    );
    assert.deepEqual(
      JSON.parse(dry.stdout).map((p: { instance: string }) => p.instance),
      ["failed", "gone", "s000", "s001", "s002"],
    );

    const r = await runCli(["prune"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Removed instance "s000": s000\.lock, s000\.port/);
    assert.match(r.stderr, /Removed 5 instances/);
    assert.deepEqual(
      [...Deno.readDirSync(home)].map((e) => e.name).sort(),
      [
        "live.json",
        "live.lock",
        "live.port",
        ...Deno.build.os === "windows" ? [] : ["live.sock"],
        "notes.txt",
        "starting.lock",
      ],
    );
    const found = await runCli(["discover", "--instance", "live"], { env });
    assert.equal(found.stdout, `${live.port}\n`, found.stderr);

    const again = await runCli(["prune"], { env });
    assert.match(again.stderr, /Nothing to prune/);
    assert(exists(`${home}/starting.lock`));
  }));

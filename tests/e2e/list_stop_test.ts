/**
 * Black-box tests of `pryx-core list` and `pryx-core stop`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, runCli, startServer, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

Deno.test("list --json shows every instance, live and stale, with pid, port and URL", () =>
  withHome(async (home) => {
    await using live = await startServer(home, ["--instance", "alpha"], {
      instance: "alpha",
    });
    const dead = await startServer(home, ["--instance", "beta"], {
      instance: "beta",
    });
    await dead.stop("SIGKILL");
    const r = await runCli(["list", "--json"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepStrictEqual(rows.map((x) => x.instance), ["alpha", "beta"]);
    assert.deepStrictEqual(rows[0].status, "live");
    assert.deepStrictEqual(rows[0].live, true);
    assert.deepStrictEqual(rows[0].pid, live.child.pid);
    assert.deepStrictEqual(rows[0].port, live.port);
    assert.deepStrictEqual(rows[0].url, `http://127.0.0.1:${live.port}`);
    assert.deepStrictEqual(rows[1].status, "stale");
    assert.deepStrictEqual(rows[1].live, false);
    assert.deepStrictEqual(rows[1].pid, dead.child.pid);
    assert.deepStrictEqual(rows[1].port, dead.port);
  }));

Deno.test("list prints a table for people and an empty JSON array for an empty directory", () =>
  withHome(async (home) => {
    const empty = await runCli(["list", "--json"], {
      env: { PRYX_HOME: `${home}/none` },
    });
    assert.deepStrictEqual([empty.code, JSON.parse(empty.stdout)], [0, []]);
    await using server = await startServer(home);
    const r = await runCli(["list"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split("\n");
    assert.match(header, /^INSTANCE\s+STATUS\s+PID\s+PORT\s+URL/);
    assert.match(
      row,
      new RegExp(
        `^runtime\\s+live\\s+${server.child.pid}\\s+${server.port}\\s+http://127\\.0\\.0\\.1:${server.port}`,
      ),
    );
  }));

/** Leaves `names` as a clean stop does: a lock file alone. */
function plantStopped(home: string, names: string[]): void {
  for (const name of names) Deno.writeTextFileSync(`${home}/${name}.lock`, "");
}

Deno.test("list does not mention lock-only leftovers: with only those it says the directory holds no instance", () =>
  withHome(async (home) => {
    plantStopped(home, ["a", "b", "c"]);
    const r = await runCli(["list"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `pryx-core: No instances in ${home}\n`);
    const json = await runCli(["list", "--json"], { env: { PRYX_HOME: home } });
    assert.deepEqual([json.code, json.stdout, json.stderr], [0, "[]\n", ""]);
  }));

Deno.test("list shows the other instances and nothing about the lock-only leftovers", () =>
  withHome(async (home) => {
    plantStopped(home, ["a", "b"]);
    Deno.writeTextFileSync(`${home}/old.port`, "9\n");
    const r = await runCli(["list"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    const [header, row, ...more] = r.stdout.trimEnd().split("\n");
    assert.match(header, /^INSTANCE\s+STATUS/);
    assert.match(row, /^old\s+stale\s/);
    assert.deepEqual(more, []);
    assert.equal(r.stderr, "");
  }));

Deno.test("after a clean stop, list says nothing of the instance; list --all still shows it as stopped", () =>
  withHome(async (home) => {
    const server = await startServer(home);
    try {
      const stop = await runCli(["stop"], { env: { PRYX_HOME: home } });
      assert.equal(stop.code, 0, stop.stderr);
      await server.exited();
      const r = await runCli(["list"], { env: { PRYX_HOME: home } });
      assert.deepEqual([r.code, r.stdout, r.stderr], [
        0,
        "",
        `pryx-core: No instances in ${home}\n`,
      ]);
      const all = await runCli(["list", "--all", "--json"], {
        env: { PRYX_HOME: home },
      });
      assert.deepEqual(
        JSON.parse(all.stdout).map((e: { status: string }) => e.status),
        ["stopped"],
      );
    } finally {
      await server.stop("SIGKILL");
    }
  }));

Deno.test("list of an empty or missing state directory says so in one line, and --json prints only []", () =>
  withHome(async (home) => {
    for (const dir of [home, `${home}/none`]) {
      const r = await runCli(["list"], { env: { PRYX_HOME: dir } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `pryx-core: No instances in ${dir}\n`);
      const json = await runCli(["list", "--json"], {
        env: { PRYX_HOME: dir },
      });
      assert.deepEqual([json.code, json.stdout, json.stderr], [0, "[]\n", ""]);
    }
  }));

Deno.test("stop asks the live owner to shut down over HTTP and waits until it is gone", () =>
  withHome(async (home) => {
    const server = await startServer(home);
    try {
      const r = await runCli(["stop"], { env: { PRYX_HOME: home } });
      assert.deepStrictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(r.stdout, "");
      assert(!exists(`${home}/runtime.port`), "port file removed");
      const after = await runCli(["discover"], { env: { PRYX_HOME: home } });
      assert.deepStrictEqual(after.code, 1);
      const { code, stderr } = await server.exited();
      assert.deepStrictEqual(code, 0, "the server exited cleanly");
      assert.match(stderr, /POST \/control\/shutdown/);
      assert.doesNotMatch(stderr, /Received SIG/);
    } finally {
      await server.stop("SIGKILL");
    }
  }));

Deno.test("stop --instance stops only that instance", () =>
  withHome(async (home) => {
    await using a = await startServer(home, ["--instance", "a"], {
      instance: "a",
    });
    await using _b = await startServer(home, ["--instance", "b"], {
      instance: "b",
    });
    const env = { PRYX_HOME: home };
    const r = await runCli(["stop", "--instance", "b"], { env });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(
      (await runCli(["discover", "--instance", "a"], { env })).stdout,
      `${a.port}\n`,
    );
    assert.deepStrictEqual(
      (await runCli(["discover", "--instance", "b"], { env })).code,
      1,
    );
  }));

Deno.test("stop exits 1 when nothing is live", () =>
  withHome(async (home) => {
    const r = await runCli(["stop"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 1);
    assert.match(r.stderr, /^pryx-core: Nothing to stop/m);
  }));

Deno.test("stop never signals the pid of a stale file", () =>
  withHome(async (home) => {
    // A process of ours stands in for an unrelated process that reused the
    // pid of a runtime killed with -9.
    const bystander = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      const dead = await startServer(home);
      await dead.stop("SIGKILL");
      const path = `${home}/runtime.json`;
      const info = JSON.parse(Deno.readTextFileSync(path));
      Deno.writeTextFileSync(
        path,
        JSON.stringify({ ...info, pid: bystander.pid }),
      );
      const r = await runCli(["stop"], { env: { PRYX_HOME: home } });
      assert.deepStrictEqual(r.code, 1);
      assert.match(r.stderr, /stale/i);
      const still = await Promise.race([
        bystander.status.then(() => false),
        new Promise<boolean>((res) => setTimeout(() => res(true), 100)),
      ]);
      assert(still, "the bystander was not signalled");
    } finally {
      bystander.kill("SIGKILL");
      await bystander.status;
    }
  }));

Deno.test("list shows the clients and leases of each live instance, in the table and in --json", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--auth", "token"]);
    const token = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`))
      .token;
    const url = `ws://127.0.0.1:${server.port}/ws?token=${token}`;
    const [a, b] = await Promise.all([connectWs(url), connectWs(url)]);
    try {
      a.ws.send(JSON.stringify({ type: "lease", id: "one" }));
      assert.deepStrictEqual(await a.next(), { type: "ack", id: "one" });
      const env = { PRYX_HOME: home };
      const json = await runCli(["list", "--json"], { env });
      assert.deepStrictEqual(json.code, 0, json.stderr);
      const [row] = JSON.parse(json.stdout);
      assert.deepStrictEqual([row.clients, row.leases], [2, 1]);
      const table = await runCli(["list"], { env });
      const [header, line] = table.stdout.trim().split("\n");
      assert.match(
        header,
        /^INSTANCE\s+STATUS\s+PID\s+PORT\s+URL\s+CLIENTS\s+LEASES/,
      );
      // CLIENTS and LEASES, then the SOCKET column (none on Windows).
      assert.match(line, /\s2\s+1\s+(\/\S+\.sock|-)\s*$/);
    } finally {
      a.ws.close();
      b.ws.close();
    }
  }));

Deno.test("list shows no counts for an instance that is not live", () =>
  withHome(async (home) => {
    const dead = await startServer(home);
    await dead.stop("SIGKILL");
    const r = await runCli(["list", "--json"], { env: { PRYX_HOME: home } });
    const [row] = JSON.parse(r.stdout);
    assert.deepStrictEqual([row.status, row.clients, row.leases], [
      "stale",
      null,
      null,
    ]);
  }));

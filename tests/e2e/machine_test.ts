/**
 * One state directory, two machines (SPEC 2, `machine`): a runtime that
 * runs in its own network, UTS and PID namespaces (as a container that
 * mounts the host's state directory, or a second host of an NFS home) is
 * "live on another machine" from here. This side never gets its loopback
 * URL, never stops or prunes it, `serve` says why in one line, and
 * `run -- CMD` runs CMD against a runtime of this machine's.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  runCli,
  startServer,
  waitForLockFree,
  withHome,
} from "../_harness/cli.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
} from "../../lib/shared/instance_files.ts";
import { PROTOCOL } from "../../lib/shared/protocol.ts";
import { otherMachine, unshareUnavailable } from "../_harness/pid_namespace.ts";
import { isRunning } from "../_harness/fs.ts";

const OTHER = "pryx-machine-a";

/** The prefix that runs pryx-core as machine {@linkcode OTHER}. */
const OTHER_MACHINE = otherMachine(OTHER);

const why = await unshareUnavailable();

Deno.test({
  name:
    "a runtime of another machine sharing the state directory: discover, list, stop, prune, serve and run each do the right thing, and it is left alone",
  ignore: why !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using other = await startServer(home, [], {
        prefix: OTHER_MACHINE,
      });
      const env = { PRYX_HOME: home };
      const json = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.equal(json.machine, OTHER);

      const d = await runCli(["discover"], { env });
      assert.equal(d.code, 1, d.stdout);
      assert.equal(d.stdout, "");
      assert.match(d.stderr, new RegExp(`live on machine ${OTHER}`));
      assert.equal(d.stderr.trim().split("\n").length, 1, d.stderr);

      const rows = JSON.parse(
        (await runCli(["list", "--json"], { env })).stdout,
      );
      assert.deepStrictEqual(rows.map((r: { status: string }) => r.status), [
        "elsewhere",
      ]);

      const stop = await runCli(["stop", "--force"], { env });
      assert.equal(stop.code, 1, stop.stderr);
      assert.match(stop.stderr, /Cannot stop instance "runtime" from here/);

      const prune = await runCli(["prune"], { env });
      assert.equal(prune.code, 0, prune.stderr);

      const serve = await runCli(["serve"], { env });
      assert.equal(serve.code, 4, serve.stderr);
      assert.match(serve.stderr, new RegExp(`live on machine ${OTHER}`));
      assert.equal(serve.stderr.trim().split("\n").length, 1, serve.stderr);

      const run = await runCli(
        ["run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'],
        { env },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        /using instance "runtime-[a-z0-9.-]+" of this machine/,
      );
      const url = run.stdout.trim();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(Number(new URL(url).port), other.port);

      // The other machine's runtime and record are untouched.
      assert(isRunning(other.child.pid));
      assert.deepStrictEqual(
        JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).runId,
        json.runId,
      );
      assert.equal(
        Number(Deno.readTextFileSync(`${home}/runtime.port`)),
        other.port,
      );
      // The local runtime that run started goes once idle: the directory is
      // removed after it, not under it (it would put its files back).
      const local =
        /using instance "(runtime-[a-z0-9.-]+)"/.exec(run.stderr)![1];
      assert(await waitForLockFree(home, local), `${local} did not exit`);
    }),
});

Deno.test("a record of another machine whose lock is free here (an NFS home) is neither stale nor pruned; one of this machine is", () =>
  withHome(async (home) => {
    const record = (machine: string, instance: string) => ({
      pid: 4242,
      port: 9,
      hostname: "127.0.0.1",
      url: "http://127.0.0.1:9",
      wsUrl: "ws://127.0.0.1:9/ws",
      startedAt: new Date().toISOString(),
      version: "0.1.0",
      instance,
      runId: "d".repeat(32),
      protocol: PROTOCOL,
      token: "t".repeat(48),
      auth: "none" as const,
      machine,
    });
    const here = Deno.hostname();
    for (const [instance, machine] of [["theirs", OTHER], ["mine", here]]) {
      Deno.writeTextFileSync(
        `${home}/${instance}.json`,
        formatRuntimeInfo(record(machine, instance)),
      );
      Deno.writeTextFileSync(`${home}/${instance}.port`, formatPortFile(9));
    }
    const env = { PRYX_HOME: home };
    const d = await runCli(["discover", "--instance", "theirs"], { env });
    assert.equal(d.code, 1);
    assert.match(d.stderr, new RegExp(`live on machine ${OTHER}`));
    const dry = await runCli(["prune", "--dry-run", "--json"], { env });
    assert.deepStrictEqual(
      JSON.parse(dry.stdout).map((p: { instance: string }) => p.instance),
      ["mine"],
    );
    const prune = await runCli(["prune"], { env });
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepStrictEqual(
      [...Deno.readDirSync(home)].map((e) => e.name).sort(),
      ["theirs.json", "theirs.port"],
    );
  }));

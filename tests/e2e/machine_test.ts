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
import { runCli, startServer, tempHome } from "../_harness/cli.ts";
import { unshareUnavailable } from "../_harness/pid_namespace.ts";
import { isRunning } from "../_harness/fs.ts";

const OTHER = "pryx-machine-a";

/** The prefix that runs pryx-core as machine {@linkcode OTHER}. */
const OTHER_MACHINE = [
  "unshare",
  "--net",
  "--uts",
  "--pid",
  "--fork",
  "--kill-child",
  "--mount-proc",
  "sh",
  "-c",
  `ip link set lo up && hostname ${OTHER} && exec "$0" "$@"`,
];

const why = await unshareUnavailable();

Deno.test({
  name:
    "a runtime of another machine sharing the state directory: discover, list, stop, prune, serve and run each do the right thing, and it is left alone",
  ignore: why !== undefined,
  fn: async () => {
    const home = await tempHome();
    try {
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
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

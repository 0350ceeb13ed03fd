/**
 * Black-box tests of `<instance>.error` (SPEC 2): a `serve` that cannot
 * start records why; the next one that starts removes it; `run`, `discover
 * --wait` and `list` say it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { assertMode, exists, HAS_UNIX_MODES } from "../_harness/fs.ts";

/** Holds a loopback port with a listener of this test process. */
function holdPort(): Deno.Listener & { port: number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return Object.assign(listener, {
    port: (listener.addr as Deno.NetAddr).port,
  });
}

/** The parsed `<instance>.error` of `home`. */
function readError(
  home: string,
  instance = "runtime",
): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(`${home}/${instance}.error`));
}

Deno.test("a serve that cannot bind its strict port writes <instance>.error (0600) with its code and message; the next start removes it", () =>
  withHome(async (home) => {
    using held = holdPort();
    const env = { PRYX_HOME: home };
    const r = await runCli(["serve", "--listen", `127.0.0.1:${held.port}`], {
      env,
    });
    assert.equal(r.code, 3, r.stderr);
    const failure = readError(home);
    assert.deepEqual(Object.keys(failure).sort(), [
      "at",
      "exitCode",
      "message",
      "version",
    ]);
    assert.equal(failure.exitCode, 3);
    assert.equal(r.stderr, `pryx-core: ${failure.message}\n`);
    assert(!Number.isNaN(Date.parse(failure.at as string)));
    if (HAS_UNIX_MODES) assertMode(`${home}/runtime.error`, 0o600);
    await using server = await startServer(home);
    assert(!exists(`${home}/runtime.error`), "a start removes the record");
    await server.stop();
  }));

Deno.test("a serve that finds the instance already running (exit 4) records nothing", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const r = await runCli(["serve"], { env: { PRYX_HOME: home } });
    assert.equal(r.code, 4, r.stderr);
    assert(!exists(`${home}/runtime.error`));
    await server.stop();
  }));

Deno.test("a bad token file (exit 2) is recorded too; a state directory that does not exist is not made for it", () =>
  withHome(async (home) => {
    const missing = ["serve", "--token-file", `${home}/missing`];
    const r = await runCli(missing, { env: { PRYX_HOME: home } });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(readError(home).exitCode, 2);
    assert.equal(r.stderr, `pryx-core: ${readError(home).message}\n`);
    const none = await runCli(missing, {
      env: { PRYX_HOME: `${home}/none` },
    });
    assert.equal(none.code, 2, none.stderr);
    assert(!exists(`${home}/none`), "no state directory made");
  }));

Deno.test(
  "an untrusted state directory (others may write, exit 5) gets nothing written into it",
  {
    ignore: !HAS_UNIX_MODES,
  },
  () =>
    withHome(async (home) => {
      Deno.chmodSync(home, 0o777);
      const r = await runCli(["serve"], { env: { PRYX_HOME: home } });
      assert.equal(r.code, 5, r.stderr);
      assert.deepEqual([...Deno.readDirSync(home)], []);
    }),
);

Deno.test("run whose background serve cannot start prints that failure and exits with its code", () =>
  withHome(async (home) => {
    using held = holdPort();
    const r = await runCli(["run", "--", "true"], {
      env: { PRYX_HOME: home, PRYX_LISTEN_ADDR: `127.0.0.1:${held.port}` },
    });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(
      r.stderr,
      `pryx-core: The runtime of instance "runtime" could not start: ${
        readError(home).message
      }\n`,
    );
  }));

Deno.test("discover --wait that gives up on an instance whose last start failed prints that failure", () =>
  withHome(async (home) => {
    using held = holdPort();
    const env = { PRYX_HOME: home };
    await runCli(["serve", "--listen", `127.0.0.1:${held.port}`], { env });
    const message = readError(home).message as string;
    const r = await runCli(["discover", "--wait", "100ms"], { env });
    assert.equal(r.code, 1);
    assert(
      r.stderr.trimEnd().endsWith(
        `the last start of instance "runtime" failed (exit 3 at ${
          readError(home).at
        }): ${message}`,
      ),
      r.stderr,
    );
  }));

Deno.test("list shows an instance whose last start failed as failed, with the failure (also in --json)", () =>
  withHome(async (home) => {
    using held = holdPort();
    const env = { PRYX_HOME: home };
    await runCli(["serve", "--listen", `127.0.0.1:${held.port}`], { env });
    const failure = readError(home);
    const table = await runCli(["list"], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout.split("\n")[1],
      /^runtime\s+failed\s+-\s+-\s+-\s+-\s+-\s+-\s+the last start failed \(exit 3 at /,
    );
    assert.equal(table.stderr, "");
    const json = await runCli(["list", "--json"], { env });
    const [row] = JSON.parse(json.stdout);
    assert.equal(row.status, "failed");
    assert.equal(row.live, false);
    assert.deepEqual(row.failure, failure);
  }));

Deno.test({
  name:
    "a busy strict port names the pid and command line of the process that holds it (Linux)",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withHome(async (home) => {
      // A listener of a process this test starts, with a command line of
      // its own to recognise.
      const script = 'const l = Deno.listen({hostname:"127.0.0.1",port:0});' +
        "console.log(l.addr.port); for await (const c of l) c.close();";
      const holder = new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        stdout: "piped",
        stderr: "null",
        stdin: "null",
      }).spawn();
      try {
        const reader = holder.stdout.pipeThrough(new TextDecoderStream())
          .getReader();
        const port = Number((await reader.read()).value?.trim());
        reader.releaseLock();
        const r = await runCli(["serve", "--listen", `127.0.0.1:${port}`], {
          env: { PRYX_HOME: home },
        });
        assert.equal(r.code, 3, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `^pryx-core: Cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use by pid ${holder.pid} \\(${
              Deno.execPath().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
            } eval const l = Deno\\.listen`,
          ),
        );
        assert.match(readError(home).message as string, /by pid \d+/);
      } finally {
        holder.kill("SIGKILL");
        await holder.status;
        await holder.stdout.cancel().catch(() => {});
      }
    }),
});

/**
 * Black-box tests of `pryx-core doctor` (SPEC 5): each case a user meets,
 * with a real runtime, a real leftover, a real frozen owner, a real
 * runtime of another protocol, a real busy port, real scripts on PATH and
 * a real open-file limit.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  NO_POSIX_SIGNALS,
  runCli,
  startServer,
  withHome,
} from "../_harness/cli.ts";
import { startFakeRuntime } from "../_harness/fake.ts";
import { killIfRunning } from "../_harness/process.ts";

/** One parsed check of `doctor --json`. */
interface Check {
  check: string;
  status: "ok" | "warn" | "fail";
  message: string;
  fix?: string;
}

/** Runs `doctor --json` (and the text form) in `home`; both must agree. */
async function doctor(
  home: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<{ code: number; checks: Check[]; text: string }> {
  const full = { PRYX_HOME: home, PATH: "/usr/bin:/bin", ...env };
  const json = await runCli(["doctor", "--json", ...args], { env: full });
  const text = await runCli(["doctor", ...args], { env: full });
  assert.equal(json.code, text.code, text.stdout + text.stderr);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
  assert.equal(parsed.ok, json.code === 0);
  assert.equal(text.stdout.trimEnd().split("\n").length, parsed.checks.length);
  return { code: json.code, checks: parsed.checks, text: text.stdout };
}

/** The one check named `name`. */
function only(checks: Check[], name: string): Check {
  const found = checks.filter((c) => c.check === name);
  assert.equal(found.length, 1, JSON.stringify(checks));
  return found[0];
}

Deno.test("doctor with nothing running: a warning with the command that starts one, exit 0", () =>
  withHome(async (home) => {
    const r = await doctor(home);
    assert.equal(r.code, 0, r.text);
    assert.deepEqual(only(r.checks, "instance"), {
      check: "instance",
      status: "warn",
      message: "no runtime is running in this state directory",
      fix: "pryx-core serve --detach",
    });
    assert.equal(only(r.checks, "state-dir").status, "ok");
    assert.match(
      r.text,
      /^warn {2}no runtime is running .*; fix: pryx-core serve --detach$/m,
    );
  }));

Deno.test("doctor with a live, healthy runtime: ok, exit 0", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const r = await doctor(home);
    assert.equal(r.code, 0, r.text);
    const check = only(r.checks, "instance");
    assert.equal(check.status, "ok");
    assert.match(
      check.message,
      new RegExp(
        `^instance "runtime" is live and healthy at http://127\\.0\\.0\\.1:${server.port} \\(pid ${server.child.pid}, version `,
      ),
    );
    // Its socket (none on Windows) is there.
    const socket = r.checks.filter((c) => c.check === "socket");
    if (Deno.build.os === "windows") assert.deepEqual(socket, []);
    else {
      assert.deepEqual(socket.map((c) => [c.status, c.message]), [[
        "ok",
        `instance "runtime" socket ${home}/runtime.sock is there`,
      ]]);
    }
  }));

Deno.test("doctor with a SIGKILLed leftover: a warning that names it and prune", () =>
  withHome(async (home) => {
    const server = await startServer(home);
    await server.stop("SIGKILL");
    const r = await doctor(home);
    assert.equal(r.code, 0, r.text);
    const check = only(r.checks, "instance");
    assert.equal(check.status, "warn");
    assert.match(check.message, new RegExp(`pid ${server.child.pid} is gone`));
    assert.equal(check.fix, "pryx-core prune");
  }));

Deno.test({
  name:
    "doctor with the lock held by a process that does not answer (SIGSTOP): fail, with stop --force",
  ignore: NO_POSIX_SIGNALS,
  fn: () =>
    withHome(async (home) => {
      const server = await startServer(home);
      try {
        Deno.kill(server.child.pid, "SIGSTOP");
        const r = await doctor(home);
        assert.equal(r.code, 1, r.text);
        const check = only(r.checks, "instance");
        assert.equal(check.status, "fail");
        assert.match(check.message, /holds its lock but does not answer/);
        if (Deno.build.os === "linux") {
          assert.match(
            check.message,
            new RegExp(
              `the kernel names pid ${server.child.pid} as the lock's holder`,
            ),
          );
        }
        assert.equal(check.fix, "pryx-core stop --force");
      } finally {
        killIfRunning(server.child, "SIGCONT");
        await server.stop("SIGKILL");
      }
    }),
});

Deno.test("doctor with a proxy variable set: a warning with NO_PROXY", () =>
  withHome(async (home) => {
    const r = await doctor(home, { HTTP_PROXY: "http://127.0.0.1:9" });
    assert.equal(r.code, 0, r.text);
    const check = only(r.checks, "proxy");
    assert.equal(check.status, "warn");
    assert.match(check.message, /^HTTP_PROXY set: /);
    assert.equal(
      check.fix,
      "export NO_PROXY=localhost,127.0.0.1,::1 (or unset HTTP_PROXY)",
    );
  }));

Deno.test("doctor with a runtime of another protocol: fail, naming both protocols, with stop", () =>
  withHome(async (home) => {
    await using _fake = await startFakeRuntime(home, { protocol: 2 });
    const r = await doctor(home);
    assert.equal(r.code, 1, r.text);
    const check = only(r.checks, "instance");
    assert.equal(check.status, "fail");
    assert.match(check.message, /speaks protocol 2, this client speaks 1/);
    assert.equal(check.fix, "pryx-core stop");
  }));

Deno.test("doctor after a start that failed on a busy port: fail, with that failure and the holder", () =>
  withHome(async (home) => {
    using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (held.addr as Deno.NetAddr).port;
    const serve = await runCli(["serve", "--listen", `127.0.0.1:${port}`], {
      env: { PRYX_HOME: home },
    });
    assert.equal(serve.code, 3, serve.stderr);
    const r = await doctor(home);
    assert.equal(r.code, 1, r.text);
    const check = only(r.checks, "instance");
    assert.equal(check.status, "fail");
    assert.match(
      check.message,
      new RegExp(
        `^instance "runtime": the last start failed \\(exit 3 at [^)]+\\): Cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use`,
      ),
    );
    assert.match(check.fix!, /pryx-core serve --detach --listen :0/);
  }));

Deno.test({
  name:
    "doctor with two pryx-core of different versions on PATH: fail, naming both and the one to remove",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const paths: string[] = [];
      for (const [dir, version] of [["a", "0.1.0"], ["b", "0.0.9"]]) {
        Deno.mkdirSync(`${home}/${dir}`);
        const path = `${home}/${dir}/pryx-core`;
        Deno.writeTextFileSync(path, `#!/bin/sh\necho ${version}\n`, {
          mode: 0o755,
        });
        paths.push(path);
      }
      const state = `${home}/state`;
      const r = await doctor(state, {
        PATH: `${home}/a:${home}/b:/usr/bin:/bin`,
      });
      assert.equal(r.code, 1, r.text);
      const check = only(r.checks, "path");
      assert.equal(check.status, "fail");
      assert.equal(
        check.message,
        `${paths[0]} is first on PATH (version 0.1.0), but PATH also has ${
          paths[1]
        } (version 0.0.9): which one runs depends on the shell`,
      );
      assert.equal(
        check.fix,
        `remove the one you do not want (rm ${paths[1]}), then "hash -r"`,
      );
      // One of them alone is fine.
      const one = await doctor(state, { PATH: `${home}/a:/usr/bin:/bin` });
      assert.equal(only(one.checks, "path").status, "ok");
    }),
});

Deno.test({
  name:
    "doctor under an open-file limit of 512: a warning with the ulimit that raises it",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      // bash's "ulimit -n" sets the soft and the hard limit.
      const r = await runCli(["doctor", "--json"], {
        env: { PRYX_HOME: home },
        prefix: ["bash", "-c", 'ulimit -n 512 && exec "$@"', "--"],
      });
      const checks = JSON.parse(r.stdout).checks as Check[];
      const check = only(checks, "file-limit");
      assert.equal(check.status, "warn", JSON.stringify(check));
      assert.match(check.message, /^The open-file limit is 512 /);
      assert.match(check.fix!, /^ulimit -n \d+$/);
    }),
});

Deno.test({
  name:
    "doctor names the login service: none, then the one service install wrote (its state unknown without a user manager)",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withHome(async (home) => {
      const env = { HOME: home, XDG_CONFIG_HOME: `${home}/config` };
      const before = only((await doctor(home, env)).checks, "service");
      assert.equal(before.status, "ok");
      assert.match(
        before.message,
        /^no login service pryx-core-runtime\.service/,
      );
      // The unit as install writes it, put in place by hand: a real
      // install would enable it where a user manager runs.
      const printed = await runCli(["service", "install", "--print"], {
        env: { PRYX_HOME: home, ...env },
      });
      assert.equal(printed.code, 0, printed.stderr);
      Deno.mkdirSync(`${home}/config/systemd/user`, { recursive: true });
      Deno.writeTextFileSync(
        `${home}/config/systemd/user/pryx-core-runtime.service`,
        printed.stdout,
      );
      const after = only((await doctor(home, env)).checks, "service");
      assert.match(
        after.message,
        new RegExp(
          `^login service pryx-core-runtime\\.service is installed \\(${home}/config/systemd/user/pryx-core-runtime\\.service\\)`,
        ),
      );
    }),
});

/**
 * Black-box tests of `pryx-core service` on Linux (SPEC 5) with `HOME` and
 * `XDG_CONFIG_HOME` in a temp directory and no systemd user manager
 * (`XDG_RUNTIME_DIR` empty, no session bus): install writes the unit and
 * says the two commands, status and uninstall follow it; and `stop` of a
 * runtime that a service manager runs says the manager starts it again
 * and how to keep it stopped.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NOT_LINUX, runCli, startServer, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** The environment of a user with no systemd user manager, all in `tmp`. */
async function noManagerEnv(tmp: string): Promise<Record<string, string>> {
  await Deno.mkdir(`${tmp}/run`, { mode: 0o700 });
  return {
    HOME: `${tmp}/home`,
    XDG_CONFIG_HOME: `${tmp}/home/.config`,
    XDG_RUNTIME_DIR: `${tmp}/run`,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${tmp}/run/no-bus`,
    PRYX_HOME: `${tmp}/state`,
  };
}

Deno.test({
  name:
    "service install without a user manager writes the unit and says the two commands; status and uninstall follow it",
  ignore: NOT_LINUX,
  fn: () =>
    withHome(async (tmp) => {
      const env = await noManagerEnv(tmp);
      const unit = `${tmp}/home/.config/systemd/user/pryx-core-web.service`;
      const printed = await runCli(
        [
          "service",
          "install",
          "--instance",
          "web",
          "--print",
          "--listen",
          ":0",
        ],
        { env },
      );
      assert.strictEqual(printed.code, 0, printed.stderr);
      assert(!exists(unit), "--print writes nothing");
      assert.match(
        printed.stdout,
        /^ExecStart=\/\S+ .*serve --instance web --listen :0 --state-dir /m,
      );

      const installed = await runCli(
        ["service", "install", "--instance", "web", "--listen", ":0"],
        { env },
      );
      assert.strictEqual(installed.code, 0, installed.stderr);
      assert.strictEqual(Deno.readTextFileSync(unit), printed.stdout);
      assert(
        exists(`${tmp}/state`),
        "the state directory is there for the log",
      );
      assert.match(
        installed.stderr,
        new RegExp(`Wrote ${unit}; no systemd user manager runs here`),
      );
      const lines = installed.stderr.trim().split("\n");
      assert.deepStrictEqual(lines.slice(1), [
        "  systemctl --user daemon-reload",
        "  systemctl --user enable --now pryx-core-web.service",
      ]);

      const status = await runCli(["service", "status", "--instance", "web"], {
        env,
      });
      assert.strictEqual(status.code, 0, status.stderr);
      assert.match(
        status.stdout,
        new RegExp(
          `^pryx-core-web.service: installed ${unit}, state unknown: no systemd user manager runs here`,
        ),
      );

      const removed = await runCli([
        "service",
        "uninstall",
        "--instance",
        "web",
      ], { env });
      assert.strictEqual(removed.code, 0, removed.stderr);
      assert(!exists(unit), "the unit is gone");
      assert.match(
        removed.stderr,
        /systemctl --user disable --now pryx-core-web.service/,
      );

      const after = await runCli(["service", "status", "--instance", "web"], {
        env,
      });
      assert.strictEqual(after.code, 1);
      assert.strictEqual(
        after.stdout,
        "pryx-core-web.service: not installed\n",
      );
      const again = await runCli(
        ["service", "uninstall", "--instance", "web"],
        { env },
      );
      assert.strictEqual(again.code, 1);
      assert.match(
        again.stderr,
        /^pryx-core: No service of instance "web" is installed/,
      );
      assert.strictEqual(again.stderr.trim().split("\n").length, 1, "one line");
    }),
});

Deno.test("service --help, a typo of an action and a missing action", async () => {
  const help = await runCli(["service", "--help"]);
  assert.strictEqual(help.code, 0);
  assert.match(
    help.stdout,
    /^Usage: pryx-core service install\|uninstall\|status/,
  );
  const typo = await runCli(["service", "unistall"]);
  assert.strictEqual(typo.code, 2);
  assert.match(typo.stderr, /did you mean uninstall\?/);
  const none = await runCli(["service"]);
  assert.strictEqual(none.code, 2);
  assert.match(none.stderr, /service needs an action/);
  const top = await runCli(["--help"]);
  assert.match(
    top.stdout,
    /^ {2}service +install, remove or show the login service/m,
  );
  const subTypo = await runCli(["servce"]);
  assert.match(subTypo.stderr, /did you mean serve or service\?/);
});

Deno.test("stop of a runtime a service manager runs says the manager starts it again and how to keep it stopped", () =>
  withHome(async (home) => {
    const server = await startServer(home, [], {
      env: { PRYX_SERVICE: "systemd" },
    });
    try {
      const info = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.strictEqual(info.service, "systemd");
      const stopped = await runCli(["stop"], { env: { PRYX_HOME: home } });
      assert.strictEqual(stopped.code, 0, stopped.stderr);
      assert.match(
        stopped.stderr,
        /^pryx-core: Stopped instance "runtime" at http:\/\/127\.0\.0\.1:\d+; instance "runtime" is a service of systemd \(pryx-core-runtime\.service\), which starts it again at the next login; to keep it stopped run "systemctl --user disable --now pryx-core-runtime\.service", or "pryx-core service uninstall" to remove the service\n$/,
      );
      assert.strictEqual((await server.exited()).code, 0);
    } finally {
      await server.stop("SIGKILL");
    }
  }));

Deno.test("serve refuses an unknown PRYX_SERVICE with exit 2 and one line", () =>
  withHome(async (home) => {
    const res = await runCli(["serve"], {
      env: { PRYX_HOME: home, PRYX_SERVICE: "upstart" },
    });
    assert.strictEqual(res.code, 2);
    assert.match(
      res.stderr,
      /Invalid PRYX_SERVICE "upstart": use systemd, launchd or schtasks/,
    );
  }));

/**
 * Unit tests of the OS-dependent parts of `pryx-core run`
 * (lib/cli/run_runtime.ts, lib/cli/run_child.ts): how it starts `serve`, which signals it handles and
 * how it stops the runtime it started.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type EntryProcess,
  RUN_IDLE_EXIT_MS,
  serveCommandLine,
} from "../../lib/cli/run_runtime.ts";
import {
  ignoringShell,
  isForeground,
  runSignals,
  stopMethod,
} from "../../lib/cli/run_child.ts";
import { RUNTIME_PERMISSIONS } from "../../lib/shared/config.ts";

const SERVE_TAIL = [
  "serve",
  "--instance",
  "dev",
  "--state-dir",
  "/s",
  "--exit-when-idle",
  `${RUN_IDLE_EXIT_MS}ms`,
  "--log-to-file",
];

function entry(over: Partial<EntryProcess>): EntryProcess {
  return {
    standalone: false,
    execPath: "/usr/bin/deno",
    mainModule: "file:///opt/pryx/main.ts",
    os: "linux",
    isFile: () => true,
    ...over,
  };
}

Deno.test("a compiled binary starts serve as itself", () => {
  assert.deepStrictEqual(
    serveCommandLine(
      "dev",
      "/s",
      entry({ standalone: true, execPath: "/bin/pryx-core" }),
    ),
    ["/bin/pryx-core", SERVE_TAIL],
  );
});

Deno.test("an installed or checked-out script starts serve with deno run, its permissions and the deno.json beside it", () => {
  assert.deepStrictEqual(
    serveCommandLine(
      "dev",
      "/s",
      entry({ mainModule: "file:///home/me/my%20src/%23pryx/main.ts" }),
    ),
    ["/usr/bin/deno", [
      "run",
      ...RUNTIME_PERMISSIONS,
      "--config",
      "/home/me/my src/#pryx/deno.json",
      "/home/me/my src/#pryx/main.ts",
      ...SERVE_TAIL,
    ]],
  );
  assert.deepStrictEqual(
    serveCommandLine("dev", "/s", entry({ isFile: () => false }))[1].slice(
      RUNTIME_PERMISSIONS.length + 1,
      RUNTIME_PERMISSIONS.length + 2,
    ),
    ["/opt/pryx/main.ts"],
  );
});

Deno.test("on Windows the entry and its deno.json are Windows paths, not /C:/...", () => {
  const [cmd, args] = serveCommandLine(
    "dev",
    "/s",
    entry({
      os: "windows",
      execPath: "C:\\deno\\deno.exe",
      mainModule: "file:///C:/Users/me/pryx%20core/main.ts",
    }),
  );
  assert.deepStrictEqual(cmd, "C:\\deno\\deno.exe");
  assert.deepStrictEqual(
    args.slice(RUNTIME_PERMISSIONS.length + 1, -SERVE_TAIL.length),
    [
      "--config",
      "C:\\Users\\me\\pryx core\\deno.json",
      "C:\\Users\\me\\pryx core\\main.ts",
    ],
  );
});

Deno.test("in a terminal's foreground run leaves Ctrl-C, Ctrl-\\ and hang-up to the terminal; elsewhere CMD gets its own group and every signal from run", () => {
  for (const os of ["linux", "darwin"] as const) {
    assert.deepStrictEqual(runSignals(os, true), {
      mode: "terminal",
      forward: ["SIGTERM"],
      absorb: ["SIGINT", "SIGQUIT", "SIGHUP"],
    });
    assert.deepStrictEqual(runSignals(os, false), {
      mode: "own-group",
      forward: ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"],
      absorb: [],
    });
  }
  assert.deepStrictEqual(runSignals("windows"), {
    mode: "windows",
    forward: [],
    absorb: ["SIGINT", "SIGBREAK"],
  });
});

Deno.test("under nohup run neither passes on nor absorbs SIGHUP, so CMD inherits it ignored", () => {
  const hup = new Set<Deno.Signal>(["SIGHUP"]);
  assert.deepStrictEqual(runSignals("linux", false, hup), {
    mode: "own-group",
    forward: ["SIGINT", "SIGTERM", "SIGQUIT"],
    absorb: ["SIGHUP"],
  });
  assert.deepStrictEqual(runSignals("darwin", true, hup), {
    mode: "terminal",
    forward: ["SIGTERM"],
    absorb: ["SIGINT", "SIGQUIT", "SIGHUP"],
  });
  assert.deepStrictEqual(
    ignoringShell({ cmd: "npm", args: ["run", "a b"] }, ["HUP"]),
    {
      cmd: "sh",
      args: ["-c", `trap '' HUP; exec "$@"`, "sh", "npm", "run", "a b"],
    },
  );
});

Deno.test("the terminal's foreground group is read from ps: tpgid equal to the process group", () => {
  assert(isForeground("  4242  4242\n"));
  assert(!isForeground("  5000  4242\n"), "in the background");
  assert(!isForeground("   -1  4242\n"), "no terminal");
  assert(!isForeground(""), "no answer");
});

Deno.test("run ends a runtime that never became ready with SIGTERM on POSIX, and terminates it at once on Windows, which has no catchable SIGTERM", () => {
  assert.deepStrictEqual(stopMethod("linux"), "SIGTERM");
  assert.deepStrictEqual(stopMethod("darwin"), "SIGTERM");
  assert.deepStrictEqual(stopMethod("windows"), "SIGKILL");
});

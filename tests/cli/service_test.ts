/**
 * `pryx-core service` against a fake host (`ServiceHost`): for each OS
 * the files it writes and the manager commands it runs for install,
 * uninstall and status, so the macOS and Windows branches are tested here
 * too. The real command on Linux is in `tests/e2e/service_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Ran,
  runService,
  type ServiceHost,
} from "../../lib/cli/service.ts";
import { envFromRecord } from "../../lib/shared/config.ts";
import type { Os } from "../../lib/shared/os.ts";
import { parsePlist, parseXml } from "../_harness/xml.ts";

interface Fake extends ServiceHost {
  files: Map<string, { text: string; utf16: boolean }>;
  ran: string[];
}

/** A host of `os` whose commands answer by `answers` (by command line prefix; default exit 0). */
function fakeHost(
  os: Os,
  answers: Record<string, Ran | undefined> = {},
  env: Record<string, string> = {},
): Fake {
  const files = new Map<string, { text: string; utf16: boolean }>();
  const ran: string[] = [];
  const home = os === "windows" ? "C:\\Users\\ada" : "/home/ada";
  return {
    os,
    env: envFromRecord({
      HOME: home,
      USERPROFILE: home,
      PATH: os === "windows" ? "C:\\bin" : "/usr/bin",
      ...env,
    }),
    execPath: os === "windows" ? "C:\\deno\\deno.exe" : "/usr/bin/deno",
    mainPath: os === "windows" ? "C:\\src\\main.ts" : "/src/main.ts",
    cwd: home,
    uid: 501,
    files,
    ran,
    run(cmd, args) {
      const line = [cmd, ...args].join(" ");
      ran.push(line);
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      return Promise.resolve(
        key === undefined ? { code: 0, stdout: "", stderr: "" } : answers[key],
      );
    },
    isFile: (p) => files.has(p),
    realPath: (p) => p,
    writeFile(path, text, utf16 = false) {
      files.set(path, { text, utf16 });
    },
    remove: (p) => files.delete(p),
    tempFile: (suffix) => `C:\\Temp\\task${suffix}`,
    ensureStateDir() {},
  };
}

const REFUSED: Ran = {
  code: 1,
  stdout: "",
  stderr: "Failed to connect to bus: No medium found\n",
};

Deno.test("linux with a user manager: install writes the unit and enables it; uninstall disables and removes it", async () => {
  const host = fakeHost("linux");
  assert.strictEqual(
    await runService(["install", "--instance", "dev"], host),
    0,
  );
  const path = "/home/ada/.config/systemd/user/pryx-core-dev.service";
  assert.match(host.files.get(path)!.text, /^ExecStart=\/usr\/bin\/deno run /m);
  assert.deepStrictEqual(host.ran, [
    "systemctl --user show-environment",
    "systemctl --user daemon-reload",
    "systemctl --user enable --now pryx-core-dev.service",
  ]);
  host.ran.length = 0;
  assert.strictEqual(
    await runService(["status", "--instance", "dev"], host),
    0,
  );
  assert.deepStrictEqual(host.ran, [
    "systemctl --user show-environment",
    "systemctl --user is-active pryx-core-dev.service",
  ]);
  host.ran.length = 0;
  assert.strictEqual(
    await runService(["uninstall", "--instance", "dev"], host),
    0,
  );
  assert(!host.files.has(path));
  assert.deepStrictEqual(host.ran, [
    "systemctl --user show-environment",
    "systemctl --user disable --now pryx-core-dev.service",
    "systemctl --user daemon-reload",
  ]);
  await assert.rejects(
    runService(["uninstall", "--instance", "dev"], host),
    /No service of instance "dev" is installed/,
  );
  assert.strictEqual(
    await runService(["status", "--instance", "dev"], host),
    1,
  );
});

Deno.test("linux without a user manager: install writes the unit and runs nothing else; a refused enable is exit 1 naming the command", async () => {
  const host = fakeHost("linux", {
    "systemctl --user show-environment": REFUSED,
  });
  assert.strictEqual(await runService(["install"], host), 0);
  assert.deepStrictEqual(host.ran, ["systemctl --user show-environment"]);
  assert(
    host.files.has("/home/ada/.config/systemd/user/pryx-core-runtime.service"),
  );
  const refusing = fakeHost("linux", {
    "systemctl --user enable": {
      code: 1,
      stdout: "",
      stderr: "Unit file is masked.\n",
    },
  });
  await assert.rejects(
    runService(["install"], refusing),
    (err: Error & { exitCode?: number }) => {
      assert.match(
        err.message,
        /"systemctl --user enable --now pryx-core-runtime.service" failed: Unit file is masked/,
      );
      assert.strictEqual(err.exitCode, 1);
      return true;
    },
  );
  const missing = fakeHost("linux", { "systemctl": undefined });
  assert.strictEqual(
    await runService(["install"], missing),
    0,
    "no systemctl at all: the two commands",
  );
});

Deno.test("darwin: install writes the agent to LaunchAgents and bootstraps it in gui/UID; uninstall boots it out", async () => {
  const host = fakeHost("darwin");
  assert.strictEqual(await runService(["install", "--listen", ":0"], host), 0);
  const path = "/home/ada/Library/LaunchAgents/dev.pryx-core.runtime.plist";
  const plist = parsePlist(host.files.get(path)!.text) as Record<
    string,
    unknown
  >;
  assert.strictEqual(plist.Label, "dev.pryx-core.runtime");
  assert.deepStrictEqual(host.ran, [
    "launchctl bootout gui/501/dev.pryx-core.runtime",
    `launchctl bootstrap gui/501 ${path}`,
  ]);
  host.ran.length = 0;
  assert.strictEqual(await runService(["status"], host), 0);
  assert.deepStrictEqual(host.ran, [
    "launchctl print gui/501/dev.pryx-core.runtime",
  ]);
  host.ran.length = 0;
  assert.strictEqual(await runService(["uninstall"], host), 0);
  assert(!host.files.has(path));
  assert.deepStrictEqual(host.ran, [
    "launchctl bootout gui/501/dev.pryx-core.runtime",
  ]);
});

Deno.test("windows: install registers the task from a UTF-16 XML file with schtasks and runs it; uninstall ends and deletes it", async () => {
  const host = fakeHost("windows", {}, { USERNAME: "ada", USERDOMAIN: "HOST" });
  assert.strictEqual(await runService(["install"], host), 0);
  assert.deepStrictEqual(host.ran, [
    "schtasks /Create /TN \\pryx-core\\runtime /XML C:\\Temp\\task.xml /F",
    "schtasks /Run /TN \\pryx-core\\runtime",
  ]);
  assert(!host.files.has("C:\\Temp\\task.xml"), "the temp file is removed");
  host.ran.length = 0;
  const kept = fakeHost("windows", {
    "schtasks /Create": {
      code: 1,
      stdout: "",
      stderr: "ERROR: Access is denied.\n",
    },
  });
  await assert.rejects(runService(["install"], kept), /Access is denied/);
  assert(!kept.files.has("C:\\Temp\\task.xml"), "removed after a failure too");
  assert.strictEqual(await runService(["uninstall"], host), 0);
  assert.deepStrictEqual(host.ran, [
    "schtasks /Query /TN \\pryx-core\\runtime",
    "schtasks /End /TN \\pryx-core\\runtime",
    "schtasks /Delete /TN \\pryx-core\\runtime /F",
  ]);
  const none = fakeHost("windows", {
    "schtasks /Query": {
      code: 1,
      stdout: "",
      stderr: "ERROR: The system cannot find the file specified.\n",
    },
  });
  assert.strictEqual(await runService(["status"], none), 1);
  await assert.rejects(runService(["uninstall"], none), /No task/);
});

Deno.test("windows: the XML handed to schtasks is UTF-16 with a BOM, as its declaration says, and parses", async () => {
  let written: { text: string; utf16: boolean } | undefined;
  const host = fakeHost("windows");
  host.remove = (p) => {
    written = host.files.get(p);
    return host.files.delete(p);
  };
  assert.strictEqual(await runService(["install"], host), 0);
  assert.strictEqual(written?.utf16, true);
  assert.strictEqual(parseXml(written!.text).root.name, "Task");
});

Deno.test("service refuses a missing or unknown action, stray flags of uninstall, and bad serve flags, with exit 2", async () => {
  const host = fakeHost("linux");
  const usage = (err: Error & { exitCode?: number }) => err.exitCode === 2;
  await assert.rejects(runService([], host), usage);
  await assert.rejects(runService(["instal"], host), /did you mean install\?/);
  await assert.rejects(
    runService(["uninstall", "--listen", ":0"], host),
    usage,
  );
  await assert.rejects(
    runService(["install", "--listen", "nowhere:1"], host),
    usage,
  );
  await assert.rejects(runService(["install", "--auth", "maybe"], host), usage);
  await assert.rejects(
    runService(["install", "--exit-when-idle", "soon"], host),
    usage,
  );
  await assert.rejects(
    runService(["install", "--instance", "Bad Name"], host),
    usage,
  );
  assert.deepStrictEqual(host.ran, [], "nothing was run");
  assert.strictEqual(host.files.size, 0, "nothing was written");
  await assert.rejects(runService(["install"], fakeHost("freebsd")), usage);
});

Deno.test("the real host writes UTF-16 little-endian with a BOM when asked, and creates the directory", async () => {
  const { denoServiceHost } = await import("../../lib/cli/service.ts");
  const dir = await Deno.makeTempDir({ prefix: "pryx-utf16-" });
  try {
    const path = `${dir}/sub/task.xml`;
    denoServiceHost().writeFile(
      path,
      '<?xml version="1.0" encoding="UTF-16"?><a>é€</a>',
      true,
    );
    const bytes = await Deno.readFile(path);
    assert.deepStrictEqual([...bytes.slice(0, 2)], [0xff, 0xfe]);
    assert.strictEqual(
      new TextDecoder("utf-16le").decode(bytes.slice(2)),
      '<?xml version="1.0" encoding="UTF-16"?><a>é€</a>',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

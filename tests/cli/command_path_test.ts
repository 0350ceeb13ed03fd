/**
 * Unit tests of finding and starting CMD per OS (lib/cli/command_path.ts):
 * PATH separators, PATHEXT, and cmd.exe for batch files.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  commandCandidates,
  DEFAULT_PATHEXT,
  findCommand,
  pathDirs,
  pathExtensions,
  quoteForCmd,
  spawnLine,
} from "../../lib/cli/command_path.ts";
import { UsageError } from "../../lib/shared/errors.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("PATH splits on ':' on Linux and macOS, an empty entry meaning the current directory", () => {
  for (const os of ["linux", "darwin"] as const) {
    assert.deepStrictEqual(pathDirs("/usr/bin::/bin", os), [
      "/usr/bin",
      ".",
      "/bin",
    ]);
  }
  assert.deepStrictEqual(pathDirs(undefined, "linux"), []);
});

Deno.test("PATH splits on ';' on Windows, keeping drive letters and dropping empty and quoted forms", () => {
  assert.deepStrictEqual(
    pathDirs('C:\\Windows;;"C:\\Program Files\\nodejs";D:\\bin\\', "windows"),
    ["C:\\Windows", "C:\\Program Files\\nodejs", "D:\\bin\\"],
  );
});

Deno.test("PATHEXT gives the extensions to try on Windows, with the default when unset, and none elsewhere", () => {
  assert.deepStrictEqual(pathExtensions(undefined, "windows"), [
    ".com",
    ".exe",
    ".bat",
    ".cmd",
  ]);
  assert.deepStrictEqual(DEFAULT_PATHEXT, ".COM;.EXE;.BAT;.CMD");
  assert.deepStrictEqual(pathExtensions(".EXE;.CMD;.PS1", "windows"), [
    ".exe",
    ".cmd",
    ".ps1",
  ]);
  assert.deepStrictEqual(pathExtensions(".EXE", "linux"), []);
  assert.deepStrictEqual(pathExtensions(".EXE", "darwin"), []);
});

Deno.test("on Windows npm finds npm.cmd through PATHEXT", () => {
  const env = envOf({
    PATH: "C:\\Windows\\System32;C:\\Program Files\\nodejs",
    PATHEXT: ".COM;.EXE;.BAT;.CMD",
  });
  const files = new Set(["C:\\Program Files\\nodejs\\npm.cmd"]);
  assert.deepStrictEqual(
    findCommand("npm", env, "windows", (p) => files.has(p)),
    "C:\\Program Files\\nodejs\\npm.cmd",
  );
  assert.deepStrictEqual(
    commandCandidates("npm", env, "windows").slice(0, 2),
    ["C:\\Windows\\System32\\npm.com", "C:\\Windows\\System32\\npm.exe"],
  );
  // A name with its extension is tried as it is; a path is not searched.
  assert.deepStrictEqual(commandCandidates("node.EXE", env, "windows"), [
    "C:\\Windows\\System32\\node.EXE",
    "C:\\Program Files\\nodejs\\node.EXE",
  ]);
  assert.deepStrictEqual(commandCandidates(".\\build", env, "windows"), [
    ".\\build.com",
    ".\\build.exe",
    ".\\build.bat",
    ".\\build.cmd",
  ]);
});

Deno.test("on POSIX a bare name is searched in PATH and a path with '/' is taken as it is", () => {
  const env = envOf({ PATH: "/usr/local/bin:/usr/bin", PATHEXT: ".EXE" });
  assert.deepStrictEqual(commandCandidates("npm", env, "linux"), [
    "/usr/local/bin/npm",
    "/usr/bin/npm",
  ]);
  assert.deepStrictEqual(commandCandidates("./x.sh", env, "darwin"), [
    "./x.sh",
  ]);
  // A backslash is an ordinary character of a POSIX file name.
  assert.deepStrictEqual(commandCandidates("a\\b", env, "linux"), [
    "/usr/local/bin/a\\b",
    "/usr/bin/a\\b",
  ]);
  assert.deepStrictEqual(
    findCommand("npm", env, "linux", () => false),
    undefined,
  );
});

Deno.test("a Windows .cmd or .bat file runs through cmd.exe /e:ON /v:OFF /d /s /c with its arguments quoted", () => {
  const line = spawnLine(
    "npm",
    ["run", "dev", "a b&c", '"q"', "100%"],
    "C:\\Program Files\\nodejs\\npm.cmd",
    "windows",
    "C:\\Windows\\system32\\cmd.exe",
  );
  assert.deepStrictEqual(line, {
    cmd: "C:\\Windows\\system32\\cmd.exe",
    args: [
      "/e:ON",
      "/v:OFF",
      "/d",
      "/s",
      "/c",
      '""C:\\Program Files\\nodejs\\npm.cmd" "run" "dev" "a b&c" """q""" "100%%cd:~,%""',
    ],
    windowsRawArguments: true,
  });
  assert.deepStrictEqual(
    spawnLine("x", [], "C:\\tools\\x.BAT", "windows").cmd,
    "cmd.exe",
  );
});

Deno.test("a Windows program runs as the resolved file, and POSIX runs CMD as typed", () => {
  assert.deepStrictEqual(
    spawnLine("node", ["-v"], "C:\\nodejs\\node.exe", "windows"),
    { cmd: "C:\\nodejs\\node.exe", args: ["-v"] },
  );
  assert.deepStrictEqual(spawnLine("npm", ["-v"], "/usr/bin/npm", "linux"), {
    cmd: "npm",
    args: ["-v"],
  });
  assert.deepStrictEqual(
    spawnLine("npm", ["-v"], "/usr/bin/npm.cmd", "darwin"),
    { cmd: "npm", args: ["-v"] },
  );
});

Deno.test("quoting for cmd.exe doubles a trailing backslash run and refuses line breaks", () => {
  assert.deepStrictEqual(quoteForCmd("C:\\dir\\"), '"C:\\dir\\\\"');
  // a\"b: the backslash before the inner quote is doubled, so the program
  // gets a\"b, not a"b.
  assert.deepStrictEqual(quoteForCmd('a\\"b'), '"a\\\\""b"');
  assert.deepStrictEqual(quoteForCmd("no\\slash"), '"no\\slash"');
  assert.deepStrictEqual(quoteForCmd("!x!"), '"!x!"');
  assert.deepStrictEqual(quoteForCmd(""), '""');
  assert.throws(() => quoteForCmd("a\nb"), UsageError);
});

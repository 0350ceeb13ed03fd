/**
 * Unit tests of lib/shared/config.ts: instance naming (Windows device names
 * are refused on every OS), blank variables and `~` expansion.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  envFromRecord,
  envReader,
  expandHome,
  isWindowsDeviceName,
  parseInstanceName,
  resolveInstance,
  resolveStateDir,
} from "../../lib/shared/config.ts";
import { UsageError } from "../../lib/shared/errors.ts";

Deno.test("Windows device names, alone or before an extension, are not instance names", () => {
  const devices = ["nul", "con", "prn", "aux", "con.x", "nul.dev", "aux.1"];
  for (let i = 0; i <= 9; i++) devices.push(`com${i}`, `lpt${i}`, `lpt${i}.x`);
  for (const name of devices) {
    assert(isWindowsDeviceName(name), name);
    assert.throws(() => parseInstanceName(name), UsageError, name);
  }
});

Deno.test("names that merely contain a device name are instance names", () => {
  for (
    const name of [
      "null",
      "console",
      "com10",
      "lpt",
      "my-con",
      "auxiliary",
      "con-1",
      "runtime",
    ]
  ) {
    assert(!isWindowsDeviceName(name), name);
    assert.deepStrictEqual(parseInstanceName(name), name);
  }
});

Deno.test("a blank or whitespace-only variable reads as unset; others as given", () => {
  const env = envFromRecord({ A: "", B: "  \t", C: " x ", D: "0" });
  assert.deepEqual(["A", "B", "C", "D", "E"].map(env), [
    undefined,
    undefined,
    " x ",
    "0",
    undefined,
  ]);
  const getter = envReader((name) => name === "A" ? "" : "v");
  assert.deepEqual([getter("A"), getter("B")], [undefined, "v"]);
});

Deno.test("blank PRYX_HOME and PRYX_INSTANCE fall back to the defaults", () => {
  const env = envFromRecord({ HOME: "/h", PRYX_HOME: "", PRYX_INSTANCE: " " });
  assert.equal(resolveStateDir(undefined, env, "linux"), "/h/.pryx");
  assert.equal(resolveInstance(undefined, env), "runtime");
});

Deno.test("~ and ~/rest expand to HOME, else USERPROFILE", () => {
  const home = envFromRecord({ HOME: "/home/ada/" });
  assert.equal(expandHome("~", home, "linux"), "/home/ada");
  assert.equal(expandHome("~/.pryx", home, "linux"), "/home/ada/.pryx");
  assert.equal(expandHome("/abs/~/x", home, "linux"), "/abs/~/x");
  assert.equal(expandHome("rel/~", home, "darwin"), "rel/~");
  const userProfile = envFromRecord({ USERPROFILE: "/Users/ada" });
  assert.equal(expandHome("~/x", userProfile, "linux"), "/Users/ada/x");
  assert.equal(expandHome("~", envFromRecord({ HOME: "/" }), "linux"), "/");
  assert.equal(resolveStateDir("~/s", home, "linux"), "/home/ada/s");
  assert.equal(
    resolveStateDir(
      undefined,
      envFromRecord({ HOME: "/h", PRYX_HOME: "~" }),
      "linux",
    ),
    "/h",
  );
});

Deno.test("on Windows the home is USERPROFILE before HOME, and paths use one separator", () => {
  // Git Bash, MSYS or Cygwin set HOME to a path of their own.
  const env = envFromRecord({
    USERPROFILE: "C:\\Users\\ada",
    HOME: "/c/Users/ada",
  });
  assert.equal(
    resolveStateDir(undefined, env, "windows"),
    "C:\\Users\\ada\\.pryx",
  );
  assert.equal(expandHome("~/.pryx", env, "windows"), "C:\\Users\\ada\\.pryx");
  assert.equal(expandHome("~\\.pryx", env, "windows"), "C:\\Users\\ada\\.pryx");
  assert.equal(
    resolveStateDir(undefined, envFromRecord({ HOME: "D:\\me" }), "windows"),
    "D:\\me\\.pryx",
  );
  // Elsewhere HOME stays first.
  assert.equal(resolveStateDir(undefined, env, "linux"), "/c/Users/ada/.pryx");
});

Deno.test("~user and a ~ without any home directory are usage errors", () => {
  const home = envFromRecord({ HOME: "/home/ada" });
  assert.throws(() => expandHome("~bob/.pryx", home), UsageError);
  assert.throws(() => expandHome("~bob", home), UsageError);
  assert.throws(() => expandHome("~/.pryx", envFromRecord({})), UsageError);
  assert.throws(
    () => resolveStateDir(undefined, envFromRecord({})),
    UsageError,
  );
});

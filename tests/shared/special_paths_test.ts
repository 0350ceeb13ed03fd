/**
 * Unit tests of the system trees Deno opens only for `--allow-all`, on
 * every OS family's rule. (The refusal itself needs a process without
 * `--allow-all`: `tests/e2e/special_paths_test.ts`.)
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkSpecialStateDir,
  normalizePath,
  specialTree,
} from "../../lib/shared/special_paths.ts";

Deno.test("on Linux /proc, /sys and /dev are special trees, matched by whole components", () => {
  assert.equal(specialTree("/proc/foo", "linux"), "/proc");
  assert.equal(specialTree("/proc", "linux"), "/proc");
  assert.equal(specialTree("/sys/fs/x", "linux"), "/sys");
  assert.equal(specialTree("/dev/shm/pryx", "linux"), "/dev");
  assert.equal(specialTree("/dev/null/.pryx", "linux"), "/dev");
  assert.equal(specialTree("/devices/x", "linux"), undefined);
  assert.equal(specialTree("/home/ada/.pryx", "linux"), undefined);
  assert.equal(specialTree("/tmp/proc", "linux"), undefined);
  // The harmless devices Deno lets through (files, never a directory).
  assert.equal(specialTree("/dev/null", "linux"), undefined);
  assert.equal(specialTree("/dev/urandom", "linux"), undefined);
});

Deno.test("on macOS and the BSDs only /dev is a special tree", () => {
  for (const os of ["darwin", "freebsd", "netbsd", "android"] as const) {
    assert.equal(specialTree("/dev/fd/3", os), "/dev", os);
    assert.equal(specialTree("/proc/foo", os), undefined, os);
    assert.equal(specialTree("/sys/foo", os), undefined, os);
  }
});

Deno.test("on Windows every path not on a drive letter is special: shares and device namespaces", () => {
  assert.equal(
    specialTree("\\\\nas\\home\\ada\\.pryx", "windows"),
    "\\\\nas\\home",
  );
  assert.equal(specialTree("//nas/home/x", "windows"), "\\\\nas\\home");
  assert.equal(specialTree("\\\\.\\pipe\\x", "windows"), "\\\\.\\pipe");
  assert.equal(specialTree("\\\\?\\C:\\Users\\ada", "windows"), undefined);
  assert.equal(specialTree("\\\\.\\NUL", "windows"), undefined);
  assert.equal(specialTree("C:\\Users\\ada\\.pryx", "windows"), undefined);
  assert.equal(specialTree("/dev/shm", "windows"), undefined);
});

Deno.test("paths are made absolute and normalized before the rule, as Deno does", () => {
  const cwd = () => "/proc/self";
  assert.equal(normalizePath("x", cwd, "linux"), "/proc/self/x");
  assert.equal(normalizePath("../x", cwd, "linux"), "/proc/x");
  assert.equal(normalizePath("/tmp/../proc/./x", cwd, "linux"), "/proc/x");
  assert.equal(normalizePath("//proc//x/", cwd, "linux"), "/proc/x");
  assert.equal(normalizePath("/..", cwd, "linux"), "/");
  const unread = () => {
    throw new Error("the working directory is read only for relative paths");
  };
  assert.equal(normalizePath("/home/a", unread, "linux"), "/home/a");
  assert.equal(
    normalizePath("s", () => "\\\\nas\\home", "windows"),
    "\\\\nas\\home\\s",
  );
  assert.equal(normalizePath("C:\\s", unread, "windows"), "C:\\s");
});

Deno.test("an ordinary state directory, present or not, passes the check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    checkSpecialStateDir(dir);
    checkSpecialStateDir(`${dir}/not/yet`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Tests of reading the signals ignored at start: the `ps` mask parsed, and
 * real processes started with SIGHUP ignored (`trap '' HUP`, as `nohup`
 * does) or not.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ignoredAtStart,
  ignoredInMask,
} from "../../lib/shared/ignored_signals.ts";

Deno.test("the sigignore mask of ps: bit N-1 for signal N", () => {
  assert.deepStrictEqual(ignoredInMask("0000000000000001\n", "SIGHUP"), true);
  assert.deepStrictEqual(ignoredInMask("0000000000000004", "SIGHUP"), false);
  assert.deepStrictEqual(ignoredInMask("0000000000000004", "SIGQUIT"), true);
  assert.deepStrictEqual(ignoredInMask("0000000000004000", "SIGTERM"), true);
  assert.deepStrictEqual(ignoredInMask("", "SIGHUP"), undefined);
  assert.deepStrictEqual(ignoredInMask("-", "SIGHUP"), undefined);
});

/** Starts `sleep 30` through sh, with SIGHUP ignored or not. */
function sleeper(ignoreHup: boolean): Deno.ChildProcess {
  const script = ignoreHup ? "trap '' HUP; exec sleep 30" : "exec sleep 30";
  return new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test({
  name: "ignoredAtStart reads a real process's inherited SIGHUP",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const nohup = sleeper(true);
    const plain = sleeper(false);
    try {
      // Until exec, the shell's own disposition shows; ask once sleep runs.
      await new Promise((r) => setTimeout(r, 200));
      assert.deepStrictEqual(await ignoredAtStart("SIGHUP", nohup.pid), true);
      assert.deepStrictEqual(await ignoredAtStart("SIGHUP", plain.pid), false);
      assert.deepStrictEqual(
        await ignoredAtStart("SIGHUP", nohup.pid, "windows"),
        false,
      );
    } finally {
      nohup.kill("SIGKILL");
      plain.kill("SIGKILL");
      await nohup.status;
      await plain.status;
    }
  },
});

/**
 * Tests of reading the signals ignored at start: the mask parsed from `ps`
 * and from `/proc/PID/status`, which source each OS asks (against fake
 * sources), and real processes started with SIGHUP ignored (`trap '' HUP`,
 * as `nohup` does) or not, through every Linux source.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DENO_MASK_SOURCES,
  ignoredAtStart,
  ignoredInMask,
  type MaskSources,
  sigIgnField,
} from "../../lib/shared/ignored_signals.ts";

Deno.test("the sigignore mask of ps: bit N-1 for signal N", () => {
  assert.deepStrictEqual(ignoredInMask("0000000000000001\n", "SIGHUP"), true);
  assert.deepStrictEqual(ignoredInMask("0000000000000004", "SIGHUP"), false);
  assert.deepStrictEqual(ignoredInMask("0000000000000004", "SIGQUIT"), true);
  assert.deepStrictEqual(ignoredInMask("0000000000004000", "SIGTERM"), true);
  assert.deepStrictEqual(ignoredInMask("", "SIGHUP"), undefined);
  assert.deepStrictEqual(ignoredInMask("-", "SIGHUP"), undefined);
});

const STATUS = "Name:\tsleep\nSigQ:\t0/63448\nSigPnd:\t0000000000000000\n" +
  "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000001\nSigCgt:\t0\n";

Deno.test("the SigIgn field of /proc/PID/status (proc(5))", () => {
  assert.equal(sigIgnField(STATUS), "0000000000000001");
  assert.equal(sigIgnField("Name:\tx\nSigIgn:\tzz\n"), undefined);
  assert.equal(sigIgnField(""), undefined);
});

/** Fake sources that answer from `files` and `commands`, logging each ask. */
function fakeSources(
  files: Record<string, string | Error>,
  commands: Record<string, string | undefined>,
): MaskSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    readFile(path) {
      asked.push(`read ${path}`);
      const answer = files[path] ?? new Deno.errors.NotFound(path);
      return answer instanceof Error
        ? Promise.reject(answer)
        : Promise.resolve(answer);
    },
    run(cmd, args) {
      asked.push(`${cmd} ${args.join(" ")}`);
      return Promise.resolve(commands[cmd]);
    },
  };
}

Deno.test("Linux reads /proc/PID/status itself where Deno may, asking no process", async () => {
  const s = fakeSources({ "/proc/7/status": STATUS }, {});
  assert.equal(await ignoredAtStart("SIGHUP", 7, "linux", s), true);
  assert.deepEqual(s.asked, ["read /proc/7/status"]);
});

Deno.test("Linux without the permission to read /proc asks cat, then ps when cat fails", async () => {
  const refused = new Deno.errors.NotCapable("Requires all access");
  const viaCat = fakeSources({ "/proc/7/status": refused }, { cat: STATUS });
  assert.equal(await ignoredAtStart("SIGHUP", 7, "linux", viaCat), true);
  assert.deepEqual(viaCat.asked, ["read /proc/7/status", "cat /proc/7/status"]);
  const viaPs = fakeSources({ "/proc/7/status": refused }, {
    cat: undefined,
    ps: "0000000000000000\n",
  });
  assert.equal(await ignoredAtStart("SIGHUP", 7, "linux", viaPs), false);
  assert.deepEqual(viaPs.asked, [
    "read /proc/7/status",
    "cat /proc/7/status",
    "ps -o sigignore= -p 7",
  ]);
});

Deno.test("macOS asks ps alone; Windows asks nothing; nothing known is not ignored", async () => {
  const mac = fakeSources({}, { ps: "0000000000000001\n" });
  assert.equal(await ignoredAtStart("SIGHUP", 7, "darwin", mac), true);
  assert.deepEqual(mac.asked, ["ps -o sigignore= -p 7"]);
  const win = fakeSources({}, {});
  assert.equal(await ignoredAtStart("SIGHUP", 7, "windows", win), false);
  assert.deepEqual(win.asked, []);
  const none = fakeSources({}, {});
  assert.equal(await ignoredAtStart("SIGHUP", 7, "linux", none), false);
  assert.deepEqual(none.asked, [
    "read /proc/7/status",
    "cat /proc/7/status",
    "ps -o sigignore= -p 7",
  ]);
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
      // This test runs with -A: /proc is read directly.
      assert.deepStrictEqual(await ignoredAtStart("SIGHUP", nohup.pid), true);
      assert.deepStrictEqual(await ignoredAtStart("SIGHUP", plain.pid), false);
      // Without it (the runtime's own permissions): cat, and ps elsewhere.
      const refused: MaskSources = {
        ...DENO_MASK_SOURCES,
        readFile: () => Promise.reject(new Deno.errors.NotCapable("no")),
      };
      for (
        const os of Deno.build.os === "linux"
          ? ["linux", "darwin"] as const
          : ["darwin"] as const
      ) {
        assert.deepStrictEqual(
          await ignoredAtStart("SIGHUP", nohup.pid, os, refused),
          true,
          os,
        );
        assert.deepStrictEqual(
          await ignoredAtStart("SIGHUP", plain.pid, os, refused),
          false,
          os,
        );
      }
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

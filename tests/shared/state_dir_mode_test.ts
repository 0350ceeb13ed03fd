/**
 * Unit tests of `tightenStateDir` (lib/shared/state_dir.ts): a state
 * directory open to others is made private when it is pryx-core's alone,
 * left with a warning when shared, and never touched on Windows, which has
 * no Unix modes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import { isStateFile, tightenStateDir } from "../../lib/shared/state_dir.ts";

const POSIX = Deno.build.os !== "windows";

Deno.test("pryx-core's own files are told from others by name", () => {
  for (
    const name of [
      "runtime.port",
      "a.json",
      "x.lock",
      ".runtime.port.12.ab3.tmp",
    ]
  ) {
    assert(isStateFile(name), name);
  }
  for (const name of ["notes.txt", ".bashrc", "Upper.port", "a.port.bak"]) {
    assert(!isStateFile(name), name);
  }
});

Deno.test({
  name:
    "tightenStateDir makes a dedicated directory 0700, warns for a shared one, and does nothing on Windows",
  ignore: !POSIX,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pryx-unit-" });
    try {
      Deno.chmodSync(dir, 0o755);
      assert.equal(tightenStateDir(dir, new Set(), "windows"), undefined);
      assertMode(dir, 0o755);
      const shared = tightenStateDir(dir, new Set(["notes.txt"]), "linux");
      assert.equal(shared?.level, "warn");
      assertMode(dir, 0o755);
      const own = tightenStateDir(dir, new Set(["runtime.lock"]), "linux");
      assert.equal(own?.level, "info");
      assertMode(dir, 0o700);
      assert.equal(tightenStateDir(dir, new Set(), "linux"), undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * File-system helpers for tests.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";

/** Whether anything (file, directory, dangling symlink) exists at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Whether process `pid` is running (Linux `/proc`): a zombie that waits
 * for its parent (or for PID 1) to reap it has exited, and counts as gone.
 */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  // The state follows the command name, which is in parentheses (proc(5)).
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !==
    "Z";
}

/**
 * Whether this OS has Unix permission bits. Windows has none (access is
 * its ACLs): Deno reports `0o666` (`0o444` when read-only) and `chmod`
 * only toggles read-only, so a mode is checked only where it means
 * something; the product's own checks take the OS as a parameter and are
 * tested for Windows in process.
 */
export const HAS_UNIX_MODES = Deno.build.os !== "windows";

/**
 * Asserts that `path` has the permission bits `mode` (`0o600`), where the
 * OS has them ({@linkcode HAS_UNIX_MODES}).
 *
 * @throws {AssertionError} When the bits differ.
 */
export function assertMode(path: string, mode: number, message?: string): void {
  if (!HAS_UNIX_MODES) return;
  const actual = Deno.statSync(path).mode! & 0o777;
  if (actual !== mode) {
    throw new AssertionError({
      message: `${message ? `${message}: ` : ""}${path} has mode 0${
        actual.toString(8)
      }, expected 0${mode.toString(8)}`,
      actual,
      expected: mode,
      operator: "strictEqual",
    });
  }
}

/**
 * The OS's directory for temporary files, as `Deno.makeTempDir` finds it
 * (`TMPDIR` on Unix, else `/tmp`; `TMP`, `TEMP` or the Windows directory's
 * own on Windows), so harness caches land where the OS keeps them.
 */
export function tempRoot(): string {
  const probe = Deno.makeTempDirSync({ prefix: "pryx-probe-" });
  Deno.removeSync(probe);
  return probe.replace(/[\\/][^\\/]+$/, "");
}

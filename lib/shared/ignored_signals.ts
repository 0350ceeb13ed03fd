/**
 * Signals ignored when the process started: `nohup` (and `trap '' HUP`, a
 * supervisor) hands a process SIGHUP ignored, and that must stay so, in
 * `serve`, in `run` and in the CMD `run` starts (SPEC 3). Deno has no call
 * that reads a signal's disposition, and refuses `/proc/self` short of
 * `--allow-all`, so it is read with `ps -o sigignore=` (procps on Linux,
 * BSD `ps` on macOS: the mask of ignored signals, in hex, bit N-1 for
 * signal N; signal numbers from POSIX `signal.h`, the same on Linux and
 * macOS for these four). Windows has no such disposition: nothing is
 * ignored there.
 *
 * @module
 */

import { isMissingPermission } from "./errors.ts";
import type { Os } from "./os.ts";

/** The signals whose inherited disposition matters here, by number. */
const SIGNAL_NUMBERS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
} as const;

/** A signal {@linkcode ignoredAtStart} can tell about. */
export type InheritedSignal = keyof typeof SIGNAL_NUMBERS;

/**
 * Whether `signal` is ignored in the `sigignore` field of `ps` (hex mask,
 * e.g. `0000000000000001` under `nohup`).
 *
 * @returns `undefined` when the field is not a hex mask.
 */
export function ignoredInMask(
  field: string,
  signal: InheritedSignal,
): boolean | undefined {
  const hex = field.trim();
  if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const mask = BigInt(`0x${hex}`);
  return (mask >> BigInt(SIGNAL_NUMBERS[signal] - 1) & 1n) === 1n;
}

/**
 * Whether `signal` was ignored when process `pid` started (before it set a
 * handler of its own), on `os`. `false` on Windows, and where `ps` cannot
 * say (not installed, another format): a listener is then set as usual.
 */
export async function ignoredAtStart(
  signal: InheritedSignal,
  pid: number = Deno.pid,
  os: Os = Deno.build.os,
): Promise<boolean> {
  if (os === "windows") return false;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", {
      args: ["-o", "sigignore=", "-p", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (err) {
    // No ps (a minimal image), or no --allow-run: nothing known.
    if (err instanceof Deno.errors.NotFound || isMissingPermission(err)) {
      return false;
    }
    throw err;
  }
  if (!out.success) return false;
  return ignoredInMask(new TextDecoder().decode(out.stdout), signal) ?? false;
}

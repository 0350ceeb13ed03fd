/**
 * Signals ignored when the process started: `nohup` (and `trap '' HUP`, a
 * supervisor) hands a process SIGHUP ignored, and that must stay so, in
 * `serve`, in `run` and in the CMD `run` starts (SPEC 3). Deno has no call
 * that reads a signal's disposition. The mask of ignored signals (hex, bit
 * N-1 for signal N; signal numbers from POSIX `signal.h`, the same on
 * Linux and macOS for these four) is read:
 * - on Linux from the `SigIgn:` field of `/proc/PID/status` (proc(5)):
 *   directly where Deno may read it (it refuses `/proc` short of
 *   `--allow-all`), else through `cat`, about 1.5 ms here against 4-8 ms
 *   for `ps`, which `serve` waits for before it publishes (SPEC 6a);
 * - elsewhere, and on Linux when that fails, with `ps -o sigignore=`
 *   (procps on Linux, BSD `ps` on macOS).
 *
 * Windows has no such disposition: nothing is ignored there.
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

/** Where the mask of ignored signals comes from: each answers the text. */
export interface MaskSources {
  /** Reads a file (`/proc/PID/status`); rejects as `Deno.readTextFile`. */
  readFile(path: string): Promise<string>;
  /** Runs `cmd` with `args`; its stdout, or `undefined` when it failed. */
  run(cmd: string, args: string[]): Promise<string | undefined>;
}

/** The real sources: Deno's file read, and a child process. */
export const DENO_MASK_SOURCES: MaskSources = {
  readFile: (path) => Deno.readTextFile(path),
  async run(cmd, args) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(cmd, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
    } catch (err) {
      // Not installed (a minimal image), or no --allow-run: nothing known.
      if (err instanceof Deno.errors.NotFound || isMissingPermission(err)) {
        return undefined;
      }
      throw err;
    }
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  },
};

/**
 * The `SigIgn:` field of a `/proc/PID/status` text (proc(5)).
 *
 * @returns The hex mask, or `undefined` when there is no such field.
 */
export function sigIgnField(status: string): string | undefined {
  return /^SigIgn:\s*([0-9a-fA-F]+)\s*$/m.exec(status)?.[1];
}

/**
 * Whether `signal` was ignored when process `pid` started (default: this
 * process, which has not changed it yet). Unknown (no `/proc`, no `cat`,
 * no `ps`, no `--allow-run`) counts as not ignored.
 *
 * @param os The OS (default: this one); it picks the source of the mask.
 * @param sources Where the mask is read (default: files and processes).
 */
export async function ignoredAtStart(
  signal: InheritedSignal,
  pid: number = Deno.pid,
  os: Os = Deno.build.os,
  sources: MaskSources = DENO_MASK_SOURCES,
): Promise<boolean> {
  if (os === "windows") return false;
  const mask = (os === "linux" ? await procMask(pid, sources) : undefined) ??
    await sources.run("ps", ["-o", "sigignore=", "-p", String(pid)]);
  return mask === undefined ? false : ignoredInMask(mask, signal) ?? false;
}

/** The mask of Linux's `/proc/PID/status`, read directly or by `cat`. */
async function procMask(
  pid: number,
  sources: MaskSources,
): Promise<string | undefined> {
  const path = `/proc/${pid}/status`;
  let status: string | undefined;
  try {
    status = await sources.readFile(path);
  } catch (err) {
    if (
      !isMissingPermission(err) &&
      !(err instanceof Deno.errors.PermissionDenied) &&
      !(err instanceof Deno.errors.NotFound)
    ) throw err;
    status = await sources.run("cat", [path]);
  }
  return status === undefined ? undefined : sigIgnField(status);
}

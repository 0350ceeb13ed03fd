/**
 * The open-file limit of the runtime, and one log line when it is low.
 *
 * Every WebSocket client holds one file descriptor. The `deno` CLI raises
 * its soft `RLIMIT_NOFILE` to the hard limit at start; a `deno compile`
 * binary (`denort`) does not, so it keeps what it inherits: 256 from a
 * macOS login shell, 1024 in many Linux services and containers. Without
 * FFI (which the runtime's permissions leave out on purpose) no Deno API
 * reads or sets the limit, and Deno lets only `--allow-all` read
 * `/proc/self/limits`, so a compiled runtime asks `/bin/sh` (POSIX
 * `ulimit -n`, `-Hn`: a child inherits the limits) once it is up and, when
 * the limit is low, says once in the log what it allows and how to raise
 * it. Under `deno run` the limit was already raised as far as it goes, and
 * on Windows sockets have no such per-process limit: nothing is checked.
 *
 * @module
 */

import type { Os } from "../shared/os.ts";

/** Below this soft limit the runtime says so at start. */
export const LOW_FILE_LIMIT = 4096;

/** Descriptors the runtime keeps for itself (listeners, files, stdio). */
const RESERVED_FDS = 32;

/** A soft and hard open-file limit; `Infinity` for "unlimited". */
export interface FileLimit {
  /** The limit that applies now. */
  soft: number;
  /** How far an unprivileged process may raise it. */
  hard: number;
}

/** How a limit is read: the sources are injected by tests. */
export interface LimitSources {
  /** The output of `ulimit -n` (soft) and `ulimit -Hn` (hard) of `/bin/sh`. */
  runUlimit(): Promise<string>;
  /** `Deno.build.standalone`: a compiled binary. */
  standalone: boolean;
}

/** The sources of this process. */
export const processLimitSources: LimitSources = {
  async runUlimit() {
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", "ulimit -n; ulimit -Hn"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  },
  standalone: Deno.build.standalone,
};

/**
 * The open-file limit of this process, where it can be read cheaply.
 *
 * @returns `undefined` on Windows, under `deno run`, or when the shell
 * cannot tell.
 */
export async function readFileLimit(
  os: Os = Deno.build.os,
  sources: LimitSources = processLimitSources,
): Promise<FileLimit | undefined> {
  if (os === "windows" || !sources.standalone) return undefined;
  try {
    const [soft, hard] = (await sources.runUlimit()).trim().split(/\s+/).map(
      (v) => v === "unlimited" ? Infinity : /^\d+$/.test(v) ? Number(v) : NaN,
    );
    if (soft === undefined || Number.isNaN(soft)) return undefined;
    return {
      soft,
      hard: hard === undefined || Number.isNaN(hard) ? soft : hard,
    };
  } catch {
    return undefined;
  }
}

/**
 * The log line for a low limit: what it allows and how to raise it, by OS;
 * `undefined` when the limit is {@linkcode LOW_FILE_LIMIT} or more.
 */
export function fileLimitAdvice(
  limit: FileLimit,
  os: Os = Deno.build.os,
): string | undefined {
  if (limit.soft >= LOW_FILE_LIMIT) return undefined;
  const clients = Math.max(limit.soft - RESERVED_FDS, 0);
  const hard = limit.hard === Infinity ? "unlimited" : String(limit.hard);
  // Up to the hard limit needs no privilege; past it, root (or the
  // service manager) must raise the hard limit too. macOS refuses a soft
  // limit above OPEN_MAX (10240) whatever the hard limit says (setrlimit(2),
  // COMPATIBILITY): "ulimit -n 65536" fails there with "Invalid argument".
  const most = os === "darwin" ? 10240 : 65536;
  const target = limit.hard > limit.soft ? Math.min(limit.hard, most) : most;
  const shell = limit.hard > limit.soft
    ? `run "ulimit -n ${target}" in the shell that starts it`
    : `raise the hard limit (as root: "ulimit -Hn ${target}")`;
  const how = os === "darwin"
    ? `${shell} (launchd: "launchctl limit maxfiles ${target}")`
    : `${shell} (systemd: LimitNOFILE=${target}; docker run: --ulimit nofile=${target}:${target})`;
  return `The open-file limit is ${limit.soft} (hard limit ${hard}): about ${clients} WebSocket clients at most; to hold more, ${how}`;
}

/** Where {@linkcode reportFileLimit} writes its line. */
export interface InfoLog {
  /** Logs at `level` (the runtime's logger). */
  log(level: "info", msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Logs {@linkcode fileLimitAdvice} once, at info level (so `--quiet`, as
 * `pryx-core run` starts its runtime, leaves it out), when the limit is low.
 * Runs after start-up: it never delays the port file.
 */
export async function reportFileLimit(
  log: InfoLog,
  os: Os = Deno.build.os,
  sources: LimitSources = processLimitSources,
): Promise<void> {
  const limit = await readFileLimit(os, sources);
  const advice = limit && fileLimitAdvice(limit, os);
  if (advice) {
    log.log("info", advice, {
      openFileLimit: limit!.soft,
      hardLimit: limit!.hard === Infinity ? "unlimited" : limit!.hard,
    });
  }
}

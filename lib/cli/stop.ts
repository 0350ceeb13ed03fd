/**
 * `pryx-core stop`: asks the verified owner of an instance to shut down
 * over HTTP (`POST /control/shutdown` with the token of its 0600
 * `<instance>.json`) and waits until its lock is free.
 *
 * The owner is verified first: its lock is held, `/health` at its URL
 * answers with the run id of the file, and proves it holds the token (an
 * HMAC of a fresh challenge). HTTP works on every OS (Windows has no
 * SIGTERM a process can catch) and across PID namespaces (a runtime in a
 * container writes its own pid, 1 or another small number, which names
 * some other process here). So `stop` never signals a pid read from a file.
 *
 * An owner that holds the lock but does not answer (stopped with
 * `kill -STOP`, hung) is signalled only with `--force`, and only once the
 * kernel names its pid as the lock's holder in this PID namespace
 * (`/proc/locks` on Linux; see {@linkcode findLockHolder}): SIGTERM with
 * SIGCONT (a stopped process acts on SIGTERM only once continued), then
 * SIGKILL after {@linkcode FORCE_TERM_MS}.
 *
 * Loads no server module, no `node:` built-in and no `npm:` package: each
 * wakes Deno's Node-compatibility layer (10-15 ms for a `node:` import, about
 * 30 ms for a small `npm:` package, on a 33 ms process).
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { openCommand } from "./command.ts";
import {
  Env,
  FORCE_TERM_MS,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  STOP_TIMEOUT_MS,
} from "../shared/config.ts";
import { inspectInstance, type Verdict } from "../shared/verdict.ts";
import {
  elsewhereWords,
  skipClause,
  verdictReason,
} from "../discovery/report.ts";
import { STARTING_GRACE_MS } from "../discovery/wait.ts";
import { ExitCode, NotFoundError, PryxError } from "../shared/errors.ts";
import { directFetch } from "../shared/direct.ts";
import { currentHost } from "../discovery/host.ts";
import { isInstanceLocked } from "../shared/lock.ts";
import type { LockHolderSources } from "../shared/lock_holder.ts";
import { importLazily } from "../shared/lazy_import.ts";
import { instancePaths } from "../shared/instance_files.ts";
import { managedStopWords } from "../shared/service_manager.ts";

/** Help text of `pryx-core stop`. */
const STOP_USAGE = `Usage: pryx-core stop [flags]

Ask the live owner of an instance (verified by its lock, /health and the
proof of its token) to shut down over HTTP (POST /control/shutdown), and
wait until it is gone (at most ${
  STOP_TIMEOUT_MS / 1000
} s). A pid read from a file is never
signalled. A runtime that a service manager runs ("pryx-core service
install") stops too, and stop says how to keep the manager from starting
it again.

Flags:
  --instance NAME   instance name (env ${Env.instance}; default runtime)
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  --force           when the owner holds the lock but does not answer, end
                    it with SIGTERM, then SIGKILL after ${
  FORCE_TERM_MS / 1000
} s; only once the
                    kernel names its pid as the lock holder (Linux)
  -h, --help        show this help

Exit codes: 0 stopped, 1 nothing live to stop or it did not stop.
`;

/** The flags of `stop` (also what the shell completions offer). */
export const FLAGS = {
  instance: "string",
  "state-dir": "string",
  force: "boolean",
} as const;

/**
 * Runs `stop` with command-line `args`.
 *
 * @returns The exit code.
 * @throws {NotFoundError} (exit 1) When nothing live holds the instance, or
 * it did not stop.
 */
export async function stopCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "stop",
    usage: STOP_USAGE,
    flags: FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const host = await currentHost();
  const stateDir = resolveStateDir(flags["state-dir"], host.env);
  const instance = resolveInstance(flags.instance, host.env);
  const lockPath = instancePaths(stateDir, instance).lock;
  const force = flags.force ?? false;
  const inspect = () =>
    inspectInstance(host, {
      stateDir,
      check: true,
      healthTimeoutMs: HEALTH_TIMEOUT_MS,
    }, instance);
  // An owner that is starting (lock held, port file not yet written) gets
  // the grace every reader gives it before it counts as not answering.
  let status = await inspect();
  for (
    const end = monotonicNow() + STARTING_GRACE_MS;
    status.state === "starting" && monotonicNow() < end;
    status = await inspect()
  ) await new Promise((r) => setTimeout(r, 50));
  const name = `Instance "${instance}"`;

  if (status.state === "elsewhere") {
    // Its pid and its lock are another machine's: nothing here may end it.
    throw new NotFoundError(
      `Cannot stop instance "${instance}" from here: ${
        elsewhereWords(status)
      }; run "pryx-core stop" on machine ${status.machine}`,
    );
  }
  let silence: string;
  // A runtime of another protocol still takes the shutdown: stopping it is
  // what its skip line advises.
  if (
    (status.state === "live" || status.state === "incompatible") &&
    status.info?.token !== undefined
  ) {
    const asked = await requestShutdown(status.url, status.info.token);
    if (asked === undefined) {
      if (await lockFreed(lockPath, STOP_TIMEOUT_MS)) {
        const manager = status.info.service;
        return stopped(
          `Stopped instance "${instance}" at ${status.url}${
            manager === undefined
              ? ""
              : `; ${managedStopWords(manager, instance)}`
          }`,
        );
      }
      silence =
        `it accepted the shutdown at ${status.url} but still holds its lock after ${
          STOP_TIMEOUT_MS / 1000
        } s`;
    } else silence = asked;
  } else if (!isInstanceLocked(lockPath)) {
    const why = status.state === "stale"
      ? `; skipping ${skipClause(status)}`
      : "";
    throw new NotFoundError(
      `Nothing to stop: instance "${instance}" is not live in ${stateDir}${why}; "pryx-core list" shows every instance`,
    );
  } else if (
    status.state === "draining" &&
    await lockFreed(lockPath, STOP_TIMEOUT_MS)
  ) {
    return stopped(`Instance "${instance}" was shutting down and is gone`);
  } else {
    silence = ownerSilence(status);
  }
  // An owner at the end of its drain no longer answers but still holds the
  // lock for a moment (another stop got there first): that is not a hang.
  if (await lockFreed(lockPath, HEALTH_TIMEOUT_MS)) {
    return stopped(`Instance "${instance}" was shutting down and is gone`);
  }
  if (!force) {
    // Loaded only here: a stop that works does not quote a command line.
    const { stopCommandLine } = await importLazily<
      typeof import("../shared/shell.ts")
    >("../shared/shell.ts", import.meta.url);
    throw new NotFoundError(
      `${name}: its owner holds the lock but does not answer (${silence}); "${
        stopCommandLine(instance, stateDir, host.env, { force: true })
      }" ends it once its pid is proven to hold the lock`,
    );
  }
  const ended = await forceStop(
    lockPath,
    FORCE_TERM_MS,
    {},
    (pid, sig) =>
      console.error(
        `pryx-core: Sending ${sig} to pid ${pid}, which the kernel names as the holder of ${lockPath}`,
      ),
  );
  return stopped(
    ended.signal === null
      ? `Instance "${instance}" is gone (pid ${ended.pid} let go of its lock)`
      : `Stopped instance "${instance}": pid ${ended.pid}, the holder of its lock, ended with ${ended.signal}`,
  );
}

function stopped(message: string): number {
  console.error(`pryx-core: ${message}`);
  return ExitCode.Ok;
}

/** Why an owner that holds the lock did not pass as live, in one clause. */
function ownerSilence(status: Verdict): string {
  switch (status.state) {
    case "live":
      return "its metadata has no token, written by an older pryx-core";
    case "starting":
      return `it has not published its port (${verdictReason(status)})`;
    case "stopped":
      return "it has published no files";
    default:
      return verdictReason(status) ?? status.state;
  }
}

/**
 * `POST ${url}/control/shutdown` with `token` as a bearer token.
 *
 * @returns `undefined` once the runtime accepted (202), else why not (one
 * clause).
 * @throws {UsageError} On Deno without `--allow-net`, naming the flag.
 */
async function requestShutdown(
  url: string,
  token: string,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
): Promise<string | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Never through a proxy: the runtime is on this machine's loopback.
    const res = await directFetch(`${url}/control/shutdown`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      signal,
    });
    if (res.status === 202) return undefined;
    return `POST ${url}/control/shutdown answered ${res.status}`;
  } catch (err) {
    if (err instanceof PryxError) throw err;
    const timedOut = signal.aborted;
    return timedOut
      ? `POST ${url}/control/shutdown got no answer within ${timeoutMs} ms`
      : `POST ${url}/control/shutdown failed`;
  }
}

/**
 * Waits until the lock at `lockPath` is free (the kernel frees it when its
 * holder is gone), checking with a backoff from 5 to 100 ms.
 *
 * @returns `true` once free, `false` when still held after `timeoutMs`.
 */
async function lockFreed(
  lockPath: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = monotonicNow() + timeoutMs;
  for (let delay = 5;; delay = Math.min(delay * 2, 100)) {
    if (!isInstanceLocked(lockPath)) return true;
    if (monotonicNow() >= deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Ends the holder of the lock at `lockPath`: SIGTERM and SIGCONT, then,
 * when the lock is still held after `termMs`, SIGKILL. The pid is proven
 * by {@linkcode findLockHolder} before each signal; a pid from a file is
 * never used.
 *
 * @param termMs How long to wait after SIGTERM before SIGKILL, in ms.
 * @param sources Where the lock's holder is read from (the real OS by default).
 * @param onSignal Told before each signal is sent, to say so.
 * @returns The pid and the signal that ended it (`null` when it went
 * before any was sent).
 * @throws {NotFoundError} (exit 1) When the holder cannot be proven here,
 * or the lock is still held after SIGKILL.
 */
async function forceStop(
  lockPath: string,
  termMs: number = FORCE_TERM_MS,
  sources: LockHolderSources = {},
  onSignal: (pid: number, signal: "SIGTERM" | "SIGKILL") => void = () => {},
): Promise<{ pid: number; signal: "SIGTERM" | "SIGKILL" | null }> {
  // Loaded only here: only --force reads the kernel's table of locks.
  const { findLockHolder } = await importLazily<
    typeof import("../shared/lock_holder.ts")
  >("../shared/lock_holder.ts", import.meta.url);
  const prove = () => {
    const holder = findLockHolder(lockPath, sources);
    if (!holder.ok) {
      throw new NotFoundError(
        `Cannot force the owner of "${lockPath}" to stop: ${holder.why}`,
      );
    }
    return holder.pid;
  };
  const pid = prove();
  // A reader checking liveness holds a free lock for microseconds: only a
  // holder named twice, with the lock held in between, is the owner.
  await new Promise((r) => setTimeout(r, 20));
  if (!isInstanceLocked(lockPath)) return { pid, signal: null };
  if (prove() !== pid) {
    throw new NotFoundError(
      `Cannot force the owner of "${lockPath}" to stop: its holder changed while it was checked; try again`,
    );
  }
  onSignal(pid, "SIGTERM");
  signal(pid, "SIGTERM");
  // A stopped process acts on SIGTERM (and drains) only once continued.
  signal(pid, "SIGCONT");
  if (await lockFreed(lockPath, termMs)) return { pid, signal: "SIGTERM" };
  if (prove() !== pid) {
    throw new NotFoundError(
      `Cannot force the owner of "${lockPath}" to stop: its holder changed after SIGTERM; try again`,
    );
  }
  onSignal(pid, "SIGKILL");
  signal(pid, "SIGKILL");
  if (await lockFreed(lockPath, STOP_TIMEOUT_MS)) {
    return { pid, signal: "SIGKILL" };
  }
  throw new NotFoundError(
    `Pid ${pid} still holds "${lockPath}" after SIGKILL; it may be stuck in the kernel (state D), check "ps -o stat -p ${pid}"`,
  );
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

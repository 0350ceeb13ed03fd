/**
 * `pryx-core stop`: sends SIGTERM to the verified owner of an instance and
 * waits until it is gone.
 *
 * Only a verified owner is signalled: its lock is held and `/health` at its
 * URL answers with the pid of `<instance>.json`. A pid from a stale file may
 * belong to an unrelated process by now, so it is never signalled.
 * Loads no server module, no `node:` built-in and no `npm:` package: each
 * wakes Deno's Node-compatibility layer (10-15 ms for a `node:` import, about
 * 30 ms for a small `npm:` package, on a 33 ms process).
 *
 * @module
 */

import { openCommand } from "./command.ts";
import {
  Env,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  STOP_TIMEOUT_MS,
} from "../shared/config.ts";
import { inspectInstance } from "../discovery/inspect.ts";
import { staleMessage } from "../discovery/report.ts";
import { ExitCode, NotFoundError, PryxError } from "../shared/errors.ts";
import { currentHost } from "../discovery/host.ts";
import { isInstanceLocked } from "../shared/lock.ts";
import { instancePaths } from "../shared/instance_files.ts";

/** Help text of `pryx-core stop`. */
export const STOP_USAGE = `Usage: pryx-core stop [flags]

Send SIGTERM to the live owner of an instance (verified by its lock and
/health) and wait until it is gone (at most ${STOP_TIMEOUT_MS / 1000} s).

Flags:
  --instance NAME   instance name (env ${Env.instance}; default runtime)
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  -h, --help        show this help

Exit codes: 0 stopped, 1 nothing live to stop or it did not stop in time.
`;

const FLAGS = {
  instance: "string",
  "state-dir": "string",
} as const;

/**
 * Runs `stop` with command-line `args`.
 *
 * @returns The exit code.
 * @throws {NotFoundError} When no verified owner is live.
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
  const status = await inspectInstance(host, {
    stateDir,
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
  }, instance);
  const pid = status.state === "live" ? status.info?.pid : undefined;
  if (pid === undefined) {
    const why = status.state === "stale"
      ? `; ${staleMessage(status).replace(/^S/, "s")}`
      : "";
    throw new NotFoundError(
      `Nothing to stop: instance "${instance}" is not live in ${stateDir}${why}; "pryx-core list" shows every instance`,
    );
  }
  await stopOwner(pid, instancePaths(stateDir, instance).lock);
  console.error(
    `pryx-core: Stopped instance "${instance}" (pid ${pid})`,
  );
  return ExitCode.Ok;
}

/**
 * Sends SIGTERM to `pid` and waits until the lock at `lockPath` is free
 * (the kernel frees it when the process is gone).
 *
 * @throws {PryxError} (exit 1) When it is still there after `timeoutMs`.
 */
export async function stopOwner(
  pid: number,
  lockPath: string,
  timeoutMs = STOP_TIMEOUT_MS,
): Promise<void> {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return;
  }
  const deadline = Date.now() + timeoutMs;
  for (
    let delay = 5;
    isInstanceLocked(lockPath);
    delay = Math.min(delay * 2, 100)
  ) {
    if (Date.now() >= deadline) {
      throw new PryxError(
        `Pid ${pid} did not stop within ${
          timeoutMs / 1000
        } s; try again, or "kill -9 ${pid}" if it is stuck`,
        ExitCode.NotFound,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

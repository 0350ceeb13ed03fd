/**
 * Child processes of the bench: the commands that run pryx-core and the
 * baselines with the same permissions, servers started and awaited through
 * their port file, and the RSS of a process.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  childEnv,
  cliCommand,
  RUNTIME_PERMISSIONS,
} from "../tests/_harness/cli.ts";
import { killIfRunning } from "../tests/_harness/process.ts";

export { childEnv };

/** A program and its arguments. */
export type Cmd = [string, string[]];

/** The command that runs `bench/baselines/<file>` like `deno task start` runs pryx-core. */
export function baselineCommand(file: string): Cmd {
  const path = fileURLToPath(new URL(`./baselines/${file}`, import.meta.url));
  return [Deno.execPath(), ["run", ...RUNTIME_PERMISSIONS, path]];
}

/** The command that runs a bench script (a load generator) with `args`. */
export function scriptCommand(file: string, args: string[]): Cmd {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  return [Deno.execPath(), ["run", "-A", path, ...args]];
}

/** The command that runs pryx-core with `args` (`$PRYX_CORE_BIN` when set). */
export function pryxCommand(args: string[]): Cmd {
  return cliCommand(args);
}

/**
 * Wraps `cmd` so it runs with the hard limit of open files as its soft
 * limit: a server holding 10,000 sockets needs more than the usual 1,024.
 * `exec` keeps the pid: it is the server's, not a shell's.
 */
export function withFdLimit([cmd, args]: Cmd): Cmd {
  return ["sh", [
    "-c",
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
    "sh",
    cmd,
    ...args,
  ]];
}

/** Watches for a file to appear (inotify, with a slow poll as a safety net). */
export interface FileWatch extends Disposable {
  /**
   * Resolves with `performance.now()` at the moment the file was seen, or
   * `undefined` when `gone` settles first or `timeoutMs` passes.
   */
  found(gone: Promise<unknown>, timeoutMs: number): Promise<number | undefined>;
}

/** Starts watching for `path`; start before the process that writes it. */
export function watchForFile(path: string): FileWatch {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const watcher = Deno.watchFs(dir, { recursive: false });
  const seen = Promise.withResolvers<number | undefined>();
  const check = () => {
    if (exists(path)) seen.resolve(performance.now());
  };
  (async () => {
    try {
      for await (const _ of watcher) check();
    } catch {
      // Closed.
    }
  })();
  return {
    async found(gone, timeoutMs) {
      check();
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => seen.resolve(undefined), timeoutMs);
      gone.then(() => {
        check();
        seen.resolve(undefined);
      });
      try {
        return await seen.promise;
      } finally {
        clearInterval(poll);
        clearTimeout(timer);
      }
    },
    [Symbol.dispose]() {
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** A server started by {@linkcode startServer}. */
export interface Server {
  /** Its process id (the server itself, not a wrapper). */
  pid: number;
  /** The port from its port file. */
  port: number;
  /** Milliseconds from spawn to the port file. */
  readyMs: number;
  /** Its stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM, SIGKILL after 10 s) and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/**
 * Spawns a server whose state directory is `home` and waits until it
 * publishes `home/runtime.port`.
 *
 * @throws {Error} When it exits or takes longer than 20 s.
 */
export async function startServer(cmd: Cmd, home: string): Promise<Server> {
  const portPath = `${home}/runtime.port`;
  using watch = watchForFile(portPath);
  const t0 = performance.now();
  const child = new Deno.Command(cmd[0], {
    args: cmd[1],
    env: childEnv({ PRYX_HOME: home }),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
    }
  })();
  const status = child.status;
  let exited = false;
  status.then(() => exited = true);
  const t1 = await watch.found(status, 20_000);
  let stopping: Promise<void> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopping ??= (async () => {
      if (!exited) {
        killIfRunning(child, signal);
      }
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 10_000);
      await status;
      clearTimeout(timer);
      await reading;
    })();
    return stopping;
  };
  if (t1 === undefined) {
    await stop("SIGKILL");
    throw new Error(
      `${cmd[1].at(-1)} did not publish its port: ${err.trim() || "no output"}`,
    );
  }
  return {
    pid: child.pid,
    port: Number(Deno.readTextFileSync(portPath)),
    readyMs: t1 - t0,
    stderr: () => err,
    stop,
  };
}

/**
 * CPU time process `pid` has used so far, user plus system, in seconds
 * (`/proc/PID/stat`, in clock ticks of 1/100 s, the Linux default).
 */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of process `pid` in MiB (VmRSS of /proc/PID/status). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (match === null) throw new Error(`No VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

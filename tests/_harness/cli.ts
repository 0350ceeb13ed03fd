/**
 * Test helpers that run the real CLI: `$PRYX_CORE_BIN` when set, else
 * `deno run` of `main.ts` with the permissions of `deno task start`.
 *
 * @module
 */

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

import { fileURLToPath } from "node:url";
import { RUNTIME_PERMISSIONS } from "../../lib/shared/config.ts";
import { isInstanceLocked } from "../../lib/shared/lock.ts";
import { killIfRunning } from "./process.ts";

export { RUNTIME_PERMISSIONS };

/**
 * `ignore:` value for cases that need Linux: `/proc` (process and fd
 * tables, `/proc/locks`), `unshare` PID namespaces.
 */
export const NOT_LINUX = Deno.build.os !== "linux";

/**
 * `ignore:` value for cases that need POSIX signals a process can catch
 * (SIGTERM, SIGHUP, SIGINT sent to one pid): on Windows `kill` is
 * `TerminateProcess`, a hard kill, whatever the signal.
 */
export const NO_POSIX_SIGNALS = Deno.build.os === "windows";

/**
 * The command line that runs pryx-core with `args`. A relative
 * `$PRYX_CORE_BIN` (`./pryx-core`) is taken from the directory the tests
 * were started in, whatever `cwd` a child gets.
 */
export function cliCommand(args: string[]): [string, string[]] {
  const bin = Deno.env.get("PRYX_CORE_BIN");
  if (bin) {
    const path = bin.includes("/") && !bin.startsWith("/")
      ? `${Deno.cwd()}/${bin}`
      : bin;
    return [path, args];
  }
  return [Deno.execPath(), ["run", ...RUNTIME_PERMISSIONS, MAIN, ...args]];
}

/** Options for {@linkcode runCli} and {@linkcode startServer}. */
export interface CliOptions {
  /** Environment for the child; `PRYX_HOME` should point at a temp dir. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /**
   * A command that runs pryx-core as its last arguments, e.g.
   * `["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]`.
   */
  prefix?: string[];
  /** {@linkcode runCli} kills the child with SIGKILL after this long (default 30 s). */
  timeoutMs?: number;
  /**
   * {@linkcode runCli} closes the read end of the child's stdout at once, as
   * `pryx-core ... | true` does; `stdout` is then `""`.
   */
  closeStdout?: boolean;
}

/** What a finished CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/**
 * Proxy variables, stripped from every child's environment: a developer's
 * proxy must not decide a test (pryx-core itself ignores them for loopback).
 */
const PROXY_VARS = new Set([
  "http_proxy",
  "https_proxy",
  "all_proxy",
  "no_proxy",
]);

/**
 * The environment every child of the tests and the bench gets: the
 * caller's, without `PRYX_*` settings (except `PRYX_CORE_BIN`, which picks
 * the program) and proxy variables, with no colour, plus `env`.
 */
export function childEnv(
  env: Record<string, string> = {},
): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (k.startsWith("PRYX_") && k !== "PRYX_CORE_BIN") continue;
    if (PROXY_VARS.has(k.toLowerCase())) continue;
    base[k] = v;
  }
  return { ...base, NO_COLOR: "1", ...env };
}

/** Options of {@linkcode runProgram}. */
export interface ProgramOptions {
  /** Working directory. */
  cwd?: string;
  /** Environment on top of {@linkcode childEnv}'s (or alone, with `inherit: false`). */
  env?: Record<string, string>;
  /** Start from {@linkcode childEnv} of this process (default), or from `PATH` alone. */
  inherit?: boolean;
  /** Kills the child with SIGKILL after this long, in ms (default 30 s). */
  timeoutMs?: number;
  /** Closes the read end of the child's stdout at once, as `cmd | true` does. */
  closeStdout?: boolean;
}

/**
 * Runs `cmd ARGS` to completion with stdin closed and stdout and stderr
 * captured: the one way tests and the bench run a program that should exit.
 * A program that hangs instead is killed after `timeoutMs`, so it cannot
 * hang the suite.
 */
export async function runProgram(
  cmd: string,
  args: string[],
  options: ProgramOptions = {},
): Promise<CliResult> {
  const env = options.inherit === false
    ? { PATH: Deno.env.get("PATH") ?? "", ...options.env }
    : childEnv(options.env);
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    killIfRunning(child, "SIGKILL");
  }, options.timeoutMs ?? 30_000);
  if (options.closeStdout) await child.stdout.cancel();
  const out = await child.output().finally(() => clearTimeout(timer));
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Runs the CLI to completion (see {@linkcode runProgram}). */
export function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const [bin, binArgs] = cliCommand(args);
  const [cmd, ...argv] = [...options.prefix ?? [], bin, ...binArgs];
  return runProgram(cmd, argv, options);
}

/** A server started by {@linkcode startServer}. */
export interface RunningServer extends AsyncDisposable {
  /** The child process. */
  child: Deno.ChildProcess;
  /** The port from the port file. */
  port: number;
  /** stderr so far (grows while the server runs). */
  stderr(): string;
  /** Sends `signal` and waits for the exit; returns the status and all stderr. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stderr: string }>;
  /** Waits for the exit without sending anything (after signalling another pid). */
  exited(): Promise<{ code: number; stderr: string }>;
}

/** Makes a fresh temp state directory; remove it with `Deno.remove(dir, { recursive: true })`. */
export function tempHome(): Promise<string> {
  return Deno.makeTempDir({ prefix: "pryx-test-" });
}

/**
 * Starts `pryx-core serve` and waits (bounded) until it has logged its
 * `Starting server on` line and `<instance>.port` in `home` holds that port.
 */
export async function startServer(
  home: string,
  args: string[] = [],
  options: CliOptions & { instance?: string; timeoutMs?: number } = {},
): Promise<RunningServer> {
  const [bin, binArgs] = cliCommand(["serve", ...args]);
  const [cmd, ...argv] = [...options.prefix ?? [], bin, ...binArgs];
  const child = new Deno.Command(cmd, {
    args: argv,
    env: childEnv({ PRYX_HOME: home, ...options.env }),
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
    }
  })();
  const portPath = `${home}/${options.instance ?? "runtime"}.port`;
  const jsonPath = `${home}/${options.instance ?? "runtime"}.json`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let port: number | undefined;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const quiet = args.includes("--quiet");
  while (Date.now() < deadline && !exited) {
    try {
      // A stale file of a killed predecessor does not count: the port is
      // ours once our own log line names it (through a wrapper or a PID
      // namespace too), or, with --quiet, once the metadata names our pid.
      const fromFile = Number(Deno.readTextFileSync(portPath));
      const logged = /Starting server on http:\/\/[^\s"]+:(\d+)/.exec(err)?.[1];
      const ours = logged !== undefined ? Number(logged) === fromFile : quiet &&
        JSON.parse(Deno.readTextFileSync(jsonPath)).pid === child.pid;
      if (fromFile > 0 && ours) {
        port = fromFile;
        break;
      }
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const exitedWith = async () => {
    const s = await status;
    await reading;
    return { code: s.code, stderr: err };
  };
  let stopped: Promise<{ code: number; stderr: string }> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        if (!exited) child.kill(signal);
      } catch {
        // already gone
      }
      return await exitedWith();
    })();
    return stopped;
  };
  if (port === undefined || !(port > 0)) {
    const { code, stderr } = await stop("SIGKILL");
    throw new Error(`Server did not start (exit ${code}): ${stderr}`);
  }
  return {
    child,
    port,
    stderr: () => err,
    stop,
    exited: exitedWith,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
    },
  };
}

/** Opens a WebSocket and resolves once the `hello` frame has arrived. */
export async function connectWs(
  url: string,
  protocols?: string | string[],
): Promise<
  {
    ws: WebSocket;
    hello: Record<string, unknown>;
    next: () => Promise<Record<string, unknown>>;
  }
> {
  const ws = new WebSocket(url, protocols);
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string);
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  };
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const m = queue.shift();
      if (m) return resolve(m);
      const t = setTimeout(
        () => reject(new Error("timed out waiting for a frame")),
        5000,
      );
      waiters.push((msg) => {
        clearTimeout(t);
        resolve(msg);
      });
    });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
  const hello = await next();
  return { ws, hello, next };
}

/**
 * Runs `fn` against a server started with `args` in a fresh temp state
 * directory; kills the server and removes the directory afterwards.
 */
export async function withServer(
  args: string[],
  fn: (server: RunningServer, home: string) => Promise<void>,
  options: CliOptions & { instance?: string } = {},
): Promise<void> {
  const home = await tempHome();
  try {
    await using server = await startServer(home, args, options);
    await fn(server, home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** A server of {@linkcode sharedServer} and its state directory. */
export interface SharedServer {
  server: RunningServer;
  home: string;
}

/** This test file's shared servers, by their arguments and options. */
const sharedServers = new Map<string, Promise<SharedServer>>();

// Ends the shared servers once the tests of the file that imports this
// module are done (a no-op outside `deno test`).
Deno.test.afterAll(async () => {
  for (const started of sharedServers.values()) {
    const shared = await started.catch(() => undefined);
    if (shared === undefined) continue;
    await shared.server.stop("SIGKILL");
    await Deno.remove(shared.home, { recursive: true });
  }
});

/**
 * A server started with `args` in a temp state directory, shared by the
 * tests of one test file that only send it requests: the first test that
 * asks starts it, and once the file's tests are done (`Deno.test.afterAll`)
 * it is killed and its directory removed. A server start costs a few
 * hundred ms of CPU, more than most such tests. Not for a test that stops
 * or signals the server, changes its files, reads its log or counts its
 * clients: that one starts its own ({@linkcode withServer}).
 */
export function sharedServer(
  args: string[] = [],
  options: CliOptions & { instance?: string } = {},
): Promise<SharedServer> {
  const key = JSON.stringify([args, options]);
  let started = sharedServers.get(key);
  if (started === undefined) {
    started = (async () => {
      const home = await tempHome();
      try {
        return { server: await startServer(home, args, options), home };
      } catch (err) {
        await Deno.remove(home, { recursive: true });
        throw err;
      }
    })();
    sharedServers.set(key, started);
  }
  return started;
}

/** Runs `fn` with a fresh temp state directory, removed afterwards. */
export async function withHome<T>(
  fn: (home: string) => Promise<T>,
): Promise<T> {
  const home = await tempHome();
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** A CLI process started by {@linkcode spawnCli}, its output read as it comes. */
export interface SpawnedCli extends AsyncDisposable {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Waits until stdout holds `marker` (or ends); returns all read so far. */
  readUntil(marker: string | null): Promise<string>;
  /** stdout so far (grows while the process runs). */
  stdout(): string;
  /** stderr so far (grows while the process runs). */
  stderr(): string;
  /** Closes our end of its stdout pipe, as `| head -1` does once satisfied. */
  closeStdout(): Promise<void>;
  /** Waits for the exit; returns the status with all of stderr. */
  exited(): Promise<
    { code: number; signal: Deno.Signal | null; stderr: string }
  >;
}

/**
 * Starts the CLI with `args` and leaves it running: stdout and stderr are
 * collected as they come. Disposing kills it (SIGKILL) and waits for it.
 */
export function spawnCli(args: string[], options: CliOptions = {}): SpawnedCli {
  const [bin, binArgs] = cliCommand(args);
  const [cmd, ...argv] = [...options.prefix ?? [], bin, ...binArgs];
  const child = new Deno.Command(cmd, {
    args: argv,
    env: childEnv(options.env),
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const pumping = (async () => {
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += dec.decode(value, { stream: true });
        wake();
      }
    } catch {
      // Cancelled by closeStdout().
    }
    ended = true;
    wake();
  })();
  let err = "";
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
    }
  })();
  return {
    child,
    async readUntil(marker) {
      while ((marker === null || !out.includes(marker)) && !ended) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return out;
    },
    stdout: () => out,
    stderr: () => err,
    async closeStdout() {
      await reader.cancel().catch(() => {});
      await pumping;
    },
    async exited() {
      const status = await child.status;
      await pumping;
      await reading;
      return { code: status.code, signal: status.signal, stderr: err };
    },
    async [Symbol.asyncDispose]() {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
      await pumping;
      await reading.catch(() => {});
    },
  };
}

/** `pryx-core run -- sh -c SCRIPT` in state directory `home`, left running. */
export function spawnRun(
  home: string,
  script: string,
  env: Record<string, string> = {},
): SpawnedCli {
  return spawnCli(["run", "--", "sh", "-c", script], {
    env: { PRYX_HOME: home, ...env },
  });
}

/**
 * Waits until `check()` is true, re-checking every `intervalMs`, for at
 * most `timeoutMs`.
 *
 * @returns Whether it became true in time.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until no process holds the lock of `instance` in `home`: a runtime
 * that `run` started has exited (it stops by itself once idle), so the
 * directory can be removed.
 *
 * @returns Whether it was free within `timeoutMs`.
 */
export function waitForLockFree(
  home: string,
  instance = "runtime",
  timeoutMs = 10_000,
): Promise<boolean> {
  return waitUntil(
    () => !isInstanceLocked(`${home}/${instance}.lock`),
    timeoutMs,
  );
}

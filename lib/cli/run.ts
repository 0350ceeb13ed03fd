/**
 * `pryx-core run -- CMD ARGS...`: the dev-script flow in one command.
 *
 * Reuses the live runtime of the instance or starts one (this same program's
 * `serve`), waits until it is ready, runs CMD with `PRYX_API_URL`,
 * `PRYX_WS_URL` (and `PRYX_TOKEN` with token auth) set and stdio passed
 * through, forwards SIGINT/SIGTERM/SIGHUP to CMD, stops the runtime only if
 * it started it, and exits with CMD's code (127 when CMD is not found,
 * 128+N when signal N ended it).
 *
 * @module
 */

import { parseDuration } from "./args.ts";
import { openCommand } from "./command.ts";
import {
  Env,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  RUNTIME_PERMISSIONS,
  STOP_TIMEOUT_MS,
} from "../shared/config.ts";
import { discoverOnce, type FoundRuntime } from "../discovery/discover.ts";
import type { DiscoverPlan } from "../discovery/plan.ts";
import { notFound } from "../discovery/report.ts";
import { waitForDiscovery } from "../discovery/wait.ts";
import { ExitCode, PryxError, UsageError } from "../shared/errors.ts";
import { denoHost } from "../discovery/host.ts";

/** How long `run` waits for a runtime it started to be ready, by default. */
export const START_TIMEOUT_MS = 15_000;

/** Signals passed on to CMD. */
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Help text of `pryx-core run`. */
export const RUN_USAGE = `Usage: pryx-core run [flags] -- CMD [ARGS...]

Reuse the live runtime of the instance or start one, wait until it is ready,
then run CMD with ${Env.apiUrl} and ${Env.wsUrl} (and ${Env.token} with
token auth) set. When CMD exits, the runtime is stopped if run started it,
and run exits with CMD's code (127: CMD not found, 128+N: signal N).

Flags:
  --instance NAME    instance name (env ${Env.instance}; default runtime)
  --state-dir DIR    state directory (env ${Env.home}; default ~/.pryx)
  --timeout DURATION how long to wait for a new runtime (default ${
  START_TIMEOUT_MS / 1000
}s)
  -h, --help         show this help
`;

const FLAGS = {
  instance: "string",
  "state-dir": "string",
  timeout: "string",
} as const;

/**
 * Runs `run` with command-line `args`.
 *
 * @returns CMD's exit code.
 * @throws {UsageError} Without a command after `--`.
 * @throws {PryxError} When the runtime cannot be started.
 */
export async function runCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "run",
    usage: RUN_USAGE,
    flags: FLAGS,
    operands: "command",
  });
  if (opened.done !== undefined) return opened.done;
  const { flags, operands: command } = opened;
  if (command.length === 0) {
    throw new UsageError(
      `run needs a command: pryx-core run [flags] -- CMD ARGS...`,
    );
  }
  const host = denoHost();
  // Not planDiscovery(): run sets PRYX_API_URL for CMD, so it must not obey
  // an inherited one, nor probe ports; only the instance's own files count.
  const plan: DiscoverPlan = {
    stateDir: resolveStateDir(flags["state-dir"], host.env),
    instance: resolveInstance(flags.instance, host.env),
    any: false,
    probePorts: [],
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
  };
  const timeoutMs = flags.timeout === undefined
    ? START_TIMEOUT_MS
    : parseDuration(flags.timeout);

  if (!commandExists(command[0], host.env("PATH"))) {
    return notFoundCmd(command[0]);
  }
  const found = await discoverOnce(host, plan, report);
  let server: Deno.ChildProcess | undefined;
  let runtime = found.runtime;
  if (runtime === undefined) {
    ({ server, runtime } = await startRuntime(plan, timeoutMs));
  }
  try {
    return await runChild(command, runtime);
  } finally {
    if (server !== undefined) await stopChild(server);
  }
}

/**
 * Starts `serve` for the plan's instance and waits until it is live.
 * When another process won the race to start it, that one is used.
 */
async function startRuntime(
  plan: DiscoverPlan,
  timeoutMs: number,
): Promise<{ server?: Deno.ChildProcess; runtime: FoundRuntime }> {
  const host = denoHost();
  const [cmd, args] = serveCommandLine(plan.instance, plan.stateDir);
  const server = new Deno.Command(cmd, {
    args,
    // Never written, never closed by us: when this process dies, even by
    // SIGKILL, the kernel closes it and the runtime (--stop-on-eof) stops.
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
    // Its own process group: a Ctrl-C in the terminal reaches CMD, and run
    // stops the runtime once CMD is gone.
    detached: true,
  }).spawn();
  const exited = new AbortController();
  let exitCode: number | undefined;
  server.status.then((s) => {
    exitCode = s.code;
    exited.abort();
  });
  const outcome = await waitForDiscovery(
    host,
    plan,
    timeoutMs,
    report,
    exited.signal,
  );
  if (outcome.runtime !== undefined) {
    console.error(
      `pryx-core: Started runtime "${plan.instance}" at ${outcome.runtime.url}`,
    );
    return { server, runtime: outcome.runtime };
  }
  if (exitCode === ExitCode.AlreadyRunning) {
    // Someone else started it first: use theirs once it is ready.
    const theirs = await waitForDiscovery(host, plan, timeoutMs, report);
    if (theirs.runtime !== undefined) return { runtime: theirs.runtime };
    throw notFound(theirs, timeoutMs);
  }
  if (exitCode === undefined) {
    await stopChild(server);
    throw new PryxError(
      `The runtime did not become ready within ${
        timeoutMs / 1000
      } s; see its messages above, or raise --timeout`,
      ExitCode.NotFound,
    );
  }
  throw new PryxError(
    `The runtime exited with code ${exitCode} before it was ready; see its message above`,
    exitCode === 0 ? ExitCode.NotFound : exitCode as ExitCode,
  );
}

/**
 * The command line that runs this program's `serve`: the binary itself when
 * compiled with `deno compile`, else `deno run` of the entry module this
 * process runs (`main.ts`).
 */
export function serveCommandLine(
  instance: string,
  stateDir: string,
): [string, string[]] {
  const serveArgs = [
    "serve",
    "--instance",
    instance,
    "--state-dir",
    stateDir,
    "--quiet",
    "--stop-on-eof",
  ];
  if (Deno.build.standalone) return [Deno.execPath(), serveArgs];
  // The entry this process was started with (main.ts, or lib/cli.ts when
  // run from the sources): this module may run from the bundle in dist/.
  const main = new URL(Deno.mainModule);
  const entry = main.protocol === "file:"
    ? decodeURIComponent(main.pathname)
    : main.href;
  return [Deno.execPath(), [
    "run",
    ...RUNTIME_PERMISSIONS,
    entry,
    ...serveArgs,
  ]];
}

/** Runs CMD with the runtime's URLs in its environment; resolves to its exit code. */
async function runChild(
  command: string[],
  runtime: FoundRuntime,
): Promise<number> {
  const [cmd, ...args] = command;
  const env: Record<string, string> = {
    [Env.apiUrl]: runtime.url,
    [Env.wsUrl]: runtime.wsUrl,
  };
  if (runtime.token !== undefined) env[Env.token] = runtime.token;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return notFoundCmd(cmd);
    if (err instanceof Deno.errors.PermissionDenied) {
      console.error(
        `pryx-core: Cannot run "${cmd}": permission denied; make it executable`,
      );
      return 126;
    }
    throw err;
  }
  const forwards = FORWARDED.map((signal) => {
    const forward = () => {
      try {
        child.kill(signal);
      } catch {
        // CMD is already gone
      }
    };
    Deno.addSignalListener(signal, forward);
    return [signal, forward] as const;
  });
  try {
    const status = await child.status;
    return status.code;
  } finally {
    for (const [signal, forward] of forwards) {
      Deno.removeSignalListener(signal, forward);
    }
  }
}

/** SIGTERM, then SIGKILL when it has not gone after {@linkcode STOP_TIMEOUT_MS}. */
async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gone = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((r) =>
      timer = setTimeout(() => r(false), STOP_TIMEOUT_MS)
    ),
  ]);
  clearTimeout(timer);
  if (!gone) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }
}

/**
 * Whether `cmd` names an existing file: as a path when it has a `/`, else
 * in one of the `PATH` directories. Checked before a runtime is started for
 * nothing; the spawn itself still has the last word.
 */
export function commandExists(cmd: string, path: string | undefined): boolean {
  const candidates = cmd.includes("/")
    ? [cmd]
    : (path ?? "").split(":").map((dir) => `${dir || "."}/${cmd}`);
  return candidates.some((file) => {
    try {
      return Deno.statSync(file).isFile;
    } catch {
      return false;
    }
  });
}

function notFoundCmd(cmd: string): number {
  console.error(
    `pryx-core: Command not found: "${cmd}"; check the name and your PATH`,
  );
  return 127;
}

function report(message: string): void {
  console.error(`pryx-core: ${message}`);
}

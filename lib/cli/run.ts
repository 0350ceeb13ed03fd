/**
 * `pryx-core run -- CMD ARGS...`: the dev-script flow in one command.
 *
 * Reuses the live runtime of the instance or starts one (this same program's
 * `serve --exit-when-idle`), waits until it is ready, takes a lease on it,
 * runs CMD with `PRYX_API_URL`, `PRYX_WS_URL` (and `PRYX_TOKEN` with token
 * auth) set and stdio passed through, gives CMD each signal once (see
 * `runSignals`), releases the lease when CMD exits, and exits with CMD's
 * code (127 when CMD is not found, 128+N when signal N ended it).
 *
 * The runtime `run` starts is not tied to this process: it stops on its own
 * once the last lease (of this `run` or of any other) has ended, so two runs
 * that share it never pull it from under each other, and a SIGKILLed run's
 * lease ends with its socket.
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { parseDuration } from "./args.ts";
import { openCommand } from "./command.ts";
import {
  Env,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  RUNTIME_PERMISSIONS,
  STOP_TIMEOUT_MS,
  VERSION,
} from "../shared/config.ts";
import { type Lease, takeLease } from "../discovery/lease.ts";
import {
  discoverOnce,
  type FoundRuntime,
  type SkipKind,
} from "../discovery/discover.ts";
import type { StatePlan } from "../discovery/plan.ts";
import {
  cannotUseMessage,
  elsewhereWords,
  notFound,
} from "../discovery/report.ts";
import { currentMachine } from "../shared/machine.ts";
import { stopCommandLine } from "../shared/shell.ts";
import { fetchOccupancy } from "../shared/occupancy.ts";
import {
  askShutdown,
  replacingMessage,
  skewWords,
  successionOf,
} from "../shared/succession.ts";
import type { RuntimeInfo } from "../shared/instance_files.ts";
import type { Health } from "../shared/health.ts";
import type { VerdictOf } from "../shared/verdict.ts";
import { waitForDiscovery } from "../discovery/wait.ts";
import { ExitCode, PryxError, UsageError } from "../shared/errors.ts";
import { denoHost } from "../discovery/host.ts";
import { fileUrlToPath } from "../shared/file_url.ts";
import { findCommand, spawnLine } from "./command_path.ts";
import type { Os } from "../shared/os.ts";

/** How long `run` waits for a runtime it started to be ready, by default. */
const START_TIMEOUT_MS = 15_000;

/**
 * The idle time of a runtime `run` starts, in ms: it stops this long after
 * the last lease ends (the contract allows 2 s; a second `run` that starts
 * right after the first ends still finds it).
 */
export const RUN_IDLE_EXIT_MS = 1000;

/** How long taking a lease on a live runtime may take, in ms. */
const LEASE_TIMEOUT_MS = 5000;

/**
 * How `run` runs CMD and what it does with the signals it gets meanwhile,
 * so that CMD gets each signal exactly once, as when run directly:
 *
 * - `terminal`: `run` is in the foreground process group of its
 *   terminal. CMD stays in that group (it keeps the terminal: prompts,
 *   raw-mode keys). A Ctrl-C, Ctrl-\ or hang-up is sent by the terminal to
 *   the whole group, CMD included, so `run` only absorbs SIGINT, SIGQUIT
 *   and SIGHUP (it waits for CMD and exits with its code); SIGTERM, which no
 *   terminal sends, is passed on. A SIGINT sent to `run`'s pid alone is
 *   taken for the terminal's there: send it to CMD, or to the group.
 * - `own-group`: anywhere else (a script, a supervisor, CI, a background
 *   job). CMD runs in a process group of its own (a new session, as
 *   `setsid` does), so a signal sent to `run`'s group never reaches it
 *   twice, and `run` passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on to CMD's
 *   group, as a terminal would.
 * - `windows`: Deno listens for SIGINT (Ctrl-C) and SIGBREAK (Ctrl-Break)
 *   only, and the console already delivers them to every process attached
 *   to it, CMD included, so they are absorbed. Sources: Deno's
 *   `Deno.addSignalListener` docs; Microsoft, "CTRL+C and CTRL+BREAK
 *   Signals".
 *
 * This is tini's answer (CMD alone in the signalled group) without its
 * `tcsetpgrp`, which Deno cannot call: where a terminal is in charge, its
 * group signal is left to reach CMD by itself.
 */
export function runSignals(
  os: Os = Deno.build.os,
  foreground: boolean = os !== "windows" && inTerminalForeground(),
): SignalPlan {
  if (os === "windows") {
    return {
      mode: "windows",
      forward: [],
      absorb: ["SIGINT", "SIGBREAK"],
    };
  }
  if (foreground) {
    return {
      mode: "terminal",
      forward: ["SIGTERM"],
      absorb: ["SIGINT", "SIGQUIT", "SIGHUP"],
    };
  }
  return {
    mode: "own-group",
    forward: ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"],
    absorb: [],
  };
}

/** What {@linkcode runSignals} decided. */
export interface SignalPlan {
  /** Where CMD runs: see {@linkcode runSignals}. */
  mode: "terminal" | "own-group" | "windows";
  /** Signals passed on to CMD (to its process group in `own-group`). */
  forward: Deno.Signal[];
  /** Signals caught and dropped: CMD already has them. */
  absorb: Deno.Signal[];
}

/**
 * Whether process `pid` is in the foreground process group of a
 * controlling terminal (so a Ctrl-C there reaches its whole group), from
 * `ps -o tpgid=,pgid=` (POSIX `ps` with the `tpgid` field of procps and the
 * BSDs). `/proc/PID/stat` would say the same on Linux, but Deno reads
 * `/proc` only under `--allow-all`. `false` when it cannot tell (no `ps`).
 */
export function inTerminalForeground(pid: number = Deno.pid): boolean {
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "tpgid=,pgid=", "-p", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success && isForeground(new TextDecoder().decode(out.stdout));
  } catch {
    return false;
  }
}

/**
 * Reads `ps -o tpgid=,pgid=`: in the foreground of a terminal when the
 * terminal's foreground group (`tpgid`, -1 without a terminal) is the
 * process's own group.
 *
 * @example
 * ```ts
 * isForeground("  4242  4242\n"); // true
 * isForeground("    -1  4242\n"); // false
 * ```
 */
export function isForeground(psLine: string): boolean {
  const [tpgid, pgid] = psLine.trim().split(/\s+/).map(Number);
  return tpgid > 0 && tpgid === pgid;
}

/**
 * How `run` ends a runtime it started that never became ready (a ready one
 * is never stopped by `run`: it exits by itself once idle). On POSIX,
 * SIGTERM first, so a runtime that was about to publish drains, and SIGKILL
 * after {@linkcode STOP_TIMEOUT_MS}. On Windows a process cannot catch
 * SIGTERM (Deno's `kill` there is `TerminateProcess` whatever the signal),
 * so there is no drain to wait for: it is terminated at once.
 */
export function stopMethod(os: Os = Deno.build.os): "SIGTERM" | "SIGKILL" {
  return os === "windows" ? "SIGKILL" : "SIGTERM";
}

/** Help text of `pryx-core run`. */
const RUN_USAGE = `Usage: pryx-core run [flags] -- CMD [ARGS...]

Reuse the live runtime of the instance or start one, wait until it is ready,
hold a lease on it, then run CMD with ${Env.apiUrl} and ${Env.wsUrl} (and
${Env.token} with token auth) set. When CMD exits, the lease is released and
run exits with CMD's code (127: CMD not found, 128+N: signal N). A runtime
run started stops ${
  RUN_IDLE_EXIT_MS / 1000
} s after the last lease of any run on it ends.

Flags:
  --instance NAME    instance name (env ${Env.instance}; default runtime)
  --state-dir DIR    state directory (env ${Env.home}; default ~/.pryx)
  --timeout DURATION how long to wait for a new runtime (default ${
  START_TIMEOUT_MS / 1000
}s)
  -h, --help         show this help
`;

/** The flags of `run` (also what the shell completions offer). */
export const FLAGS = {
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
  const plan: StatePlan = {
    source: "state",
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

  const resolved = findCommand(command[0], host.env);
  if (resolved === undefined) return notFoundCmd(command[0]);
  const { runtime, lease } = await leaseRuntime(plan, timeoutMs);
  try {
    return await runChild(command, resolved, runtime);
  } finally {
    lease.release();
  }
}

/**
 * Finds the live runtime of the plan's instance, or starts one, and takes a
 * lease on it. A runtime can go between the check and the lease (its idle
 * time ran out, or someone stopped it): then it starts over, until
 * `timeoutMs` has passed.
 *
 * @throws {PryxError} When no runtime could be leased in time.
 */
async function leaseRuntime(
  initial: StatePlan,
  timeoutMs: number,
): Promise<{ runtime: FoundRuntime; lease: Lease }> {
  const host = denoHost();
  const deadline = monotonicNow() + timeoutMs;
  let plan = initial;
  // Runs asked to shut down so that this version takes over, by runId.
  const replaced = new Set<string>();
  for (let attempt = 1;; attempt++) {
    const skipped: [string, SkipKind][] = [];
    const found = await discoverOnce(
      host,
      plan,
      (m, kind) => skipped.push([m, kind]),
    );
    const named = found.runtime === undefined && found.miss.source === "state"
      ? found.miss.named
      : undefined;
    for (const [m, kind] of skipped) {
      // The named instance's own skip line becomes the error below.
      if (named?.state !== kind) report(m);
    }
    if (named?.state === "elsewhere") {
      // Its owner is another machine's: this machine gets its own instance.
      const local = localInstance(plan.instance);
      report(elsewhereMessage(named, local));
      plan = { ...plan, instance: local };
      continue;
    }
    // A live owner of another version or protocol: replaced when idle
    // (then the next round starts ours), else used or refused (SPEC 3).
    const owner = found.runtime ??
      (named?.state === "incompatible" ? named : undefined);
    const ownerRun = owner?.health?.runId ?? owner?.info?.runId;
    if (ownerRun !== undefined && replaced.has(ownerRun)) {
      // Asked already: it is on its way out.
      if (monotonicNow() >= deadline) {
        throw new PryxError(
          `The runtime at ${
            owner!.url
          } was asked to shut down and did not within ${
            timeoutMs / 1000
          } s; end it with "${
            stopCommandLine(plan.instance, plan.stateDir, host.env, {
              force: true,
            })
          }"`,
          ExitCode.NotFound,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (owner !== undefined) {
      const next = await succeed(owner, named?.state === "incompatible");
      if (next === "replaced") {
        if (ownerRun !== undefined) replaced.add(ownerRun);
        continue;
      }
      if (next === "refused") {
        throw new PryxError(cannotUseMessage(named!), ExitCode.NotFound);
      }
    }
    const runtime = found.runtime ??
      await startRuntime(plan, Math.max(deadline - monotonicNow(), 1));
    try {
      const lease = await takeLease(runtime.wsUrl, {
        id: `run-${Deno.pid}`,
        token: runtime.token,
        runId: runtime.health?.runId ?? runtime.info?.runId,
        timeoutMs: LEASE_TIMEOUT_MS,
      });
      return { runtime, lease };
    } catch (err) {
      if (monotonicNow() >= deadline || attempt >= 5) {
        throw new PryxError(
          `${(err as Error).message}; is another process stopping it?`,
          ExitCode.NotFound,
        );
      }
    }
  }
}

/**
 * What `run` does about a live owner of another version or protocol
 * ({@linkcode successionOf}): an idle one is asked to shut down (one line),
 * so the next round starts this version; one in use is used with one line
 * that names both versions, or, speaking another protocol, refused.
 */
async function succeed(
  owner: { url: string; info?: RuntimeInfo; health?: Health },
  otherProtocol: boolean,
): Promise<"replaced" | "used" | "refused"> {
  const version = owner.health?.version ?? owner.info?.version;
  if (!otherProtocol && (version === undefined || version === VERSION)) {
    return "used";
  }
  const next = successionOf(
    { version, otherProtocol, exitWhenIdleMs: owner.info?.exitWhenIdleMs },
    await fetchOccupancy(owner.url, owner.info?.token),
    VERSION,
  );
  if (
    next.kind === "replace" && owner.info !== undefined &&
    await askShutdown(owner.info, HEALTH_TIMEOUT_MS)
  ) {
    report(
      replacingMessage(
        owner.info.instance,
        owner.info.pid,
        next,
        otherProtocol ? owner.health?.protocol : undefined,
      ),
    );
    return "replaced";
  }
  if (otherProtocol) return "refused";
  if (next.kind === "keep" && next.versions !== undefined) {
    report(
      `Using runtime "${owner.info?.instance}" at ${owner.url} (${
        skewWords(next.versions)
      })`,
    );
  }
  return "used";
}

/**
 * The instance `run` uses on this machine when `instance` is live on
 * another machine that shares the state directory: the name with this
 * machine's host name, e.g. `runtime-laptop` (a valid instance name, at
 * most 64 characters).
 */
function localInstance(
  instance: string,
  ours: string = currentMachine() ?? "local",
): string {
  const tag = ours.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "") || "local";
  return `${instance}-${tag}`.slice(0, 64);
}

/**
 * Starts `serve` for the plan's instance and waits until it is live.
 * When another process won the race to start it, that one is used.
 */
async function startRuntime(
  plan: StatePlan,
  timeoutMs: number,
): Promise<FoundRuntime> {
  const host = denoHost();
  const [cmd, args] = serveCommandLine(plan.instance, plan.stateDir);
  const server = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    // Relayed while this run lives, not inherited: an inherited pipe would
    // keep a caller that reads run's stderr (`$(pryx-core run ...)`)
    // waiting until the shared runtime exits, long after this run.
    stderr: "piped",
    // Its own process group: a Ctrl-C in the terminal reaches CMD, not the
    // runtime that other runs may share.
    detached: true,
  }).spawn();
  // Held back until it is known whether this serve won: one that lost the
  // race to another run's has nothing to say that is true for this run.
  const messages = relayWhenOpen(server.stderr);
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
  const found = outcome.runtime;
  // Unchecked (no /health answer to compare) counts as ours, as before.
  if (found !== undefined && (found.health?.pid ?? server.pid) === server.pid) {
    messages.open();
    console.error(
      `pryx-core: Started runtime "${plan.instance}" at ${found.url}`,
    );
    return found;
  }
  if (found !== undefined || exitCode === ExitCode.AlreadyRunning) {
    // Another run started it first: use theirs once it is ready. Ours
    // exits 4 (the other holds the lock), which is no news to our caller.
    messages.drop();
    if (found !== undefined) return found;
    const theirs = await waitForDiscovery(host, plan, timeoutMs, report);
    if (theirs.runtime !== undefined) return theirs.runtime;
    throw notFound(theirs, timeoutMs);
  }
  messages.open();
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

/** What {@linkcode serveCommandLine} needs to know about this process. */
export interface EntryProcess {
  /** `Deno.build.standalone`: a `deno compile` binary. */
  standalone: boolean;
  /** `Deno.execPath()`: the binary, or the `deno` CLI. */
  execPath: string;
  /** `Deno.mainModule`: the URL of the entry module. */
  mainModule: string;
  /** The OS, for the file-URL conversion. */
  os: Os;
  /** Whether a path names a file (the `deno.json` beside the entry). */
  isFile(path: string): boolean;
}

function thisProcess(): EntryProcess {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    os: Deno.build.os,
    isFile(path) {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The command line that runs this program's `serve`: the binary itself when
 * compiled with `deno compile`, else `deno run` of the entry module this
 * process runs (`main.ts`), with the `deno.json` beside it as `--config`
 * when there is one. That is the checkout's configuration (its import map
 * and frozen lock) whether pryx-core runs from the checkout, from a
 * `deno install -g` shim (whose entry is the checkout's `main.ts`), or
 * from inside a user's own Deno project with a `deno.json` of its own.
 */
export function serveCommandLine(
  instance: string,
  stateDir: string,
  proc: EntryProcess = thisProcess(),
): [string, string[]] {
  const serveArgs = [
    "serve",
    "--instance",
    instance,
    "--state-dir",
    stateDir,
    "--quiet",
    "--exit-when-idle",
    `${RUN_IDLE_EXIT_MS}ms`,
  ];
  if (proc.standalone) return [proc.execPath, serveArgs];
  // The entry this process was started with (main.ts, or lib/cli/main.ts).
  const main = new URL(proc.mainModule);
  if (main.protocol !== "file:") {
    return [proc.execPath, [
      "run",
      ...RUNTIME_PERMISSIONS,
      main.href,
      ...serveArgs,
    ]];
  }
  const entry = fileUrlToPath(main, proc.os);
  const config = fileUrlToPath(new URL("deno.json", main), proc.os);
  return [proc.execPath, [
    "run",
    ...RUNTIME_PERMISSIONS,
    ...(proc.isFile(config) ? ["--config", config] : []),
    entry,
    ...serveArgs,
  ]];
}

/** Runs CMD with the runtime's URLs in its environment; resolves to its exit code. */
async function runChild(
  command: string[],
  resolved: string,
  runtime: FoundRuntime,
): Promise<number> {
  const [cmd, ...args] = command;
  const line = spawnLine(cmd, args, resolved, Deno.build.os, comspec());
  const env: Record<string, string> = {
    [Env.apiUrl]: runtime.url,
    [Env.wsUrl]: runtime.wsUrl,
  };
  if (runtime.token !== undefined) env[Env.token] = runtime.token;
  const signals = runSignals();
  const ownGroup = signals.mode === "own-group";
  // Listening before CMD exists: a signal that comes while it starts is
  // held and passed on once it runs, never left to end run alone.
  let child: Deno.ChildProcess | undefined;
  const early: Deno.Signal[] = [];
  const pass = (signal: Deno.Signal) => {
    if (child === undefined) {
      early.push(signal);
      return;
    }
    try {
      // As a terminal does: to CMD's whole group, its children too.
      if (ownGroup) Deno.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // CMD is already gone
    }
  };
  const listeners = [
    ...signals.absorb.map((signal) => [signal, () => {}] as const),
    ...signals.forward.map((signal) => [signal, () => pass(signal)] as const),
  ];
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }
  try {
    try {
      child = new Deno.Command(line.cmd, {
        args: line.args,
        windowsRawArguments: line.windowsRawArguments,
        // A session and process group of its own: see runSignals.
        detached: ownGroup,
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
        return ExitCode.CommandNotExecutable;
      }
      throw err;
    }
    for (const signal of early.splice(0)) pass(signal);
    const status = await child.status;
    return status.code;
  } finally {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
  }
}

/**
 * Ends a runtime that never became ready ({@linkcode stopMethod}); after a
 * SIGTERM, SIGKILL when it has not gone after {@linkcode STOP_TIMEOUT_MS}.
 */
async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill(stopMethod());
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
 * Copies the started runtime's stderr to ours while this process lives,
 * once `open()` is called (what came before is written then); after
 * `drop()` it is read and thrown away. Once this process has gone, the
 * runtime's writes fail quietly (its logger ignores a closed stderr).
 */
function relayWhenOpen(
  stream: ReadableStream<Uint8Array>,
): { open(): void; drop(): void } {
  let state = "held" as "held" | "open" | "dropped";
  const held: Uint8Array[] = [];
  const write = (chunk: Uint8Array) => {
    try {
      for (let done = 0; done < chunk.length;) {
        done += Deno.stderr.writeSync(chunk.subarray(done));
      }
    } catch {
      // Our stderr is closed: nothing to relay to.
    }
  };
  (async () => {
    try {
      for await (const chunk of stream) {
        if (state === "open") write(chunk);
        else if (state === "held") held.push(chunk);
      }
    } catch {
      // The runtime's stderr went away with it.
    }
  })();
  return {
    open() {
      state = "open";
      held.splice(0).forEach(write);
    },
    drop() {
      state = "dropped";
      held.length = 0;
    },
  };
}

/** `%ComSpec%`, the Windows command interpreter, else `cmd.exe`. */
function comspec(): string {
  return Deno.env.get("ComSpec") || "cmd.exe";
}

function notFoundCmd(cmd: string): number {
  console.error(
    `pryx-core: Command not found: "${cmd}"; check the name and your PATH`,
  );
  return ExitCode.CommandNotFound;
}

function report(message: string): void {
  console.error(`pryx-core: ${message}`);
}

/** The line `run` says when it uses a local instance instead of `v`'s. */
function elsewhereMessage(v: VerdictOf<"elsewhere">, local: string): string {
  return `Instance "${v.instance}" is not usable here: ${
    elsewhereWords(v)
  }; using instance "${local}" of this machine ("pryx-core discover --instance ${local}" finds it)`;
}

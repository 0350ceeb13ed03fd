/**
 * How `pryx-core run` runs CMD: spawned with the runtime's URLs in its
 * environment and stdio passed through, each signal given to it once (see
 * {@linkcode runSignals}), stopped with it, and its exit code (127 when it
 * is not found, 126 when it cannot be executed, 128+N when signal N ended
 * it) made `run`'s.
 *
 * @module
 */

import { Env, STOP_TIMEOUT_MS } from "../shared/config.ts";
import { type FoundRuntime } from "../discovery/discover.ts";
import { ExitCode } from "../shared/errors.ts";
import { type SpawnLine, spawnLine } from "./command_path.ts";
import type { Os } from "../shared/os.ts";
import { ignoredAtStart } from "../shared/ignored_signals.ts";

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
 * - `windows`: the console delivers SIGINT (Ctrl-C) and SIGBREAK
 *   (Ctrl-Break) to every process attached to it, CMD included, so they
 *   are absorbed. The other signals Deno listens for there (SIGTERM, SIGHUP
 *   since 2.8) no other process can send: `Deno.kill` and `taskkill /f`
 *   are `TerminateProcess`. Sources: Deno's `Deno.addSignalListener` docs;
 *   Microsoft, "CTRL+C and CTRL+BREAK Signals".
 *
 * This is tini's answer (CMD alone in the signalled group) without its
 * `tcsetpgrp`, which Deno cannot call: where a terminal is in charge, its
 * group signal is left to reach CMD by itself.
 */
export function runSignals(
  os: Os = Deno.build.os,
  foreground: boolean = os !== "windows" && inTerminalForeground(),
  ignored: ReadonlySet<Deno.Signal> = new Set(),
): SignalPlan {
  // A signal ignored when run started (SIGHUP under nohup) stays ignored
  // (SPEC 3): absorbed, never passed on (Deno's first signal listener
  // resets it to its default action, so a listener must hold it), and CMD
  // gets it ignored too (see ignoringShell).
  if (ignored.size > 0) {
    const plan = runSignals(os, foreground);
    return {
      mode: plan.mode,
      forward: plan.forward.filter((s) => !ignored.has(s)),
      absorb: [...plan.absorb.filter((s) => !ignored.has(s)), ...ignored],
    };
  }
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

/**
 * `line` started through `sh` with `signals` ignored (`trap '' HUP`), then
 * `exec`ed: a signal ignored at exec stays ignored in the new program
 * (POSIX `exec`), which a Deno parent cannot hand on itself once it has a
 * signal listener. Unix only (`run` under `nohup`).
 */
export function ignoringShell(
  line: SpawnLine,
  signals: readonly string[],
): SpawnLine {
  return {
    cmd: "sh",
    args: [
      "-c",
      `trap '' ${signals.join(" ")}; exec "$@"`,
      "sh",
      line.cmd,
      ...line.args,
    ],
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

/**
 * Runs CMD with the runtime's URLs (where TCP reaches it) and its socket
 * (where it has one) in its environment; resolves to its exit code.
 */
export async function runChild(
  command: string[],
  resolved: string,
  runtime: FoundRuntime,
): Promise<number> {
  const [cmd, ...args] = command;
  const line = spawnLine(cmd, args, resolved, Deno.build.os, comspec());
  const env: Record<string, string> = {};
  if (runtime.url !== undefined) env[Env.apiUrl] = runtime.url;
  if (runtime.wsUrl !== undefined) env[Env.wsUrl] = runtime.wsUrl;
  if (runtime.socket !== undefined) env[Env.socket] = runtime.socket;
  if (runtime.token !== undefined) env[Env.token] = runtime.token;
  const hangupIgnored = await ignoredAtStart("SIGHUP");
  const signals = runSignals(
    Deno.build.os,
    undefined,
    hangupIgnored ? new Set(["SIGHUP"]) : new Set(),
  );
  const spawned = hangupIgnored ? ignoringShell(line, ["HUP"]) : line;
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
      child = new Deno.Command(spawned.cmd, {
        args: spawned.args,
        windowsRawArguments: spawned.windowsRawArguments,
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
export async function stopChild(child: Deno.ChildProcess): Promise<void> {
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

/** `%ComSpec%`, the Windows command interpreter, else `cmd.exe`. */
function comspec(): string {
  return Deno.env.get("ComSpec") || "cmd.exe";
}

export function notFoundCmd(cmd: string): number {
  console.error(
    `pryx-core: Command not found: "${cmd}"; check the name and your PATH`,
  );
  return ExitCode.CommandNotFound;
}

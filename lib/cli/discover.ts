/**
 * `pryx-core discover`: prints where a live runtime is.
 *
 * stdout carries the answer only (`PORT\n` by default); every message goes
 * to stderr. Exit 0 found, 1 nothing live, 2 usage error.
 * Loads no server module, no `node:` built-in and no `npm:` package: each
 * wakes Deno's Node-compatibility layer (10-15 ms for a `node:` import, about
 * 30 ms for a small `npm:` package, on a 33 ms process).
 *
 * @module
 */

import { listenableSignals, type Os } from "../shared/os.ts";
import { type ParsedFlags, parseDuration } from "./args.ts";
import { shellQuote } from "../shared/shell.ts";
import { openCommand } from "./command.ts";
import { writeStdout } from "./output.ts";
import {
  DEFAULT_WAIT_MS,
  Env,
  HEALTH_TIMEOUT_MS,
  parseInstanceName,
  resolveStateDir,
} from "../shared/config.ts";
import { importLazily } from "../shared/lazy_import.ts";
import type { InstanceChange } from "../discovery/watch.ts";
import { discoverOnce, type FoundRuntime } from "../discovery/discover.ts";
import { planDiscovery, type Reach } from "../discovery/plan.ts";
import { notFound, waitingMessage } from "../discovery/report.ts";
import { discoverSettled, waitForDiscovery } from "../discovery/wait.ts";
import { ExitCode, UsageError } from "../shared/errors.ts";
import { currentHost } from "../discovery/host.ts";
import {
  formatRuntimeInfo,
  type RuntimeInfo,
} from "../shared/instance_files.ts";

/** Help text of `pryx-core discover`. */
const DISCOVER_USAGE = `Usage: pryx-core discover [flags]

Print where a live runtime is. Looks at ${Env.apiUrl} / ${Env.wsUrl} (final
when set), then the instance's files in the state directory, then the
--probe ports; every candidate is verified with its lock, /health and, where
the token can be read, the proof that it holds the token.

Flags:
  --format FORMAT     port (default: "PORT\\n"), url, ws, json, env, socket
                      (the Unix socket's path: it reaches the runtime from
                      another network namespace that shares the state dir)
  --json, --env       shorthands for --format json / --format env
  --instance NAME     instance name (env ${Env.instance}; default runtime)
  --state-dir DIR     state directory (env ${Env.home}; default ~/.pryx)
  --any               take the first live instance when NAME is not live
  --probe PORTS       also probe 127.0.0.1 ports: 3001,3002 or 38124-38133
                      (env ${Env.probePorts})
  --wait [DURATION]   wait until one is live (default ${
  DEFAULT_WAIT_MS / 1000
}s; 15, 15s, 500ms, 2m)
  --watch             stay running and print one line per change of the
                      instances (appeared, ready, draining, gone, moved);
                      with --json one JSON object per line; until SIGINT/SIGTERM
  --no-check          trust the files without checking lock and /health
  -q, --quiet         print nothing; the exit code is the answer
  -h, --help          show this help

Exit codes: 0 found, 1 nothing live, 2 usage error.
`;

/** The flags of `discover` (also what the shell completions offer). */
export const FLAGS = {
  format: "string",
  json: "boolean",
  env: "boolean",
  instance: "string",
  "state-dir": "string",
  any: "boolean",
  probe: "string",
  wait: "optional",
  watch: "boolean",
  "no-check": "boolean",
  quiet: "boolean",
} as const;

/** The output formats of `discover`. */
export type DiscoverFormat = "port" | "url" | "ws" | "json" | "env" | "socket";

const FORMATS: readonly DiscoverFormat[] = [
  "port",
  "url",
  "ws",
  "json",
  "env",
  "socket",
];

/**
 * How a format reaches the runtime: a port or a URL needs TCP, `socket`
 * the socket; `json` and `env` carry whichever this reader can use.
 */
function reachOf(format: DiscoverFormat): Reach {
  return format === "socket"
    ? "socket"
    : format === "json" || format === "env"
    ? "any"
    : "tcp";
}

/**
 * Runs `discover` with command-line `args`.
 *
 * @returns The exit code.
 * @throws {UsageError} For bad flags.
 * @throws {NotFoundError} When nothing live is found.
 */
export async function discoverCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "discover",
    usage: DISCOVER_USAGE,
    flags: FLAGS,
    aliases: { q: "quiet" },
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  if (flags.watch) return await watchCommand(flags);
  const format = resolveFormat(flags);
  const waitMs = flags.wait === undefined
    ? undefined
    : flags.wait === true
    ? DEFAULT_WAIT_MS
    : parseDuration(flags.wait);
  const host = await currentHost();
  const plan = planDiscovery(host.env, {
    instance: flags.instance,
    stateDir: flags["state-dir"],
    any: flags.any,
    probe: flags.probe,
    check: !flags["no-check"],
    reach: reachOf(format),
  });
  // Stale candidates are reported on stderr; when nothing is found they go
  // into the one line of the error instead of lines of their own.
  const seen = new Set<string>();
  const report = (message: string) => seen.add(message);
  let outcome = waitMs === undefined
    ? await discoverSettled(host, plan, report)
    : await discoverOnce(host, plan, report);
  if (outcome.runtime === undefined && waitMs !== undefined) {
    // Minutes of silence look like a hang: say once what it waits for.
    if (!flags.quiet) {
      console.error(`pryx-core: ${waitingMessage(plan, waitMs)}`);
    }
    outcome = await waitForDiscovery(host, plan, waitMs, report);
  }
  const stale = [...seen];
  if (outcome.runtime === undefined) throw notFound(outcome, waitMs, stale);
  for (const message of stale) console.error(`pryx-core: ${message}`);
  if (!flags.quiet) writeStdout(formatRuntime(outcome.runtime, format));
  return ExitCode.Ok;
}

/**
 * Renders a found runtime in `format`, ending with a newline.
 *
 * @example
 * ```ts
 * formatRuntime(runtime, "port"); // "38124\n"
 * ```
 */
export function formatRuntime(
  runtime: FoundRuntime,
  format: DiscoverFormat,
): string {
  const { url, wsUrl, port, socket } = runtime;
  switch (format) {
    case "port":
      return `${port ?? unreachable(format)}\n`;
    case "url":
      return `${url ?? unreachable(format)}\n`;
    case "ws":
      return `${wsUrl ?? unreachable(format)}\n`;
    case "socket":
      return `${socket ?? unreachable(format)}\n`;
    case "json":
      return runtime.info !== undefined
        ? formatRuntimeInfo(withSocket(runtime.info, socket))
        : JSON.stringify(
          {
            pid: runtime.health?.pid,
            port,
            hostname: url === undefined
              ? undefined
              : new URL(url).hostname.replace(/^\[|\]$/g, ""),
            url,
            wsUrl,
            socket,
            version: runtime.health?.version,
            instance: runtime.health?.instance,
            token: runtime.token,
          },
          null,
          2,
        ) + "\n";
    case "env":
      return [
        ...(url === undefined
          ? []
          : [`export ${Env.apiUrl}=${shellQuote(url)}`]),
        ...(wsUrl === undefined
          ? []
          : [`export ${Env.wsUrl}=${shellQuote(wsUrl)}`]),
        ...(socket === undefined
          ? []
          : [`export ${Env.socket}=${shellQuote(socket)}`]),
        ...(runtime.token === undefined
          ? []
          : [`export ${Env.token}=${shellQuote(runtime.token)}`]),
      ].join("\n") + "\n";
  }
}

/**
 * The record as `--json` prints it: its `socket` only when that socket was
 * found usable here (a socket, not a link planted in its place).
 */
function withSocket(info: RuntimeInfo, socket: string | undefined) {
  const { socket: _recorded, ...rest } = info;
  return socket === undefined ? rest : { ...rest, socket };
}

/**
 * A found runtime without what `format` prints: the discovery asked for
 * that reach (`reachOf`), so this is a bug, said as one.
 */
function unreachable(format: DiscoverFormat): never {
  throw new Error(`discover found a runtime without its ${format}`);
}

function resolveFormat(
  flags: { format?: string; json?: boolean; env?: boolean },
): DiscoverFormat {
  const chosen = [
    flags.format,
    flags.json ? "json" : undefined,
    flags.env ? "env" : undefined,
  ].filter((f) => f !== undefined);
  if (chosen.length > 1) {
    throw new UsageError(
      "Conflicting formats: give one of --format, --json and --env",
    );
  }
  const format = chosen[0] ?? "port";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `Invalid format "${format}": use ${FORMATS.join(", ")}`,
    );
  }
  return format as DiscoverFormat;
}

/**
 * `discover --watch`: prints one line per change of the instances of the
 * state directory (only `--instance`'s when that flag is given) until
 * SIGINT or SIGTERM, or until stdout is closed; exits 0 then.
 *
 * @throws {UsageError} With flags that make no sense with `--watch`.
 */
async function watchCommand(
  flags: ParsedFlags<typeof FLAGS>,
): Promise<number> {
  const clash = (["wait", "quiet", "any", "probe", "env", "format"] as const)
    .find((f) => flags[f] !== undefined);
  if (clash !== undefined) {
    throw new UsageError(
      `--watch and --${clash} do not go together: --watch prints every change of the state directory (text, or --json)`,
    );
  }
  const host = await currentHost();
  const stateDir = resolveStateDir(flags["state-dir"], host.env);
  const only = flags.instance === undefined
    ? undefined
    : parseInstanceName(flags.instance);
  const stop = new AbortController();
  const signals = watchStopSignals().map((signal) => {
    const onSignal = () => stop.abort();
    Deno.addSignalListener(signal, onSignal);
    return [signal, onSignal] as const;
  });
  // Loaded only here: a plain discover does not pay for the watch, nor for
  // the clock of its lines.
  const [{ watchInstances }, { isoTime }] = await Promise.all([
    importLazily<typeof import("../discovery/watch.ts")>(
      "../discovery/watch.ts",
      import.meta.url,
    ),
    importLazily<typeof import("../shared/iso_time.ts")>(
      "../shared/iso_time.ts",
      import.meta.url,
    ),
  ]);
  try {
    await watchInstances(
      host,
      {
        stateDir,
        check: !flags["no-check"],
        healthTimeoutMs: HEALTH_TIMEOUT_MS,
      },
      (change) => {
        if (only !== undefined && change.instance !== only) return;
        const line = flags.json
          ? JSON.stringify({ time: isoTime(), ...change })
          : formatChange(change, isoTime());
        // The reader is gone (`discover --watch | head -1`): stop quietly.
        if (!writeStdout(line + "\n")) stop.abort();
      },
      stop.signal,
    );
  } finally {
    for (const [signal, onSignal] of signals) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
  return ExitCode.Ok;
}

/**
 * One line for people about a change.
 *
 * @example
 * ```ts
 * formatChange(change, isoTime()); // "2026-01-02T03:04:05.678Z ready runtime http://127.0.0.1:38124 (pid 42)"
 * ```
 */
function formatChange(change: InstanceChange, time: string): string {
  const where = change.url ?? "-";
  const detail = change.event === "moved"
    ? `(from port ${change.from})`
    : change.reason !== undefined
    ? `(${change.reason})`
    : change.pid !== null
    ? `(pid ${change.pid})`
    : "";
  return `${time} ${change.event} ${change.instance} ${where} ${detail}`
    .trimEnd();
}

/**
 * The signals that end `--watch` on `os`: SIGINT and SIGTERM, and on
 * Windows also SIGBREAK (`listenableSignals`).
 */
export function watchStopSignals(
  os: Os = Deno.build.os,
): Deno.Signal[] {
  return listenableSignals(["SIGINT", "SIGTERM"], os);
}

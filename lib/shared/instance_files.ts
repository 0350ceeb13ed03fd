/**
 * The instance files of a state directory: their names and formats.
 *
 * `<instance>.port` holds the port and a newline; `<instance>.json` holds
 * {@linkcode RuntimeInfo}; `<instance>.lock` is held by the live owner;
 * `<instance>.sock` is the Unix socket it also serves on (where the path
 * fits a socket address; else the record's `socket` names a shorter one);
 * `<instance>.error` holds the {@linkcode StartFailure} of the last start
 * that failed; `<instance>.log` (rotated once to `<instance>.log.1`) is the
 * log of a runtime that runs in the background.
 * Parsing is pure so the client module can use it on any runtime.
 *
 * @module
 */

import { parseInstanceName } from "./config.ts";
import { UsageError } from "./errors.ts";
import { randomHex } from "./proof.ts";
import type { RunIdentity } from "./protocol.ts";
import { parseServiceManager, type ServiceManager } from "./service_manager.ts";

/** What `<instance>.json` and `GET /info` describe. */
export interface RuntimeInfo {
  /** Process id of the server. */
  pid: number;
  /** The bound port. */
  port: number;
  /** The bound host (`127.0.0.1`, `::1`, `0.0.0.0`, ...). */
  hostname: string;
  /** Where clients reach the API, e.g. `http://127.0.0.1:38124`. */
  url: string;
  /** Where clients reach the event bus, e.g. `ws://127.0.0.1:38124/ws`. */
  wsUrl: string;
  /** When the server started, ISO 8601. */
  startedAt: string;
  /** The pryx-core version. */
  version: string;
  /** The instance name. */
  instance: string;
  /** 128 random bits as 32 hex digits, new at every start: names this run. */
  runId: string;
  /** The HTTP/WebSocket contract version the server speaks. */
  protocol: number;
  /**
   * The runtime's credential (at least 192 random bits, or the operator's
   * from `--token-file`): always required for the control routes and the
   * key of the `/health` proof; required for `/ws`, `/publish` and `/info`
   * when {@linkcode RuntimeInfo.auth} is `token`. Absent only in files of
   * older versions.
   */
  token?: string;
  /**
   * `token` when the bus (`/ws`, `/publish`, `/info`) needs the token,
   * `none` when it does not. Absent in files of older versions, which wrote
   * a token only under token auth.
   */
  auth?: "none" | "token";
  /**
   * Which machine (and network namespace) the runtime runs on, opaque
   * (`shared/machine.ts`): a reader of another machine never uses its
   * loopback URL. Absent in files of older versions and where unknown.
   */
  machine?: string;
  /**
   * The idle time after which the runtime exits on its own, in ms
   * (`--exit-when-idle`); absent when it stays. A start that finds it idle
   * waits for it rather than calling it running (`shared/succession.ts`).
   */
  exitWhenIdleMs?: number;
  /**
   * The Unix socket the runtime also serves every route on (SPEC 4), an
   * absolute path: `<instance>.sock` in the state directory, or a shorter
   * path in a private directory when that one is too long for a socket
   * address. Absent where there is none (Windows, files of older
   * versions).
   */
  socket?: string;
  /**
   * The service manager that runs the runtime (`pryx-core service install`
   * sets `PRYX_SERVICE` in its unit); absent when a person or a script
   * started it. `stop` says that the manager starts it again.
   */
  service?: ServiceManager;
}

/**
 * Whether clients need the token for the bus (`/ws`, `/publish`, `/info`):
 * `auth` says so; a file of an older version had a token only then.
 */
export function busNeedsToken(info: RuntimeInfo): boolean {
  return info.auth === undefined
    ? info.token !== undefined
    : info.auth === "token";
}

/** The part of `info` that `hello` and `/health` report. */
export function runIdentity(info: RuntimeInfo): RunIdentity {
  return {
    version: info.version,
    pid: info.pid,
    instance: info.instance,
    runId: info.runId,
    protocol: info.protocol,
  };
}

/** Paths of one instance's files. */
export interface InstancePaths {
  /** `<instance>.port` */
  port: string;
  /** `<instance>.json` */
  json: string;
  /** `<instance>.lock` */
  lock: string;
  /** `<instance>.sock`: the socket's place when its path fits (see `RuntimeInfo.socket`). */
  socket: string;
  /** `<instance>.error`: the last start that failed ({@linkcode StartFailure}). */
  error: string;
  /** `<instance>.log`: the log of a runtime in the background. */
  log: string;
  /** `<instance>.log.1`: the log before the last rotation. */
  oldLog: string;
}

/** File name suffixes, by file. */
export const Suffix = {
  port: ".port",
  json: ".json",
  lock: ".lock",
  socket: ".sock",
  error: ".error",
  log: ".log",
  oldLog: ".log.1",
} as const;

/**
 * The paths of an instance's files in `stateDir`.
 *
 * @example
 * ```ts
 * instancePaths("/home/me/.pryx", "runtime").port; // "/home/me/.pryx/runtime.port"
 * ```
 */
export function instancePaths(
  stateDir: string,
  instance: string,
): InstancePaths {
  const dir = stateDir.length > 1 ? stateDir.replace(/\/+$/, "") : stateDir;
  const base = dir === "/" ? `/${instance}` : `${dir}/${instance}`;
  return {
    port: base + Suffix.port,
    json: base + Suffix.json,
    lock: base + Suffix.lock,
    socket: base + Suffix.socket,
    error: base + Suffix.error,
    log: base + Suffix.log,
    oldLog: base + Suffix.oldLog,
  };
}

/**
 * The instance a state-directory entry belongs to, or `undefined` when the
 * entry is not an instance file (temp files, foreign files).
 */
export function instanceOfFile(fileName: string): string | undefined {
  for (const suffix of Object.values(Suffix)) {
    if (fileName.endsWith(suffix)) {
      const name = fileName.slice(0, -suffix.length);
      try {
        return parseInstanceName(name);
      } catch (err) {
        if (err instanceof UsageError) return undefined;
        throw err;
      }
    }
  }
  return undefined;
}

/**
 * A fresh run id: 128 random bits from the Web Crypto API, as 32 lower-case
 * hex digits. Pids repeat across restarts and PID namespaces; a run id does
 * not.
 */
export function generateRunId(): string {
  return randomHex(16);
}

/** The content of a port file for `port`. */
export function formatPortFile(port: number): string {
  return `${port}\n`;
}

/**
 * Parses the content of a port file.
 *
 * @returns The port, or `undefined` when the content is not a port number
 * and a newline (a corrupt or foreign file).
 */
export function parsePortFile(text: string): number | undefined {
  const match = /^\s*(\d{1,5})\s*$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Serialises {@linkcode RuntimeInfo} for `<instance>.json`. */
export function formatRuntimeInfo(info: RuntimeInfo): string {
  return JSON.stringify(info, null, 2) + "\n";
}

/** The JSON object `text` holds; `undefined` for anything else. */
function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/**
 * Parses `<instance>.json`.
 *
 * @returns The info, or `undefined` when the content is not a complete
 * record of the expected shape.
 */
export function parseRuntimeInfo(text: string): RuntimeInfo | undefined {
  const v = parseObject(text);
  if (v === undefined) return undefined;
  const ok = Number.isInteger(v.pid) && Number.isInteger(v.port) &&
    typeof v.hostname === "string" && typeof v.url === "string" &&
    typeof v.wsUrl === "string" && typeof v.startedAt === "string" &&
    typeof v.version === "string" && typeof v.instance === "string" &&
    typeof v.runId === "string" && Number.isInteger(v.protocol) &&
    (v.token === undefined || typeof v.token === "string") &&
    (v.auth === undefined || v.auth === "none" || v.auth === "token") &&
    (v.machine === undefined || typeof v.machine === "string") &&
    (v.exitWhenIdleMs === undefined ||
      Number.isFinite(v.exitWhenIdleMs) &&
        (v.exitWhenIdleMs as number) > 0) &&
    (v.socket === undefined ||
      typeof v.socket === "string" && isAbsoluteSocketPath(v.socket)) &&
    (v.service === undefined || parseServiceManager(v.service) !== undefined);
  return ok ? v as unknown as RuntimeInfo : undefined;
}

/** A socket path a record may name: absolute, one line, no NUL. */
function isAbsoluteSocketPath(path: string): boolean {
  return path.startsWith("/") && !/[\0\n\r]/.test(path);
}

/**
 * What `<instance>.error` holds (SPEC 2): why the last start of the
 * instance failed, written by a `serve` that could not start and removed
 * by the next one that does, so that whoever started it in the background
 * (`run`, `serve --detach`, `discover --wait`, a service manager) can say
 * why.
 */
export interface StartFailure {
  /** When the start failed, ISO 8601. */
  at: string;
  /** The exit code of that start (SPEC 7: 2, 3, 5, ...). */
  exitCode: number;
  /** Its one-line message, what it printed on stderr. */
  message: string;
  /** The pryx-core version that failed to start. */
  version: string;
}

/** Serialises a {@linkcode StartFailure} for `<instance>.error`. */
export function formatStartFailure(failure: StartFailure): string {
  return JSON.stringify(failure) + "\n";
}

/**
 * Parses `<instance>.error`.
 *
 * @returns The failure, or `undefined` when the content is not one.
 */
export function parseStartFailure(text: string): StartFailure | undefined {
  const v = parseObject(text);
  if (v === undefined) return undefined;
  const ok = typeof v.at === "string" && Number.isInteger(v.exitCode) &&
    typeof v.message === "string" && typeof v.version === "string";
  return ok
    ? {
      at: v.at as string,
      exitCode: v.exitCode as number,
      message: v.message as string,
      version: v.version as string,
    }
    : undefined;
}

/**
 * The URLs clients use for a bound address: the literal `127.0.0.1` for
 * loopback and all-interfaces binds, `[::1]` when bound to `::1` alone.
 *
 * `[::]` is dual-stack on Linux and macOS (they accept IPv4 on an IPv6
 * wildcard socket unless `IPV6_V6ONLY` is set, and their default is off),
 * so `127.0.0.1` reaches it. Windows sets `IPV6_V6ONLY` on by default
 * (Microsoft, "Dual-Stack Sockets for IPv6 Winsock Applications"): there
 * `[::]` takes IPv6 only, and the URL is `[::1]`.
 *
 * @param os The OS the runtime runs on (default: this one; Node and Bun,
 * where the client never passes `::`, count as non-Windows).
 */
export function runtimeUrls(
  hostname: string,
  port: number,
  os: string | undefined = (globalThis as { Deno?: typeof Deno }).Deno?.build
    .os,
): { url: string; wsUrl: string } {
  let host: string;
  if (hostname === "::" && os === "windows") host = "[::1]";
  else if (
    hostname === "0.0.0.0" || hostname === "::" || hostname === "127.0.0.1"
  ) {
    host = "127.0.0.1";
  } else if (hostname.includes(":")) host = `[${hostname}]`;
  else host = hostname;
  return { url: `http://${host}:${port}`, wsUrl: `ws://${host}:${port}/ws` };
}

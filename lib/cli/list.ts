/**
 * `pryx-core list`: every instance of the state directory, live or not,
 * with pid, port and URL; a table for people, a JSON array with `--json`.
 *
 * Loads no server module, no `node:` built-in and no `npm:` package: each
 * wakes Deno's Node-compatibility layer (10-15 ms for a `node:` import, about
 * 30 ms for a small `npm:` package, on a 33 ms process).
 *
 * @module
 */

import { openCommand } from "./command.ts";
import { writeStdout } from "./output.ts";
import {
  Env,
  HEALTH_TIMEOUT_MS,
  resolveStateDir,
  VERSION,
} from "../shared/config.ts";
import { listInstances, type Verdict } from "../shared/verdict.ts";
import { verdictReason } from "../discovery/report.ts";
import { currentHost } from "../discovery/host.ts";
import { fetchOccupancy } from "../shared/occupancy.ts";
import { ExitCode } from "../shared/errors.ts";
import type { StartFailure } from "../shared/instance_files.ts";

/** Help text of `pryx-core list`. */
const LIST_USAGE = `Usage: pryx-core list [flags]

List the instances of the state directory: live (lock held and /health
agrees), stale (left by a process that is gone), starting, failed (its last
start failed, and why), or stopped (only a lock file left, e.g. by a clean
stop; shown with --all). For a live one, how many WebSocket clients it has
and how many leases they hold.

Flags:
  --json            print a JSON array instead of a table
  --all             also list stopped instances ("pryx-core prune" removes them)
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  --no-check        trust the files without checking lock and /health
  -h, --help        show this help
`;

/** The flags of `list` (also what the shell completions offer). */
export const FLAGS = {
  json: "boolean",
  all: "boolean",
  "state-dir": "string",
  "no-check": "boolean",
} as const;

/** One row of `list --json`. */
export interface ListEntry {
  /** The instance name. */
  instance: string;
  /**
   * The state of its verdict (`live`, `stale`, `elsewhere`, ...), or
   * `failed` for a stopped one whose last start failed.
   */
  status: Verdict["state"] | "failed";
  /**
   * Whether it runs: `live`, or live but of another protocol
   * (`incompatible`) or on another machine (`elsewhere`).
   */
  live: boolean;
  /** The owner's pid from `<instance>.json`, or `null`. */
  pid: number | null;
  /** The port, or `null`. */
  port: number | null;
  /** The HTTP URL, or `null`. */
  url: string | null;
  /** The WebSocket URL, or `null`. */
  wsUrl: string | null;
  /** The Unix socket its record names (SPEC 4), or `null`. */
  socket: string | null;
  /** Connected WebSocket clients of a live instance (from `/info`), or `null`. */
  clients: number | null;
  /** Leases held on a live instance (from `/info`), or `null`. */
  leases: number | null;
  /** Why it is not live, or `null`. */
  reason: string | null;
  /** The last start's failure (`<instance>.error`) of a failed one, or `null`. */
  failure: StartFailure | null;
}

/**
 * Runs `list` with command-line `args`.
 *
 * @returns The exit code (0, also when the directory holds no instance).
 */
export async function listCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "list",
    usage: LIST_USAGE,
    flags: FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const host = await currentHost();
  const stateDir = resolveStateDir(flags["state-dir"], host.env);
  const statuses = await listInstances(host, {
    stateDir,
    check: !flags["no-check"],
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
  });
  // A lock file alone is what a clean stop leaves: noise, unless asked.
  const shown = flags.all
    ? statuses
    : statuses.filter((s) =>
      s.state !== "stopped" || s.lastFailure !== undefined
    );
  const entries = await Promise.all(shown.map(async (s) => {
    const entry = toEntry(s);
    if (s.state === "live" && !flags["no-check"]) {
      const counts = await fetchOccupancy(s.url, s.info?.token);
      entry.clients = counts?.clients ?? null;
      entry.leases = counts?.leases ?? null;
    }
    return entry;
  }));
  if (flags.json) {
    writeStdout(JSON.stringify(entries, null, 2) + "\n");
  } else if (entries.length > 0) {
    writeStdout(formatTable(entries) + "\n");
  }
  if (entries.length === 0 && !flags.json) {
    console.error(`pryx-core: No instances in ${stateDir}`);
  }
  return ExitCode.Ok;
}

/** Turns an inspected instance into a row of `list --json`. */
function toEntry(s: Verdict): ListEntry {
  return {
    instance: s.instance,
    status: s.state === "stopped" && s.lastFailure !== undefined
      ? "failed"
      : s.state,
    live: s.state === "live" || s.state === "incompatible" ||
      s.state === "elsewhere",
    pid: "info" in s ? s.info?.pid ?? null : null,
    // Another machine's loopback URL is never handed out here (SPEC 2).
    port: "port" in s && s.state !== "elsewhere" ? s.port ?? null : null,
    url: "url" in s && s.state !== "elsewhere" ? s.url ?? null : null,
    wsUrl: "wsUrl" in s && s.state !== "elsewhere" ? s.wsUrl ?? null : null,
    socket: "info" in s ? s.info?.socket ?? null : null,
    clients: null,
    leases: null,
    reason: verdictReason(s) ?? versionNote(s),
    failure: s.state === "stopped" ? s.lastFailure ?? null : null,
  };
}

/**
 * The note on a live runtime of another version than this CLI's (same
 * protocol, so it is used; the note says why it may behave differently).
 */
function versionNote(s: Verdict): string | null {
  if (s.state !== "live") return null;
  const theirs = s.health?.version ?? s.info?.version;
  return theirs === undefined || theirs === VERSION
    ? null
    : `version ${theirs}, this CLI is ${VERSION}`;
}

/** The human table: one row per instance, columns padded. */
function formatTable(entries: ListEntry[]): string {
  const rows = [
    // New columns go after the old ones: scripts pick columns by position.
    [
      "INSTANCE",
      "STATUS",
      "PID",
      "PORT",
      "URL",
      "CLIENTS",
      "LEASES",
      "SOCKET",
      "NOTE",
    ],
    ...entries.map((e) => [
      e.instance,
      e.status,
      e.pid === null ? "-" : String(e.pid),
      e.port === null ? "-" : String(e.port),
      e.url ?? "-",
      e.clients === null ? "-" : String(e.clients),
      e.leases === null ? "-" : String(e.leases),
      e.socket ?? "-",
      e.reason ?? "",
    ]),
  ];
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]))
      .join("  ").trimEnd()
  ).join("\n");
}

/**
 * Watching the instances of a state directory (`discover --watch`): one
 * {@linkcode InstanceChange} per change of any instance: its files
 * `appeared`, it became `ready`, it is `draining`, it is `gone`, it `moved`
 * to another port. Woken by the same directory watch that `--wait` uses
 * ({@linkcode StateDirWatch}), with a slow poll as the fallback: a runtime
 * killed with SIGKILL leaves its files in place (only its lock goes, which
 * no directory watch reports), so the poll is what notices it.
 *
 * @module
 */

import type { DiscoverHost } from "./host.ts";
import { type InspectPlan, listInstances } from "../shared/verdict.ts";
import { ChangeSignal, StateDirWatch } from "./wait.ts";

/** How often the watch re-checks without a directory event, in ms. */
const WATCH_POLL_MS = 1000;

/** The kinds of change. */
export type ChangeKind = "appeared" | "ready" | "draining" | "gone" | "moved";

/** One change of one instance. */
export interface InstanceChange {
  /** What happened. */
  event: ChangeKind;
  /** The instance name. */
  instance: string;
  /** Its port (the last known one for `gone`), or `null`. */
  port: number | null;
  /** Its HTTP URL, or `null`. */
  url: string | null;
  /** Its WebSocket URL, or `null`. */
  wsUrl: string | null;
  /** The run id of the run concerned, or `null` when not known. */
  runId: string | null;
  /** The pid of the run concerned, or `null` when not known. */
  pid: number | null;
  /** For `moved`: the port of the previous run. */
  from?: number;
  /** For `gone` (and `draining`): why, in one clause. */
  reason?: string;
}

/** What the watch remembers of an instance between two checks. */
export interface Seen {
  /** Where it is in its life. */
  phase: "starting" | "live" | "draining" | "stale";
  /** Its port, when known. */
  port: number | null;
  /** Its HTTP URL, when known. */
  url: string | null;
  /** Its WebSocket URL, when known. */
  wsUrl: string | null;
  /** Its run id, when known. */
  runId: string | null;
  /** Its pid, when known. */
  pid: number | null;
}

/**
 * Watches the plan's state directory until `signal` aborts, calling
 * `onChange` for every change. The first check reports what is there
 * already: `ready` for live instances, `appeared` for starting ones.
 *
 * @param pollMs The fallback re-check interval (default {@linkcode WATCH_POLL_MS}).
 */
export async function watchInstances(
  host: DiscoverHost,
  plan: InspectPlan,
  onChange: (change: InstanceChange) => void,
  signal: AbortSignal,
  pollMs: number = WATCH_POLL_MS,
): Promise<void> {
  const change = new ChangeSignal();
  const wake = () => change.notify();
  signal.addEventListener("abort", wake, { once: true });
  const watch = new StateDirWatch(host, plan.stateDir, wake);
  let seen = new Map<string, Seen>();
  let first = true;
  const lastPort = new Map<string, number>();
  try {
    while (!signal.aborted) {
      await watch.refresh();
      change.reset();
      const now = await snapshot(host, plan);
      if (signal.aborted) break;
      const { changes, next } = diffInstances(seen, now, lastPort);
      for (const c of changes) {
        // What is live already at the start is simply `ready`.
        const already = first && c.event === "appeared" &&
          next.get(c.instance)?.phase === "live";
        if (!already) onChange(c);
      }
      seen = next;
      first = false;
      await change.wait(pollMs);
    }
  } finally {
    signal.removeEventListener("abort", wake);
    watch.close();
    change.reset();
  }
}

/** Every instance of the directory now, by name (stopped ones left out). */
async function snapshot(
  host: DiscoverHost,
  plan: InspectPlan,
): Promise<Map<string, Seen>> {
  const statuses = await listInstances(host, plan);
  const now = new Map<string, Seen>();
  for (const s of statuses) {
    if (s.state === "stopped") continue;
    // Another machine's loopback URL is never handed out here (SPEC 2).
    const local = s.state !== "elsewhere";
    const base = {
      port: local ? s.port ?? null : null,
      url: local ? s.url ?? null : null,
      wsUrl: local ? s.wsUrl ?? null : null,
      runId: s.state === "live"
        ? s.health?.runId ?? s.info?.runId ?? null
        : s.info?.runId ?? null,
      pid: s.info?.pid ?? null,
    };
    const phase = s.state === "live" || s.state === "incompatible" ||
        s.state === "elsewhere"
      ? "live"
      : s.state === "starting"
      ? (s.port === undefined && s.info === undefined ? "draining" : "starting")
      : s.state === "draining"
      ? "draining"
      : "stale";
    now.set(s.instance, { phase, ...base });
  }
  return now;
}

/**
 * The changes from `before` to `after` (two snapshots by instance name).
 * `lastPort` holds the port of each instance's last live run (for
 * `moved`); it is updated.
 *
 * @returns The changes, and `after` as the next check must remember it
 * (a draining run keeps its last known port and URL).
 * A held lock without files is `starting` for an instance not seen before
 * and `draining` for one that was live (its files go first in a drain).
 */
export function diffInstances(
  before: ReadonlyMap<string, Seen>,
  after: ReadonlyMap<string, Seen>,
  lastPort: Map<string, number>,
): { changes: InstanceChange[]; next: Map<string, Seen> } {
  const changes: InstanceChange[] = [];
  const next = new Map<string, Seen>();
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const instance of names) {
    const was = before.get(instance);
    let now = after.get(instance);
    const change = (
      event: ChangeKind,
      s: Seen,
      extra: Partial<InstanceChange> = {},
    ) =>
      changes.push({
        event,
        instance,
        port: s.port,
        url: s.url,
        wsUrl: s.wsUrl,
        runId: s.runId,
        pid: s.pid,
        ...extra,
      });
    // A drain removes the port file, then the metadata, then frees the
    // lock: a run seen live whose files are going is draining. A lock held
    // without files is a start for anything else.
    if (
      now !== undefined &&
      (now.phase === "starting" || now.phase === "draining")
    ) {
      const wasUp = was?.phase === "live" || was?.phase === "draining";
      const sameRun = now.runId === null || now.runId === was?.runId;
      if (wasUp && sameRun) now = { ...was!, phase: "draining" };
      else if (now.phase === "draining" && now.port === null) {
        now = { ...now, phase: "starting" };
      }
    }
    if (now !== undefined) next.set(instance, now);
    const wasAlive = was !== undefined && was.phase !== "stale";
    if (now === undefined || now.phase === "stale") {
      if (wasAlive) {
        change("gone", was, {
          reason: now === undefined
            ? "its files are gone"
            : "it died without removing its files",
        });
      }
      continue;
    }
    if (!wasAlive) change("appeared", now);
    if (now.phase === "live") {
      const sameRun = was?.phase === "live" && was.runId === now.runId;
      if (!sameRun) {
        if (was?.phase === "live") {
          change("gone", was, { reason: "another run took its place" });
        }
        change("ready", now);
        const last = lastPort.get(instance);
        if (last !== undefined && now.port !== null && last !== now.port) {
          change("moved", now, { from: last });
        }
      }
      if (now.port !== null) lastPort.set(instance, now.port);
    } else if (now.phase === "draining" && was?.phase === "live") {
      change("draining", now, { reason: "it is shutting down" });
    } else if (now.phase === "starting" && was?.phase === "live") {
      change("gone", was, { reason: "another run is starting in its place" });
    }
  }
  return { changes, next };
}

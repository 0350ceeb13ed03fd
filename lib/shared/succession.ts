/**
 * Succession: what a start (`serve`, `run`) does about a live owner of its
 * instance that it could take over from (SPEC 3). An owner that is about to
 * exit on its own (`--exit-when-idle`, no lease, no client) is waited for;
 * an idle owner of an older version or of another protocol is asked to shut
 * down and then replaced, with one line; one in use is left alone, with one
 * line that names both versions. Decided here from the verdict and the
 * owner's occupancy (its `GET /info`), so the server's claim and `run`
 * agree.
 *
 * @module
 */

import { directFetch } from "./direct.ts";
import type { RuntimeInfo } from "./instance_files.ts";
import type { Occupancy } from "./occupancy.ts";
import { HEALTH_TIMEOUT_MS, VERSION } from "./config.ts";
import type { Health } from "./health.ts";
import { fetchOccupancy } from "./occupancy.ts";

/**
 * The longest idle time (`--exit-when-idle`, in ms) of an owner that a
 * start waits for rather than calling it running: `run` starts its runtimes
 * with 1 s; an owner that may stay for minutes is a running one.
 */
export const IDLE_EXIT_WAIT_LIMIT_MS = 10_000;

/** What succession needs to know about a live owner. */
export interface LiveOwner {
  /** Its version (`/health` or its record), when known. */
  version?: string;
  /** Whether it speaks another protocol than this program. */
  otherProtocol: boolean;
  /** Its `--exit-when-idle` time in ms (its record), if it has one. */
  exitWhenIdleMs?: number;
}

/**
 * A live owner as a verdict or a discovery found it: where it answers, its
 * record and its `/health` answer (either may be missing).
 */
export interface OwnerRecord {
  /** Its HTTP URL. */
  url: string;
  /** Its `<instance>.json`. */
  info?: RuntimeInfo;
  /** Its `/health` answer. */
  health?: Health;
}

/** The {@linkcode LiveOwner} facts of `owner`. */
export function liveOwner(
  owner: OwnerRecord,
  otherProtocol: boolean,
): LiveOwner {
  return {
    version: owner.health?.version ?? owner.info?.version,
    otherProtocol,
    exitWhenIdleMs: owner.info?.exitWhenIdleMs,
  };
}

/**
 * What a start of this version does about `owner`: asks it for its
 * clients and leases (`GET /info`), then {@linkcode successionOf}.
 */
export async function askSuccession(
  owner: OwnerRecord,
  otherProtocol: boolean,
): Promise<Succession> {
  return successionOf(
    liveOwner(owner, otherProtocol),
    await fetchOccupancy(owner.url, owner.info?.token),
    VERSION,
  );
}

/**
 * Asks an owner that {@linkcode successionOf} would replace to shut down.
 *
 * @returns The one line that says so, or `undefined` when it did not
 * accept (no token in its record, no answer).
 */
export async function replaceOwner(
  info: RuntimeInfo,
  next: Extract<Succession, { kind: "replace" }>,
  protocol?: number,
): Promise<string | undefined> {
  if (!await askShutdown(info, HEALTH_TIMEOUT_MS)) return undefined;
  return replacingMessage(info.instance, info.pid, next, protocol);
}

/**
 * An owner of another version that a start keeps, and why: it is `in-use`
 * (a client or a lease), `newer` than this program, or did not say
 * (`unknown`).
 */
export interface Skew {
  /** The owner's version. */
  theirs: string;
  /** This program's version. */
  ours: string;
  /** Why it is kept. */
  why: "in-use" | "newer" | "unknown";
}

/**
 * What a start does about a live owner:
 * - `keep`: it is the instance's runtime; a `serve` exits 4, `run` uses it
 *   (`versions` when they differ, for the one line that names both);
 * - `wait`: it exits on its own within `withinMs` (idle, `--exit-when-idle`);
 * - `replace`: it is idle and older (or speaks another protocol): ask it to
 *   shut down, then take the instance.
 */
export type Succession =
  | { kind: "keep"; versions?: Skew }
  | { kind: "wait"; withinMs: number }
  | { kind: "replace"; theirs: string; ours: string };

/**
 * Decides what a start of version `ours` does about `owner`, which had
 * `occupancy` (`undefined` when it did not say: it is then kept).
 */
export function successionOf(
  owner: LiveOwner,
  occupancy: Occupancy | undefined,
  ours: string,
): Succession {
  const theirs = owner.version;
  const idle = occupancy !== undefined && occupancy.clients === 0 &&
    occupancy.leases === 0;
  const differs = theirs !== undefined && theirs !== ours;
  if (idle && theirs !== undefined) {
    if (owner.otherProtocol || compareVersions(theirs, ours) < 0) {
      return { kind: "replace", theirs, ours };
    }
  }
  const idleMs = owner.exitWhenIdleMs;
  if (
    idle && idleMs !== undefined && idleMs <= IDLE_EXIT_WAIT_LIMIT_MS &&
    !owner.otherProtocol
  ) {
    return { kind: "wait", withinMs: idleMs };
  }
  if (!differs || theirs === undefined) return { kind: "keep" };
  const why = occupancy === undefined ? "unknown" : idle ? "newer" : "in-use";
  return { kind: "keep", versions: { theirs, ours, why } };
}

/**
 * The line of a start that asked an idle owner of another version to shut
 * down and replaces it.
 *
 * @param protocol The owner's protocol, when it speaks another one.
 */
function replacingMessage(
  instance: string,
  pid: number,
  versions: { theirs: string; ours: string },
  protocol?: number,
): string {
  const what = protocol === undefined
    ? `version ${versions.theirs}`
    : `version ${versions.theirs}, protocol ${protocol}`;
  return `Replacing the idle runtime of instance "${instance}" (pid ${pid}, ${what}) with version ${versions.ours}: asked it to shut down`;
}

/** The clause on an owner of another version that a start keeps. */
export function skewWords(skew: Skew): string {
  const why = skew.why === "in-use"
    ? "in use, so left alone"
    : skew.why === "newer"
    ? "newer, so kept"
    : "it did not say whether it is in use, so left alone";
  return `version ${skew.theirs}, ${why}; this is ${skew.ours}`;
}

/**
 * Orders two versions by SemVer 2.0.0 precedence (section 11): numeric
 * major, minor, patch; a pre-release (`1.2.0-rc.1`) before its release;
 * build metadata (`+...`) ignored. A part that is not a number sorts as 0.
 *
 * @returns Negative when `a` is older, positive when newer, 0 when equal.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core, ...pre] = v.replace(/^v/, "").split("+", 1)[0].split("-");
    return { core: core.split(".").map((n) => Number(n) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre.length === 0 || y.pre.length === 0) {
    return y.pre.length - x.pre.length;
  }
  const xs = x.pre.join("-").split(".");
  const ys = y.pre.join("-").split(".");
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    if (xs[i] === undefined) return -1;
    if (ys[i] === undefined) return 1;
    const [m, n] = [Number(xs[i]), Number(ys[i])];
    const d = /^\d+$/.test(xs[i]) && /^\d+$/.test(ys[i])
      ? m - n
      : xs[i] < ys[i]
      ? -1
      : xs[i] > ys[i]
      ? 1
      : 0;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Asks a runtime to shut down (`POST /control/shutdown` with its token), as
 * `stop` does.
 *
 * @param timeoutMs How long the answer may take, in ms.
 * @returns Whether it accepted (202).
 */
async function askShutdown(
  info: RuntimeInfo,
  timeoutMs: number,
): Promise<boolean> {
  if (info.token === undefined) return false;
  try {
    const res = await directFetch(`${info.url}/control/shutdown`, {
      method: "POST",
      headers: bearer(info),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.status === 202;
  } catch (err) {
    // Nothing answered (TypeError), or not in time (the signal's reason).
    if (err instanceof TypeError || err instanceof DOMException) return false;
    throw err;
  }
}

/** The `Authorization` header for a record's token, if it has one. */
function bearer(info: RuntimeInfo): Record<string, string> {
  return info.token === undefined
    ? {}
    : { Authorization: `Bearer ${info.token}` };
}

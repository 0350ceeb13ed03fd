/**
 * What a discovery tells the user: one line per stale candidate, and the
 * one-line "nothing live" error that names what was tried, the stale
 * candidates skipped, and what to do (exit 1).
 *
 * @module
 */

import { Env, formatMs, SERVICE } from "../shared/config.ts";
import { NotFoundError } from "../shared/errors.ts";
import type { DiscoverOutcome } from "./discover.ts";
import type { InstanceStatus } from "./inspect.ts";
import type { DiscoverPlan } from "./plan.ts";
import { instancePaths } from "../shared/instance_files.ts";

/**
 * How many stale candidates a discovery reports one line each; the rest are
 * counted in one more line, so 300 leftovers never flood a terminal.
 */
export const STALE_REPORT_LIMIT = 3;

/** The line reported for a stale candidate. */
export function staleMessage(
  s: Extract<InstanceStatus, { state: "stale" }>,
): string {
  return `Skipping stale "${s.path}": ${s.reason}`;
}

/**
 * Reports stale candidates: the first {@linkcode STALE_REPORT_LIMIT} with a
 * line each ({@linkcode staleMessage}), then one line with the count of the
 * rest and how to remove them.
 */
export function reportStale(
  stale: readonly Extract<InstanceStatus, { state: "stale" }>[],
  stateDir: string,
  onStale: (message: string, kind: "stale") => void,
  limit: number = STALE_REPORT_LIMIT,
): void {
  for (const s of stale.slice(0, limit)) onStale(staleMessage(s), "stale");
  const more = stale.length - limit;
  if (more > 0) {
    onStale(
      `Skipping ${more} more stale instance${
        more === 1 ? "" : "s"
      } in ${stateDir}; "pryx-core prune" removes them`,
      "stale",
    );
  }
}

/**
 * The "nothing live" error for an outcome: one line naming what was tried,
 * the stale candidates skipped (from {@linkcode staleMessage}), and what to
 * do.
 *
 * @param waitedMs How long the caller waited, in ms, when it waited.
 */
export function notFound(
  outcome: DiscoverOutcome,
  waitedMs?: number,
  stale: readonly string[] = [],
): NotFoundError {
  const what = waitedMs === undefined
    ? "No live runtime found"
    : `No live runtime within ${formatMs(waitedMs)}`;
  if (outcome.overrideFailed !== undefined) {
    return new NotFoundError(
      `${what}: ${
        outcome.tried.join(", ")
      } is not a live ${SERVICE} (${outcome.overrideFailed}); it is final when set: start the runtime there or unset ${Env.apiUrl} and ${Env.wsUrl}`,
    );
  }
  const hint = outcome.incompatible !== undefined
    ? "no runtime that speaks this client's protocol is live"
    : outcome.starting
    ? "its owner holds the lock but is not ready; retry with --wait, or stop it"
    : `start one with "pryx-core serve" or "pryx-core run -- CMD"`;
  const skipped = stale.map((m) => `; ${lowerFirst(m)}`);
  return new NotFoundError(
    `${what}: tried ${outcome.tried.join(", ")}${skipped.join("")}; ${hint}`,
  );
}

/**
 * The line `discover --wait` prints once when nothing is live yet: what it
 * waits for, and for how long.
 *
 * @example
 * ```ts
 * waitingMessage(plan, 30_000);
 * // 'Waiting up to 30 s for instance "runtime" to be live (/home/me/.pryx/runtime.port)'
 * ```
 */
export function waitingMessage(plan: DiscoverPlan, waitMs: number): string {
  const what = plan.source === "override"
    ? `${Env.apiUrl}=${plan.override.url} to answer`
    : `instance "${plan.instance}" to be live (${
      instancePaths(plan.stateDir, plan.instance).port
    }${plan.any ? ", or any other instance there" : ""}${
      plan.probeText === undefined ? "" : `, or ports ${plan.probeText}`
    })`;
  return `Waiting up to ${formatMs(waitMs)} for ${what}`;
}

/** `"Skipping x"` → `"skipping x"`: a message continued inside a sentence. */
function lowerFirst(message: string): string {
  return /^[A-Z][a-z]/.test(message)
    ? message[0].toLowerCase() + message.slice(1)
    : message;
}

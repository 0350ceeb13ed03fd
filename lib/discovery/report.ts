/**
 * What a discovery tells the user: one line per stale candidate, and the
 * one-line "nothing live" error that names what was tried, the stale
 * candidates skipped, and what to do (exit 1).
 *
 * @module
 */

import { formatMs } from "../shared/config.ts";
import { NotFoundError } from "../shared/errors.ts";
import type { DiscoverOutcome } from "./discover.ts";
import type { InstanceStatus } from "./inspect.ts";

/** The line reported for a stale candidate. */
export function staleMessage(
  s: Extract<InstanceStatus, { state: "stale" }>,
): string {
  return `Skipping stale "${s.path}": ${s.reason}`;
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
  const hint = outcome.starting
    ? "its owner holds the lock but is not ready; retry with --wait, or stop it"
    : `start one with "pryx-core serve" or "pryx-core run -- CMD"`;
  const skipped = stale.map((m) => `; ${m[0].toLowerCase()}${m.slice(1)}`);
  return new NotFoundError(
    `${what}: tried ${outcome.tried.join(", ")}${skipped.join("")}; ${hint}`,
  );
}

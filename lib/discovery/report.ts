/**
 * The words of the discovery side, made in one place from typed values: a
 * {@linkcode Verdict} in one clause, the line for a skipped candidate, the
 * one-line "nothing live" error that names what was tried, what was skipped
 * and what to do (exit 1), and the line a wait prints. No code decides
 * anything on these words.
 *
 * @module
 */

import { Env, formatMs, SERVICE } from "../shared/config.ts";
import { NotFoundError } from "../shared/errors.ts";
import type { Health } from "../shared/health.ts";
import { instancePaths, type StartFailure } from "../shared/instance_files.ts";
import { PROTOCOL } from "../shared/protocol.ts";
import type { Verdict, VerdictOf } from "../shared/verdict.ts";
import type { DiscoverOutcome, OverrideMiss } from "./outcome.ts";
import type { DiscoverPlan } from "./plan.ts";

/**
 * How many stale candidates a discovery reports one line each; the rest are
 * counted in one more line, so 300 leftovers never flood a terminal.
 */
const STALE_REPORT_LIMIT = 3;

/**
 * Why a runtime that answered `/health` cannot be used by this client: it
 * speaks another protocol (or predates the field).
 *
 * @returns One clause naming both protocols and what to do.
 */
export function protocolWords(
  url: string,
  health: Health,
  protocol: number = PROTOCOL,
): string {
  const theirs = health.protocol === undefined
    ? "no protocol version (an older pryx-core)"
    : `protocol ${health.protocol}`;
  return `${url} speaks ${theirs}, this client speaks ${protocol}: upgrade the older side, or stop that runtime ("pryx-core stop") so a current one can start`;
}

/**
 * The clause that says where a record of another machine lives, e.g.
 * `it is live on machine box (pid 42), not this one`.
 */
export function elsewhereWords(v: VerdictOf<"elsewhere">): string {
  const base =
    `it is live on machine ${v.machine} (pid ${v.info.pid}), not this one: its loopback URL does not reach it from here`;
  return v.socketHealth === undefined
    ? base
    : `${base}; its socket ${v.socket} does ("pryx-core discover --format socket")`;
}

/** The clause on a live runtime without a socket, for a caller that needs one. */
export function noSocketWords(v: VerdictOf<"live">): string {
  return `it is live at ${v.url} but has no socket (a runtime on Windows or of an older version): use its URL ("pryx-core discover --format url")`;
}

/**
 * The clause on the last start that failed (`<instance>.error`), e.g.
 * `the last start failed (exit 3 at 2026-12-03T14:00:00.000Z): Cannot
 * listen on :8080: ...`, naming the instance when given: what `list`,
 * `discover` and `doctor` say.
 */
export function startFailureWords(
  failure: StartFailure,
  instance?: string,
): string {
  const of = instance === undefined ? "" : ` of instance "${instance}"`;
  return `the last start${of} failed (exit ${failure.exitCode} at ${failure.at}): ${failure.message}`;
}

/**
 * One clause on a verdict: why it is in its state, for `list`'s note, the
 * stale line and `stop`. `undefined` for a live instance (nothing to say).
 */
export function verdictReason(v: Verdict): string | undefined {
  const owner = "info" in v && v.info !== undefined
    ? `its owner pid ${v.info.pid}`
    : "its owner";
  switch (v.state) {
    case "live":
      return undefined;
    case "stopped":
      return v.lastFailure === undefined
        ? "no port file"
        : startFailureWords(v.lastFailure);
    case "starting":
      return v.port === undefined && v.info === undefined
        ? "the lock is held, no port file yet"
        : "no port file yet";
    case "draining":
      return `${v.url} is shutting down`;
    case "incompatible":
      return protocolWords(v.url, v.health);
    case "elsewhere":
      return elsewhereWords(v);
    case "hung":
    case "stale":
      switch (v.cause.kind) {
        case "lock-free":
          return `the lock is free: ${owner} is gone`;
        case "bad-json":
          return "it is not valid instance metadata";
        case "bad-port":
          return "it does not hold a port number";
        case "ports-disagree":
          return `it says port ${v.cause.filePort} but ${
            v.path.replace(/\.port$/, ".json")
          } says ${v.cause.jsonPort}`;
        case "health":
          return v.cause.why;
        case "other-run":
          return `${v.url} is another run (pid ${v.cause.health.pid}), not ${owner}`;
      }
  }
}

/** A verdict that a discovery skips. */
type Skipped = VerdictOf<
  "stale" | "hung" | "incompatible" | "elsewhere" | "live"
>;

/**
 * What is skipped and why, to follow "skipping": `stale "PATH": why` or
 * `"PATH": why`.
 */
export function skipClause(v: Skipped): string {
  if (v.state === "live") return `"${v.path}": ${noSocketWords(v)}`;
  return v.state === "stale" || v.state === "hung"
    ? `stale "${v.path}": ${verdictReason(v)}`
    : `"${v.path}": ${verdictReason(v)}`;
}

/**
 * The line reported for a candidate that is skipped: stale files, a live
 * runtime of another protocol, one of another machine, or a live one
 * without the socket the caller needs.
 */
export function skipMessage(v: Skipped): string {
  return `Skipping ${skipClause(v)}`;
}

/**
 * The line for a verdict that `run` cannot use and must not replace (its
 * owner holds the instance: another start would exit 4).
 */
export function cannotUseMessage(v: Verdict): string {
  return `Cannot use "${v.path}": ${verdictReason(v) ?? "it is live"}`;
}

/** The clause on a URL override that is not usable. */
function overrideWords(miss: OverrideMiss): string {
  return miss.kind === "down" ? miss.why : protocolWords(miss.url, miss.health);
}

/**
 * The line on a URL override that is not live, for whatever obeys it
 * (`discover`, the client module's `getApiUrl()`, `waitForRuntime()`,
 * `connect()`): names it and how to clear it.
 */
export function overrideMessage(miss: OverrideMiss): string {
  return `${Env.apiUrl}=${miss.url} is not a live ${SERVICE} (${
    overrideWords(miss)
  }); it is final when set: start the runtime there or clear it with "unset ${Env.apiUrl} ${Env.wsUrl}"`;
}

/**
 * Reports skipped candidates: the first {@linkcode STALE_REPORT_LIMIT}
 * stale ones with a line each ({@linkcode skipMessage}), then one line with
 * the count of the rest and how to remove them.
 */
export function reportStale(
  stale: readonly VerdictOf<"stale" | "hung">[],
  stateDir: string,
  onStale: (message: string, kind: "stale") => void,
  limit: number = STALE_REPORT_LIMIT,
): void {
  for (const s of stale.slice(0, limit)) onStale(skipMessage(s), "stale");
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
 * the candidates skipped, and what to do; the hint comes from the verdict
 * on the named instance.
 *
 * @param waitedMs How long the caller waited, in ms, when it waited.
 * @param stale The lines of the candidates skipped, to carry in the line.
 */
export function notFound(
  outcome: Extract<DiscoverOutcome, { runtime?: undefined }>,
  waitedMs?: number,
  stale: readonly string[] = [],
): NotFoundError {
  const what = waitedMs === undefined
    ? "No live runtime found"
    : `No live runtime within ${formatMs(waitedMs)}`;
  const { miss } = outcome;
  if (miss.source === "override") {
    return new NotFoundError(`${what}: ${overrideMessage(miss.override)}`);
  }
  const hint = nextStep(miss.named);
  const skipped = stale.map((m) => `; ${lowerFirst(m)}`);
  return new NotFoundError(
    `${what}: tried ${outcome.tried.join(", ")}${skipped.join("")}; ${hint}`,
  );
}

/** What to do when the named instance is in state `v` and nothing is live. */
function nextStep(v: Verdict): string {
  switch (v.state) {
    case "incompatible":
      return "no runtime that speaks this client's protocol is live";
    case "elsewhere":
      return `instance "${v.instance}" is live on machine ${v.machine}, not this one: start one here under another name ("pryx-core serve --instance NAME") or another state directory (PRYX_HOME)`;
    case "starting":
    case "hung":
    case "draining":
      return "its owner holds the lock but is not ready; retry with --wait, or stop it";
    case "stale":
      if (v.lockHeld === true) {
        return "its owner holds the lock but is not ready; retry with --wait, or stop it";
      }
      break;
    case "stopped":
      if (v.lastFailure !== undefined) {
        return startFailureWords(v.lastFailure, v.instance);
      }
  }
  return `start one with "pryx-core serve" or "pryx-core run -- CMD"`;
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

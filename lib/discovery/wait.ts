/**
 * Waiting for a runtime: repeats a discovery on every change in the state
 * directory (a directory watch, with a slow poll as the fallback), so a
 * waiter reacts within milliseconds of the port file appearing without a
 * busy loop. Also the short grace for an instance whose owner is starting.
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import {
  discoverOnce,
  type DiscoverOutcome,
  reportingOnce,
  type SkipReporter,
} from "./discover.ts";
import type { DiscoverHost } from "./host.ts";
import { ownerHolds } from "../shared/verdict.ts";
import { parentDir } from "../shared/parent_dir.ts";
import type { DiscoverPlan } from "./plan.ts";

/** How often a wait re-checks when no file-system event arrives, in ms. */
const WAIT_POLL_MS = 200;

/** How long a discovery waits for an instance whose owner is starting, in ms. */
export const STARTING_GRACE_MS = 2000;

/**
 * {@linkcode discoverOnce}, but when the named instance's lock is held and
 * its files do not check out yet (a server starting or restarting right
 * now), waits up to `graceMs` for it instead of answering "nothing live".
 */
export async function discoverSettled(
  host: DiscoverHost,
  plan: DiscoverPlan,
  onStale: SkipReporter = () => {},
  graceMs: number = STARTING_GRACE_MS,
): Promise<DiscoverOutcome> {
  const reportOnce = reportingOnce(onStale);
  const outcome = await discoverOnce(host, plan, reportOnce);
  if (
    outcome.runtime !== undefined || outcome.miss.source !== "state" ||
    !ownerHolds(outcome.miss.named)
  ) return outcome;
  return await waitForDiscovery(host, plan, graceMs, reportOnce);
}

/**
 * Repeats {@linkcode discoverOnce} until a runtime is live, `timeoutMs`
 * passes or `signal` aborts. It re-runs on every change in the state
 * directory (or, while that does not exist yet, in its nearest existing
 * ancestor) and every {@linkcode WAIT_POLL_MS} as a fallback. Each distinct
 * stale message is reported once.
 */
export async function waitForDiscovery(
  host: DiscoverHost,
  plan: DiscoverPlan,
  timeoutMs: number,
  onStale: SkipReporter = () => {},
  signal?: AbortSignal,
  pollMs: number = WAIT_POLL_MS,
): Promise<DiscoverOutcome> {
  const deadline = monotonicNow() + timeoutMs;
  const reportOnce = reportingOnce(onStale);
  const change = new ChangeSignal();
  const wake = () => change.notify();
  signal?.addEventListener("abort", wake, { once: true });
  const watch = plan.source === "state"
    ? new StateDirWatch(host, plan.stateDir, wake)
    : undefined;
  try {
    for (;;) {
      await watch?.refresh();
      change.reset();
      const outcome = await discoverOnce(host, plan, reportOnce);
      const left = deadline - monotonicNow();
      if (outcome.runtime !== undefined || left <= 0 || signal?.aborted) {
        return outcome;
      }
      await change.wait(Math.min(pollMs, left));
    }
  } finally {
    signal?.removeEventListener("abort", wake);
    watch?.close();
    change.reset();
  }
}

/**
 * A watch of a state directory: calls `onChange` on every change in it, or,
 * while it does not exist yet, in its nearest existing ancestor (so its
 * creation is seen too). {@linkcode refresh} moves the watch to the right
 * directory; where the host cannot watch, nothing is called and the
 * caller's poll does the work.
 */
export class StateDirWatch {
  readonly #host: DiscoverHost;
  readonly #stateDir: string;
  readonly #onChange: () => void;
  #watcher: { close(): void } | undefined;
  #watched: string | undefined;
  #closed = false;

  /** Creates the watch; nothing is watched before {@linkcode refresh}. */
  constructor(host: DiscoverHost, stateDir: string, onChange: () => void) {
    this.#host = host;
    this.#stateDir = stateDir;
    this.#onChange = onChange;
  }

  /** Watches the state directory, or its nearest existing ancestor. */
  async refresh(): Promise<void> {
    if (this.#host.watch === undefined || this.#closed) return;
    const dir = await nearestExisting(this.#host, this.#stateDir);
    if (dir === this.#watched || this.#closed) return;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watched = dir;
    try {
      this.#watcher = this.#host.watch(dir, this.#onChange);
    } catch {
      // Unwatchable (permissions, limits): polling still works.
    }
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

/** The nearest existing directory at or above `dir`. */
async function nearestExisting(
  host: DiscoverHost,
  dir: string,
): Promise<string> {
  let current = dir;
  for (;;) {
    if (await host.exists(current)) return current;
    const up = parentDir(current);
    if (up === undefined) return ".";
    current = up;
  }
}

/**
 * A wake-up that also remembers a change that came before anyone waited:
 * `wait(ms)` resolves on the next `notify()` or after `ms`, whichever is
 * first; `reset()` forgets the change and clears the timer.
 */
export class ChangeSignal {
  #changed = false;
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Wakes the waiter, or the next one. */
  notify(): void {
    this.#changed = true;
    this.#wake?.();
  }

  /** Forgets a past change and cancels the pending wait's timer. */
  reset(): void {
    this.#changed = false;
    clearTimeout(this.#timer);
    this.#wake = undefined;
  }

  /** Resolves on a change (also one before the call) or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#changed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

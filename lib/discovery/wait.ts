/**
 * Waiting for a runtime: repeats a discovery on every change in the state
 * directory (a directory watch, with a slow poll as the fallback), so a
 * waiter reacts within milliseconds of the port file appearing without a
 * busy loop. Also the short grace for an instance whose owner is starting.
 *
 * @module
 */

import { discoverOnce, type DiscoverOutcome } from "./discover.ts";
import type { DiscoverHost } from "./host.ts";
import type { DiscoverPlan } from "./plan.ts";

/** How often a wait re-checks when no file-system event arrives, in ms. */
export const WAIT_POLL_MS = 200;

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
  onStale: (message: string) => void = () => {},
  graceMs: number = STARTING_GRACE_MS,
): Promise<DiscoverOutcome> {
  const reportOnce = once(onStale);
  const outcome = await discoverOnce(host, plan, reportOnce);
  if (outcome.runtime !== undefined || !outcome.starting) return outcome;
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
  onStale: (message: string) => void = () => {},
  signal?: AbortSignal,
): Promise<DiscoverOutcome> {
  const deadline = Date.now() + timeoutMs;
  const reportOnce = once(onStale);
  const change = new ChangeSignal();
  const wake = () => change.notify();
  signal?.addEventListener("abort", wake, { once: true });
  let watcher: { close(): void } | undefined;
  let watched: string | undefined;
  try {
    for (;;) {
      if (plan.source === "state" && host.watch !== undefined) {
        const dir = await nearestExisting(host, plan.stateDir);
        if (dir !== watched) {
          watcher?.close();
          watcher = undefined;
          watched = dir;
          try {
            watcher = host.watch(dir, wake);
          } catch {
            // Unwatchable (permissions, limits): polling still works.
          }
        }
      }
      change.reset();
      const outcome = await discoverOnce(host, plan, reportOnce);
      const left = deadline - Date.now();
      if (outcome.runtime !== undefined || left <= 0 || signal?.aborted) {
        return outcome;
      }
      await change.wait(Math.min(WAIT_POLL_MS, left));
    }
  } finally {
    signal?.removeEventListener("abort", wake);
    watcher?.close();
    change.reset();
  }
}

/** `report`, called at most once per distinct message. */
function once(report: (message: string) => void): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    report(message);
  };
}

/** The nearest existing directory at or above `dir`. */
async function nearestExisting(
  host: DiscoverHost,
  dir: string,
): Promise<string> {
  let current = dir;
  for (;;) {
    if (await host.exists(current)) return current;
    const cut = current.replace(/[\\/]+$/, "").search(/[\\/][^\\/]*$/);
    if (cut < 0) return ".";
    if (cut === 0) return current[0];
    current = current.slice(0, cut);
  }
}

/** A wake-up that also remembers a change that came before anyone waited. */
class ChangeSignal {
  #changed = false;
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  notify(): void {
    this.#changed = true;
    this.#wake?.();
  }

  reset(): void {
    this.#changed = false;
    clearTimeout(this.#timer);
    this.#wake = undefined;
  }

  wait(ms: number): Promise<void> {
    if (this.#changed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

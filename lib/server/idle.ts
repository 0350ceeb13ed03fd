/**
 * The idle exit (`serve --exit-when-idle DURATION`): a runtime started on
 * demand stops once it has had no lease and no WebSocket client for
 * DURATION. A lease lives on a connection, so "no client" covers "no
 * lease" too. One timer, armed when the last client goes (and at start, so
 * a runtime nobody ever connects to still goes) and cancelled when one
 * comes: nothing polls.
 *
 * @module
 */

import type { Occupancy } from "../shared/occupancy.ts";

/** The clock the watch arms its timer on. */
export interface Timers {
  /** Calls `fn` after `ms` milliseconds. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels what {@linkcode set} returned. */
  clear(id: unknown): void;
}

const REAL_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(id as number),
};

/** A running idle watch. */
export interface IdleWatch {
  /** Tells the watch how many clients and leases there are now. */
  update(occupancy: Occupancy): void;
  /** Cancels the timer for good (at the start of the drain). */
  stop(): void;
}

/**
 * Starts watching for idleness: `onIdle` is called once, after `idleMs`
 * milliseconds without a client. The timer is armed at once.
 *
 * @param idleMs How long the runtime may be idle, in ms (more than 0).
 * @param onIdle Called once when the time has passed.
 * @param timers The clock (default `setTimeout` / `clearTimeout`), a
 * parameter so a test can drive it.
 */
export function watchIdle(
  idleMs: number,
  onIdle: () => void,
  timers: Timers = REAL_TIMERS,
): IdleWatch {
  let timer: unknown;
  let done = false;
  const arm = () => {
    if (timer !== undefined || done) return;
    timer = timers.set(() => {
      timer = undefined;
      done = true;
      onIdle();
    }, idleMs);
  };
  const cancel = () => {
    if (timer === undefined) return;
    timers.clear(timer);
    timer = undefined;
  };
  arm();
  return {
    update(occupancy) {
      if (occupancy.clients === 0 && occupancy.leases === 0) arm();
      else cancel();
    },
    stop() {
      done = true;
      cancel();
    },
  };
}

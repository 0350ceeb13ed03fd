/**
 * The clock of every timeout, deadline and debounce: monotonic
 * (`performance.now()`, High Resolution Time, W3C), so a wall-clock step
 * (an NTP correction, a resumed VM or laptop, WSL's clock sync) changes no
 * wait (SPEC 2). `Date.now()` is for timestamps a person reads only.
 *
 * @module
 */

/** Milliseconds on a monotonic clock; only differences mean anything. */
export type MonotonicClock = () => number;

/** The monotonic clock of this process, in ms. */
export const monotonicNow: MonotonicClock = () => performance.now();

/**
 * A deadline `ms` from now on `clock`: `left()` is what remains in ms (0
 * once passed), `passed()` whether it has.
 *
 * @example
 * ```ts
 * const d = deadlineIn(5000);
 * while (!d.passed()) await step(d.left());
 * ```
 */
export function deadlineIn(
  ms: number,
  clock: MonotonicClock = monotonicNow,
): { left(): number; passed(): boolean } {
  const end = clock() + ms;
  return {
    left: () => Math.max(end - clock(), 0),
    passed: () => clock() >= end,
  };
}

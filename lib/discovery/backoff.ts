/**
 * Capped exponential backoff with full jitter, for reconnecting clients:
 * the n-th consecutive failure waits a random time in `[0, min(maxMs,
 * initialMs * 2^(n-1)))`. Full jitter spreads clients that lost the same
 * runtime at the same moment, so they do not all come back at once (AWS
 * Architecture Blog, "Exponential Backoff And Jitter", 2015).
 *
 * @module
 */

/** The first delay's upper bound, in ms. */
export const BACKOFF_INITIAL_MS = 50;

/** The cap of every delay, in ms. */
export const BACKOFF_MAX_MS = 2000;

/** The shape of a backoff. */
export interface Backoff {
  /** The first delay's upper bound, in ms (default {@linkcode BACKOFF_INITIAL_MS}). */
  initialMs?: number;
  /** The cap, in ms (default {@linkcode BACKOFF_MAX_MS}). */
  maxMs?: number;
}

/**
 * The delay before the next attempt after `failures` consecutive failures.
 *
 * @param failures Consecutive failures so far (0: no delay).
 * @param random A number in `[0, 1)` (default `Math.random()`).
 * @returns Milliseconds, in `[0, min(maxMs, initialMs * 2^(failures-1)))`.
 *
 * @example
 * ```ts
 * backoffDelay(1, {}, 0.5); // 25
 * backoffDelay(10, {}, 0.5); // 1000 (the cap is 2000)
 * ```
 */
export function backoffDelay(
  failures: number,
  backoff: Backoff = {},
  random: number = Math.random(),
): number {
  if (failures <= 0) return 0;
  const initial = backoff.initialMs ?? BACKOFF_INITIAL_MS;
  const max = backoff.maxMs ?? BACKOFF_MAX_MS;
  // 2^30 already passes any sane cap: no overflow to Infinity.
  const ceiling = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
  return Math.floor(random * ceiling);
}

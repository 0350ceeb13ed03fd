/**
 * Unit tests of the reconnect backoff: capped, exponential, full jitter.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BACKOFF_INITIAL_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
} from "../../lib/discovery/backoff.ts";

Deno.test("no failure means no delay", () => {
  assert.deepStrictEqual(backoffDelay(0, {}, 0.99), 0);
});

Deno.test("the delay's ceiling doubles from 50 ms per failure up to the 2 s cap", () => {
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) =>
    backoffDelay(n, {}, 0.999999) + 1
  );
  assert.deepStrictEqual(ceilings, [
    50,
    100,
    200,
    400,
    800,
    1600,
    2000,
    2000,
    2000,
  ]);
  assert.deepStrictEqual(BACKOFF_INITIAL_MS, 50);
  assert.deepStrictEqual(BACKOFF_MAX_MS, 2000);
});

Deno.test("full jitter: the delay is spread over [0, ceiling)", () => {
  assert.deepStrictEqual(backoffDelay(3, {}, 0), 0);
  assert.deepStrictEqual(backoffDelay(3, {}, 0.5), 100);
  const delays = Array.from({ length: 1000 }, () => backoffDelay(4));
  assert(delays.every((d) => d >= 0 && d < 400));
  assert(new Set(delays).size > 50, "the delays vary");
});

Deno.test("a custom backoff sets the first ceiling and the cap", () => {
  assert.deepStrictEqual(
    backoffDelay(10, { initialMs: 10, maxMs: 300 }, 0.999999) + 1,
    300,
  );
  assert.deepStrictEqual(
    backoffDelay(2, { initialMs: 10, maxMs: 300 }, 0.999999) + 1,
    20,
  );
});

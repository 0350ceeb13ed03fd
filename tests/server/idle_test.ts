/**
 * Unit tests of the idle watch (`--exit-when-idle`) on a driven clock.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Timers, watchIdle } from "../../lib/server/idle.ts";

/** A clock the test advances by hand. */
function manualClock() {
  let now = 0;
  let next = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => {
      pending.set(next, { at: now + ms, fn });
      return next++;
    },
    clear: (id) => pending.delete(id as number),
  };
  return {
    timers,
    armed: () => pending.size,
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...pending]) {
        if (t.at <= now) {
          pending.delete(id);
          t.fn();
        }
      }
    },
  };
}

Deno.test("the idle watch fires after the idle time from start when nobody comes", () => {
  const clock = manualClock();
  let fired = 0;
  watchIdle(1000, () => fired++, clock.timers);
  clock.advance(999);
  assert.deepStrictEqual(fired, 0);
  clock.advance(1);
  assert.deepStrictEqual(fired, 1);
  assert.deepStrictEqual(clock.armed(), 0);
});

Deno.test("the idle watch cancels its timer while a client or lease is there and re-arms when the last goes", () => {
  const clock = manualClock();
  let fired = 0;
  const watch = watchIdle(1000, () => fired++, clock.timers);
  clock.advance(500);
  watch.update({ clients: 1, leases: 1 });
  assert.deepStrictEqual(clock.armed(), 0, "no timer while busy");
  clock.advance(5000);
  assert.deepStrictEqual(fired, 0);
  watch.update({ clients: 2, leases: 1 });
  watch.update({ clients: 1, leases: 0 });
  assert.deepStrictEqual(clock.armed(), 0);
  watch.update({ clients: 0, leases: 0 });
  watch.update({ clients: 0, leases: 0 });
  assert.deepStrictEqual(clock.armed(), 1, "one timer, not one per update");
  clock.advance(999);
  assert.deepStrictEqual(fired, 0);
  clock.advance(1);
  assert.deepStrictEqual(fired, 1);
});

Deno.test("a stopped idle watch never fires", () => {
  const clock = manualClock();
  let fired = 0;
  const watch = watchIdle(1000, () => fired++, clock.timers);
  watch.stop();
  watch.update({ clients: 0, leases: 0 });
  clock.advance(5000);
  assert.deepStrictEqual(fired, 0);
  assert.deepStrictEqual(clock.armed(), 0);
});

/**
 * Deadlines run on a monotonic clock (`lib/shared/clock.ts`): a wall-clock
 * step of an hour either way during a wait (NTP, a resumed VM, WSL's clock
 * sync) changes nothing. The waits are run with `Date.now` stepped.
 *
 * @module
 */

import assert from "node:assert/strict";
import { deadlineIn } from "../../lib/shared/clock.ts";
import { denoHost } from "../../lib/discovery/host.ts";
import { planDiscovery } from "../../lib/discovery/plan.ts";
import { waitForDiscovery } from "../../lib/discovery/wait.ts";
import { acquireInstanceLock } from "../../lib/shared/lock.ts";
import { envFromRecord } from "../../lib/shared/config.ts";

const HOUR_MS = 3_600_000;

/** Runs `body` while `Date.now` is `step` ms off from the real clock. */
async function withWallClockStep<T>(
  step: number,
  body: () => Promise<T>,
): Promise<T> {
  const real = Date.now;
  const startedAt = real();
  // The step lands 20 ms into the wait.
  Date.now = () => real() + (real() - startedAt > 20 ? step : 0);
  try {
    return await body();
  } finally {
    Date.now = real;
  }
}

Deno.test("deadlineIn counts on the clock it is given", () => {
  let now = 1000;
  const d = deadlineIn(50, () => now);
  assert.equal(d.left(), 50);
  now += 49;
  assert.equal(d.passed(), false);
  now += 1;
  assert.equal(d.passed(), true);
  assert.equal(d.left(), 0);
});

for (const step of [HOUR_MS, -HOUR_MS]) {
  Deno.test(`discover --wait's wait lasts its timeout when the wall clock steps ${step > 0 ? "forward" : "back"} an hour`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const host = { ...denoHost(), env: envFromRecord({ PRYX_HOME: dir }) };
      const plan = planDiscovery(host.env, {});
      const started = performance.now();
      const outcome = await withWallClockStep(
        step,
        () => waitForDiscovery(host, plan, 300, () => {}, undefined, 50),
      );
      const waited = performance.now() - started;
      assert.equal(outcome.runtime, undefined);
      assert(waited >= 290 && waited < 5000, `waited ${waited} ms`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`the lock retry gives up on time when the wall clock steps ${step > 0 ? "forward" : "back"} an hour`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/runtime.lock`;
    const held = await acquireInstanceLock(path);
    assert(held !== undefined);
    try {
      const started = performance.now();
      const second = await withWallClockStep(
        step,
        () => acquireInstanceLock(path, { retryMs: 200 }),
      );
      const waited = performance.now() - started;
      assert.equal(second, undefined);
      assert(waited >= 150 && waited < 5000, `waited ${waited} ms`);
    } finally {
      held.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/**
 * Unit tests of the change detection of `discover --watch`
 * ({@linkcode diffInstances}), on hand-made snapshots.
 *
 * @module
 */

import assert from "node:assert/strict";
import { diffInstances, type Seen } from "../../lib/discovery/watch.ts";

function seen(
  phase: Seen["phase"],
  port: number | null,
  runId: string | null,
): Seen {
  return {
    phase,
    port,
    url: port === null ? null : `http://127.0.0.1:${port}`,
    wsUrl: port === null ? null : `ws://127.0.0.1:${port}/ws`,
    runId,
    pid: runId === null ? null : 1,
  };
}

/** Runs snapshots through the diff in order; returns each step's events. */
function steps(...snapshots: Record<string, Seen>[]): string[][] {
  let before = new Map<string, Seen>();
  const lastPort = new Map<string, number>();
  return snapshots.map((snap) => {
    const { changes, next } = diffInstances(
      before,
      new Map(Object.entries(snap)),
      lastPort,
    );
    before = next;
    return changes.map((c) =>
      `${c.event} ${c.instance}${c.from === undefined ? "" : ` from ${c.from}`}`
    );
  });
}

Deno.test("a start and a drain: appeared, ready, draining (files going, lock held), gone", () => {
  assert.deepStrictEqual(
    steps(
      { a: seen("starting", null, null) },
      { a: seen("live", 3000, "r1") },
      { a: seen("starting", 3000, "r1") },
      { a: seen("draining", null, null) },
      {},
    ),
    [["appeared a"], ["ready a"], ["draining a"], [], ["gone a"]],
  );
});

Deno.test("a run that dies without removing its files is gone; its stale files say nothing more", () => {
  assert.deepStrictEqual(
    steps(
      { a: seen("live", 3000, "r1") },
      { a: seen("stale", 3000, "r1") },
      { a: seen("stale", 3000, "r1") },
    ),
    [["appeared a", "ready a"], ["gone a"], []],
  );
});

Deno.test("a restart on another port is ready and moved; on the same port only ready", () => {
  assert.deepStrictEqual(
    steps(
      { a: seen("live", 3000, "r1") },
      {},
      { a: seen("live", 4000, "r2") },
      { a: seen("live", 4000, "r3") },
    ),
    [
      ["appeared a", "ready a"],
      ["gone a"],
      ["appeared a", "ready a", "moved a from 3000"],
      ["gone a", "ready a"],
    ],
  );
});

Deno.test("instances change independently, reported in name order", () => {
  assert.deepStrictEqual(
    steps(
      { b: seen("live", 3001, "rb") },
      { a: seen("live", 3000, "ra"), b: seen("live", 3001, "rb") },
    ),
    [["appeared b", "ready b"], ["appeared a", "ready a"]],
  );
});

/**
 * Tests of lib/shared/iso_time.ts against `Date.prototype.toISOString`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isoTime } from "../../lib/shared/iso_time.ts";

Deno.test("isoTime matches toISOString at calendar edges", () => {
  const edges = [
    "1970-01-01T00:00:00.000Z",
    "1999-12-31T23:59:59.999Z",
    "2000-02-29T12:00:00.001Z",
    "2000-03-01T00:00:00.000Z",
    "2100-02-28T23:59:59.999Z",
    "2100-03-01T00:00:00.000Z",
    "2024-02-29T00:00:00.000Z",
    "2026-11-22T06:00:07.866Z",
    "0001-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59.999Z",
  ];
  for (const text of edges) {
    assert.deepStrictEqual(isoTime(Date.parse(text)), text);
  }
});

Deno.test("isoTime matches toISOString for 200,000 seeded instants", () => {
  let seed = 0x9e3779b9;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const span = Date.parse("9999-12-31T23:59:59.999Z") -
    Date.parse("0001-01-01T00:00:00.000Z");
  const start = Date.parse("0001-01-01T00:00:00.000Z");
  for (let i = 0; i < 200_000; i++) {
    const ms = start + Math.floor(next() * span);
    assert.deepStrictEqual(isoTime(ms), new Date(ms).toISOString());
  }
});

Deno.test("isoTime defaults to now", () => {
  const before = Date.now();
  const text = isoTime();
  const after = Date.now();
  const ms = Date.parse(text);
  assert.deepStrictEqual(ms >= before && ms <= after, true);
});

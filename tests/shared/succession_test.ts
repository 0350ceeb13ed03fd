/**
 * Unit tests of succession: what a start does about a live owner (wait for
 * an idle exit, replace an idle older one, keep one in use, with the words
 * that name both versions), and SemVer precedence. In process, no runtime.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  compareVersions,
  IDLE_EXIT_WAIT_LIMIT_MS,
  skewWords,
  successionOf,
} from "../../lib/shared/succession.ts";

const idle = { clients: 0, leases: 0 };
const busy = { clients: 1, leases: 1 };

Deno.test("compareVersions follows SemVer precedence", () => {
  const ordered = [
    "0.0.9",
    "0.1.0-alpha",
    "0.1.0-alpha.1",
    "0.1.0-alpha.beta",
    "0.1.0-beta.2",
    "0.1.0-beta.11",
    "0.1.0-rc.1",
    "0.1.0",
    "0.1.1",
    "0.10.0",
    "1.0.0",
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const got = Math.sign(compareVersions(ordered[i], ordered[j]));
      assert.deepStrictEqual(
        got,
        Math.sign(i - j),
        `${ordered[i]} vs ${ordered[j]}`,
      );
    }
  }
  assert.deepStrictEqual(compareVersions("v1.2.3", "1.2.3+build.5"), 0);
});

Deno.test("an idle owner of an older version or another protocol is replaced", () => {
  assert.deepStrictEqual(
    successionOf({ version: "0.0.9", otherProtocol: false }, idle, "0.1.0"),
    { kind: "replace", theirs: "0.0.9", ours: "0.1.0" },
  );
  assert.deepStrictEqual(
    successionOf({ version: "9.0.0", otherProtocol: true }, idle, "0.1.0"),
    { kind: "replace", theirs: "9.0.0", ours: "0.1.0" },
  );
});

Deno.test("an owner in use, newer, or that did not say is kept, and why", () => {
  assert.deepStrictEqual(
    successionOf({ version: "0.0.9", otherProtocol: false }, busy, "0.1.0"),
    {
      kind: "keep",
      versions: { theirs: "0.0.9", ours: "0.1.0", why: "in-use" },
    },
  );
  assert.deepStrictEqual(
    successionOf({ version: "0.2.0", otherProtocol: false }, idle, "0.1.0"),
    {
      kind: "keep",
      versions: { theirs: "0.2.0", ours: "0.1.0", why: "newer" },
    },
  );
  assert.deepStrictEqual(
    successionOf(
      { version: "0.0.9", otherProtocol: false },
      undefined,
      "0.1.0",
    ),
    {
      kind: "keep",
      versions: { theirs: "0.0.9", ours: "0.1.0", why: "unknown" },
    },
  );
  assert.deepStrictEqual(
    successionOf({ version: "0.1.0", otherProtocol: false }, idle, "0.1.0"),
    { kind: "keep" },
  );
  assert.match(
    skewWords({ theirs: "0.0.9", ours: "0.1.0", why: "in-use" }),
    /version 0\.0\.9, in use, so left alone; this is 0\.1\.0/,
  );
});

Deno.test("an idle owner that exits on its own soon is waited for; a busy one or a long idle time is not", () => {
  const owner = {
    version: "0.1.0",
    otherProtocol: false,
    exitWhenIdleMs: 1000,
  };
  assert.deepStrictEqual(successionOf(owner, idle, "0.1.0"), {
    kind: "wait",
    withinMs: 1000,
  });
  assert.deepStrictEqual(successionOf(owner, busy, "0.1.0"), { kind: "keep" });
  assert.deepStrictEqual(
    successionOf(
      { ...owner, exitWhenIdleMs: IDLE_EXIT_WAIT_LIMIT_MS + 1 },
      idle,
      "0.1.0",
    ),
    { kind: "keep" },
  );
});

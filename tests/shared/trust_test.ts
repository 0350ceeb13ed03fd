/**
 * The trust rule of the state directory (`lib/shared/trust.ts`), for every
 * OS branch: another user's path, or one others may write, is refused.
 *
 * @module
 */

import assert from "node:assert/strict";
import { distrustMessage, distrustOf } from "../../lib/shared/trust.ts";

Deno.test("a path of another uid is not trusted, whatever its mode", () => {
  const d = distrustOf(
    "/tmp/pryx",
    { uid: 1234, mode: 0o40700 },
    1000,
    "linux",
  );
  assert.deepStrictEqual(d, {
    kind: "owner",
    path: "/tmp/pryx",
    owner: 1234,
    me: 1000,
  });
  assert.match(
    distrustMessage(d!),
    /^Refusing "\/tmp\/pryx": it belongs to uid 1234, not to you \(uid 1000\)/,
  );
});

Deno.test("a path that group or others may write is not trusted, /tmp's sticky mode included", () => {
  for (const mode of [0o40777, 0o41777, 0o40720, 0o100602]) {
    const d = distrustOf("/x", { uid: 1000, mode }, 1000, "darwin");
    assert.equal(d?.kind, "writable", mode.toString(8));
  }
  const d = distrustOf("/x", { uid: 1000, mode: 0o41777 }, 1000, "linux");
  assert.match(distrustMessage(d!), /mode 1777.*chmod go-w \/x/);
});

Deno.test("a private path of this user is trusted; 0755 and 0644 too (others may read, not write)", () => {
  for (const mode of [0o40700, 0o40755, 0o100600, 0o100644]) {
    assert.equal(
      distrustOf("/x", { uid: 1000, mode }, 1000, "linux"),
      undefined,
    );
  }
});

Deno.test("an unknown uid checks the mode alone; Windows checks nothing", () => {
  assert.equal(
    distrustOf("/x", { uid: 1234, mode: 0o40700 }, undefined, "linux"),
    undefined,
  );
  assert.equal(
    distrustOf("/x", { uid: 1234, mode: 0o40777 }, undefined, "linux")?.kind,
    "writable",
  );
  assert.equal(
    distrustOf("C:\\x", { uid: null, mode: 0o666 }, undefined, "windows"),
    undefined,
  );
  assert.equal(
    distrustOf("C:\\x", { uid: 1234, mode: 0o777 }, 1000, "windows"),
    undefined,
  );
});

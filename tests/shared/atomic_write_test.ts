/**
 * Unit tests of the OS-dependent parts of the atomic writer
 * (lib/shared/atomic_write.ts): the mode check and the rename retry, for
 * every OS branch.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  isTransientRenameError,
  modeIsAsWritten,
  RENAME_RETRY_DELAYS_MS,
  renameWithRetry,
} from "../../lib/shared/atomic_write.ts";

Deno.test("the mode check holds on Linux and macOS and is skipped on Windows, which has no Unix modes", () => {
  for (const os of ["linux", "darwin"] as const) {
    assert(modeIsAsWritten(0o100600, 0o600, os));
    assert(!modeIsAsWritten(0o100644, 0o600, os));
    assert(!modeIsAsWritten(0o100666, 0o600, os));
    assert(modeIsAsWritten(null, 0o600, os), "a file system without modes");
  }
  // Windows reports null, or a mode made from the read-only attribute.
  assert(modeIsAsWritten(null, 0o600, "windows"));
  assert(modeIsAsWritten(0o100666, 0o600, "windows"));
});

Deno.test("a rename over an open file is retried on Windows only, for access-denied and sharing violations", () => {
  const denied = new Deno.errors.PermissionDenied(
    "Access is denied. (os error 5)",
  );
  const sharing = new Error(
    "The process cannot access the file because it is being used by another process. (os error 32)",
  );
  assert(isTransientRenameError(denied, "windows"));
  assert(isTransientRenameError(sharing, "windows"));
  assert(!isTransientRenameError(new Deno.errors.NotFound("x"), "windows"));
  for (const os of ["linux", "darwin"] as const) {
    assert(!isTransientRenameError(denied, os));
    assert(!isTransientRenameError(sharing, os));
  }
});

Deno.test("renameWithRetry succeeds once the holder lets go, and gives up after its bounded delays", () => {
  const sleeps: number[] = [];
  let calls = 0;
  renameWithRetry("a", "b", "windows", RENAME_RETRY_DELAYS_MS, () => {
    if (++calls < 3) throw new Deno.errors.PermissionDenied("(os error 5)");
  }, (ms) => sleeps.push(ms));
  assert.deepStrictEqual(calls, 3);
  assert.deepStrictEqual(sleeps, RENAME_RETRY_DELAYS_MS.slice(0, 2));

  sleeps.length = 0;
  calls = 0;
  assert.throws(
    () =>
      renameWithRetry("a", "b", "windows", [1, 2, 3], () => {
        calls++;
        throw new Deno.errors.PermissionDenied("(os error 5)");
      }, (ms) => sleeps.push(ms)),
    Deno.errors.PermissionDenied,
  );
  assert.deepStrictEqual(calls, 4);
  assert.deepStrictEqual(sleeps, [1, 2, 3]);
  const total = RENAME_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
  assert(total <= 1000, `${total} ms in all`);
});

Deno.test("renameWithRetry does not retry on POSIX, where rename replaces an open file", () => {
  let calls = 0;
  assert.throws(
    () =>
      renameWithRetry("a", "b", "linux", [1], () => {
        calls++;
        throw new Deno.errors.PermissionDenied("(os error 13)");
      }, () => assert.fail("no sleep")),
    Deno.errors.PermissionDenied,
  );
  assert.deepStrictEqual(calls, 1);
});

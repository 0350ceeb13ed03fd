/**
 * Unit tests of the claim's lock when its file goes: `lockInPlace` sees a
 * removed or replaced lock file, and `relock` takes the lock again on a
 * fresh file, in a recreated state directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import { claimInstance } from "../../lib/server/claim.ts";
import { isInstanceLocked } from "../../lib/shared/lock.ts";

Deno.test("a claim notices its lock file removed, and relock takes the lock again in a recreated 0700 directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/state`;
  const claim = await claimInstance(dir, "runtime");
  try {
    assert(claim.lockInPlace());
    Deno.removeSync(dir, { recursive: true });
    assert(!claim.lockInPlace(), "the lock file is gone");
    assert(await claim.relock());
    assert(claim.lockInPlace());
    assertMode(dir, 0o700);
    assert(isInstanceLocked(claim.paths.lock), "held on the new file");
  } finally {
    claim.release();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a claim whose lock file was replaced does not take a lock another holder has", async () => {
  const root = await Deno.makeTempDir();
  const claim = await claimInstance(root, "runtime");
  let other: Deno.FsFile | undefined;
  try {
    Deno.removeSync(claim.paths.lock);
    other = Deno.openSync(claim.paths.lock, {
      read: true,
      write: true,
      create: true,
    });
    assert(other.tryLockSync(true));
    assert(!claim.lockInPlace(), "another file now");
    assert(!await claim.relock(), "someone else owns it");
  } finally {
    other?.close();
    claim.release();
    await Deno.remove(root, { recursive: true });
  }
});

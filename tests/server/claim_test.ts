/**
 * Unit tests of the claim's lock when its file goes: `lockInPlace` sees a
 * removed or replaced lock file, and `relock` takes the lock again on a
 * fresh file, in a recreated state directory; and how long a start waits
 * for a lock holder that does not answer, per OS.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import { claimInstance, lockReleaseGraceMs } from "../../lib/server/claim.ts";
import { AlreadyRunningError } from "../../lib/shared/errors.ts";
import { startImpostor } from "../_harness/impostor.ts";
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

/**
 * A record of an owner that holds the lock (an impostor process) but whose
 * URL answers nothing: what a killed owner looks like while the OS has not
 * released its lock yet.
 */
async function silentOwner(dir: string) {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  const owner = await startImpostor({ lock: `${dir}/runtime.lock` });
  const url = `http://127.0.0.1:${port}`;
  Deno.writeTextFileSync(
    `${dir}/runtime.json`,
    JSON.stringify({
      pid: owner.child.pid,
      port,
      hostname: "127.0.0.1",
      url,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      startedAt: new Date().toISOString(),
      version: "0.1.0",
      instance: "runtime",
      runId: "cd".repeat(16),
      protocol: 1,
      token: "t".repeat(43),
    }),
    { mode: 0o600 },
  );
  Deno.writeTextFileSync(`${dir}/runtime.port`, `${port}\n`, { mode: 0o600 });
  return owner;
}

Deno.test("a silent lock holder is named after a moment on Unix, and waited for on Windows until the OS lets its lock go", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-claim-" });
  try {
    {
      await using _owner = await silentOwner(dir);
      await assert.rejects(
        () => claimInstance(dir, "runtime", () => {}, { os: "linux" }),
        AlreadyRunningError,
      );
    }
    await using owner = await silentOwner(dir);
    // The owner dies while the claim waits (as Windows frees its lock late),
    // later than the Unix grace.
    setTimeout(() => owner.child.kill("SIGKILL"), 600);
    const claim = await claimInstance(dir, "runtime", () => {}, {
      os: "windows",
    });
    claim.release();
    assert(lockReleaseGraceMs("linux") < 1000);
    assert(lockReleaseGraceMs("windows") >= 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Unit tests of the republish keeper on a real claim in a temp directory,
 * with its directory watches and with the timer alone (a system without
 * watches): it puts back what was removed, the whole directory included,
 * but not while the directory is still changing (a removal in progress),
 * and never after `stop()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { claimInstance } from "../../lib/server/claim.ts";
import {
  type Keeper,
  keepPublished,
  type PublishedFiles,
  samePath,
} from "../../lib/server/keep_published.ts";
import type { Logger } from "../../lib/server/log.ts";
import { exists } from "../_harness/fs.ts";

/** A logger that keeps its lines. */
function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, msg) => lines.push(`${level}: ${msg}`) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A claimed instance with its two files written and a keeper started with
 * `options` (50 ms check and quiet period unless given); disposing stops the
 * keeper and removes everything.
 */
async function published(
  options: {
    intervalMs?: number;
    settleMs?: number;
    maxSettleMs?: number;
    watch?: boolean;
    onTaken?: () => void;
  } = {},
): Promise<
  AsyncDisposable & {
    dir: string;
    files: PublishedFiles;
    claim: Awaited<ReturnType<typeof claimInstance>>;
    keeper: Keeper;
    log: ReturnType<typeof collectingLogger>;
  }
> {
  const dir = await Deno.makeTempDir({ prefix: "pryx-keeper-" });
  const claim = await claimInstance(dir, "runtime");
  const files: PublishedFiles = {
    json: { path: claim.paths.json, data: '{"port":1}\n' },
    port: { path: claim.paths.port, data: "1\n" },
  };
  for (const f of [files.json, files.port]) {
    Deno.writeTextFileSync(f.path, f.data, { mode: 0o600 });
  }
  const log = collectingLogger();
  const keeper = keepPublished(claim, files, log, {
    instance: "runtime",
    intervalMs: 50,
    settleMs: 50,
    ...options,
  });
  return {
    dir,
    files,
    claim,
    keeper,
    log,
    async [Symbol.asyncDispose]() {
      keeper.stop();
      claim.release();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Waits (at most 3 s) for `path` to exist. */
async function appears(path: string): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (!exists(path) && Date.now() < deadline) await sleep(20);
  return exists(path);
}

for (const watch of [true, false]) {
  const how = watch ? "watching" : "on its timer alone";

  Deno.test(`the keeper puts a removed port file back (${how})`, async () => {
    await using p = await published({ watch });
    Deno.removeSync(p.files.port.path);
    assert(await appears(p.files.port.path), "the port file is back");
    assert.deepStrictEqual(Deno.readTextFileSync(p.files.port.path), "1\n");
    assert.match(p.log.lines.join("\n"), /published them again/);
  });

  Deno.test(`the keeper brings back a removed directory, then a file removed from the new one (${how})`, async () => {
    await using p = await published({ watch });
    Deno.removeSync(p.dir, { recursive: true });
    assert(await appears(p.files.port.path), "the port file is back");
    assert(p.claim.lockInPlace(), "the lock is taken again");
    assert.match(p.log.lines.join("\n"), /took the lock again/);
    await sleep(150);
    Deno.removeSync(p.files.json.path);
    assert(await appears(p.files.json.path), "the metadata file is back");
  });
}

Deno.test("the keeper waits while the directory keeps changing, then writes", async () => {
  await using p = await published({ settleMs: 400, maxSettleMs: 5000 });
  Deno.removeSync(p.files.port.path);
  // A removal in progress: the directory changes every 50 ms for 600 ms.
  for (let i = 0; i < 12; i++) {
    Deno.writeTextFileSync(`${p.dir}/busy-${i}`, "");
    await sleep(50);
    assert(!exists(p.files.port.path), `written back while busy (${i})`);
  }
  assert(await appears(p.files.port.path), "written once it settled");
});

Deno.test("a directory that never stops changing does not keep the files away for longer than the longest wait", async () => {
  await using p = await published({ settleMs: 400, maxSettleMs: 100 });
  Deno.removeSync(p.files.port.path);
  let back = false;
  for (let i = 0; i < 40 && !back; i++) {
    Deno.writeTextFileSync(`${p.dir}/busy-${i}`, "");
    await sleep(25);
    back = exists(p.files.port.path);
  }
  assert(back, "written back while the directory was still busy");
});

Deno.test("a removed directory is answered without waiting for quiet", async () => {
  // A quiet period far longer than the wait allows: only the directory's
  // own removal can bring the files back in time.
  await using p = await published({ settleMs: 60_000, maxSettleMs: 60_000 });
  Deno.removeSync(p.dir, { recursive: true });
  const deadline = Date.now() + 3000;
  while (!exists(p.files.port.path) && Date.now() < deadline) await sleep(5);
  assert(exists(p.files.port.path), "the port file is back");
});

Deno.test("when another process holds the lock of the recreated directory, the keeper stops and says so once", async () => {
  let taken = 0;
  await using p = await published({ onTaken: () => taken++ });
  Deno.removeSync(p.dir, { recursive: true });
  Deno.mkdirSync(p.dir, { mode: 0o700 });
  using theirs = Deno.openSync(p.claim.paths.lock, {
    read: true,
    write: true,
    create: true,
  });
  assert(theirs.tryLockSync(true));
  await p.keeper.check();
  const deadline = Date.now() + 3000;
  while (taken === 0 && Date.now() < deadline) await sleep(10);
  await sleep(100);
  assert.deepStrictEqual(taken, 1);
  assert(!exists(p.files.port.path), "nothing published beside the owner");
  Deno.removeSync(p.claim.paths.lock);
  await sleep(100);
  assert(!exists(p.claim.paths.lock), "a stopped keeper takes nothing back");
});

Deno.test("a stopped keeper puts nothing back", async () => {
  await using p = await published({ intervalMs: 20, settleMs: 20 });
  p.keeper.stop();
  Deno.removeSync(p.files.port.path);
  await sleep(200);
  await p.keeper.check();
  assert(!exists(p.files.port.path));
});

Deno.test("a republish that fails is logged once, retried, and done once it can be", async () => {
  await using p = await published({ intervalMs: 50 });
  // A file where the directory was: nothing can be written until it goes.
  Deno.removeSync(p.dir, { recursive: true });
  Deno.writeTextFileSync(p.dir, "in the way");
  await sleep(600);
  const warnings = () =>
    p.log.lines.filter((l) => l.includes("Cannot publish instance"));
  assert.deepStrictEqual(warnings().length, 1, p.log.lines.join("\n"));
  Deno.removeSync(p.dir);
  assert(await appears(p.files.port.path), "published once the way is clear");
  assert.deepStrictEqual(warnings().length, 1);
});

Deno.test("samePath: a watch's spelling of the state directory matches the one it was built as", () => {
  assert(samePath("C:\\Users\\me\\.pryx", "C:\\Users\\me/.pryx"));
  assert(samePath("/home/me/.pryx/", "/home/me/.pryx"));
  assert(samePath("/home/me//.pryx", "/home/me/.pryx"));
  assert(!samePath("/home/me/.pryx-old", "/home/me/.pryx"));
  assert(!samePath("/home/other/.pryx", "/home/me/.pryx"));
});

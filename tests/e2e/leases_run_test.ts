/**
 * Black-box tests of the leases `run` takes (SPEC sections 3-5): runtimes
 * shared by overlapping runs, which stay while any run or client holds a
 * lease (also when the run that started one is SIGKILLed) and stop soon
 * after the last one ends. The `lease` frame and `serve --exit-when-idle`
 * are in `leases_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  connectWs,
  spawnCli,
  spawnRun,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists, isRunning } from "../_harness/fs.ts";

/**
 * A CMD for `run`: prints "started", then fetches `$PRYX_API_URL/health`
 * every 0.5 s for 4 s and prints the status codes (0: no answer).
 */
const HEALTH_LOOP = [
  Deno.execPath(),
  "eval",
  `const url = Deno.env.get("PRYX_API_URL");
console.log("started");
const codes = [];
for (let i = 0; i < 8; i++) {
  try {
    const res = await fetch(url + "/health");
    await res.body?.cancel();
    codes.push(res.status);
  } catch {
    codes.push(0);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
console.log("codes " + codes.join(" "));`,
];

/** Runs the health loop under `run`; resolves to its codes and its end time. */
async function healthLoopRun(home: string) {
  await using run = spawnCli(["run", "--", ...HEALTH_LOOP], {
    env: { PRYX_HOME: home },
  });
  await run.readUntil("started");
  const { code, stderr } = await run.exited();
  const endedAt = Date.now();
  const out = await run.readUntil(null);
  assert.deepStrictEqual(code, 0, stderr);
  const codes = /codes ([\d ]+)/.exec(out)?.[1].split(" ").map(Number);
  return { codes, endedAt };
}

/**
 * Asserts that the runtime of `home` (pid `pid`) is gone within 2 s of
 * `since` (the contract), and was not gone before.
 */
async function assertStopsSoonAfter(home: string, pid: number, since: number) {
  assert(
    await waitUntil(() => !isRunning(pid), 10_000),
    "the runtime exited",
  );
  const after = Date.now() - since;
  assert(after < 2000, `the runtime exited ${after} ms after the last lease`);
  assert(!exists(`${home}/runtime.port`), "its port file is gone");
}

Deno.test("two overlapping runs: the runtime stays while the second uses it and stops within 2 s after it ends", () =>
  withHome(async (home) => {
    await using first = spawnRun(home, "echo up; sleep 2");
    await first.readUntil("up");
    const pid = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).pid;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = healthLoopRun(home);
    assert.deepStrictEqual((await first.exited()).code, 0);
    const { codes, endedAt } = await second;
    assert.deepStrictEqual(codes, Array(8).fill(200));
    await assertStopsSoonAfter(home, pid, endedAt);
  }));

Deno.test("three overlapping runs share one runtime until the last one ends", () =>
  withHome(async (home) => {
    await using first = spawnRun(home, 'echo "up $PRYX_API_URL"; sleep 1');
    const url = (await first.readUntil("\n")).trim().split(" ")[1];
    const pid = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).pid;
    await using second = spawnRun(home, 'echo "up $PRYX_API_URL"; sleep 2');
    assert.deepStrictEqual(
      (await second.readUntil("\n")).trim().split(" ")[1],
      url,
    );
    const third = healthLoopRun(home);
    assert.deepStrictEqual((await first.exited()).code, 0);
    assert.deepStrictEqual((await second.exited()).code, 0);
    const { codes, endedAt } = await third;
    assert.deepStrictEqual(codes, Array(8).fill(200));
    await assertStopsSoonAfter(home, pid, endedAt);
  }));

Deno.test("the runtime stays when the run that started it is SIGKILLed while another run holds a lease", () =>
  withHome(async (home) => {
    await using starter = spawnRun(home, 'echo "$$ up"; exec sleep 30');
    const cmdPid = Number((await starter.readUntil("up")).trim().split(" ")[0]);
    const pid = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).pid;
    try {
      const other = healthLoopRun(home);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      starter.child.kill("SIGKILL");
      await starter.child.status;
      Deno.kill(cmdPid, "SIGKILL");
      const { codes, endedAt } = await other;
      assert.deepStrictEqual(codes, Array(8).fill(200));
      await assertStopsSoonAfter(home, pid, endedAt);
    } finally {
      for (const p of [cmdPid, pid]) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
  }));

Deno.test("a client's lease keeps a runtime that run started after run ends", () =>
  withHome(async (home) => {
    await using run = spawnRun(home, 'echo "$PRYX_WS_URL"; sleep 0.5');
    const wsUrl = (await run.readUntil("\n")).trim();
    const pid = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).pid;
    const c = await connectWs(wsUrl);
    try {
      c.ws.send(JSON.stringify({ type: "lease", id: "app" }));
      assert.deepStrictEqual(await c.next(), { type: "ack", id: "app" });
      assert.deepStrictEqual((await run.exited()).code, 0);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert(isRunning(pid), "the runtime stays while leased");
    } finally {
      c.ws.close();
    }
    const closedAt = Date.now();
    await assertStopsSoonAfter(home, pid, closedAt);
  }));

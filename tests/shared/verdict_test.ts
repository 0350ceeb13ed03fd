/**
 * Every state of the verdict (`lib/shared/verdict.ts`), in process against
 * a fake host: files, lock, machine and `/health` answers come from tables,
 * so each state and each cause is decided in milliseconds.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { HealthCheck } from "../../lib/shared/health.ts";
import {
  formatRuntimeInfo,
  type RuntimeInfo,
} from "../../lib/shared/instance_files.ts";
import { PROTOCOL } from "../../lib/shared/protocol.ts";
import {
  inspectInstance,
  listInstances,
  ownerHolds,
  type Verdict,
  type VerdictHost,
} from "../../lib/shared/verdict.ts";
import {
  cannotUseMessage,
  skipMessage,
  verdictReason,
} from "../../lib/discovery/report.ts";

const DIR = "/state";
const HERE = "here";

/** What the fake host answers. */
interface Facts {
  files?: Record<string, string>;
  locked?: boolean | undefined;
  health?: HealthCheck;
  machine?: string;
}

/** A {@linkcode VerdictHost} that answers from `facts`, counting health checks. */
function fakeHost(facts: Facts): VerdictHost & { checks: number } {
  const host = {
    checks: 0,
    readText: (path: string) => Promise.resolve(facts.files?.[path]),
    readDir: (dir: string) =>
      Promise.resolve(
        Object.keys(facts.files ?? {}).filter((p) => p.startsWith(dir + "/"))
          .map((p) => p.slice(dir.length + 1)),
      ),
    isLocked: "locked" in facts ? () => facts.locked! : undefined,
    machine: () => facts.machine ?? HERE,
    checkHealth: () => {
      host.checks++;
      return Promise.resolve(
        facts.health ??
          { ok: false, failure: "silent", why: "nothing answers" },
      );
    },
  };
  if (!("locked" in facts)) delete (host as { isLocked?: unknown }).isLocked;
  return host as VerdictHost & { checks: number };
}

function info(over: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return {
    pid: 4242,
    port: 38124,
    hostname: "127.0.0.1",
    url: "http://127.0.0.1:38124",
    wsUrl: "ws://127.0.0.1:38124/ws",
    startedAt: "2026-12-02T10:00:00.000Z",
    version: "0.1.0",
    instance: "runtime",
    runId: "a".repeat(32),
    protocol: PROTOCOL,
    token: "t".repeat(48),
    auth: "none",
    machine: HERE,
    ...over,
  };
}

function files(record: RuntimeInfo | string | undefined, port?: string) {
  const out: Record<string, string> = {};
  if (record !== undefined) {
    out[`${DIR}/runtime.json`] = typeof record === "string"
      ? record
      : formatRuntimeInfo(record);
  }
  if (port !== undefined) out[`${DIR}/runtime.port`] = port;
  return out;
}

const ok = (over: Record<string, unknown> = {}): HealthCheck => ({
  ok: true,
  health: {
    status: "ok",
    service: "pryx-core",
    pid: 4242,
    runId: "a".repeat(32),
    protocol: PROTOCOL,
    ...over,
  },
});

const plan = { stateDir: DIR, check: true, healthTimeoutMs: 100 };

async function verdict(facts: Facts, check = true): Promise<Verdict> {
  return await inspectInstance(fakeHost(facts), { ...plan, check }, "runtime");
}

Deno.test("verdict: no files and a free lock is stopped", async () => {
  const v = await verdict({ locked: false });
  assert.equal(v.state, "stopped");
  assert.equal(ownerHolds(v), false);
});

Deno.test("verdict: a stopped instance carries the last start's failure from <instance>.error", async () => {
  const failure = {
    at: "2026-12-03T14:00:00.000Z",
    exitCode: 3,
    message: "Cannot listen on :8080: port 8080 is in use",
    version: "0.1.0",
  };
  const v = await verdict({
    locked: false,
    files: { [`${DIR}/runtime.error`]: JSON.stringify(failure) },
  });
  assert.equal(v.state, "stopped");
  assert.deepEqual(v.state === "stopped" && v.lastFailure, failure);
  assert.equal(v.path, `${DIR}/runtime.error`);
  assert.equal(
    verdictReason(v),
    `the last start failed (exit 3 at ${failure.at}): ${failure.message}`,
  );
  // A corrupt record is no failure to report.
  const corrupt = await verdict({
    locked: false,
    files: { [`${DIR}/runtime.error`]: "{" },
  });
  assert.equal(corrupt.state === "stopped" && corrupt.lastFailure, undefined);
});

Deno.test("verdict: a held lock without files is starting", async () => {
  const v = await verdict({ locked: true });
  assert.equal(v.state, "starting");
  assert.equal(ownerHolds(v), true);
  assert.equal(verdictReason(v), "the lock is held, no port file yet");
});

Deno.test("verdict: the json without the port file is starting while the lock is held, stale once free", async () => {
  assert.equal(
    (await verdict({ files: files(info()), locked: true })).state,
    "starting",
  );
  const v = await verdict({ files: files(info()), locked: false });
  assert.equal(v.state, "stale");
  assert.deepStrictEqual(v.state === "stale" && v.cause, { kind: "lock-free" });
});

Deno.test("verdict: a held lock and a proven, current answer is live", async () => {
  const host = fakeHost({
    files: files(info(), "38124\n"),
    locked: true,
    health: ok(),
  });
  const v = await inspectInstance(host, plan, "runtime");
  assert.equal(v.state, "live");
  assert.equal(v.state === "live" && v.url, "http://127.0.0.1:38124");
  assert.equal(host.checks, 1);
});

Deno.test("verdict: a free lock is stale without asking /health", async () => {
  const host = fakeHost({
    files: files(info(), "38124\n"),
    locked: false,
    health: ok(),
  });
  const v = await inspectInstance(host, plan, "runtime");
  assert.equal(v.state, "stale");
  assert.equal(host.checks, 0);
  assert.match(
    skipMessage(v as never),
    /Skipping stale ".*runtime.port": the lock is free: its owner pid 4242 is gone/,
  );
});

Deno.test("verdict: an owner that answers shutting_down is draining, and holds the instance", async () => {
  const v = await verdict({
    files: files(info(), "38124\n"),
    locked: true,
    health: { ok: false, failure: "draining", why: "x is shutting down" },
  });
  assert.equal(v.state, "draining");
  assert.equal(ownerHolds(v), true);
});

Deno.test("verdict: a held lock whose URL is silent, foreign or unproven is hung, with the cause", async () => {
  for (const failure of ["silent", "foreign", "unproven"] as const) {
    const v = await verdict({
      files: files(info(), "38124\n"),
      locked: true,
      health: { ok: false, failure, why: `why ${failure}` },
    });
    assert.equal(v.state, "hung", failure);
    assert.deepStrictEqual(v.state === "hung" && v.cause, {
      kind: "health",
      failure,
      why: `why ${failure}`,
    });
    assert.equal(ownerHolds(v), true);
  }
});

Deno.test("verdict: without locks (Node, Bun) a failed check is stale, not hung", async () => {
  const v = await verdict({
    files: files(info(), "38124\n"),
    health: { ok: false, failure: "silent", why: "nothing answers" },
  });
  assert.equal(v.state, "stale");
  assert.equal(v.state === "stale" && v.lockHeld, undefined);
});

Deno.test("verdict: another run on the port is hung under a held lock and stale without one", async () => {
  const other = ok({ runId: "b".repeat(32), pid: 7 });
  const held = await verdict({
    files: files(info(), "38124\n"),
    locked: true,
    health: other,
  });
  assert.equal(held.state, "hung");
  assert.match(
    verdictReason(held)!,
    /is another run \(pid 7\), not its owner pid 4242/,
  );
  const free = await verdict({
    files: files(info(), "38124\n"),
    health: other,
  });
  assert.equal(free.state, "stale");
});

Deno.test("verdict: a live runtime of another protocol is incompatible, and run cannot use it", async () => {
  const v = await verdict({
    files: files(info(), "38124\n"),
    locked: true,
    health: ok({ protocol: PROTOCOL + 1 }),
  });
  assert.equal(v.state, "incompatible");
  assert.match(
    cannotUseMessage(v),
    /^Cannot use ".*runtime.port": .* speaks protocol 2, this client speaks 1/,
  );
});

Deno.test("verdict: a record of another machine is elsewhere, whatever its lock, and /health is never asked", async () => {
  for (const locked of [true, false]) {
    const host = fakeHost({
      files: files(info({ machine: "boxb" }), "38124\n"),
      locked,
      health: ok(),
    });
    const v = await inspectInstance(host, plan, "runtime");
    assert.equal(v.state, "elsewhere");
    assert.equal(host.checks, 0, "its loopback URL is not ours to check");
    assert.match(
      verdictReason(v)!,
      /live on machine boxb \(pid 4242\), not this one/,
    );
    assert.equal(ownerHolds(v), false);
  }
});

Deno.test("verdict: a record without machine (an older version) or a reader that cannot tell is judged here", async () => {
  const old = info();
  delete old.machine;
  assert.equal(
    (await verdict({
      files: files(old, "38124\n"),
      locked: true,
      health: ok(),
    })).state,
    "live",
  );
  const unknown = fakeHost({
    files: files(info({ machine: "elsewhere" }), "38124\n"),
    locked: true,
    health: ok(),
  });
  unknown.machine = () => undefined;
  assert.equal((await inspectInstance(unknown, plan, "runtime")).state, "live");
});

Deno.test("verdict: files that are not pryx-core's, or disagree, are stale with the cause", async () => {
  const badJson = await verdict({
    files: files("{not json", "38124\n"),
    locked: false,
  });
  assert.deepStrictEqual(badJson.state === "stale" && badJson.cause, {
    kind: "bad-json",
  });
  const badPort = await verdict({
    files: files(info(), "eighty\n"),
    locked: false,
  });
  assert.deepStrictEqual(badPort.state === "stale" && badPort.cause, {
    kind: "bad-port",
  });
  const disagree = await verdict({
    files: files(info(), "9999\n"),
    locked: true,
  });
  assert.deepStrictEqual(disagree.state === "stale" && disagree.cause, {
    kind: "ports-disagree",
    filePort: 9999,
    jsonPort: 38124,
  });
  // The lock is a fact of the verdict: an owner that holds it is waited for.
  assert.equal(ownerHolds(disagree), true);
  assert.match(
    verdictReason(disagree)!,
    /says port 9999 but \/state\/runtime.json says 38124/,
  );
});

Deno.test("verdict: with checks off the files alone decide", async () => {
  const host = fakeHost({ files: files(info(), "38124\n"), locked: false });
  const v = await inspectInstance(host, { ...plan, check: false }, "runtime");
  assert.equal(v.state, "live");
  assert.equal(host.checks, 0);
});

Deno.test("verdict: listInstances judges every instance of the directory, by name", async () => {
  const host = fakeHost({
    files: {
      ...files(info(), "38124\n"),
      [`${DIR}/b.lock`]: "",
      [`${DIR}/notes.txt`]: "",
    },
    locked: false,
  });
  const all = await listInstances(host, plan);
  assert.deepStrictEqual(all.map((v) => [v.instance, v.state]), [
    ["b", "stopped"],
    ["runtime", "stale"],
  ]);
});

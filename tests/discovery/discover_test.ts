/**
 * Unit tests of the discovery engine (`lib/discovery/`) and the output
 * formats of `discover`, with real files in a temp state directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { denoHost, type DiscoverHost } from "../../lib/discovery/host.ts";
import { formatRuntime } from "../../lib/cli/discover.ts";
import {
  adviceQuote,
  shellQuote,
  stopCommandLine,
} from "../../lib/shared/shell.ts";
import { discoverOnce } from "../../lib/discovery/discover.ts";
import { inspectInstance, listInstances } from "../../lib/shared/verdict.ts";
import {
  type DiscoverPlan,
  type Override,
  type OverridePlan,
  parsePorts,
  planDiscovery,
  type StatePlan,
} from "../../lib/discovery/plan.ts";
import { envFromRecord } from "../../lib/shared/config.ts";
import { UsageError } from "../../lib/shared/errors.ts";
import {
  formatRuntimeInfo,
  type RuntimeInfo,
} from "../../lib/shared/instance_files.ts";

/** The Deno host with a fixed environment. */
function hostWith(env: Record<string, string>): DiscoverHost {
  return { ...denoHost(), env: envFromRecord(env) };
}

/** The override of a plan that must have one. */
function overrideOf(plan: DiscoverPlan): Override {
  assert.equal(plan.source, "override");
  return (plan as OverridePlan).override;
}

/** A plan that must read the state directory. */
function statePlan(plan: DiscoverPlan): StatePlan {
  assert.equal(plan.source, "state");
  return plan as StatePlan;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pryx-unit-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function info(port: number, pid: number): RuntimeInfo {
  return {
    pid,
    port,
    hostname: "127.0.0.1",
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    startedAt: new Date().toISOString(),
    version: "0.1.0",
    instance: "runtime",
    runId: "0123456789abcdef0123456789abcdef",
    protocol: 1,
  };
}

Deno.test("parsePorts reads lists, ranges and both mixed", () => {
  assert.deepStrictEqual(parsePorts("3001,3002"), [3001, 3002]);
  assert.deepStrictEqual(parsePorts("38124-38127"), [
    38124,
    38125,
    38126,
    38127,
  ]);
  assert.deepStrictEqual(parsePorts("80, 3000-3001"), [80, 3000, 3001]);
});

Deno.test("parsePorts rejects bad ports with a usage error", () => {
  for (const bad of ["", "abc", "0", "70000", "10-5", "1-5000", "3000-"]) {
    let caught: unknown;
    try {
      parsePorts(bad);
    } catch (err) {
      caught = err;
    }
    assert(caught instanceof UsageError, `"${bad}" rejected`);
  }
});

Deno.test("PRYX_API_URL and PRYX_WS_URL each derive the other", () => {
  const fromApi = overrideOf(planDiscovery(
    hostWith({ PRYX_API_URL: "http://127.0.0.1:4000/", HOME: "/h" }).env,
  ));
  assert.deepStrictEqual(fromApi, {
    url: "http://127.0.0.1:4000",
    wsUrl: "ws://127.0.0.1:4000/ws",
    port: 4000,
  });
  const fromWs = overrideOf(planDiscovery(
    hostWith({ PRYX_WS_URL: "wss://[::1]:4001/ws", HOME: "/h" }).env,
  ));
  assert.deepStrictEqual(fromWs, {
    url: "https://[::1]:4001",
    wsUrl: "wss://[::1]:4001/ws",
    port: 4001,
  });
  const withToken = overrideOf(planDiscovery(
    hostWith({
      PRYX_API_URL: "http://localhost:5",
      PRYX_TOKEN: "t",
    }).env,
  ));
  assert.deepStrictEqual(withToken?.token, "t");
});

Deno.test("the state directory and instance come from flags, else env, else defaults", () => {
  const plan = statePlan(planDiscovery(hostWith({ HOME: "/home/me" }).env));
  assert.deepStrictEqual([plan.stateDir, plan.instance], [
    "/home/me/.pryx",
    "runtime",
  ]);
  const env = statePlan(planDiscovery(
    hostWith({ HOME: "/h", PRYX_HOME: "/s", PRYX_INSTANCE: "dev" }).env,
  ));
  assert.deepStrictEqual([env.stateDir, env.instance], ["/s", "dev"]);
  const flags = statePlan(planDiscovery(
    hostWith({ HOME: "/h", PRYX_HOME: "/s", PRYX_INSTANCE: "dev" }).env,
    { stateDir: "/f", instance: "x" },
  ));
  assert.deepStrictEqual([flags.stateDir, flags.instance], ["/f", "x"]);
});

Deno.test("a corrupt port file is stale and named", () =>
  withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/runtime.port`, "not a port\n");
    const s = await inspectInstance(denoHost(), {
      stateDir: dir,
      check: true,
      healthTimeoutMs: 500,
    }, "runtime");
    assert.deepStrictEqual(s.state, "stale");
    assert.deepStrictEqual(s.path, `${dir}/runtime.port`);
  }));

Deno.test("files whose lock is free are stale without any network check", () =>
  withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/runtime.port`, "1\n");
    Deno.writeTextFileSync(
      `${dir}/runtime.json`,
      formatRuntimeInfo(info(1, 1)),
    );
    Deno.writeTextFileSync(`${dir}/runtime.lock`, "");
    const stale: string[] = [];
    const plan = planDiscovery(hostWith({ HOME: dir }).env, { stateDir: dir });
    const out = await discoverOnce(denoHost(), plan, (m) => stale.push(m));
    assert.deepStrictEqual(out.runtime, undefined);
    assert.deepStrictEqual(stale.length, 1);
    assert.match(stale[0], /runtime\.port.*lock is free.*pid 1/);
  }));

Deno.test("--no-check trusts the files as they are", () =>
  withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/runtime.port`, "4321\n");
    const plan = planDiscovery(hostWith({ HOME: dir }).env, {
      stateDir: dir,
      check: false,
    });
    const out = await discoverOnce(denoHost(), plan);
    assert.deepStrictEqual(out.runtime?.url, "http://127.0.0.1:4321");
  }));

Deno.test("list names instances from .port, .json and .lock files and ignores others", () =>
  withDir(async (dir) => {
    for (const f of ["a.port", "b.json", "c.lock", "x.tmp", ".a.port.123"]) {
      Deno.writeTextFileSync(`${dir}/${f}`, "");
    }
    const all = await listInstances(denoHost(), {
      stateDir: dir,
      check: true,
      healthTimeoutMs: 500,
    });
    assert.deepStrictEqual(all.map((s) => s.instance), ["a", "b", "c"]);
    assert.deepStrictEqual(
      all.find((s) => s.instance === "c")?.state,
      "stopped",
    );
  }));

Deno.test("formats: port, url, ws, json and env", () => {
  const i = { ...info(38124, 42), token: "abc_DEF-1" };
  const rt = {
    source: "file" as const,
    url: i.url,
    wsUrl: i.wsUrl,
    port: 38124,
    token: i.token,
    info: i,
  };
  assert.deepStrictEqual(formatRuntime(rt, "port"), "38124\n");
  assert.deepStrictEqual(formatRuntime(rt, "url"), "http://127.0.0.1:38124\n");
  assert.deepStrictEqual(formatRuntime(rt, "ws"), "ws://127.0.0.1:38124/ws\n");
  assert.deepStrictEqual(formatRuntime(rt, "json"), formatRuntimeInfo(i));
  assert.deepStrictEqual(
    formatRuntime(rt, "env"),
    "export PRYX_API_URL=http://127.0.0.1:38124\n" +
      "export PRYX_WS_URL=ws://127.0.0.1:38124/ws\n" +
      "export PRYX_TOKEN=abc_DEF-1\n",
  );
});

Deno.test("shellQuote quotes only when needed, and safely", () => {
  assert.deepStrictEqual(
    shellQuote("http://127.0.0.1:1/x"),
    "http://127.0.0.1:1/x",
  );
  assert.deepStrictEqual(shellQuote("a b"), "'a b'");
  assert.deepStrictEqual(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
  assert.deepStrictEqual(shellQuote(""), "''");
});

Deno.test("stopCommandLine names the instance and state directory unless the shell's environment already selects them", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const home = { HOME: "/home/me" };
  const unix = { os: "linux" } as const;
  assert.deepStrictEqual(
    stopCommandLine("runtime", "/home/me/.pryx", env(home), unix),
    "pryx-core stop",
  );
  assert.deepStrictEqual(
    stopCommandLine("dev", "/tmp/my state", env(home), {
      force: true,
      ...unix,
    }),
    "pryx-core stop --force --instance dev --state-dir '/tmp/my state'",
  );
  assert.deepStrictEqual(
    stopCommandLine(
      "dev",
      "/srv/pryx",
      env({ ...home, PRYX_HOME: "/srv/pryx", PRYX_INSTANCE: "dev" }),
      unix,
    ),
    "pryx-core stop",
  );
  // No home directory known: the directory is always named.
  assert.deepStrictEqual(
    stopCommandLine("runtime", "/x", env({}), unix),
    "pryx-core stop --state-dir /x",
  );
});

Deno.test("on Windows the stop line is quoted for cmd.exe and PowerShell alike, never with single quotes", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const windows = { os: "windows" } as const;
  const profile = { USERPROFILE: "C:\\Users\\Ada Lovelace" };
  assert.deepStrictEqual(
    stopCommandLine(
      "runtime",
      "C:\\Users\\Ada Lovelace\\.pryx",
      env(profile),
      windows,
    ),
    "pryx-core stop",
  );
  assert.deepStrictEqual(
    stopCommandLine("dev", "D:\\my state", env(profile), {
      force: true,
      ...windows,
    }),
    'pryx-core stop --force --instance dev --state-dir "D:\\my state"',
  );
  assert.deepStrictEqual(adviceQuote("C:\\pryx\\s", "windows"), "C:\\pryx\\s");
  assert.deepStrictEqual(
    adviceQuote("/tmp/my state", "linux"),
    "'/tmp/my state'",
  );
});

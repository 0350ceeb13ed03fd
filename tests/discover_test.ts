/**
 * Unit tests of the discovery engine (`lib/discover.ts`) and the output
 * formats of `discover`, with real files in a temp state directory, plus
 * the start-up rule of SPEC 6a: the discover side's module graph holds no
 * server module, no `node:` built-in and no `npm:` package.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { denoHost } from "../lib/_fs_shim.ts";
import { formatRuntime, shellQuote } from "../lib/cmd_discover.ts";
import {
  type DiscoverHost,
  discoverOnce,
  inspectInstance,
  listInstances,
  parsePorts,
  planDiscovery,
} from "../lib/discover.ts";
import { UsageError } from "../lib/errors.ts";
import { formatRuntimeInfo, type RuntimeInfo } from "../lib/port_file.ts";

/** The Deno host with a fixed environment. */
function hostWith(env: Record<string, string>): DiscoverHost {
  return { ...denoHost(), env: (name) => env[name] };
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
  };
}

Deno.test("parsePorts reads lists, ranges and both mixed", () => {
  assertEquals(parsePorts("3001,3002"), [3001, 3002]);
  assertEquals(parsePorts("38124-38127"), [38124, 38125, 38126, 38127]);
  assertEquals(parsePorts("80, 3000-3001"), [80, 3000, 3001]);
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
  const fromApi = planDiscovery(
    hostWith({ PRYX_API_URL: "http://127.0.0.1:4000/", HOME: "/h" }),
  ).override;
  assertEquals(fromApi, {
    url: "http://127.0.0.1:4000",
    wsUrl: "ws://127.0.0.1:4000/ws",
    port: 4000,
  });
  const fromWs = planDiscovery(
    hostWith({ PRYX_WS_URL: "wss://[::1]:4001/ws", HOME: "/h" }),
  ).override;
  assertEquals(fromWs, {
    url: "https://[::1]:4001",
    wsUrl: "wss://[::1]:4001/ws",
    port: 4001,
  });
  const withToken = planDiscovery(
    hostWith({
      PRYX_API_URL: "http://localhost:5",
      PRYX_TOKEN: "t",
      HOME: "/h",
    }),
  ).override;
  assertEquals(withToken?.token, "t");
});

Deno.test("the state directory and instance come from flags, else env, else defaults", () => {
  const plan = planDiscovery(hostWith({ HOME: "/home/me" }));
  assertEquals([plan.stateDir, plan.instance], ["/home/me/.pryx", "runtime"]);
  const env = planDiscovery(
    hostWith({ HOME: "/h", PRYX_HOME: "/s", PRYX_INSTANCE: "dev" }),
  );
  assertEquals([env.stateDir, env.instance], ["/s", "dev"]);
  const flags = planDiscovery(
    hostWith({ HOME: "/h", PRYX_HOME: "/s", PRYX_INSTANCE: "dev" }),
    { stateDir: "/f", instance: "x" },
  );
  assertEquals([flags.stateDir, flags.instance], ["/f", "x"]);
});

Deno.test("a corrupt port file is stale and named", () =>
  withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/runtime.port`, "not a port\n");
    const s = await inspectInstance(denoHost(), {
      stateDir: dir,
      check: true,
      healthTimeoutMs: 500,
    }, "runtime");
    assertEquals(s.state, "stale");
    assertEquals(s.path, `${dir}/runtime.port`);
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
    const plan = planDiscovery(hostWith({ HOME: dir }), { stateDir: dir });
    const out = await discoverOnce(denoHost(), plan, (m) => stale.push(m));
    assertEquals(out.runtime, undefined);
    assertEquals(stale.length, 1);
    assertMatch(stale[0], /runtime\.port.*lock is free.*pid 1/);
  }));

Deno.test("--no-check trusts the files as they are", () =>
  withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/runtime.port`, "4321\n");
    const plan = planDiscovery(hostWith({ HOME: dir }), {
      stateDir: dir,
      check: false,
    });
    const out = await discoverOnce(denoHost(), plan);
    assertEquals(out.runtime?.url, "http://127.0.0.1:4321");
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
    assertEquals(all.map((s) => s.instance), ["a", "b", "c"]);
    assertEquals(all.find((s) => s.instance === "c")?.state, "stopped");
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
  assertEquals(formatRuntime(rt, "port"), "38124\n");
  assertEquals(formatRuntime(rt, "url"), "http://127.0.0.1:38124\n");
  assertEquals(formatRuntime(rt, "ws"), "ws://127.0.0.1:38124/ws\n");
  assertEquals(formatRuntime(rt, "json"), formatRuntimeInfo(i));
  assertEquals(
    formatRuntime(rt, "env"),
    "export PRYX_API_URL=http://127.0.0.1:38124\n" +
      "export PRYX_WS_URL=ws://127.0.0.1:38124/ws\n" +
      "export PRYX_TOKEN=abc_DEF-1\n",
  );
});

Deno.test("shellQuote quotes only when needed, and safely", () => {
  assertEquals(shellQuote("http://127.0.0.1:1/x"), "http://127.0.0.1:1/x");
  assertEquals(shellQuote("a b"), "'a b'");
  assertEquals(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
  assertEquals(shellQuote(""), "''");
});

/** Every module in the graph of `file` (static and literal dynamic imports). */
async function moduleGraph(file: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(file, import.meta.url).pathname],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules.map((m) => m.specifier);
}

for (const cmd of ["cmd_discover", "cmd_list", "cmd_stop", "client"]) {
  Deno.test(`${cmd} loads no server module, node: built-in or npm: package`, async () => {
    const modules = await moduleGraph(`../lib/${cmd}.ts`);
    assert(modules.length > 1, "the graph was read");
    const banned = modules.filter((m) =>
      /^(npm|node):/.test(m) || /hono/.test(m) ||
      /\/lib\/(app|serve|cmd_serve|ws_hub|listen|listen_addr|security|read_body|protocol)\.ts$/
        .test(m)
    );
    assertEquals(banned, []);
  });
}

for (const cmd of ["cmd_discover", "cmd_list", "cmd_stop"]) {
  Deno.test(`the ${cmd} bundle that main.ts runs holds no server module and no npm package`, () => {
    const text = Deno.readTextFileSync(
      new URL(`../dist/cli/${cmd}.js`, import.meta.url),
    );
    // esbuild marks each inlined module with a "// path" line.
    const inlined = [...text.matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1]);
    assert(inlined.includes(`lib/${cmd}.ts`), "the markers were read");
    const banned = inlined.filter((m) =>
      /^(npm|node):/.test(m) ||
      /^lib\/(app|serve|cmd_serve|ws_hub|listen|listen_addr|security|read_body|protocol)\.ts$/
        .test(m)
    );
    assertEquals(banned, []);
    assert(!/^\s*import\s[^(]*["'](npm|node):/m.test(text), "no npm:/node:");
  });
}

/**
 * Tests of `connect()` (SPEC section 6) against real runtimes: the first
 * connection, restarts on a new port with topics re-subscribed and leases
 * re-taken, token auth, and `close()` ending it for good. Deno's test
 * sanitizers (on by default) check that nothing is left running.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  connect,
  type ConnectionState,
  type RuntimeConnection,
} from "../../lib/client.ts";
import {
  runProgram,
  startServer,
  tempHome,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { isRunning } from "../_harness/fs.ts";
import { clientBundle } from "../_harness/client.ts";
import { nodeMajor, wsPackage } from "../_harness/node.ts";
import { killIfRunning } from "../_harness/process.ts";

/** Records a connection's state changes and message frames. */
function record(conn: RuntimeConnection) {
  const states: ConnectionState[] = [];
  const frames: Record<string, unknown>[] = [];
  conn.addEventListener("statechange", (e) => {
    states.push((e as Event & { state: ConnectionState }).state);
  });
  conn.addEventListener("message", (e) => {
    frames.push((e as MessageEvent).data);
  });
  return {
    states,
    frames,
    /** Waits (bounded) for `state`. */
    async reach(state: ConnectionState, timeoutMs = 15_000) {
      assert(
        await waitUntil(() => conn.state === state, timeoutMs, 5),
        `state ${state} (states so far: ${states.join(", ")})`,
      );
    },
    /** Waits (bounded) for an event frame on `topic` whose data matches. */
    async event(topic: string, data: unknown, timeoutMs = 15_000) {
      const match = () =>
        frames.some((f) =>
          f.type === "event" && f.topic === topic &&
          JSON.stringify(f.data) === JSON.stringify(data)
        );
      assert(await waitUntil(match, timeoutMs, 5), `event ${topic}`);
    },
  };
}

/** Publishes `data` on `topic` over HTTP; resolves to how many got it. */
async function publish(
  port: number,
  topic: string,
  data: unknown,
  token?: string,
): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/publish/${topic}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(data),
  });
  return (await res.json()).delivered;
}

/** Publishes until at least one subscriber got it (the subscribe is in flight). */
async function publishUntilDelivered(
  port: number,
  topic: string,
  data: unknown,
  token?: string,
): Promise<void> {
  assert(
    await waitUntil(
      async () => await publish(port, topic, data, token) > 0,
      10_000,
    ),
    `an event on ${topic} was delivered`,
  );
}

/** Closes `conn` and waits until everything it started has ended. */
async function closeAndWait(conn: RuntimeConnection): Promise<void> {
  conn.close();
  await conn.closed;
}

Deno.test("connect() opens, subscribes to options.topics, receives events and publishes to others", () =>
  withHome(async (home) => {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home };
    const a = connect({ env, topics: ["news"] });
    const b = connect({ env, topics: ["news"] });
    const ra = record(a);
    const rb = record(b);
    try {
      assert.deepStrictEqual(a.state, "connecting");
      await ra.reach("open");
      await rb.reach("open");
      assert.deepStrictEqual(a.runtime?.port, server.port);
      assert.deepStrictEqual(ra.frames[0].type, "hello");
      await publishUntilDelivered(server.port, "news", { n: 1 });
      await ra.event("news", { n: 1 });
      assert(a.publish("news", { from: "a" }), "sent while open");
      await rb.event("news", { from: "a" });
      a.unsubscribe("news");
      b.subscribe("other");
      assert.deepStrictEqual(b.topics, ["news", "other"]);
    } finally {
      await closeAndWait(a);
      await closeAndWait(b);
    }
    assert.deepStrictEqual(ra.states, ["open", "closed"]);
  }));

Deno.test("connect() follows a runtime restarted on a new port: reconnects, re-subscribes, reports its states", () =>
  withHome(async (home) => {
    const first = await startServer(home);
    const conn = connect({ env: { PRYX_HOME: home }, topics: ["jobs"] });
    const r = record(conn);
    let blocker: Deno.Listener | undefined;
    try {
      await r.reach("open");
      await first.stop("SIGTERM");
      await r.reach("reconnecting");
      // Keep the old port taken, so the new run must get another one.
      blocker = Deno.listen({ hostname: "127.0.0.1", port: first.port });
      await using second = await startServer(home);
      assert.notDeepStrictEqual(second.port, first.port);
      await r.reach("open");
      assert.deepStrictEqual(conn.runtime?.port, second.port);
      await publishUntilDelivered(second.port, "jobs", { done: 1 });
      await r.event("jobs", { done: 1 });
      assert(
        r.frames.some((f) =>
          f.type === "event" && f.topic === "runtime.shutdown"
        ),
        "the shutdown event was passed on",
      );
      await closeAndWait(conn);
    } finally {
      blocker?.close();
      await closeAndWait(conn);
      await first.stop("SIGKILL");
    }
    assert.deepStrictEqual(r.states, [
      "open",
      "reconnecting",
      "open",
      "closed",
    ]);
  }));

Deno.test("connect() reconnects after its runtime is SIGKILLed and a new one starts", () =>
  withHome(async (home) => {
    const first = await startServer(home);
    const conn = connect({ env: { PRYX_HOME: home }, topics: ["t"] });
    const r = record(conn);
    try {
      await r.reach("open");
      await first.stop("SIGKILL");
      await r.reach("reconnecting");
      await using second = await startServer(home);
      await r.reach("open");
      assert.deepStrictEqual(conn.runtime?.port, second.port);
      await publishUntilDelivered(second.port, "t", "again");
      await r.event("t", "again");
    } finally {
      await closeAndWait(conn);
    }
  }));

Deno.test("connect() waits while no runtime exists and opens once one starts", () =>
  withHome(async (home) => {
    const state = `${home}/not-yet`;
    const conn = connect({ env: { PRYX_HOME: state } });
    const r = record(conn);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepStrictEqual(conn.state, "connecting");
      await using server = await startServer(state);
      await r.reach("open");
      assert.deepStrictEqual(conn.runtime?.port, server.port);
    } finally {
      await closeAndWait(conn);
    }
  }));

Deno.test("connect() with a lease keeps an --exit-when-idle runtime, and re-takes the lease after a restart", () =>
  withHome(async (home) => {
    const idle = ["--exit-when-idle", "300ms"];
    const first = await startServer(home, idle);
    const conn = connect({ env: { PRYX_HOME: home }, lease: "tui" });
    const r = record(conn);
    try {
      await r.reach("open");
      await waitUntil(() => r.frames.some((f) => f.type === "ack"), 5000, 5);
      assert(
        r.frames.some((f) => f.type === "ack" && f.id === "tui"),
        "the lease was acknowledged",
      );
      await first.stop("SIGTERM");
      await r.reach("reconnecting");
      await using second = await startServer(home, idle);
      await r.reach("open");
      // Three idle times: the re-taken lease keeps it.
      await new Promise((resolve) => setTimeout(resolve, 900));
      assert(isRunning(second.child.pid), "the new runtime stays");
      assert.deepStrictEqual(conn.state, "open");
    } finally {
      await closeAndWait(conn);
      await first.stop("SIGKILL");
    }
  }));

Deno.test("connect() sends the token of a token-auth runtime", () =>
  withHome(async (home) => {
    await using server = await startServer(home, ["--auth", "token"]);
    const token = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`))
      .token;
    const conn = connect({ env: { PRYX_HOME: home }, topics: ["secure"] });
    const r = record(conn);
    try {
      await r.reach("open");
      await publishUntilDelivered(server.port, "secure", 1, token);
      await r.event("secure", 1);
    } finally {
      await closeAndWait(conn);
    }
  }));

Deno.test("close() ends a connection for good, also while it waits for a runtime", () =>
  withHome(async (home) => {
    const waiting = connect({ env: { PRYX_HOME: `${home}/none` } });
    const rw = record(waiting);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await closeAndWait(waiting);
    assert.deepStrictEqual(waiting.state, "closed");
    assert.deepStrictEqual(rw.states, ["closed"]);
    assert.deepStrictEqual(waiting.publish("t", 1), false);

    const home2 = await tempHome();
    try {
      await using server = await startServer(home2);
      const conn = connect({ env: { PRYX_HOME: home2 } });
      const r = record(conn);
      await r.reach("open");
      await closeAndWait(conn);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepStrictEqual(r.states, ["open", "closed"], "no reconnect");
      assert(isRunning(server.child.pid));
    } finally {
      await Deno.remove(home2, { recursive: true });
    }
  }));

Deno.test("connect() throws a usage error for a bad instance name", () => {
  assert.throws(
    () => connect({ instance: "Bad Name", env: { PRYX_HOME: "/tmp" } }),
    /Invalid instance name/,
  );
});

/** A Node script: connect() with the bundled client, one JSON line per change. */
const NODE_CONNECT = `
const client = await import(process.argv[1]);
const wsPath = process.argv[2];
const out = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
const options = { topics: ["jobs"] };
if (wsPath) options.WebSocket = (await import(wsPath)).WebSocket;
let conn;
try {
  conn = client.connect(options);
} catch (err) {
  out({ error: err.name + ": " + err.message });
  process.exit(0);
}
conn.addEventListener("statechange", (e) =>
  out({ state: e.state, port: conn.runtime?.port ?? null }));
conn.addEventListener("message", (e) => {
  if (e.data.type !== "event" || e.data.topic !== "jobs") return;
  out({ event: e.data.data });
  if (e.data.data.last) conn.close();
});
await conn.closed;
out({ done: true });
`;

/** Runs NODE_CONNECT with the bundle; reads its lines as they come. */
function spawnNode(bundle: string, wsPath: string, home: string) {
  const child = new Deno.Command("node", {
    args: ["--input-type=module", "-e", NODE_CONNECT, bundle, wsPath],
    env: { PATH: Deno.env.get("PATH") ?? "", PRYX_HOME: home },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const dec = new TextDecoder();
  let buf = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    lines,
    async line(match: (l: Record<string, unknown>) => boolean) {
      assert(
        await waitUntil(() => lines.some(match), 15_000, 5),
        `node printed ${JSON.stringify(lines)}`,
      );
      return lines.find(match)!;
    },
    async exited() {
      const status = await child.status;
      await reading;
      return { code: status.code, stderr: await stderr };
    },
    async [Symbol.asyncDispose]() {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reading.catch(() => {});
      await stderr;
    },
  };
}

const NODE = await nodeMajor();
const WS = NODE === undefined ? {} : await wsPackage();

Deno.test({
  name:
    "connect() on Node.js with the ws package follows a restart on a new port and exits cleanly after close()",
  ignore: NODE === undefined || WS.path === undefined,
  fn: () =>
    withHome(async (home) => {
      const bundle = await clientBundle();
      const first = await startServer(home);
      let blocker: Deno.Listener | undefined;
      try {
        await using node = spawnNode(bundle, WS.path!, home);
        await node.line((l) => l.state === "open" && l.port === first.port);
        await first.stop("SIGTERM");
        await node.line((l) => l.state === "reconnecting");
        blocker = Deno.listen({ hostname: "127.0.0.1", port: first.port });
        await using second = await startServer(home);
        await node.line((l) => l.state === "open" && l.port === second.port);
        await publishUntilDelivered(second.port, "jobs", { last: true });
        await node.line((l) => l.done === true);
        const { code, stderr } = await node.exited();
        assert.deepStrictEqual(code, 0, stderr);
        assert.deepStrictEqual(
          node.lines.filter((l) => l.state !== undefined).map((l) => l.state),
          ["open", "reconnecting", "open", "closed"],
        );
      } finally {
        blocker?.close();
        await first.stop("SIGKILL");
      }
    }),
});

Deno.test({
  name:
    "connect() on Node.js without a global WebSocket and without the option throws a clear error",
  ignore: NODE === undefined || NODE >= 22,
  fn: () =>
    withHome(async (home) => {
      const bundle = await clientBundle();
      await using node = spawnNode(bundle, "", home);
      const line = await node.line((l) => l.error !== undefined);
      assert.match(
        String(line.error),
        /^UsageError: connect\(\) needs a WebSocket class.*"ws" package/,
      );
      assert.deepStrictEqual((await node.exited()).code, 0);
    }),
});

Deno.test("connect() obeying a PRYX_API_URL that is not live says so on stderr, once, with how to clear it; onStale gets it instead when given", async () => {
  // A port nothing listens on: taken from the OS, then let go.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const client = new URL("../../lib/client.ts", import.meta.url).href;
  const program = (withListener: boolean) => `
    const { connect } = await import(${JSON.stringify(client)});
    const seen = [];
    const handle = connect(${
    withListener ? "{ onStale: (m, kind) => seen.push(kind + ': ' + m) }" : "{}"
  });
    await new Promise((r) => setTimeout(r, 1500));
    await handle.close();
    console.log(JSON.stringify({ state: handle.state, seen }));
  `;
  const env = { PRYX_API_URL: `http://127.0.0.1:${port}` };
  const quiet = await runProgram(Deno.execPath(), ["eval", program(false)], {
    env,
  });
  assert.equal(quiet.code, 0, quiet.stderr);
  const lines = quiet.stderr.trim().split("\n");
  assert.equal(lines.length, 1, quiet.stderr);
  assert.match(
    lines[0],
    new RegExp(
      `^pryx-core: PRYX_API_URL=http://127\\.0\\.0\\.1:${port} is not a live pryx-core .*unset PRYX_API_URL PRYX_WS_URL`,
    ),
  );
  const heard = await runProgram(Deno.execPath(), ["eval", program(true)], {
    env,
  });
  assert.equal(heard.code, 0, heard.stderr);
  assert.equal(heard.stderr, "");
  const { seen } = JSON.parse(heard.stdout);
  assert.equal(seen.length, 1, heard.stdout);
  assert.match(seen[0], /^override: PRYX_API_URL=/);
});

Deno.test("connect() and discover() without --allow-env say to add it, not to set HOME", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-test-" });
  try {
    const client = new URL("../../lib/client.ts", import.meta.url).href;
    const program = `${dir}/program.ts`;
    Deno.writeTextFileSync(
      program,
      `const { connect, discover } = await import(${JSON.stringify(client)});
for (const attempt of [() => discover(), async () => connect()]) {
  try { await attempt(); console.log("no error"); }
  catch (err) { console.log(err.name + ": " + err.message); }
}`,
    );
    const out = await runProgram(Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-net",
      program,
    ]);
    const lines = out.stdout.trim().split("\n");
    assert.equal(lines.length, 2, out.stdout + out.stderr);
    for (const line of lines) {
      assert.match(
        line,
        /^UsageError: Cannot read the environment variable PRYX_[A-Z_]+: run with --allow-env/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

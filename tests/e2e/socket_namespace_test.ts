/**
 * The demo of the Unix socket (SPEC 2, 4; issue 21): a runtime in another
 * network namespace that shares the state directory (as a container with
 * `~/.pryx` mounted) is reached from here over its socket, by
 * `discover --format socket`, `--json`, `--env` and the client module on
 * Deno and on Node (with the `ws` package), and its loopback URL is never
 * handed out here: `--format url` and `port` say to use the socket.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, spawnCli, startServer, withHome } from "../_harness/cli.ts";
import { clientBundle } from "../_harness/client.ts";
import { runProgram } from "../_harness/cli.ts";
import { nodeMajor, wsPackage } from "../_harness/node.ts";
import { otherMachine, unshareUnavailable } from "../_harness/pid_namespace.ts";
import { socketFetch } from "../_harness/unix_socket.ts";

const OTHER = "pryx-container";
const why = await unshareUnavailable();
const NODE = why === undefined ? await nodeMajor() : undefined;
const WS = NODE === undefined ? {} : await wsPackage();

/**
 * A program that finds the runtime with the client module (`reach: "any"`),
 * connects, and prints what it found and the first event of topic `jobs`.
 *
 * @param imports The lines that bind `discover`, `connect` and `options`
 * (connect's options: the WebSocket class on Node).
 */
const clientProgram = (imports: string) => `
${imports}
const found = await discover({ reach: "any" });
const conn = connect({ topics: ["jobs"], ...options });
const event = await new Promise((resolve) => {
  conn.addEventListener("statechange", (e) => {
    if (e.state === "open") console.log(JSON.stringify({ open: true }));
  });
  conn.addEventListener("message", (e) => {
    if (e.data.type === "event") resolve(e.data.data);
  });
});
await conn.close();
console.log(JSON.stringify({ found, event }));
`;

/** On Deno: its own WebSocket. */
const DENO_PROGRAM = (client: string) =>
  clientProgram(
    `const { discover, connect } = await import(${
      JSON.stringify(client)
    });\nconst options = {};`,
  );

/** On Node, with the ws package as the WebSocket class. */
const NODE_PROGRAM = clientProgram(
  `const { discover, connect } = await import(process.argv[1]);
const { default: WebSocket } = await import(process.argv[2]);
const options = { WebSocket };`,
);

/**
 * Runs `program` until it prints `{"open":true}`, then publishes over the
 * socket until it has the event; returns its last line.
 */
async function clientSession(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  socket: string,
): Promise<Record<string, unknown>> {
  const child = new Deno.Command(cmd, {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let out = "";
  const reading = (async () => {
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      out += chunk;
    }
  })();
  try {
    const deadline = Date.now() + 15_000;
    while (!out.includes('{"open":true}') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(
      out.includes('{"open":true}'),
      `never open: ${out} ${await Promise.race([stderr, Promise.resolve("")])}`,
    );
    // Subscribed once open; publish until it arrives.
    while (!out.includes('"event"') && Date.now() < deadline) {
      await socketFetch(socket, "/publish/jobs", {
        method: "POST",
        body: JSON.stringify({ n: 1 }),
        headers: { "content-type": "application/json" },
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    const status = await child.status;
    await reading;
    assert.equal(status.code, 0, await stderr);
    return JSON.parse(out.trim().split("\n").at(-1)!);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
  }
}

Deno.test({
  name:
    "a runtime in another network namespace sharing the state directory: discover --format socket, --json, --env and the client module (Deno, Node) reach it over its socket; its loopback URL is never handed out",
  ignore: why !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using other = await startServer(home, [], {
        prefix: otherMachine(OTHER),
      });
      const socket = `${home}/runtime.sock`;
      const record = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.equal(record.machine, OTHER);
      assert.equal(record.socket, socket);
      const env = { PRYX_HOME: home };

      const bySocket = await runCli(["discover", "--format", "socket"], {
        env,
      });
      assert.equal(bySocket.code, 0, bySocket.stderr);
      assert.equal(bySocket.stdout, `${socket}\n`);

      for (const format of ["url", "port", "ws"]) {
        const r = await runCli(["discover", "--format", format], { env });
        assert.equal(r.code, 1, `${format}: ${r.stdout}`);
        assert.equal(r.stdout, "", format);
        assert.match(r.stderr, new RegExp(`live on machine ${OTHER}`));
        assert.match(
          r.stderr,
          /its socket .* does \("pryx-core discover --format socket"\)/,
        );
        assert.doesNotMatch(
          r.stderr,
          new RegExp(`127\\.0\\.0\\.1:${other.port}`),
        );
      }

      const json = await runCli(["discover", "--json"], { env });
      assert.equal(json.code, 0, json.stderr);
      const shown = JSON.parse(json.stdout);
      assert.equal(shown.socket, socket);
      assert.equal(shown.runId, record.runId);
      for (const field of ["url", "wsUrl", "port", "hostname"]) {
        assert.equal(shown[field], undefined, field);
      }
      const envOut = await runCli(["discover", "--env"], { env });
      assert.equal(envOut.code, 0, envOut.stderr);
      assert.equal(envOut.stdout, `export PRYX_SOCKET=${socket}\n`);

      // list and discover --watch name it, never by its loopback URL.
      const [row] = JSON.parse(
        (await runCli(["list", "--json"], { env })).stdout,
      );
      assert.deepEqual([row.status, row.url, row.port, row.socket], [
        "elsewhere",
        null,
        null,
        socket,
      ]);
      {
        await using watch = spawnCli(["discover", "--watch", "--json"], {
          env,
        });
        const first = JSON.parse((await watch.readUntil("\n")).split("\n")[0]);
        assert.equal(first.instance, "runtime");
        assert.equal(first.url, null);
        assert.equal(first.port, null);
      }

      // The client module on Deno: discover() and connect() over the socket.
      const client = new URL("../../lib/client.ts", import.meta.url).href;
      const deno = await clientSession(
        Deno.execPath(),
        ["eval", DENO_PROGRAM(client)],
        env,
        socket,
      );
      assert.deepEqual(deno.event, { n: 1 });
      const found = deno.found as Record<string, unknown>;
      assert.equal(found.socket, socket);
      assert.equal(found.runId, record.runId);
      assert.equal(found.url, undefined);
      assert.equal(found.port, undefined);

      // And on Node, with the ws package (ws+unix:).
      if (NODE !== undefined && WS.path !== undefined) {
        const bundle = await clientBundle();
        const node = await clientSession(
          "node",
          ["--input-type=module", "-e", NODE_PROGRAM, bundle, WS.path],
          env,
          socket,
        );
        assert.deepEqual(node.event, { n: 1 });
        const nodeFound = node.found as Record<string, unknown>;
        assert.equal(nodeFound.socket, socket);
        assert.equal(nodeFound.url, undefined);
      } else {
        throw new Error(
          `Node.js with the ws package is needed here: ${
            NODE === undefined ? "node not found" : WS.why
          }`,
        );
      }

      // By default discover() and getApiUrl() find runtimes with URLs: none
      // reaches this one from here.
      const plain = await runProgram(Deno.execPath(), [
        "eval",
        `const { discover } = await import(${JSON.stringify(client)});
         console.log(JSON.stringify((await discover({ onStale() {} })) ?? null));`,
      ], { env });
      assert.equal(plain.stdout.trim(), "null", plain.stderr);
      // getApiUrl() wants a URL: none reaches it from here.
      const api = await runProgram(Deno.execPath(), [
        "eval",
        `const { getApiUrl } = await import(${JSON.stringify(client)});
         try { console.log(await getApiUrl()); } catch (e) { console.log(e.name); }`,
      ], { env });
      assert.equal(api.stdout.trim(), "NotFoundError", api.stderr);
    }),
});

Deno.test({
  name:
    "a runtime in another network namespace with this machine's host name: its silent loopback and held lock send the check to its socket, so it is found by the socket and its URL is not handed out",
  ignore: why !== undefined,
  fn: () =>
    withHome(async (home) => {
      await using _other = await startServer(home, [], {
        prefix: [
          "unshare",
          "--net",
          "--fork",
          "--kill-child",
          "sh",
          "-c",
          'ip link set lo up && exec "$0" "$@"',
        ],
      });
      const env = { PRYX_HOME: home };
      const record = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      assert.equal(record.machine, Deno.hostname());
      const bySocket = await runCli(["discover", "--format", "socket"], {
        env,
      });
      assert.equal(bySocket.code, 0, bySocket.stderr);
      assert.equal(bySocket.stdout, `${home}/runtime.sock\n`);
      const byUrl = await runCli(["discover", "--format", "url"], { env });
      assert.equal(byUrl.code, 1, byUrl.stdout);
      assert.equal(byUrl.stdout, "");
      assert.match(byUrl.stderr, /another network namespace/);
      const rows = JSON.parse(
        (await runCli(["list", "--json"], { env })).stdout,
      );
      assert.equal(rows[0].status, "elsewhere");
      const stop = await runCli(["stop", "--force"], { env });
      assert.equal(stop.code, 1, stop.stderr);
    }),
});

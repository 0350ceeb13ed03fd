/**
 * A fake runtime for tests: `deno run -A fake_runtime.ts HOME PROTOCOL`
 * holds `HOME/runtime.lock`, answers `/health` as pryx-core with the run id
 * and protocol of the `runtime.json` it writes (and a valid `proof` for a
 * `?challenge=`), writes `runtime.port` last, and prints the port. What a
 * pryx-core of another protocol version, left running after an upgrade,
 * looks like to a client.
 *
 * @module
 */

const [home, protocolText = "2"] = Deno.args;
const protocol = Number(protocolText);
const lock = Deno.openSync(`${home}/runtime.lock`, {
  read: true,
  write: true,
  create: true,
  mode: 0o600,
});
lock.lockSync(true);
const runId = "ab".repeat(16);
const token = "fake-token-".padEnd(43, "x");
const key = await crypto.subtle.importKey(
  "raw",
  new TextEncoder().encode(token),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign"],
);

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/health") return new Response("no", { status: 404 });
    const challenge = url.searchParams.get("challenge");
    const proof = challenge === null ? {} : {
      proof: Array.from(
        new Uint8Array(
          await crypto.subtle.sign(
            "HMAC",
            key,
            new TextEncoder().encode(challenge),
          ),
        ),
        (b) => b.toString(16).padStart(2, "0"),
      ).join(""),
    };
    return Response.json({
      status: "ok",
      timestamp: new Date().toISOString(),
      service: "pryx-core",
      version: "9.0.0",
      pid: Deno.pid,
      instance: "runtime",
      runId,
      protocol,
      ...proof,
    });
  },
);
const port = server.addr.port;
const url = `http://127.0.0.1:${port}`;
Deno.writeTextFileSync(
  `${home}/runtime.json`,
  JSON.stringify({
    pid: Deno.pid,
    port,
    hostname: "127.0.0.1",
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    startedAt: new Date().toISOString(),
    version: "9.0.0",
    instance: "runtime",
    runId,
    protocol,
    token,
  }),
  { mode: 0o600 },
);
Deno.writeTextFileSync(`${home}/runtime.port`, `${port}\n`, { mode: 0o600 });
console.log(port);

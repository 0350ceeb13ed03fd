/**
 * A fake runtime for tests: `deno run -A fake_runtime.ts HOME [PROTOCOL
 * [VERSION [CLIENTS,LEASES]]]` holds `HOME/runtime.lock`, answers `/health`
 * as pryx-core with the run id, protocol and version of the `runtime.json`
 * it writes (and a valid `proof` for a `?challenge=`), writes
 * `runtime.port` last, and prints the port. What a pryx-core of another
 * protocol or an older version, left running after an upgrade, looks like
 * to a client. With `CLIENTS,LEASES` it answers `GET /info` with those
 * counts (else 404, as a runtime too old to say), `POST /control/shutdown`
 * with its token (202, then its files go and it exits 0), and a `/ws` that
 * acknowledges a lease.
 *
 * @module
 */

const [home, protocolText = "2", version = "9.0.0", occupancyText] = Deno.args;
const protocol = Number(protocolText);
const occupancy = occupancyText?.split(",").map(Number);
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
    const authorized = req.headers.get("authorization") === `Bearer ${token}`;
    if (url.pathname === "/info" && occupancy !== undefined && authorized) {
      return Response.json({ clients: occupancy[0], leases: occupancy[1] });
    }
    if (
      url.pathname === "/control/shutdown" && req.method === "POST" &&
      occupancy !== undefined && authorized
    ) {
      setTimeout(() => {
        Deno.removeSync(`${home}/runtime.port`);
        Deno.removeSync(`${home}/runtime.json`);
        Deno.exit(0);
      }, 100);
      return Response.json({ status: "shutting_down" }, { status: 202 });
    }
    if (url.pathname === "/ws" && occupancy !== undefined) {
      // A bus just good enough for a lease: hello, then an ack.
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onopen = () =>
        socket.send(
          JSON.stringify({ type: "hello", pid: Deno.pid, runId, protocol }),
        );
      socket.onmessage = (e) => {
        const msg = JSON.parse(String(e.data));
        if (msg.type === "lease") {
          socket.send(JSON.stringify({ type: "ack", id: msg.id }));
        }
      };
      return response;
    }
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
      version,
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
    version,
    instance: "runtime",
    runId,
    protocol,
    token,
  }),
  { mode: 0o600 },
);
Deno.writeTextFileSync(`${home}/runtime.port`, `${port}\n`, { mode: 0o600 });
console.log(port);

/**
 * Baseline for WebSocket pub/sub, fan-out and RSS with many clients: a bare
 * `Deno.upgradeWebSocket` relay with a `Map` of topic to subscriber set,
 * speaking the same JSON protocol as pryx-core (`hello` on open,
 * `subscribe` with `ack`, `publish` to every other subscriber as `event`).
 * Other requests get the `/health` JSON. Writes `$PRYX_HOME/runtime.port`
 * like {@link ./ready.ts}.
 *
 * @example
 * ```sh
 * PRYX_HOME=/tmp/x deno run -A bench/baselines/ws_relay.ts
 * ```
 *
 * @module
 */

const home = Deno.env.get("PRYX_HOME") ?? ".";
const pid = Deno.pid;
const hello = JSON.stringify({
  type: "hello",
  version: "0.1.0",
  pid,
  instance: "runtime",
});
const topics = new Map<string, Set<WebSocket>>();
const joined = new Map<WebSocket, Set<string>>();

function onMessage(ws: WebSocket, text: string): void {
  const msg = JSON.parse(text);
  if (msg.type === "publish") {
    const subs = topics.get(msg.topic);
    if (subs === undefined) return;
    const frame = JSON.stringify({
      type: "event",
      topic: msg.topic,
      data: msg.data,
    });
    for (const sub of subs) if (sub !== ws) sub.send(frame);
  } else if (msg.type === "subscribe") {
    let subs = topics.get(msg.topic);
    if (subs === undefined) topics.set(msg.topic, subs = new Set());
    subs.add(ws);
    let mine = joined.get(ws);
    if (mine === undefined) joined.set(ws, mine = new Set());
    mine.add(msg.topic);
    if (msg.id !== undefined) {
      ws.send(JSON.stringify({ type: "ack", id: msg.id }));
    }
  }
}

function onClose(ws: WebSocket): void {
  const mine = joined.get(ws);
  if (mine === undefined) return;
  joined.delete(ws);
  for (const topic of mine) {
    const subs = topics.get(topic)!;
    subs.delete(ws);
    if (subs.size === 0) topics.delete(topic);
  }
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen() {},
}, (req) => {
  if (req.headers.get("upgrade") !== "websocket") {
    return Response.json({
      status: "ok",
      timestamp: new Date().toISOString(),
      service: "pryx-core",
      version: "0.1.0",
      pid,
      instance: "runtime",
    });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onopen = () => socket.send(hello);
  socket.onmessage = (e) => onMessage(socket, e.data);
  socket.onclose = () => onClose(socket);
  return response;
});

const tmp = `${home}/.runtime.port.${pid}.tmp`;
const file = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
file.writeSync(new TextEncoder().encode(`${server.addr.port}\n`));
file.syncSync();
file.close();
Deno.renameSync(tmp, `${home}/runtime.port`);

/**
 * Baseline of the reconnect and idle-CPU figures: the reconnect loop an
 * application writes by hand with bare Deno. It re-reads
 * `$PRYX_HOME/runtime.port` every 100 ms until it can connect, subscribes
 * to topic `Deno.args[0]`, and prints `open <epoch ms>` and `event <epoch ms>` like
 * `bench/connect_client.ts`.
 *
 * @module
 */

const home = Deno.env.get("PRYX_HOME") ?? ".";
const topic = Deno.args[0] ?? "bench";
const POLL_MS = 100;
const encoder = new TextEncoder();
const say = (line: string) =>
  Deno.stdout.writeSync(encoder.encode(line + "\n"));

for (;;) {
  let port: number | undefined;
  try {
    port = Number(Deno.readTextFileSync(`${home}/runtime.port`).trim());
  } catch {
    // No runtime yet.
  }
  if (port !== undefined && port > 0) {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: "subscribe", topic }));
        say(`open ${performance.timeOrigin + performance.now()}`);
      };
      ws.onmessage = (e) => {
        const frame = JSON.parse(e.data);
        if (frame.type === "event" && frame.topic === topic) {
          say(`event ${performance.timeOrigin + performance.now()}`);
        }
      };
      ws.onclose = () => resolve();
      ws.onerror = () => resolve();
    });
  }
  await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

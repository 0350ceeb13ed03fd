/**
 * The pryx-core side of the reconnect and idle-CPU figures: a `connect()`
 * client of `lib/client.ts` subscribed to topic `Deno.args[0]`. Prints
 * `open <epoch ms>` on every (re)connection and `event <epoch ms>` (wall clock, with
 * fractions) for every event on the topic, one line each.
 *
 * @module
 */

import { connect } from "../lib/client.ts";

const topic = Deno.args[0] ?? "bench";
const conn = connect({ topics: [topic] });
const encoder = new TextEncoder();
const say = (line: string) =>
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
conn.addEventListener("statechange", () => {
  if (conn.state === "open") {
    say(`open ${performance.timeOrigin + performance.now()}`);
  }
});
conn.addEventListener("message", (e) => {
  const frame = (e as MessageEvent).data;
  if (frame.type === "event" && frame.topic === topic) {
    say(`event ${performance.timeOrigin + performance.now()}`);
  }
});

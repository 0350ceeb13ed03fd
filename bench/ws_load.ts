/**
 * WebSocket load generator, run as its own process so the server's CPU is
 * measured fairly. Speaks the pryx-core protocol over raw TCP
 * ({@link ../tests/_harness/ws_raw.ts}).
 *
 * Modes:
 * - `pubsub`: `--subs N` subscribers of one topic and one publisher that
 *   keeps a bounded window of events in flight; prints the events per second
 *   delivered to the subscribers, counted over `--seconds` after `--warmup`.
 * - `idle`: opens `--conns N` connections, waits for every `hello`, prints
 *   `{"connected":N}` and holds them until killed.
 *
 * Prints one JSON line on stdout.
 *
 * @example
 * ```sh
 * deno run -A bench/ws_load.ts --port 38124 --mode pubsub --subs 1000 --seconds 3
 * ```
 *
 * @module
 */

import { parseFlags } from "../lib/cli/args.ts";
import {
  clientFrame,
  FrameParser,
  openRawWs,
  type RawWs,
  repeatFrame,
  writeAll,
} from "../tests/_harness/ws_raw.ts";

const HOST = "127.0.0.1";
const TOPIC = "bench";
/** What every publish carries: a small, typical event. */
const PAYLOAD = { seq: 1, kind: "tick", text: "hello from the bench" };
/** Handshakes in flight at once while connecting many clients. */
const CONNECT_CONCURRENCY = 200;
/** Publishes written per write call. */
const BATCH = 16;

/** A connected client whose frames are parsed as they arrive. */
interface Client {
  ws: RawWs;
  parser: FrameParser;
}

/**
 * Opens a client and starts reading it; resolves after its `hello`.
 * `onRead` gets the number of text frames each read completed.
 */
async function connect(
  port: number,
  onRead: (frames: number) => void,
  readBytes: number,
): Promise<Client> {
  const ws = await openRawWs(HOST, port);
  const parser = new FrameParser();
  const hello = Promise.withResolvers<void>();
  parser.onText = (text) => {
    if (text.includes('"hello"')) hello.resolve();
  };
  parser.feed(ws.leftover);
  (async () => {
    const buf = new Uint8Array(readBytes);
    try {
      for (;;) {
        const n = await ws.conn.read(buf);
        if (n === null) break;
        const before = parser.texts;
        parser.feed(buf.subarray(0, n));
        onRead(parser.texts - before);
      }
    } catch {
      // Connection reset at the end of the run.
    }
    hello.reject(new Error("Connection closed before hello"));
  })();
  await hello.promise;
  return { ws, parser };
}

/** Connects `count` clients with bounded concurrency. */
async function connectMany(
  port: number,
  count: number,
  onRead: (frames: number) => void,
  readBytes: number,
): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      clients.push(await connect(port, onRead, readBytes));
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, worker),
  );
  return clients;
}

/** Subscribes `client` to the bench topic and waits for the ack. */
async function subscribe(client: Client): Promise<void> {
  const acked = Promise.withResolvers<void>();
  client.parser.onText = (text) => {
    if (text.includes('"ack"')) acked.resolve();
  };
  await writeAll(
    client.ws.conn,
    clientFrame(JSON.stringify({ type: "subscribe", topic: TOPIC, id: 1 })),
  );
  await acked.promise;
  client.parser.capture = false; // from now on: count events only
}

async function pubsub(
  port: number,
  subs: number,
  seconds: number,
  warmup: number,
  window: number,
): Promise<Record<string, number>> {
  let waiting: (() => void) | undefined;
  let received = 0;
  const onRead = (frames: number) => {
    received += frames;
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  const subscribers = await connectMany(port, subs, onRead, 16 * 1024);
  for (let i = 0; i < subscribers.length; i += CONNECT_CONCURRENCY) {
    await Promise.all(
      subscribers.slice(i, i + CONNECT_CONCURRENCY).map(subscribe),
    );
  }
  const [publisher] = await connectMany(port, 1, () => {}, 4096);
  const batch = repeatFrame(
    clientFrame(
      JSON.stringify({ type: "publish", topic: TOPIC, data: PAYLOAD }),
    ),
    BATCH,
  );
  // Events counted before the publisher starts are the acks and hellos.
  received = 0;
  let sent = 0;
  let running = true;
  const pump = (async () => {
    while (running) {
      if (sent * subs - received > window * subs) {
        await new Promise<void>((r) => waiting = r);
        continue;
      }
      await writeAll(publisher.ws.conn, batch);
      sent += BATCH;
    }
  })();
  await sleep(warmup * 1000);
  const t0 = performance.now();
  const r0 = received;
  await sleep(seconds * 1000);
  const r1 = received;
  const t1 = performance.now();
  running = false;
  waiting?.();
  await pump;
  for (const c of [...subscribers, publisher]) c.ws.conn.close();
  const elapsed = (t1 - t0) / 1000;
  return { subs, events: r1 - r0, seconds: elapsed, rate: (r1 - r0) / elapsed };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const FLAGS = {
  port: "string",
  mode: "string",
  subs: "string",
  conns: "string",
  seconds: "string",
  warmup: "string",
  window: "string",
} as const;

if (import.meta.main) {
  const { flags } = parseFlags(Deno.args, FLAGS);
  const port = Number(flags.port);
  if (flags.mode === "idle") {
    const count = Number(flags.conns ?? 10_000);
    const clients = await connectMany(port, count, () => {}, 1024);
    console.log(JSON.stringify({ connected: clients.length }));
    // Hold the connections until the harness kills this process.
    setInterval(() => {}, 1 << 30);
  } else {
    const subs = Number(flags.subs ?? 1);
    const result = await pubsub(
      port,
      subs,
      Number(flags.seconds ?? 3),
      Number(flags.warmup ?? 1),
      Number(flags.window ?? (subs === 1 ? 512 : 64)),
    );
    console.log(JSON.stringify(result));
    Deno.exit(0);
  }
}

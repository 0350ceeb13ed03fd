/**
 * WebSocket fuzzing against the real CLI: several clients send more than
 * 100,000 random frames (random bytes, random text, random JSON, deep
 * nesting, huge strings just below the 1 MiB limit, wrong types in every
 * field, valid traffic mixed in; the deepest nesting in every field first),
 * and raw connections send malformed
 * wire-level frames. Afterwards every fuzzing client must still be
 * connected and answered, `/health` must be 200, and a normal client must
 * still get pub/sub.
 *
 * The frames come from a seeded PRNG: the seed is printed, and
 * `PRYX_FUZZ_SEED=N` replays a run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, type RunningServer, withServer } from "../_harness/cli.ts";
import {
  mustRequest,
  Opcode,
  RawConnection,
  requestHead,
  upgradeHeaders,
  wsFrame,
} from "../_harness/raw_http.ts";

const CLIENTS = 4;
const FRAMES_PER_CLIENT = 25_000;
/** Frames sent between two ping/pong round trips (keeps backlogs bounded). */
const BATCH = 250;
const RAW_CONNECTIONS = 200;
/** How long one ping may wait for its pong before the server counts as stuck. */
const PONG_TIMEOUT_MS = 30_000;
const MAX_FRAME = 1024 * 1024;
/**
 * The deepest nesting sent, in levels (under 1 MiB as JSON text). The first
 * client sends it in each field, in both shapes; random frames nest up to it
 * now and then ({@linkcode DEEPEST_SHARE}), up to 2,000 levels otherwise.
 * Parsing such frames is most of the fuzz's CPU: hundreds of them would
 * take seconds and test nothing these do not.
 */
const DEEPEST = 150_000;
/** The share of deep-nesting frames that nest up to {@linkcode DEEPEST}. */
const DEEPEST_SHARE = 0.01;
const TOPICS = ["a", "b", "fuzz", "runtime.shutdown", "ü", "x".repeat(256)];
const SERVER_TYPES = new Set(["hello", "pong", "ack", "event", "error"]);

const enc = new TextEncoder();

/** mulberry32: small, fast, and the same on every run for a given seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** Random UTF-16 code units: controls, quotes, lone surrogates, astral pairs. */
  text(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) {
      const r = this.next();
      s += r < 0.5
        ? String.fromCharCode(32 + this.int(95))
        : r < 0.6
        ? String.fromCharCode(this.int(32))
        : r < 0.7
        ? this.pick(['"', "\\", "{", "}", "[", "]", ":", ","])
        : r < 0.8
        ? String.fromCharCode(0xd800 + this.int(0x800))
        : String.fromCodePoint(this.int(0x10ffff + 1));
    }
    return s;
  }
  /** A random JSON value of bounded depth. */
  json(depth = 0): unknown {
    const r = this.int(depth > 4 ? 6 : 8);
    switch (r) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, 0.1, -0]);
      case 3:
        return this.text(this.int(20));
      case 4:
        return this.pick(["", "ping", "publish", "__proto__", "constructor"]);
      case 5:
        return this.int(1 << 30);
      case 6:
        return Array.from({ length: this.int(5) }, () => this.json(depth + 1));
      default: {
        const obj: Record<string, unknown> = {};
        for (let i = this.int(5); i > 0; i--) {
          obj[this.pick(["type", "topic", "data", "id", "__proto__", "x"])] =
            this.json(depth + 1);
        }
        return obj;
      }
    }
  }
  /** A value of a type the field does not take (or no value at all). */
  wrong(): unknown {
    return this.pick<() => unknown>([
      () => undefined,
      () => null,
      () => this.int(1000),
      () => this.chance(0.5),
      () => [],
      () => ({}),
      () => [this.pick(TOPICS)],
      () => ({ topic: this.pick(TOPICS) }),
      () => "",
      () => "x".repeat(257),
      () => this.json(),
    ])();
  }
}

/** JSON text nested `depth` levels deep, as an array or an object. */
function nested(depth: number, shape: "array" | "object"): string {
  return shape === "array"
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "0" + "}".repeat(depth);
}

/** JSON text nested `depth` levels deep, of a random shape. */
function deep(rand: Rand, depth: number): string {
  return nested(depth, rand.chance(0.5) ? "array" : "object");
}

/** A publish frame whose `field` is the JSON text `nesting`. */
function deepFrame(field: string, nesting: string): string {
  return `{"type":"publish","topic":"fuzz",${
    JSON.stringify(field)
  }:${nesting}}`;
}

/** The deepest nesting ({@linkcode DEEPEST}) in every field, both shapes. */
function deepestFrames(): string[] {
  return ["type", "topic", "data", "id"].flatMap((field) =>
    (["array", "object"] as const).map((shape) =>
      deepFrame(field, nested(DEEPEST, shape))
    )
  );
}

/** What one fuzz frame is: text or binary data for `WebSocket.send`. */
type Frame = string | Uint8Array;

/** One random frame; every kind of hostile input in rough proportions. */
function fuzzFrame(rand: Rand): Frame {
  const r = rand.next();
  if (r < 0.12) return rand.bytes(rand.int(512));
  if (r < 0.25) return rand.text(rand.int(200));
  if (r < 0.45) return JSON.stringify(rand.json()) ?? "null";
  if (r < 0.8) {
    // A real message shape with each field right, wrong or missing.
    const type = rand.chance(0.8)
      ? rand.pick(["ping", "subscribe", "unsubscribe", "publish"])
      : rand.wrong();
    const msg: Record<string, unknown> = { type };
    for (const field of ["topic", "data", "id"]) {
      const v = rand.chance(0.5)
        ? (field === "topic" ? rand.pick(TOPICS) : rand.json())
        : rand.wrong();
      if (v !== undefined) msg[field] = v;
    }
    return JSON.stringify(msg);
  }
  if (r < 0.85) {
    // Deep nesting in a random field, within the frame limit.
    const field = rand.pick(["type", "topic", "data", "id"]);
    const depth = 1 + rand.int(rand.chance(DEEPEST_SHARE) ? DEEPEST : 2_000);
    return deepFrame(field, deep(rand, depth));
  }
  if (r < 0.8502) {
    // A huge string just below the 1 MiB limit, in a random field.
    const field = rand.pick(["type", "topic", "data", "id"]);
    const head = `{"type":"publish","topic":"fuzz","${field}":"`;
    const size = MAX_FRAME - head.length - 2 - rand.int(1024);
    return `${head}${"y".repeat(size)}"}`;
  }
  // Valid traffic, so subscriptions and fan-out are exercised too.
  return JSON.stringify(
    rand.pick([
      { type: "subscribe", topic: rand.pick(TOPICS), id: rand.int(100) },
      { type: "unsubscribe", topic: rand.pick(TOPICS) },
      { type: "publish", topic: rand.pick(TOPICS), data: rand.json() },
      { type: "ping", id: rand.json() },
    ]),
  );
}

/**
 * Sends `count` fuzz frames on one connection, `first` and then random
 * ones, with a ping/pong round trip every {@linkcode BATCH} frames; fails
 * if the server closes it or sends anything that is not a JSON protocol
 * message.
 */
async function fuzzClient(
  url: string,
  rand: Rand,
  count: number,
  first: readonly Frame[] = [],
): Promise<{ sent: number; errors: number }> {
  const { ws } = await connectWs(url);
  let errors = 0;
  let failure: Error | undefined;
  const pongs = new Map<string, () => void>();
  ws.onmessage = (e) => {
    let msg: { type?: unknown; id?: unknown };
    try {
      msg = JSON.parse(e.data as string);
    } catch {
      failure ??= new Error(`server sent non-JSON: ${String(e.data)}`);
      return;
    }
    if (!SERVER_TYPES.has(msg.type as string)) {
      failure ??= new Error(`server sent type ${msg.type}`);
    }
    if (msg.type === "error") errors++;
    if (msg.type === "pong" && typeof msg.id === "string") {
      pongs.get(msg.id)?.();
    }
  };
  const closed = new Promise<never>((_, reject) => {
    ws.onclose = (e) =>
      reject(
        new Error(`server closed a fuzzing client: ${e.code} ${e.reason}`),
      );
  });
  closed.catch(() => {});
  const roundTrip = async (id: string) => {
    const pong = new Promise<void>((resolve) => pongs.set(id, resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no pong for ping ${id} within 30 s`)),
        PONG_TIMEOUT_MS,
      );
    });
    ws.send(JSON.stringify({ type: "ping", id }));
    try {
      await Promise.race([pong, closed, silent]);
    } finally {
      clearTimeout(timer);
      pongs.delete(id);
    }
  };
  try {
    let sent = 0;
    for (const frame of first) {
      ws.send(frame);
      sent++;
    }
    while (sent < count) {
      const n = Math.min(BATCH, count - sent);
      for (let i = 0; i < n; i++) ws.send(fuzzFrame(rand));
      sent += n;
      await roundTrip(`sync-${sent}`);
      if (failure) throw failure;
    }
    return { sent, errors };
  } finally {
    ws.onclose = null;
    ws.close();
  }
}

/** One malformed wire-level frame (what a browser's API would never send). */
function junkFrame(rand: Rand): Uint8Array {
  const payload = rand.bytes(rand.int(300));
  switch (rand.int(10)) {
    case 0: // bytes without framing
      return rand.bytes(1 + rand.int(64));
    case 1: // text frame with invalid UTF-8
      return wsFrame(0x80 | Opcode.text, new Uint8Array([0xc3, 0x28, 0xff]));
    case 2: // reserved bits set
      return wsFrame(0x80 | (0x10 << rand.int(3)) | Opcode.text, payload);
    case 3: // reserved opcode
      return wsFrame(0x80 | rand.pick([3, 4, 5, 6, 7, 0xb, 0xf]), payload);
    case 4: // control frame over 125 bytes
      return wsFrame(0x80 | Opcode.ping, rand.bytes(126 + rand.int(200)));
    case 5: // fragmented control frame
      return wsFrame(Opcode.ping, rand.bytes(rand.int(20)));
    case 6: // continuation with nothing to continue
      return wsFrame(0x80 | Opcode.continuation, payload);
    case 7: { // unmasked frame
      const text = enc.encode('{"type":"ping"}');
      return new Uint8Array([0x80 | Opcode.text, text.length, ...text]);
    }
    case 8: { // a length claim of 2^63 - 1 bytes
      const head = new Uint8Array(14);
      head[0] = 0x80 | Opcode.binary;
      head[1] = 0x80 | 127;
      new DataView(head.buffer).setBigUint64(2, (1n << 63n) - 1n);
      return head;
    }
    default: // close frame with a random code and reason
      return wsFrame(0x80 | Opcode.close, rand.bytes(rand.int(40)));
  }
}

/** Upgrades a raw connection and sends a few valid then malformed frames. */
async function junkConnection(port: number, rand: Rand): Promise<number> {
  using conn = await RawConnection.open(port);
  await conn.write(
    requestHead(port, { path: "/ws", headers: upgradeHeaders() }),
  );
  const res = await conn.readResponse();
  assert.deepStrictEqual(res?.status, 101, "raw upgrade");
  let frames = 0;
  for (let i = rand.int(5); i > 0; i--, frames++) {
    await conn.write(
      wsFrame(0x80 | Opcode.text, enc.encode(JSON.stringify(rand.json()))),
    );
  }
  for (let i = 1 + rand.int(5); i > 0; i--, frames++) {
    if (!await conn.write(junkFrame(rand))) break;
  }
  return frames;
}

/** `/health` answers 200 and a fresh pair of clients still gets pub/sub. */
async function assertServing(server: RunningServer): Promise<void> {
  const health = await mustRequest(server.port);
  assert.deepStrictEqual(health.status, 200, "/health after fuzzing");
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const a = await connectWs(url);
  const b = await connectWs(url);
  try {
    a.ws.send(JSON.stringify({ type: "subscribe", topic: "after", id: 1 }));
    assert.deepStrictEqual(await a.next(), { type: "ack", id: 1 });
    b.ws.send(
      JSON.stringify({ type: "publish", topic: "after", data: { ok: true } }),
    );
    assert.deepStrictEqual(await a.next(), {
      type: "event",
      topic: "after",
      data: { ok: true },
    });
    const post = await fetch(`http://127.0.0.1:${server.port}/publish/after`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "[1,2]",
    });
    assert.deepStrictEqual(await post.json(), { delivered: 1 });
    assert.deepStrictEqual(await a.next(), {
      type: "event",
      topic: "after",
      data: [1, 2],
    });
  } finally {
    a.ws.close();
    b.ws.close();
  }
  const failures = server.stderr().split("\n").filter((line) =>
    /Request failed|Uncaught|panicked/.test(line)
  );
  assert.deepStrictEqual(failures.length, 0, `logged failures: ${failures[0]}`);
}

Deno.test("100,000 random WebSocket frames from several clients leave the runtime serving", async () => {
  const seed = Number(
    Deno.env.get("PRYX_FUZZ_SEED") ??
      crypto.getRandomValues(new Uint32Array(1))[0],
  );
  console.log(`fuzz seed ${seed} (replay with PRYX_FUZZ_SEED=${seed})`);
  await withServer([], async (server) => {
    const url = `ws://127.0.0.1:${server.port}/ws`;
    const results = await Promise.all(
      Array.from(
        { length: CLIENTS },
        (_, i) =>
          fuzzClient(
            url,
            new Rand(prng(seed + i)),
            FRAMES_PER_CLIENT,
            i === 0 ? deepestFrames() : [],
          ),
      ),
    );
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    assert(sent >= 100_000, `only ${sent} frames sent`);
    assert(errors > sent / 4, `only ${errors} error frames for ${sent}`);
    await assertServing(server);
  });
});

Deno.test("malformed wire-level WebSocket frames leave the runtime serving", async () => {
  const seed = Number(
    Deno.env.get("PRYX_FUZZ_SEED") ??
      crypto.getRandomValues(new Uint32Array(1))[0],
  );
  console.log(`fuzz seed ${seed} (replay with PRYX_FUZZ_SEED=${seed})`);
  await withServer([], async (server) => {
    const rand = new Rand(prng(seed));
    let frames = 0;
    for (let i = 0; i < RAW_CONNECTIONS; i += 20) {
      const counts = await Promise.all(
        Array.from({ length: 20 }, () => junkConnection(server.port, rand)),
      );
      frames += counts.reduce((a, b) => a + b, 0);
    }
    assert(frames >= RAW_CONNECTIONS, `only ${frames} frames`);
    await assertServing(server);
  });
});

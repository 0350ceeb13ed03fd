/**
 * The event bus: WebSocket clients, their topic subscriptions and leases,
 * and fan-out of events. One event is serialised once for all its
 * subscribers. A lease lives as long as the connection that took it: the
 * kernel closes a dead holder's socket (even after SIGKILL), which ends it.
 *
 * @module
 */

import { formatBytes, MAX_MESSAGE_BYTES } from "../shared/config.ts";
import type { Occupancy } from "../shared/occupancy.ts";
import {
  parseClientMessage,
  type RunIdentity,
  type RuntimeStatus,
  type ServerMessage,
  SHUTDOWN_TOPIC,
  STATUS_INTERVAL_MS,
  STATUS_TOPIC,
} from "../shared/protocol.ts";

/** A client whose unsent backlog passes this many bytes is disconnected. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Characters of events a topic may fan out between two checks of its
 * subscribers' backlogs. Reading a backlog is a call into the runtime, as
 * dear as the send itself, so fan-out checks once per this much: a client
 * that stops reading is still cut off within `MAX_BACKLOG_BYTES` plus three
 * times this plus one frame.
 */
const BACKLOG_CHECK_CHARS = 64 * 1024;

const OPEN = WebSocket.OPEN;

/** A topic's subscribers, and how much was sent to them since the last backlog check. */
interface Topic {
  subscribers: Set<WebSocket>;
  /** Characters sent since the subscribers' backlogs were checked. */
  unchecked: number;
}

/** Close codes used by the hub (RFC 6455). */
const CloseCode = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
} as const;

/**
 * What the hub has done since it started, for `/metrics` and the status
 * page: plain integers, bumped where the work is done.
 */
export interface HubTotals {
  /** Events published (over `/ws` or `POST /publish`), delivered or not. */
  published: number;
  /** Event frames sent to subscribers. */
  delivered: number;
  /** Clients disconnected because their unsent backlog grew too large. */
  slowDropped: number;
}

/** Tracks WebSocket clients and routes events between them. */
export class WsHub {
  readonly #topics = new Map<string, Topic>();
  readonly #subscriptions = new Map<WebSocket, Set<string>>();
  /** The lease ids (as JSON) of each client that holds one. */
  readonly #leases = new Map<WebSocket, Set<string>>();
  #leaseCount = 0;
  readonly #observers: ((occupancy: Occupancy) => void)[] = [];
  readonly #hello: string;
  #closing = false;
  readonly #totals: HubTotals = { published: 0, delivered: 0, slowDropped: 0 };
  /** Sends the status event while {@linkcode STATUS_TOPIC} has subscribers. */
  #statusTimer: ReturnType<typeof setInterval> | undefined;

  /** @param identity What the `hello` frame reports. */
  constructor(identity: RunIdentity) {
    this.#hello = JSON.stringify(
      { type: "hello", ...identity } satisfies ServerMessage,
    );
  }

  /** Number of connected clients. */
  get size(): number {
    return this.#subscriptions.size;
  }

  /** Clients and leases right now. */
  get occupancy(): Occupancy {
    return { clients: this.#subscriptions.size, leases: this.#leaseCount };
  }

  /** Topics with at least one subscriber right now. */
  get topics(): number {
    return this.#topics.size;
  }

  /** Counts since start (a copy). */
  get totals(): HubTotals {
    return { ...this.#totals };
  }

  /**
   * Calls `observer` with the new {@linkcode occupancy} whenever a client
   * comes or goes or a lease is taken (the idle exit arms and cancels its
   * timer from these calls, without polling).
   */
  observe(observer: (occupancy: Occupancy) => void): void {
    this.#observers.push(observer);
  }

  /**
   * Takes over a freshly upgraded socket: greets it on open, answers its
   * frames, forgets it on close.
   */
  attach(ws: WebSocket): void {
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (this.#closing) {
        ws.close(CloseCode.goingAway, "Server is shutting down");
        return;
      }
      this.#subscriptions.set(ws, new Set());
      ws.send(this.#hello);
      this.#changed();
    };
    ws.onmessage = (event) => this.#onFrame(ws, event.data);
    ws.onclose = () => this.#forget(ws);
    ws.onerror = () => this.#forget(ws);
  }

  /**
   * Sends `data` as an event on `topic` to every subscriber but `except`.
   *
   * @returns How many clients it was sent to.
   */
  publish(topic: string, data: unknown, except?: WebSocket): number {
    this.#totals.published++;
    const state = this.#topics.get(topic);
    if (state === undefined) return 0;
    const frame = JSON.stringify(
      { type: "event", topic, data } satisfies ServerMessage,
    );
    state.unchecked += frame.length;
    const check = state.unchecked >= BACKLOG_CHECK_CHARS;
    if (check) state.unchecked = 0;
    let delivered = 0;
    for (const ws of state.subscribers) {
      if (ws === except) continue;
      if (check) {
        if (this.#sendRaw(ws, frame)) delivered++;
      } else if (ws.readyState === OPEN) {
        ws.send(frame);
        delivered++;
      }
    }
    this.#totals.delivered += delivered;
    return delivered;
  }

  /**
   * Tells every client the server is stopping (a `runtime.shutdown` event)
   * and closes each with 1001. Later connections are closed on open.
   */
  shutdown(reason: string): void {
    this.#closing = true;
    this.#stopStatus();
    const frame = JSON.stringify(
      {
        type: "event",
        topic: SHUTDOWN_TOPIC,
        data: { reason },
      } satisfies ServerMessage,
    );
    for (const ws of [...this.#subscriptions.keys()]) {
      try {
        ws.send(frame);
        ws.close(CloseCode.goingAway, "Server is shutting down");
      } catch {
        // Already closing: nothing to tell it.
      }
      this.#forget(ws);
    }
  }

  #onFrame(ws: WebSocket, data: unknown): void {
    const size = typeof data === "string"
      ? utf8Length(data)
      : (data as ArrayBuffer).byteLength;
    if (size > MAX_MESSAGE_BYTES) {
      this.#drop(
        ws,
        CloseCode.tooBig,
        `Frame larger than ${formatBytes(MAX_MESSAGE_BYTES)}`,
      );
      return;
    }
    if (typeof data !== "string") {
      this.#send(ws, {
        type: "error",
        code: "bad_message",
        message: "Binary frames are not supported; send JSON text frames",
      });
      return;
    }
    const msg = parseClientMessage(data);
    switch (msg.type) {
      case "error":
        this.#send(ws, msg);
        return;
      case "ping":
        this.#send(
          ws,
          msg.id === undefined
            ? { type: "pong" }
            : { type: "pong", id: msg.id },
        );
        return;
      case "lease":
        this.#lease(ws, msg.id);
        break;
      case "subscribe":
        this.#subscribe(ws, msg.topic);
        break;
      case "unsubscribe":
        this.#unsubscribe(ws, msg.topic);
        break;
      case "publish": {
        const delivered = this.publish(msg.topic, msg.data, ws);
        if (msg.id !== undefined) {
          this.#send(ws, { type: "ack", id: msg.id, delivered });
        }
        return;
      }
    }
    if (msg.id !== undefined) this.#send(ws, { type: "ack", id: msg.id });
  }

  /** Records a lease of `ws`; taking the same id twice holds one lease. */
  #lease(ws: WebSocket, id: unknown): void {
    if (!this.#subscriptions.has(ws)) return;
    let mine = this.#leases.get(ws);
    if (mine === undefined) {
      mine = new Set();
      this.#leases.set(ws, mine);
    }
    const key = JSON.stringify(id);
    if (mine.has(key)) return;
    mine.add(key);
    this.#leaseCount++;
    this.#changed();
  }

  #changed(): void {
    if (this.#observers.length === 0) return;
    const occupancy = this.occupancy;
    for (const observer of this.#observers) observer(occupancy);
  }

  #subscribe(ws: WebSocket, topic: string): void {
    const mine = this.#subscriptions.get(ws);
    if (mine === undefined) return;
    mine.add(topic);
    let state = this.#topics.get(topic);
    if (state === undefined) {
      state = { subscribers: new Set(), unchecked: 0 };
      this.#topics.set(topic, state);
    }
    if (state.subscribers.has(ws)) return;
    state.subscribers.add(ws);
    if (topic === STATUS_TOPIC) this.#startStatus(ws);
  }

  /** The figures of a {@linkcode STATUS_TOPIC} event, now. */
  status(): RuntimeStatus {
    return {
      ...this.occupancy,
      topics: this.#topics.size,
      published: this.#totals.published,
      delivered: this.#totals.delivered,
      // Deno's performance clock starts with the process.
      uptimeSeconds: Math.round(performance.now()) / 1000,
    };
  }

  /** Greets a new status subscriber with the figures, and keeps the ticker running. */
  #startStatus(ws: WebSocket): void {
    this.#sendRaw(ws, this.#statusFrame());
    if (this.#statusTimer !== undefined || this.#closing) return;
    const timer = setInterval(() => {
      const state = this.#topics.get(STATUS_TOPIC);
      if (state === undefined) return this.#stopStatus();
      const frame = this.#statusFrame();
      for (const sub of [...state.subscribers]) this.#sendRaw(sub, frame);
    }, STATUS_INTERVAL_MS);
    Deno.unrefTimer(timer);
    this.#statusTimer = timer;
  }

  #stopStatus(): void {
    clearInterval(this.#statusTimer);
    this.#statusTimer = undefined;
  }

  #statusFrame(): string {
    return JSON.stringify(
      {
        type: "event",
        topic: STATUS_TOPIC,
        data: this.status(),
      } satisfies ServerMessage,
    );
  }

  #unsubscribe(ws: WebSocket, topic: string): void {
    this.#subscriptions.get(ws)?.delete(topic);
    const state = this.#topics.get(topic);
    if (state === undefined) return;
    state.subscribers.delete(ws);
    if (state.subscribers.size === 0) {
      this.#topics.delete(topic);
      if (topic === STATUS_TOPIC) this.#stopStatus();
    }
  }

  #forget(ws: WebSocket): void {
    const mine = this.#subscriptions.get(ws);
    if (mine === undefined) return;
    for (const topic of mine) this.#unsubscribe(ws, topic);
    this.#subscriptions.delete(ws);
    this.#leaseCount -= this.#leases.get(ws)?.size ?? 0;
    this.#leases.delete(ws);
    this.#changed();
  }

  #send(ws: WebSocket, msg: ServerMessage): void {
    this.#sendRaw(ws, JSON.stringify(msg));
  }

  /** Sends unless the client is gone or too far behind; drops it then. */
  #sendRaw(ws: WebSocket, frame: string): boolean {
    if (ws.readyState !== OPEN) return false;
    if (ws.bufferedAmount > MAX_BACKLOG_BYTES) {
      this.#totals.slowDropped++;
      this.#drop(ws, CloseCode.policy, "Client is not reading its messages");
      return false;
    }
    ws.send(frame);
    return true;
  }

  #drop(ws: WebSocket, code: number, reason: string): void {
    this.#forget(ws);
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
  }
}

/** UTF-8 byte length of `text`, counted only when it could pass the limit. */
function utf8Length(text: string): number {
  // Each UTF-16 unit encodes to at most 3 bytes: skip the count when it cannot matter.
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

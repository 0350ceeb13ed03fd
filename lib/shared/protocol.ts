/**
 * The WebSocket protocol of `/ws`: message types and the parser
 * that turns an untrusted text frame into one of them.
 *
 * @module
 */

/** Messages a client sends. */
export type ClientMessage =
  | { type: "ping"; id?: unknown }
  | { type: "lease"; id: unknown }
  | { type: "subscribe"; topic: string; id?: unknown }
  | { type: "unsubscribe"; topic: string; id?: unknown }
  | { type: "publish"; topic: string; data: unknown; id?: unknown };

/**
 * The version of the HTTP and WebSocket contract. It changes only when that
 * contract changes incompatibly; a client skips a runtime that speaks
 * another one.
 */
export const PROTOCOL = 1;

/** What a runtime says about itself in `hello` and `/health`. */
export interface RunIdentity {
  /** The pryx-core version. */
  version: string;
  /** The server's pid (in its own PID namespace). */
  pid: number;
  /** The instance name. */
  instance: string;
  /** 128 random bits (hex), new at every start: names this run. */
  runId: string;
  /** {@linkcode PROTOCOL} of the server. */
  protocol: number;
}

/** Messages the server sends. */
export type ServerMessage =
  | { type: "hello" } & RunIdentity
  | { type: "pong"; id?: unknown }
  | { type: "ack"; id: unknown; delivered?: number }
  | { type: "event"; topic: string; data: unknown }
  | { type: "error"; code: ErrorCode; message: string; id?: unknown };

/** The `code` of an error frame. */
export type ErrorCode =
  | "bad_json"
  | "bad_message"
  | "unknown_type"
  | "missing_field"
  | "bad_field";

/** The topic of the event every client gets when the server stops. */
export const SHUTDOWN_TOPIC = "runtime.shutdown";

/**
 * The topic of the runtime's own figures: a subscriber gets one event at
 * once and then one every {@linkcode STATUS_INTERVAL_MS} while subscribed,
 * with {@linkcode RuntimeStatus} as its data. The status page (`GET /`)
 * lives on it.
 */
export const STATUS_TOPIC = "runtime.status";

/** How often the {@linkcode STATUS_TOPIC} event is sent, in ms. */
export const STATUS_INTERVAL_MS = 1000;

/** The data of a {@linkcode STATUS_TOPIC} event. */
export interface RuntimeStatus {
  /** WebSocket clients connected now (the subscriber included). */
  clients: number;
  /** Leases held now. */
  leases: number;
  /** Topics with at least one subscriber now. */
  topics: number;
  /** Events published since start (the status events not counted). */
  published: number;
  /** Event frames delivered since start. */
  delivered: number;
  /** Seconds since the process started (monotonic). */
  uptimeSeconds: number;
}

/** Longest topic name accepted, in characters. */
export const MAX_TOPIC_LENGTH = 256;

/** A frame that could not be parsed: the error frame to answer with. */
export interface ProtocolError {
  type: "error";
  code: ErrorCode;
  message: string;
  id?: unknown;
}

/**
 * Parses a text frame.
 *
 * @returns The message, or the error frame to send back.
 */
export function parseClientMessage(
  text: string,
): ClientMessage | ProtocolError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("bad_json", "Frame is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("bad_message", 'Frame must be a JSON object with a "type"');
  }
  const msg = value as Record<string, unknown>;
  const id = msg.id;
  switch (msg.type) {
    case "ping":
      return { type: "ping", id };
    case "lease":
      // The id names the lease in the ack (and in the holder's logs): a
      // lease without one could not be told from another.
      if (id === undefined || id === null) {
        return fail("missing_field", '"lease" needs an "id"');
      }
      return { type: "lease", id };
    case "subscribe":
    case "unsubscribe":
    case "publish": {
      const topic = msg.topic;
      if (topic === undefined) {
        return fail("missing_field", `"${msg.type}" needs a "topic"`, id);
      }
      if (
        typeof topic !== "string" || topic === "" ||
        topic.length > MAX_TOPIC_LENGTH
      ) {
        return fail(
          "bad_field",
          `"topic" must be a non-empty string of at most ${MAX_TOPIC_LENGTH} characters`,
          id,
        );
      }
      if (msg.type !== "publish") return { type: msg.type, topic, id };
      if (!("data" in msg)) {
        return fail("missing_field", '"publish" needs a "data" field', id);
      }
      return { type: "publish", topic, data: msg.data, id };
    }
    case undefined:
      return fail("missing_field", 'Frame needs a "type"', id);
    default:
      return fail(
        "unknown_type",
        `Unknown message type ${JSON.stringify(msg.type).slice(0, 64)}`,
        id,
      );
  }
}

function fail(code: ErrorCode, message: string, id?: unknown): ProtocolError {
  return id === undefined
    ? { type: "error", code, message }
    : { type: "error", code, message, id };
}

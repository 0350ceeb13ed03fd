// Generated from lib/ by `deno task build` (scripts/build_cli.ts): do not edit.
var parseClientMessage = (function parseClientMessage(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("bad_json", "Frame is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("bad_message", 'Frame must be a JSON object with a "type"');
  }
  const msg = value;
  const id = msg.id;
  switch (msg.type) {
    case "ping":
      return {
        type: "ping",
        id
      };
    case "subscribe":
    case "unsubscribe":
    case "publish": {
      const topic = msg.topic;
      if (topic === void 0) {
        return fail("missing_field", `"${msg.type}" needs a "topic"`, id);
      }
      if (typeof topic !== "string" || topic === "" || topic.length > MAX_TOPIC_LENGTH) {
        return fail("bad_field", `"topic" must be a non-empty string of at most ${MAX_TOPIC_LENGTH} characters`, id);
      }
      if (msg.type !== "publish") return {
        type: msg.type,
        topic,
        id
      };
      if (!("data" in msg)) {
        return fail("missing_field", '"publish" needs a "data" field', id);
      }
      return {
        type: "publish",
        topic,
        data: msg.data,
        id
      };
    }
    case void 0:
      return fail("missing_field", 'Frame needs a "type"', id);
    default:
      return fail("unknown_type", `Unknown message type ${JSON.stringify(msg.type).slice(0, 64)}`, id);
  }
});
var fail = (function fail(code, message, id) {
  return id === void 0 ? {
    type: "error",
    code,
    message
  } : {
    type: "error",
    code,
    message,
    id
  };
});
var utf8Length = (function utf8Length(text) {
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return text.length;
  return new TextEncoder().encode(text).byteLength;
});
// lib/errors.ts
var BRAND = Symbol.for("pryx-core.PryxError");
var PryxError = class extends Error {
  /** The process exit code for this error. */
  exitCode;
  /** See {@linkcode isPryxError}. */
  [BRAND] = true;
  /**
   * @param message One line, sentence case, no trailing period.
   * @param exitCode The exit code of SPEC section 7.
   */
  constructor(message, exitCode) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
};

// lib/config.ts
var MAX_MESSAGE_BYTES = 1024 * 1024;

// lib/protocol.ts
var SHUTDOWN_TOPIC = "runtime.shutdown";
var MAX_TOPIC_LENGTH = 256;

// lib/ws_hub.ts
var MAX_BACKLOG_BYTES = 8 * 1024 * 1024;
var BACKLOG_CHECK_CHARS = 64 * 1024;
var OPEN = WebSocket.OPEN;
var CloseCode = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009
};
var WsHub = class {
  #topics = /* @__PURE__ */ new Map();
  #subscriptions = /* @__PURE__ */ new Map();
  #hello;
  #closing = false;
  /** @param identity What the `hello` frame reports. */
  constructor(identity) {
    this.#hello = JSON.stringify({
      type: "hello",
      ...identity
    });
  }
  /** Number of connected clients. */
  get size() {
    return this.#subscriptions.size;
  }
  /**
   * Takes over a freshly upgraded socket: greets it on open, answers its
   * frames, forgets it on close.
   */
  attach(ws) {
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (this.#closing) {
        ws.close(CloseCode.goingAway, "Server is shutting down");
        return;
      }
      this.#subscriptions.set(ws, /* @__PURE__ */ new Set());
      ws.send(this.#hello);
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
  publish(topic, data, except) {
    const state = this.#topics.get(topic);
    if (state === void 0) return 0;
    const frame = JSON.stringify({
      type: "event",
      topic,
      data
    });
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
    return delivered;
  }
  /**
   * Tells every client the server is stopping (a `runtime.shutdown` event)
   * and closes each with 1001. Later connections are closed on open.
   */
  shutdown(reason) {
    this.#closing = true;
    const frame = JSON.stringify({
      type: "event",
      topic: SHUTDOWN_TOPIC,
      data: {
        reason
      }
    });
    for (const ws of [
      ...this.#subscriptions.keys()
    ]) {
      try {
        ws.send(frame);
        ws.close(CloseCode.goingAway, "Server is shutting down");
      } catch {
      }
      this.#forget(ws);
    }
  }
  #onFrame(ws, data) {
    const size = typeof data === "string" ? utf8Length(data) : data.byteLength;
    if (size > MAX_MESSAGE_BYTES) {
      this.#drop(ws, CloseCode.tooBig, "Frame larger than 1 MiB");
      return;
    }
    if (typeof data !== "string") {
      this.#send(ws, {
        type: "error",
        code: "bad_message",
        message: "Binary frames are not supported; send JSON text frames"
      });
      return;
    }
    const msg = parseClientMessage(data);
    switch (msg.type) {
      case "error":
        this.#send(ws, msg);
        return;
      case "ping":
        this.#send(ws, msg.id === void 0 ? {
          type: "pong"
        } : {
          type: "pong",
          id: msg.id
        });
        return;
      case "subscribe":
        this.#subscribe(ws, msg.topic);
        break;
      case "unsubscribe":
        this.#unsubscribe(ws, msg.topic);
        break;
      case "publish": {
        const delivered = this.publish(msg.topic, msg.data, ws);
        if (msg.id !== void 0) {
          this.#send(ws, {
            type: "ack",
            id: msg.id,
            delivered
          });
        }
        return;
      }
    }
    if (msg.id !== void 0) this.#send(ws, {
      type: "ack",
      id: msg.id
    });
  }
  #subscribe(ws, topic) {
    const mine = this.#subscriptions.get(ws);
    if (mine === void 0) return;
    mine.add(topic);
    let state = this.#topics.get(topic);
    if (state === void 0) {
      state = {
        subscribers: /* @__PURE__ */ new Set(),
        unchecked: 0
      };
      this.#topics.set(topic, state);
    }
    state.subscribers.add(ws);
  }
  #unsubscribe(ws, topic) {
    this.#subscriptions.get(ws)?.delete(topic);
    const state = this.#topics.get(topic);
    if (state === void 0) return;
    state.subscribers.delete(ws);
    if (state.subscribers.size === 0) this.#topics.delete(topic);
  }
  #forget(ws) {
    const mine = this.#subscriptions.get(ws);
    if (mine === void 0) return;
    for (const topic of mine) this.#unsubscribe(ws, topic);
    this.#subscriptions.delete(ws);
  }
  #send(ws, msg) {
    this.#sendRaw(ws, JSON.stringify(msg));
  }
  /** Sends unless the client is gone or too far behind; drops it then. */
  #sendRaw(ws, frame) {
    if (ws.readyState !== OPEN) return false;
    if (ws.bufferedAmount > MAX_BACKLOG_BYTES) {
      this.#drop(ws, CloseCode.policy, "Client is not reading its messages");
      return false;
    }
    ws.send(frame);
    return true;
  }
  #drop(ws, code, reason) {
    this.#forget(ws);
    try {
      ws.close(code, reason);
    } catch {
    }
  }
};
export {
  BACKLOG_CHECK_CHARS,
  CloseCode,
  MAX_BACKLOG_BYTES,
  WsHub
};

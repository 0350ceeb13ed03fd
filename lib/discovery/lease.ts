/**
 * Holding a lease on a runtime (SPEC sections 3-4): a WebSocket connection
 * that sends `{"type":"lease","id"}` and gets its `ack`. The lease lives as
 * long as the connection: closing it, or the holder dying (the kernel
 * closes its sockets even after SIGKILL), ends it. A runtime started with
 * `--exit-when-idle` stays while any lease is held.
 *
 * Web standards only (`WebSocket`, `URL`), so the client module can use it
 * on Deno, Node 22+ and Bun.
 *
 * @module
 */

import { directWebSocket, SOCKET_URLS } from "../shared/direct.ts";
import type { ServerMessage } from "../shared/protocol.ts";

/** A held lease. */
export interface Lease {
  /** The lease id sent to the runtime. */
  id: string;
  /** Resolves when the lease ends: released, or the connection was lost. */
  ended: Promise<void>;
  /** Ends the lease (closes its connection). Safe to call twice. */
  release(): void;
}

/** Options of {@linkcode takeLease}. */
export interface LeaseOptions {
  /** The lease id (any JSON value works on the wire; a string here). */
  id: string;
  /** The runtime's token, sent as `?token=` (every runtime reads it there). */
  token?: string;
  /** The run id the `hello` must report, to be sure it is the run we checked. */
  runId?: string;
  /** How long to wait for `hello` and `ack`, in ms. */
  timeoutMs: number;
}

/**
 * The WebSocket URL with the token as `?token=`: browsers and Node's
 * global `WebSocket` cannot set an `Authorization` header, the query works
 * on every runtime.
 *
 * @example
 * ```ts
 * wsUrlWithToken("ws://127.0.0.1:3000/ws", "abc"); // "ws://127.0.0.1:3000/ws?token=abc"
 * ```
 */
export function wsUrlWithToken(wsUrl: string, token?: string): string {
  if (token === undefined) return wsUrl;
  const url = new URL(wsUrl);
  url.searchParams.set("token", token);
  return url.href;
}

/**
 * Connects to the runtime (to `target.wsUrl`, else over `target.socket`)
 * and takes a lease.
 *
 * @returns The lease, once the runtime acknowledged it.
 * @throws {Error} When the connection fails or closes, `hello` names
 * another run, or no `ack` comes within `timeoutMs`; the connection is
 * closed then.
 */
export function takeLease(
  target: { wsUrl?: string; socket?: string },
  options: LeaseOptions,
): Promise<Lease> {
  // A URL where there is one: Deno's socket WebSockets stall in bursts
  // (see connect.ts).
  const socket = target.wsUrl === undefined ? target.socket : undefined;
  const wsUrl = target.wsUrl ?? SOCKET_URLS.wsUrl;
  const ws = directWebSocket(
    wsUrlWithToken(wsUrl, options.token),
    undefined,
    socket,
  );
  const where = socket ?? wsUrl;
  // Not Promise.withResolvers(): Node 20 lacks it.
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => endedResolve = r);
  let ackResolve!: (lease: Lease) => void;
  let ackReject!: (err: Error) => void;
  const acked = new Promise<Lease>((resolve, reject) => {
    ackResolve = resolve;
    ackReject = reject;
  });
  let held = false;
  const release = () => {
    try {
      ws.close(1000, "Lease released");
    } catch {
      // already closing
    }
  };
  const fail = (why: string) => {
    clearTimeout(timer);
    release();
    ackReject(new Error(`Cannot take a lease at ${where}: ${why}`));
  };
  const timer = setTimeout(
    () => fail(`no answer within ${options.timeoutMs} ms`),
    options.timeoutMs,
  );
  ws.onmessage = (event) => {
    if (held) return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (msg.type === "hello") {
      if (options.runId !== undefined && msg.runId !== options.runId) {
        fail("another run of the runtime answers there");
        return;
      }
      ws.send(JSON.stringify({ type: "lease", id: options.id }));
    } else if (msg.type === "ack" && msg.id === options.id) {
      held = true;
      clearTimeout(timer);
      ackResolve({ id: options.id, ended, release });
    } else if (msg.type === "error") {
      fail(msg.message);
    }
  };
  ws.onclose = () => {
    endedResolve();
    if (!held) fail("the connection closed");
  };
  ws.onerror = () => {
    if (!held) fail("the connection failed");
  };
  return acked;
}

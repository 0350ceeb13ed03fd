/**
 * `connect(options)`: a WebSocket-like handle on the runtime that survives
 * its restarts. When the runtime goes (a `runtime.shutdown` event, a close
 * or an error), the handle re-discovers it with the same precedence and
 * checks as `discover()` (the port may have changed; the state directory's
 * watch wakes it within milliseconds of the new port file), reconnects,
 * re-subscribes its topics and re-takes its lease. Failed attempts back off
 * exponentially with full jitter (50 ms doubling to 2 s); while no runtime
 * exists it sleeps on the directory watch, with a slow poll as the
 * fallback, and never spins.
 *
 * Runs on Deno, Node 22+ and Bun with their global `WebSocket`; on older
 * Node pass one (`{ WebSocket }` from the `ws` package).
 *
 * @example
 * ```ts
 * import { connect } from "./lib/client.ts";
 *
 * const conn = connect({ topics: ["jobs"], lease: "my-tui" });
 * conn.addEventListener("statechange", () => console.log(conn.state));
 * conn.addEventListener("message", (e) => {
 *   const frame = (e as MessageEvent).data;
 *   if (frame.type === "event") console.log(frame.topic, frame.data);
 * });
 * conn.publish("jobs", { started: 1 });
 * // later
 * conn.close();
 * ```
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { UsageError } from "../shared/errors.ts";
import { PROTOCOL, SHUTDOWN_TOPIC } from "../shared/protocol.ts";
import {
  type ClientOptions,
  envOf,
  hostFor,
  reporterOf,
  type Runtime,
  toRuntime,
} from "./_client.ts";
import { type Backoff, backoffDelay } from "./backoff.ts";
import { discoverOnce, reportingOnce, type SkipReporter } from "./discover.ts";
import { directWebSocket, SOCKET_URLS } from "../shared/direct.ts";
import { wsUrlWithToken } from "./lease.ts";
import { type DiscoverPlan, planDiscovery } from "./plan.ts";
import { waitForDiscovery } from "./wait.ts";

/** The states of a {@linkcode RuntimeConnection}. */
export type ConnectionState =
  /** The first connection is being made (discovering, then connecting). */
  | "connecting"
  /** Connected: `hello` arrived, topics and lease were sent. */
  | "open"
  /** The connection was lost; discovering the runtime again. */
  | "reconnecting"
  /** `close()` was called: nothing happens any more. */
  | "closed";

/** The WebSocket class to use: the global one, or the `ws` package's. */
export interface WebSocketConstructor {
  new (url: string): WebSocketLike;
}

/** The part of a WebSocket the connection uses (web standard, `ws` too). */
interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions extends ClientOptions {
  /** Topics to subscribe to at once (and again after every reconnect). */
  topics?: readonly string[];
  /**
   * Hold a lease while connected, re-taken after every reconnect: its id,
   * or `true` for a generated one. A runtime started with
   * `--exit-when-idle` (as `pryx-core run` starts it) stays while it is
   * held.
   */
  lease?: string | boolean;
  /**
   * The WebSocket class. Default: the global `WebSocket` (Deno, Node 22+,
   * Bun). Node 20 has none: pass the `ws` package's.
   */
  WebSocket?: WebSocketConstructor;
  /** The reconnect backoff (default 50 ms doubling to 2 s, full jitter). */
  backoff?: Backoff;
  /** How long connecting and the `hello` may take, in ms (default 5000). */
  connectTimeoutMs?: number;
  /**
   * How often an open connection sends a `ping`, in ms (default 10 000). A
   * connection that has brought nothing (no frame, no `pong`) for two of
   * these is taken for dead and discovered again: a relay (an `ssh -L`
   * tunnel, a VM or container port forward) whose path died without a FIN
   * or RST leaves the socket open for good otherwise (SPEC 4, heartbeat).
   */
  heartbeatMs?: number;
}

/** The event of a state change; `state` (and `detail`) is the new state. */
export class StateChangeEvent extends Event {
  /** The new state. */
  readonly state: ConnectionState;

  /** @param state The new state. */
  constructor(state: ConnectionState) {
    super("statechange");
    this.state = state;
  }

  /** The new state, as a `CustomEvent` would carry it. */
  get detail(): ConnectionState {
    return this.state;
  }
}

/** Default of {@linkcode ConnectOptions.connectTimeoutMs}. */
const CONNECT_TIMEOUT_MS = 5000;

/** Default of {@linkcode ConnectOptions.heartbeatMs}. */
const HEARTBEAT_MS = 10_000;

/**
 * How long `close()` waits for the close handshake before it lets the
 * socket go, in ms: a dead path never answers it.
 */
const CLOSE_WAIT_MS = 1000;

/** The `id` of the heartbeat's pings: their pongs are not news to a caller. */
const HEARTBEAT_ID = "pryx-heartbeat";

/**
 * How often the wait for a runtime re-checks without a directory event, in
 * ms: the watch is the fast path, this only covers file systems that do not
 * report changes (and the env override, which has no file to watch).
 */
const RECONNECT_POLL_MS = 1000;

/** `WebSocket.OPEN`, the same on every implementation. */
const OPEN = 1;

/**
 * A connection to the runtime that survives restarts. An `EventTarget`:
 * `message` events (a `MessageEvent` whose `data` is the parsed frame:
 * `hello`, `event`, `ack`, `pong`, `error`) and `statechange` events
 * ({@linkcode StateChangeEvent}).
 */
export class RuntimeConnection extends EventTarget {
  #state: ConnectionState = "connecting";
  #runtime: Runtime | undefined;
  #ws: WebSocketLike | undefined;
  readonly #topics = new Set<string>();
  readonly #leaseId: string | undefined;
  readonly #options: ConnectOptions;
  readonly #plan: DiscoverPlan;
  readonly #open: (runtime: Runtime) => WebSocketLike;
  readonly #report: SkipReporter;
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  /** Use {@linkcode connect}. */
  constructor(options: ConnectOptions = {}) {
    super();
    const given = options.WebSocket;
    if (
      given === undefined &&
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ===
        undefined
    ) {
      throw new UsageError(
        'connect() needs a WebSocket class: this runtime has no global WebSocket (Node.js before 22); pass { WebSocket } from the "ws" package',
      );
    }
    this.#open = (runtime) => openWebSocket(runtime, given);
    this.#options = options;
    this.#plan = planDiscovery(envOf(options), options);
    for (const topic of options.topics ?? []) this.#topics.add(topic);
    this.#leaseId = options.lease === true
      ? `client-${crypto.randomUUID()}`
      : typeof options.lease === "string"
      ? options.lease
      : undefined;
    this.#report = reportingOnce(reporterOf(options));
    this.#done = this.#loop();
  }

  /** `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The runtime of the current (or last) connection, once there was one. */
  get runtime(): Runtime | undefined {
    return this.#runtime;
  }

  /** The topics subscribed to (sent again after every reconnect). */
  get topics(): string[] {
    return [...this.#topics];
  }

  /**
   * Resolves once the connection is closed for good and everything it
   * started (socket, watch, timers) has ended.
   */
  get closed(): Promise<void> {
    return this.#done;
  }

  /** Subscribes to `topic`, now if open and after every reconnect. */
  subscribe(topic: string): void {
    if (this.#topics.has(topic) || this.#state === "closed") return;
    this.#topics.add(topic);
    this.#send({ type: "subscribe", topic });
  }

  /** Unsubscribes from `topic`. */
  unsubscribe(topic: string): void {
    if (!this.#topics.delete(topic)) return;
    this.#send({ type: "unsubscribe", topic });
  }

  /**
   * Publishes `data` on `topic` to every other subscriber.
   *
   * @returns Whether it was sent: `false` while not `open` (it is not
   * queued: an event is news now, not after a restart).
   */
  publish(topic: string, data: unknown): boolean {
    return this.#send({ type: "publish", topic, data });
  }

  /**
   * Ends the connection for good: no reconnect, no timer or watch left.
   * The `closed` state change is dispatched once all has ended.
   */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stop.abort();
    this.#ws?.close(1000, "Client closed");
  }

  #send(frame: Record<string, unknown>): boolean {
    const ws = this.#ws;
    if (this.#state !== "open" || ws === undefined || ws.readyState !== OPEN) {
      return false;
    }
    ws.send(JSON.stringify(frame));
    return true;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state || this.#state === "closed") return;
    this.#state = state;
    this.dispatchEvent(new StateChangeEvent(state));
  }

  /** Discover, connect, serve until lost, back off, repeat; until closed. */
  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    try {
      const host = await hostFor(this.#options);
      // After a failed check the next wait checks every candidate before
      // it connects: stale files must not be tried again and again.
      let checkFirst = false;
      while (!signal.aborted) {
        await sleep(backoffDelay(failures, this.#options.backoff), signal);
        if (signal.aborted) break;
        const plan = this.#plan;
        const early: boolean = !checkFirst && plan.source === "state" &&
          plan.check &&
          !plan.any && plan.probePorts.length === 0;
        // Early: connect as soon as the instance's files name a run, while
        // that run is checked (lock, /health, proof, protocol); the socket
        // is used only once the check agrees. The new runtime answers both
        // once it has loaded its app, so the handshake costs no extra wait.
        const outcome = await waitForDiscovery(
          host,
          early ? { ...plan, check: false } : plan,
          Number.POSITIVE_INFINITY,
          early ? () => {} : this.#report,
          signal,
          RECONNECT_POLL_MS,
        );
        if (outcome.runtime === undefined) continue;
        const runtime = toRuntime(outcome.runtime);
        const checked: Promise<boolean> = early
          ? discoverOnce(host, plan, this.#report).then((o) =>
            o.runtime !== undefined && o.runtime.port === runtime.port &&
            toRuntime(o.runtime).runId === runtime.runId
          ).catch(() => false)
          : Promise.resolve(true);
        const opened = await this.#session(runtime, checked);
        checkFirst = early && !await checked;
        failures = opened ? 0 : failures + 1;
        // Lost after it was open; a first connection that failed is still
        // `connecting`.
        if (this.#state === "open") this.#setState("reconnecting");
      }
    } catch (err) {
      // Only a bug or an unusable state directory gets here: report it as
      // an error event and stop, rather than retrying it forever.
      this.dispatchEvent(new ErrorEventLike(err));
    } finally {
      this.#ws = undefined;
      this.#state = "closed";
      this.#stop.abort();
      // `close()` set the state already: it is announced now, once the
      // socket, the watch and every timer have ended.
      this.dispatchEvent(new StateChangeEvent("closed"));
    }
  }

  /**
   * One connection to `runtime`: resolves when it is over. It opens only
   * once `checked` resolves `true` (the runtime passed discovery's checks).
   *
   * @returns Whether it got as far as `open`.
   */
  #session(runtime: Runtime, checked: Promise<boolean>): Promise<boolean> {
    // Not Promise.withResolvers(): Node 20 lacks it.
    let resolve!: (opened: boolean) => void;
    const promise = new Promise<boolean>((r) => resolve = r);
    const signal = this.#stop.signal;
    let ws: WebSocketLike;
    try {
      ws = this.#open(runtime);
    } catch {
      return Promise.resolve(false);
    }
    this.#ws = ws;
    let opened = false;
    let over = false;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let closeWait: ReturnType<typeof setTimeout> | undefined;
    let lastHeard = monotonicNow();
    const end = () => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      clearTimeout(closeWait);
      signal.removeEventListener("abort", onAbort);
      ws.onmessage = ws.onopen = ws.onerror = null;
      ws.onclose = null;
      if (ws.readyState <= OPEN) {
        try {
          ws.close(1000, "Reconnecting");
        } catch {
          // already closing
        }
      }
      resolve(opened);
    };
    const onAbort = () => {
      // Wait for the close handshake, so nothing is left running; but not
      // for longer than a second: a dead path never answers it.
      clearTimeout(timer);
      clearInterval(heartbeat);
      closeWait = setTimeout(end, CLOSE_WAIT_MS);
      ws.onmessage = null;
      ws.onclose = end;
      ws.onerror = end;
      try {
        ws.close(1000, "Client closed");
      } catch {
        end();
      }
      if (ws.readyState === 3) end();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      end,
      this.#options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    );
    ws.onclose = end;
    ws.onerror = end;
    ws.onmessage = (event) => {
      lastHeard = monotonicNow();
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (!opened) {
        // Nothing but the hello comes before we subscribe.
        if (frame.type !== "hello") return;
        if (
          frame.protocol !== PROTOCOL ||
          (runtime.runId !== undefined && frame.runId !== runtime.runId)
        ) {
          // Another run took the port since the check: discover again.
          end();
          return;
        }
        checked.then((ok) => {
          if (over) return;
          if (!ok) {
            end();
            return;
          }
          clearTimeout(timer);
          opened = true;
          this.#runtime = runtime;
          for (const topic of this.#topics) {
            ws.send(JSON.stringify({ type: "subscribe", topic }));
          }
          if (this.#leaseId !== undefined) {
            ws.send(JSON.stringify({ type: "lease", id: this.#leaseId }));
          }
          this.#setState("open");
          this.dispatchEvent(new MessageEvent("message", { data: frame }));
          const every = this.#options.heartbeatMs ?? HEARTBEAT_MS;
          heartbeat = setInterval(() => {
            if (monotonicNow() - lastHeard >= 2 * every) {
              end(); // nothing for two beats: the path is dead
              return;
            }
            try {
              ws.send(JSON.stringify({ type: "ping", id: HEARTBEAT_ID }));
            } catch {
              end();
            }
          }, every);
        });
        return;
      }
      if (frame.type === "pong" && frame.id === HEARTBEAT_ID) return;
      this.dispatchEvent(new MessageEvent("message", { data: frame }));
      if (frame.type === "event" && frame.topic === SHUTDOWN_TOPIC) {
        // The runtime is going: its close follows; do not wait for it.
        end();
      }
    };
    if (signal.aborted) onAbort();
    return promise;
  }
}

/** An `error` event carrying the error (`ErrorEvent` is not on every runtime). */
class ErrorEventLike extends Event {
  /** What went wrong. */
  readonly error: unknown;
  /** Its message. */
  readonly message: string;

  constructor(error: unknown) {
    super("error");
    this.error = error;
    this.message = error instanceof Error ? error.message : String(error);
  }
}

/**
 * Opens a connection to the runtime that survives restarts (see the
 * module doc). Returns at once, in state `connecting`.
 *
 * @throws {UsageError} For a bad instance name, URL override or port list,
 * and on a runtime without a global `WebSocket` when none is passed.
 *
 * @example
 * ```ts
 * const conn = connect({ topics: ["build"], lease: true });
 * conn.addEventListener("message", (e) => console.log((e as MessageEvent).data));
 * ```
 */
export function connect(options: ConnectOptions = {}): RuntimeConnection {
  return new RuntimeConnection(options);
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Opens the WebSocket of one session: over the runtime's Unix socket where
 * it has one and the class can (the `ws` package with its
 * `ws+unix:PATH:/ws` address; Deno's own WebSocket with a socket client,
 * but only where no URL reaches the runtime: Deno 2.9.6 stalls most of a
 * burst of socket WebSockets, such as every client reconnecting after a
 * restart, measured here), else to its URL. The global class goes
 * straight to a loopback runtime, past any proxy (`shared/direct.ts`). A
 * class that refuses the socket's address at once (Node's own WebSocket,
 * a `SyntaxError`) gets the URL.
 *
 * @throws {TypeError} When neither reaches the runtime from here (only its
 * socket does, and the class cannot use one).
 */
function openWebSocket(
  runtime: Runtime,
  given: WebSocketConstructor | undefined,
): WebSocketLike {
  const { socket, wsUrl, token } = runtime;
  if (socket !== undefined) {
    if (given === undefined && "Deno" in globalThis && wsUrl === undefined) {
      return directWebSocket(
        wsUrlWithToken(SOCKET_URLS.wsUrl, token),
        undefined,
        socket,
      ) as unknown as WebSocketLike;
    }
    if (given !== undefined) {
      const path = new URL(wsUrlWithToken(SOCKET_URLS.wsUrl, token));
      try {
        return new given(`ws+unix:${socket}:${path.pathname}${path.search}`);
      } catch (err) {
        if (!(err instanceof SyntaxError) || wsUrl === undefined) throw err;
      }
    }
  }
  if (wsUrl === undefined) {
    throw new TypeError(
      `Only the socket ${socket} reaches this runtime, and this WebSocket class cannot use it: pass { WebSocket } from the "ws" package`,
    );
  }
  const url = wsUrlWithToken(wsUrl, token);
  return given === undefined
    ? directWebSocket(url) as unknown as WebSocketLike
    : new given(url);
}

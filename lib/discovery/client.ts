/**
 * The client module: find a live pryx-core runtime from
 * Deno, Node or Bun with the same precedence and checks as
 * `pryx-core discover`.
 *
 * Precedence: `PRYX_API_URL` / `PRYX_WS_URL` (final when set), then the
 * instance files in the state directory (`PRYX_HOME`, else `~/.pryx`), then
 * the probe ports (`PRYX_PROBE_PORTS`). A file candidate is accepted when
 * `/health` answers as `pryx-core` with the run id of its `<instance>.json`
 * and this client's protocol; on Deno its lock must be held too (Node and
 * Bun have no flock, so `/health` decides there). `connect()` (in
 * `connect.ts`) keeps a WebSocket to the runtime across its restarts.
 *
 * One file for every runtime: web-standard `fetch`, `URL` and
 * `AbortSignal.timeout`, plus a tiny file-system shim (Deno APIs, else
 * `node:fs/promises` loaded with a dynamic `import()`). For Node, build it
 * with `deno task build:client` and import `dist/client.mjs`.
 *
 * @example
 * ```ts
 * import { getApiUrl, getRuntimeUrl } from "../lib/client.ts";
 *
 * const api = await getApiUrl();
 * console.log(await (await fetch(`${api}/health`)).json());
 * const ws = new WebSocket(await getRuntimeUrl());
 * ```
 *
 * @module
 */

import { DEFAULT_WAIT_MS } from "../shared/config.ts";
import {
  type ClientOptions,
  hostFor,
  reporterOf,
  type Runtime,
  type TcpRuntime,
  toRuntime,
} from "./_client.ts";
import { planDiscovery } from "./plan.ts";
import { notFound } from "./report.ts";
import { discoverSettled, waitForDiscovery } from "./wait.ts";

export { NotFoundError, PryxError, UsageError } from "../shared/errors.ts";
export type { RuntimeInfo } from "../shared/instance_files.ts";
export { PROTOCOL } from "../shared/protocol.ts";
export type { ClientOptions, Runtime, TcpRuntime } from "./_client.ts";
export {
  connect,
  type ConnectionState,
  type ConnectOptions,
  RuntimeConnection,
  StateChangeEvent,
} from "./connect.ts";

/** Options of {@linkcode waitForRuntime}. */
export interface WaitOptions extends ClientOptions {
  /** How long to wait, in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Stops the wait early; it then rejects with `signal.reason` (an
   * `AbortError` `DOMException` unless the caller gave another), as
   * `fetch` does.
   */
  signal?: AbortSignal;
}

/**
 * Finds a live runtime once: by default one that TCP reaches, with its
 * URLs; with `reach: "any"` also one that only its Unix socket reaches (a
 * runtime of another network namespace that shares the state directory),
 * which then has `socket` and no URLs.
 *
 * @returns The runtime, or `undefined` when nothing live was found.
 * @throws {UsageError} For a bad instance name, URL override or port list.
 *
 * @example
 * ```ts
 * const rt = await discover({ instance: "runtime" });
 * if (rt) console.log(rt.url);
 * ```
 */
export async function discover(
  options?: ClientOptions & { reach?: "tcp" },
): Promise<TcpRuntime | undefined>;
export async function discover(
  options: ClientOptions,
): Promise<Runtime | undefined>;
export async function discover(
  options: ClientOptions = {},
): Promise<Runtime | undefined> {
  const host = await hostFor(options);
  const plan = planDiscovery(host.env, { reach: "tcp", ...options });
  const outcome = await discoverSettled(host, plan, reporterOf(options));
  return outcome.runtime === undefined ? undefined : toRuntime(outcome.runtime);
}

/**
 * Waits until a runtime is live: reacts to the port file appearing (a
 * directory watch, with polling as the fallback) and resolves at once when
 * one is already live. Which runtimes count: as {@linkcode discover}.
 *
 * @throws {NotFoundError} When none is live within `timeoutMs`.
 * @throws The reason of `options.signal` when it aborts the wait.
 *
 * @example
 * ```ts
 * const rt = await waitForRuntime({ timeoutMs: 10_000 });
 * ```
 */
export async function waitForRuntime(
  options?: WaitOptions & { reach?: "tcp" },
): Promise<TcpRuntime>;
export async function waitForRuntime(options: WaitOptions): Promise<Runtime>;
export async function waitForRuntime(
  options: WaitOptions = {},
): Promise<Runtime> {
  const host = await hostFor(options);
  const plan = planDiscovery(host.env, { reach: "tcp", ...options });
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const outcome = await waitForDiscovery(
    host,
    plan,
    timeoutMs,
    reporterOf(options),
    options.signal,
  );
  if (outcome.runtime === undefined) {
    // An aborted wait rejects as `fetch` does: with the signal's reason.
    if (options.signal?.aborted) throw options.signal.reason;
    throw notFound(outcome, timeoutMs);
  }
  return toRuntime(outcome.runtime);
}

/**
 * The HTTP base URL of the live runtime, e.g. `http://127.0.0.1:38124`.
 *
 * @throws {NotFoundError} When nothing live is found.
 */
export async function getApiUrl(options: ClientOptions = {}): Promise<string> {
  return (await discoverByTcp(options)).url;
}

/**
 * The WebSocket URL of the live runtime, e.g. `ws://127.0.0.1:38124/ws`.
 *
 * @throws {NotFoundError} When nothing live is found.
 */
export async function getRuntimeUrl(
  options: ClientOptions = {},
): Promise<string> {
  return (await discoverByTcp(options)).wsUrl;
}

/** A live runtime that TCP reaches from here (it has URLs). */
async function discoverByTcp(
  options: ClientOptions,
): Promise<{ url: string; wsUrl: string }> {
  const host = await hostFor(options);
  const plan = planDiscovery(host.env, { ...options, reach: "tcp" });
  const outcome = await discoverSettled(host, plan, reporterOf(options));
  if (outcome.runtime === undefined) throw notFound(outcome);
  const { url, wsUrl } = outcome.runtime;
  if (url === undefined || wsUrl === undefined) {
    throw new Error("discover found a runtime without URLs for reach tcp");
  }
  return { url, wsUrl };
}

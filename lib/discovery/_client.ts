/**
 * What the client module's functions share: their options, the runtime
 * they answer with, the host they read the environment and files through,
 * and the default report of skipped runtimes. Private to the client
 * (`client.ts`, `connect.ts`).
 *
 * @module
 */

import {
  envFromRecord,
  type EnvGetter,
  envReader,
  readDenoEnv,
} from "../shared/config.ts";
import type { FoundRuntime, SkipReporter } from "./discover.ts";
import { currentHost, type DiscoverHost } from "./host.ts";
import type { DiscoverOptions } from "./plan.ts";

/** Options of every function here; each falls back to the environment. */
export interface ClientOptions extends DiscoverOptions {
  /**
   * Environment to read instead of the process's: a record or a getter.
   * Handy to point at a test state directory. As everywhere, a blank value
   * counts as unset.
   */
  env?: Record<string, string | undefined> | EnvGetter;
}

/**
 * A live runtime: where it is and how to talk to it. A runtime of another
 * network namespace that shares the state directory (a container with it
 * mounted) is reached only by its `socket`: it then has no `url`, `wsUrl`
 * or `port` (they are its own loopback's, SPEC 2). Only `reach: "any"` or
 * `"socket"` finds such a one; by default every function here finds
 * runtimes with URLs ({@linkcode TcpRuntime}).
 */
export interface Runtime {
  /** The HTTP base URL, e.g. `http://127.0.0.1:38124`; see above. */
  url?: string;
  /** The WebSocket URL, e.g. `ws://127.0.0.1:38124/ws`; see above. */
  wsUrl?: string;
  /** The port; see above. */
  port?: number;
  /**
   * The runtime's Unix socket, where it has one and this platform can use
   * it (not Windows): `connect()` goes over it; with `fetch`, Deno takes
   * `Deno.createHttpClient({ proxy: { transport: "unix", path } })`, Node
   * `http.request({ socketPath })`.
   */
  socket?: string;
  /** The bearer token for `/ws`, `/publish` and `/info`, when known. */
  token?: string;
  /** The server's pid, when known. */
  pid?: number;
  /** The instance name, when known. */
  instance?: string;
  /** The run id (128 bits, hex) of this run of the runtime, when known. */
  runId?: string;
  /** Where it was found: the env override, an instance file, or a probe. */
  source: "env" | "file" | "probe";
}

/**
 * A runtime that TCP reaches from here: what `discover()` and
 * `waitForRuntime()` find unless asked for `reach: "any"` or `"socket"`.
 */
export type TcpRuntime = Runtime & { url: string; wsUrl: string; port: number };

interface NodeProcess {
  env: Record<string, string | undefined>;
}

/**
 * The environment getter of `options`: its `env`, else the process's
 * (`Deno.env` on Deno, `process.env` on Node and Bun). Synchronous, so
 * options can be validated before anything asynchronous starts.
 */
export function envOf(options: ClientOptions): EnvGetter {
  const env = options.env;
  if (typeof env === "function") return envReader(env);
  if (env !== undefined) return envFromRecord(env);
  // Without --allow-env, one line that names the flag: a variable read as
  // unset would surface later as a puzzling "set HOME".
  if ("Deno" in globalThis) return envReader(readDenoEnv);
  const proc = (globalThis as { process?: NodeProcess }).process;
  return envFromRecord(proc?.env ?? {});
}

/** The host of this runtime, reading the environment of `options`. */
export async function hostFor(options: ClientOptions): Promise<DiscoverHost> {
  const host = await currentHost();
  if (options.env === undefined) return host;
  return { ...host, env: envOf(options) };
}

/**
 * The reporter of skipped runtimes: `options.onStale` when given; else
 * runtimes that speak another protocol or live on another machine, and a
 * URL override that is not live, are reported on stderr (a setup problem
 * someone must see, with how to fix it); a stale file is routine and stays
 * quiet.
 */
export function reporterOf(options: ClientOptions): SkipReporter {
  return options.onStale ?? ((message, kind) => {
    if (kind !== "stale") console.error(`pryx-core: ${message}`);
  });
}

/** The public shape of a found runtime. */
export function toRuntime(found: FoundRuntime): Runtime {
  const pid = found.info?.pid ?? found.health?.pid;
  const instance = found.info?.instance ?? found.health?.instance;
  const runId = found.health?.runId ?? found.info?.runId;
  return {
    ...(found.url === undefined ? {} : { url: found.url }),
    ...(found.wsUrl === undefined ? {} : { wsUrl: found.wsUrl }),
    ...(found.port === undefined ? {} : { port: found.port }),
    ...(found.socket === undefined ? {} : { socket: found.socket }),
    ...(found.token === undefined ? {} : { token: found.token }),
    ...(pid === undefined ? {} : { pid }),
    ...(instance === undefined ? {} : { instance }),
    ...(runId === undefined ? {} : { runId }),
    source: found.source,
  };
}

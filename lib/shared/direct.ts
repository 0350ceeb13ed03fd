/**
 * `fetch` and `WebSocket` for the loopback connections of the discovery
 * side (`/health` of a candidate, a lease, any other request to a local
 * runtime), straight to the socket, never through a proxy.
 *
 * Proxy variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, lower case
 * too) name a proxy for the network: a proxy's loopback is not ours, and a
 * dead proxy (`HTTP_PROXY=http://127.0.0.1:9`) would make every runtime look
 * dead. `NO_PROXY` cannot be relied on (users list `localhost`, not
 * `127.0.0.1`). Each runtime's own fetch honours them differently:
 *
 * - Deno: `fetch` honours them (Deno manual, "Proxies"). Requests go
 *   instead as one HTTP/1.1 exchange on a `Deno.connect` connection of
 *   their own (`shared/http1.ts`), which no proxy setting reaches and which
 *   costs about 2 ms where a process's first `fetch` costs 5-10 ms (SPEC
 *   6a). A WebSocket takes a client from `Deno.createHttpClient` whose
 *   transport is the target's own TCP address (`proxy: { transport:
 *   "tcp" }`), only while a proxy variable is set.
 * - Node: `fetch` ignores them unless `NODE_USE_ENV_PROXY=1` or
 *   `--use-env-proxy` (Node 22.21/24.5 and later, which then proxy every
 *   `fetch`); Bun's `fetch` and `node:http` honour them always, with no
 *   per-request way out. Both get `node:http` with an agent whose
 *   `proxyEnv` is `null` (Node's documented opt-out; unproxied on every
 *   version), loaded with a dynamic `import()` only there.
 *
 * Node's `WebSocket` (22 and later) follows the global dispatcher and Bun's
 * its own proxy settings, with no opt-out a library can reach: there it is
 * the plain `WebSocket`.
 *
 * Other hosts (a `PRYX_API_URL` on another machine) use the plain `fetch`
 * and `WebSocket`, proxy and all, as the user configured.
 *
 * A runtime's Unix socket (SPEC 4), where the caller names one: on Deno a
 * `Deno.connect` Unix connection for requests, and for a WebSocket a
 * client whose transport is the socket (`proxy: { transport: "unix" }`,
 * Deno's `Deno.createHttpClient` docs); on Node and Bun `node:http` with
 * `socketPath`. The URL's host and port are then only the request's
 * `Host`: the socket is where it goes.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import {
  http1Fetch,
  type LocalAnswer,
  localAnswer,
  type LocalRequest,
} from "./http1.ts";

export type { LocalAnswer, LocalRequest } from "./http1.ts";
import { hostOs, type Os } from "./os.ts";

/**
 * Whether `hostname` (as `URL.hostname` spells it) is this machine's
 * loopback: `localhost`, a name under `.localhost` (RFC 6761, section 6.3),
 * `127.0.0.0/8` or `[::1]`.
 */
function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost") ||
    name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Like `fetch(url, init)`, but a loopback URL is never sent through a
 * proxy. The body of the answer is read in full before it resolves (the
 * answers of a runtime are small), and the answer is a plain
 * {@linkcode LocalAnswer}, not a `Response` (see `shared/http1.ts`).
 *
 * @throws {UsageError} On Deno without `--allow-net`, naming the flag.
 * @throws {TypeError} When nothing answers, as `fetch` does; an abort or
 * timeout of `init.signal` rejects with the signal's reason.
 */
export async function directFetch(
  url: string,
  init: LocalRequest = {},
  socket?: string,
): Promise<LocalAnswer> {
  const target = new URL(url);
  try {
    if (socket !== undefined) {
      return "Deno" in globalThis
        ? await denoDirect(target, init, socket)
        : await nodeDirect(target, init, socket);
    }
    if (!isLoopbackHostname(target.hostname)) {
      return await plainFetch(url, init);
    }
    return "Deno" in globalThis
      ? await denoDirect(target, init)
      : await nodeDirect(target, init);
  } catch (err) {
    if ("Deno" in globalThis && err instanceof Deno.errors.NotCapable) {
      throw new UsageError(
        socket === undefined
          ? `Cannot connect to ${target.host}: run with --allow-net (or --allow-net=${target.hostname})`
          : `Cannot connect to the socket ${socket}: run with --allow-read, --allow-write and --allow-net (Deno needs all three for a socket)`,
      );
    }
    throw err;
  }
}

/**
 * The URLs of requests sent over a runtime's socket: only their path and
 * `Host` travel (no browser reaches a socket, and the runtime does not
 * check `Host` there, SPEC 4). The host is one label that no `NO_PROXY`
 * entry but itself and `*` matches: Deno applies `NO_PROXY` to a client's
 * socket transport too, and a matched host goes to TCP port 80 instead
 * (measured on 2.9.6 with `NO_PROXY=localhost`).
 */
export const SOCKET_URLS = {
  url: "http://pryx-socket",
  wsUrl: "ws://pryx-socket/ws",
} as const;

/** The host of {@linkcode SOCKET_URLS}, as Deno's net permission names it. */
const SOCKET_HOST = "pryx-socket:80";

/**
 * Whether this process can reach the Unix socket at `socket` (SPEC 4):
 * Deno and Node (and Bun, through `node:http`) everywhere but on Windows,
 * where the runtime serves none. Deno only when it is granted read and
 * write access to the socket's path (what `Deno.connect` asks for) and net
 * access to the request's host, and not under `NO_PROXY=*` (what a
 * WebSocket over its socket client asks for, measured on 2.9.6; the query
 * never prompts); and on Deno only while a socket
 * (not a symbolic link, not a file) is at the path. Otherwise TCP it is.
 *
 * @param os The OS (default: this one, as `shared/os.ts` reads it).
 */
export function canUseSocket(socket: string, os: Os = hostOs()): boolean {
  if (os === "windows") return false;
  if (!("Deno" in globalThis)) return true;
  if (noProxyForAll()) return false;
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state === "granted";
  if (
    !granted({ name: "read", path: socket }) ||
    !granted({ name: "write", path: socket }) ||
    !granted({ name: "net", host: SOCKET_HOST })
  ) return false;
  // A socket, not a link to one elsewhere, nor a file planted in its place.
  try {
    return Deno.lstatSync(socket).isSocket === true;
  } catch {
    return false;
  }
}

/**
 * Whether `NO_PROXY` (any case) lists `*`: Deno then sends no request
 * through a socket transport at all (see {@linkcode SOCKET_URLS}).
 */
function noProxyForAll(): boolean {
  try {
    return ["NO_PROXY", "no_proxy"].some((name) =>
      (Deno.env.get(name) ?? "").split(",").some((entry) =>
        entry.trim() === "*"
      )
    );
  } catch {
    return false;
  }
}

/**
 * Opens `new WebSocket(url, protocols)`, but on Deno a loopback URL never
 * goes through a proxy (see the module doc for Node and Bun).
 */
export function directWebSocket(
  url: string,
  protocols?: string | string[],
  socket?: string,
): WebSocket {
  const target = new URL(url);
  if (socket !== undefined && "Deno" in globalThis) {
    const client = socketClient(socket);
    const ws = new WebSocket(url, {
      client,
      ...(protocols === undefined ? {} : { protocols }),
    });
    ws.addEventListener("close", () => client.close(), { once: true });
    return ws;
  }
  if (
    !("Deno" in globalThis) || !isLoopbackHostname(target.hostname) ||
    !denoProxyConfigured()
  ) return new WebSocket(url, protocols);
  const client = directClient(target);
  const ws = new WebSocket(url, {
    client,
    ...(protocols === undefined ? {} : { protocols }),
  });
  ws.addEventListener("close", () => client.close(), { once: true });
  return ws;
}

/** The proxy variables Deno's `fetch` and `WebSocket` honour, any case. */
const PROXY_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/**
 * Whether a proxy variable is set for this Deno process: only then is a
 * client of its own needed (creating one costs about as much as the
 * request). When the environment cannot be read, assume one is.
 */
function denoProxyConfigured(): boolean {
  try {
    return PROXY_VARIABLES.some((name) => (Deno.env.get(name) ?? "") !== "");
  } catch {
    return true;
  }
}

/** A Deno client that connects to `target`'s own address, never a proxy. */
function directClient(target: URL): Deno.HttpClient {
  return Deno.createHttpClient({
    proxy: {
      transport: "tcp",
      hostname: target.hostname,
      port: portOf(target),
    },
  });
}

/** A Deno client whose transport is the Unix socket at `path`. */
function socketClient(path: string): Deno.HttpClient {
  return Deno.createHttpClient({ proxy: { transport: "unix", path } });
}

/**
 * A request of Deno to a loopback `target` or over `socket`: one HTTP/1.1
 * exchange on a connection of its own (`shared/http1.ts`), which meets no
 * proxy and costs a fraction of a first `fetch` (SPEC 6a).
 */
/** The user's own `fetch` (proxy and all), its answer read in full. */
async function plainFetch(
  url: string,
  init: LocalRequest,
): Promise<LocalAnswer> {
  const res = await fetch(url, init);
  const body = new Uint8Array(await res.arrayBuffer());
  const headers = new Map<string, string>();
  res.headers.forEach((value, name) => headers.set(name, value));
  return localAnswer(res.status, headers, body);
}

async function denoDirect(
  target: URL,
  init: LocalRequest,
  socket?: string,
): Promise<LocalAnswer> {
  return await http1Fetch(
    socket === undefined
      ? {
        transport: "tcp",
        hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: portOf(target),
      }
      : { transport: "unix", path: socket },
    target,
    init,
  );
}

function portOf(url: URL): number {
  return url.port === ""
    ? (url.protocol === "https:" ? 443 : 80)
    : Number(url.port);
}

/** The part of `node:http` used here. */
interface NodeHttp {
  Agent: new (options: { proxyEnv: null; keepAlive: false }) => unknown;
  request(
    url: URL,
    options: {
      method?: string;
      headers?: Record<string, string>;
      agent: unknown;
      signal?: AbortSignal;
      socketPath?: string;
    },
    onResponse: (res: NodeIncoming) => void,
  ): NodeRequest;
}

interface NodeIncoming {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end", listener: () => void): void;
  on(event: "error", listener: (err: Error) => void): void;
}

interface NodeRequest {
  on(event: "error", listener: (err: Error) => void): void;
  end(body?: string): void;
}

let nodeHttp: Promise<{ http: NodeHttp; agent: unknown }> | undefined;

async function nodeDirect(
  target: URL,
  init: LocalRequest,
  socket?: string,
): Promise<LocalAnswer> {
  const specifier = "node:http";
  const { http, agent } = await (nodeHttp ??= import(specifier).then(
    (http: NodeHttp) => ({
      http,
      agent: new http.Agent({ proxyEnv: null, keepAlive: false }),
    }),
  ));
  const { signal, body } = init;
  return await new Promise<LocalAnswer>((resolve, reject) => {
    const fail = (err: Error) =>
      reject(
        signal?.aborted
          ? signal.reason
          : new TypeError("fetch failed", { cause: err }),
      );
    const req = http.request(target, {
      method: init.method ?? "GET",
      headers: init.headers ?? {},
      agent,
      ...(signal === undefined ? {} : { signal }),
      ...(socket === undefined ? {} : { socketPath: socket }),
    }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        const headers = new Map<string, string>();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          headers.set(name, Array.isArray(value) ? value.join(", ") : value);
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) {
          fail(new Error(`unexpected HTTP status ${status}`));
          return;
        }
        const body = hasBody(status, init) ? concat(chunks) : null;
        resolve(localAnswer(status, headers, body));
      });
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** Whether a `Response` may carry a body (Fetch standard, "null body status"). */
function hasBody(status: number, init: LocalRequest): boolean {
  return status !== 204 && status !== 205 && status !== 304 &&
    init.method !== "HEAD";
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * One HTTP/1.1 exchange over a connection of Deno's own (`Deno.connect`,
 * TCP or a Unix socket): the request, `Connection: close`, and the answer
 * read to its end as an {@linkcode LocalAnswer}. It is how the Deno side of
 * `shared/direct.ts` talks to a local runtime.
 *
 * Why not `fetch`: this is the start-up path of `discover` (SPEC 6a). On
 * Deno 2.9.6 here the first `fetch` of a process costs 5-10 ms (its HTTP
 * client is created then), against about 2 ms for `Deno.connect`, a write
 * and a read (measured in fresh processes against a live runtime); and a
 * process with about 16 or more `Deno.createHttpClient` Unix-socket clients
 * connecting at once stalls, where `Deno.connect` answers 50 of 50 in
 * milliseconds. A raw connection also never meets a proxy, which is what a
 * loopback check wants (SPEC 5). For the same reason it builds no
 * `Headers`, `Request` or `Response`: the first of each in a Deno process
 * costs 1-2 ms more (measured here), so the answer is a plain object.
 *
 * What it understands of an answer (RFC 9112): the status line, header
 * fields, and a body framed by `Content-Length`, by `chunked` transfer
 * coding (extensions and trailers skipped) or by the end of the
 * connection; interim `1xx` answers are skipped. Anything else is a
 * malformed answer. Answers are bounded ({@linkcode HTTP1_MAX_BYTES}): a
 * runtime's are a few hundred bytes.
 *
 * @module
 */

/** Where the connection goes: a TCP address or a Unix socket's path. */
export type Http1Target =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** What a request sends: the part of `RequestInit` a runtime's routes use. */
export interface LocalRequest {
  /** The method (default `GET`). */
  method?: string;
  /** Header fields; names are tokens, values have no CR, LF or NUL. */
  headers?: Record<string, string>;
  /** The body, sent as UTF-8 with its `Content-Length`. */
  body?: string;
  /** Aborts the exchange: the connection is closed. */
  signal?: AbortSignal;
}

/** An answer read to its end: the part of `Response` the callers use. */
export interface LocalAnswer {
  /** The status code, 200-599. */
  status: number;
  /** Whether `status` is 200-299. */
  ok: boolean;
  /** Header fields by lower-case name (repeated fields joined by `, `). */
  headers: ReadonlyMap<string, string>;
  /** The body's bytes; `null` for `HEAD`, 204 and 304. */
  body: Uint8Array | null;
  /** The body as text (UTF-8). */
  text(): string;
  /**
   * The body parsed as JSON.
   *
   * @throws {SyntaxError} When it is not JSON.
   */
  json(): unknown;
}

/**
 * The answer of `status` with `headers` and `body`.
 *
 * @throws {TypeError} When `status` is outside 200-599, as `Response` does.
 */
export function localAnswer(
  status: number,
  headers: ReadonlyMap<string, string>,
  body: Uint8Array | null,
): LocalAnswer {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new TypeError(`Invalid HTTP status ${status}`);
  }
  const text = () => body === null ? "" : new TextDecoder().decode(body);
  return {
    status,
    ok: status >= 200 && status <= 299,
    headers,
    body,
    text,
    json: () => JSON.parse(text()),
  };
}

/** The most bytes of head (status line and fields) read: 16 KiB. */
export const HTTP1_MAX_HEAD_BYTES = 16 * 1024;

/** The most bytes of body read: 1 MiB. */
export const HTTP1_MAX_BYTES = 1024 * 1024;

const CRLF = "\r\n";

/**
 * Sends `init` to `url` over a new connection to `target` and reads the
 * answer. The request line carries `url`'s path and query, `Host` its
 * host; the headers and body are `init`'s. An abort of `init.signal`
 * closes the connection. The connection is opened first, so that it is
 * on its way while the caller goes on.
 *
 * @example
 * ```ts
 * const res = await http1Fetch(
 *   { transport: "tcp", hostname: "127.0.0.1", port: 8080 },
 *   new URL("http://127.0.0.1:8080/health"),
 * );
 * console.log(res.status, res.json());
 * ```
 *
 * @returns The answer, its body read in full (none for `HEAD`, 204 and 304).
 * @throws {TypeError} For a method, header name or value that HTTP does not
 * allow (a CR or LF would split the request), before anything is sent.
 * @throws The signal's reason when `init.signal` aborts, as `fetch` does.
 * @throws {TypeError} When the connection fails or the answer is malformed
 * or too large ("fetch failed", the cause attached), as `fetch` does.
 * @throws {Deno.errors.NotCapable} Without the permission to connect.
 */
export async function http1Fetch(
  target: Http1Target,
  url: URL,
  init: LocalRequest = {},
): Promise<LocalAnswer> {
  const { signal } = init;
  signal?.throwIfAborted();
  const request = encodeRequest(url, init);
  const connecting = connect(target);
  let conn: Deno.Conn | undefined;
  const abort = () => {
    try {
      conn?.close();
    } catch {
      // Already closed.
    }
  };
  // A connection that opens after an abort is closed as it opens.
  connecting.then((c) => {
    conn = c;
    if (signal?.aborted) abort();
  }, () => {});
  signal?.addEventListener("abort", abort, { once: true });
  try {
    conn = await connecting;
    if (signal?.aborted) throw signal.reason;
    await writeAll(conn, request);
    return await readResponse(conn, init.method ?? "GET");
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) throw err;
    throw new TypeError("fetch failed", { cause: err });
  } finally {
    signal?.removeEventListener("abort", abort);
    abort();
  }
}

function connect(target: Http1Target): Promise<Deno.Conn> {
  return target.transport === "unix"
    ? Deno.connect({ transport: "unix", path: target.path })
    : Deno.connect({ hostname: target.hostname, port: target.port });
}

/** A field name: an RFC 9110 token (section 5.6.2). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The request's bytes (RFC 9112, sections 3 and 5). */
function encodeRequest(url: URL, init: LocalRequest): Uint8Array {
  const method = (init.method ?? "GET").toUpperCase();
  if (!TOKEN.test(method)) {
    throw new TypeError(`Invalid HTTP method "${method}"`);
  }
  const body = init.body === undefined
    ? undefined
    : new TextEncoder().encode(init.body);
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (!TOKEN.test(name)) {
      throw new TypeError(`Invalid header name "${name}"`);
    }
    if (/[\0\r\n]/.test(value)) {
      throw new TypeError(`Invalid value of header "${name}"`);
    }
    fields.set(name.toLowerCase(), value.trim());
  }
  fields.set("host", url.host);
  fields.set("connection", "close");
  if (body !== undefined) fields.set("content-length", String(body.length));
  else if (method === "POST" || method === "PUT") {
    fields.set("content-length", "0");
  }
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1${CRLF}`;
  for (const [name, value] of fields) head += `${name}: ${value}${CRLF}`;
  const bytes = new TextEncoder().encode(head + CRLF);
  if (body === undefined) return bytes;
  const out = new Uint8Array(bytes.length + body.length);
  out.set(bytes);
  out.set(body, bytes.length);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** Bytes of a connection, read as they are needed. */
class Reader {
  #buf = new Uint8Array(0);
  #eof = false;
  constructor(readonly conn: Deno.Conn) {}

  /** Reads once more; false at the end of the connection. */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  /** The bytes up to `delimiter` (consumed, not returned), within `max`. */
  async until(delimiter: string, max: number): Promise<string> {
    const d = new TextEncoder().encode(delimiter);
    let from = 0;
    for (;;) {
      const at = indexOf(this.#buf, d, from);
      if (at >= 0) {
        const text = new TextDecoder().decode(this.#buf.subarray(0, at));
        this.#buf = this.#buf.subarray(at + d.length);
        return text;
      }
      if (this.#buf.length > max) throw new Error("the answer is too large");
      from = Math.max(0, this.#buf.length - d.length + 1);
      if (!await this.#more()) throw new Error("the answer ended early");
    }
  }

  /** Exactly `n` bytes. */
  async exactly(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!await this.#more()) throw new Error("the answer ended early");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Everything to the end of the connection, within `max`. */
  async rest(max: number): Promise<Uint8Array> {
    while (await this.#more()) {
      if (this.#buf.length > max) throw new Error("the answer is too large");
    }
    const out = this.#buf.slice();
    this.#buf = new Uint8Array(0);
    return out;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** The status line and fields of one answer (RFC 9112, sections 4 and 5). */
function parseHead(
  head: string,
): { status: number; headers: Map<string, string> } {
  const [line, ...fields] = head.split(CRLF);
  const m = /^HTTP\/1\.[01] ([1-5]\d\d)(?: .*)?$/.exec(line);
  if (m === null) throw new Error(`malformed status line "${line}"`);
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    const name = field.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) {
      throw new Error(`malformed header field "${field}"`);
    }
    const key = name.toLowerCase();
    const value = field.slice(colon + 1).trim();
    const before = headers.get(key);
    headers.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(m[1]), headers };
}

async function readResponse(
  conn: Deno.Conn,
  method: string,
): Promise<LocalAnswer> {
  const reader = new Reader(conn);
  for (;;) {
    const { status, headers } = parseHead(
      await reader.until(CRLF + CRLF, HTTP1_MAX_HEAD_BYTES),
    );
    // An interim answer (100 Continue, 103 Early Hints) precedes the final one.
    if (status < 200) continue;
    const empty = method.toUpperCase() === "HEAD" || status === 204 ||
      status === 304;
    const body = empty ? null : await readBody(reader, headers);
    return localAnswer(status, headers, body);
  }
}

/** The body of an answer as its framing says (RFC 9112, section 6.3). */
async function readBody(
  reader: Reader,
  headers: ReadonlyMap<string, string>,
): Promise<Uint8Array> {
  const coding = headers.get("transfer-encoding");
  if (coding !== undefined) {
    if (coding.trim().toLowerCase() !== "chunked") {
      throw new Error(`unsupported transfer coding "${coding}"`);
    }
    return await readChunked(reader);
  }
  const length = headers.get("content-length");
  if (length === undefined) return await reader.rest(HTTP1_MAX_BYTES);
  if (!/^\d{1,8}$/.test(length.trim())) {
    throw new Error(`malformed content-length "${length}"`);
  }
  const n = Number(length.trim());
  if (n > HTTP1_MAX_BYTES) throw new Error("the answer is too large");
  return await reader.exactly(n);
}

async function readChunked(reader: Reader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const line = await reader.until(CRLF, HTTP1_MAX_HEAD_BYTES);
    const m = /^([0-9a-fA-F]{1,8})(?:;.*)?$/.exec(line.trim());
    if (m === null) throw new Error(`malformed chunk size "${line}"`);
    const size = parseInt(m[1], 16);
    if (size === 0) break;
    total += size;
    if (total > HTTP1_MAX_BYTES) throw new Error("the answer is too large");
    parts.push(await reader.exactly(size));
    if (await reader.until(CRLF, 2) !== "") {
      throw new Error("malformed chunk: no CRLF after its data");
    }
  }
  // Trailer fields, up to the empty line.
  while (await reader.until(CRLF, HTTP1_MAX_HEAD_BYTES) !== "") {
    // Trailers are not used.
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

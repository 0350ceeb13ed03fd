/**
 * Raw HTTP/1.1 over `Deno.connect` for tests that need what `fetch` will
 * not send: a foreign, empty or missing `Host`, an `Origin` on a WebSocket
 * upgrade, absurd headers, and bodies written piece by piece. Also encodes
 * client WebSocket frames for tests that speak the wire protocol directly.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One response as read off the wire. */
export interface RawResponse {
  /** The status code, e.g. `403`. */
  status: number;
  /** The whole status line, e.g. `HTTP/1.1 403 Forbidden`. */
  statusLine: string;
  /** The response headers (repeated names joined by `, `). */
  headers: Headers;
  /** The body as text (empty for 1xx, 204, 304 and HEAD). */
  body: string;
}

/** A request to format with {@linkcode requestHead}. */
export interface RawRequest {
  /** Default `GET`. */
  method?: string;
  /** The request target; default `/health`. */
  path?: string;
  /**
   * The `Host` header: default `127.0.0.1:PORT`; `null` sends none and `""`
   * an empty one.
   */
  host?: string | null;
  /** Further headers, in order; names may repeat. */
  headers?: [string, string][];
  /** A body; `Content-Length` is added unless a header sets it or `Transfer-Encoding`. */
  body?: string | Uint8Array;
}

/**
 * Formats the request line and headers of `req` for a server on `port`,
 * ending with the blank line.
 *
 * @example
 * ```ts
 * requestHead(8080, { host: "evil.example" });
 * // "GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
 * ```
 */
export function requestHead(port: number, req: RawRequest = {}): string {
  const lines = [`${req.method ?? "GET"} ${req.path ?? "/health"} HTTP/1.1`];
  const host = req.host === undefined ? `127.0.0.1:${port}` : req.host;
  if (host !== null) lines.push(`Host: ${host}`);
  const headers = req.headers ?? [];
  const has = (name: string) =>
    headers.some(([n]) => n.toLowerCase() === name.toLowerCase());
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (!has("connection")) lines.push("Connection: close");
  if (
    req.body !== undefined && !has("content-length") &&
    !has("transfer-encoding")
  ) {
    const size = typeof req.body === "string"
      ? enc.encode(req.body).byteLength
      : req.body.byteLength;
    lines.push(`Content-Length: ${size}`);
  }
  return lines.join("\r\n") + "\r\n\r\n";
}

/** The headers of a valid WebSocket handshake (RFC 6455 section 4.1). */
export function upgradeHeaders(): [string, string][] {
  const key = btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
  );
  return [
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", key],
    ["Sec-WebSocket-Version", "13"],
  ];
}

/**
 * A TCP connection to the server under test: write bytes, read responses.
 * Dispose it (or call `close`) when done.
 */
export class RawConnection implements Disposable {
  readonly #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #eof = false;
  #closed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects to `hostname:port` (loopback by default). */
  static async open(
    port: number,
    hostname = "127.0.0.1",
  ): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ hostname, port }));
  }

  /** Connects to the Unix socket at `path`. */
  static async openSocket(path: string): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ path, transport: "unix" }));
  }

  /**
   * Writes all of `data`.
   *
   * @returns `false` when the server has closed or reset the connection.
   */
  async write(data: string | Uint8Array): Promise<boolean> {
    let bytes = typeof data === "string" ? enc.encode(data) : data;
    try {
      while (bytes.byteLength > 0) {
        bytes = bytes.subarray(await this.#conn.write(bytes));
      }
      return true;
    } catch (err) {
      if (isConnectionGone(err)) return false;
      throw err;
    }
  }

  /**
   * Reads one response: the head, then the body by `Content-Length`,
   * chunked coding, or up to EOF. An interim 1xx response (e.g. `100
   * Continue`) counts as one: call again for the final one.
   *
   * @param head `true` when the request was `HEAD` (no body follows).
   * @returns The response, or `undefined` when the server closed the
   * connection without answering.
   * @throws {Error} When nothing complete arrives within `timeoutMs`.
   */
  async readResponse(
    timeoutMs = 10_000,
    head = false,
  ): Promise<RawResponse | undefined> {
    const timer = setTimeout(() => this.close(), timeoutMs);
    try {
      const end = await this.#fillUntil(() => indexOf(this.#buf, CRLFCRLF));
      if (end < 0) {
        if (this.#closed && !this.#eof) throw timedOut(timeoutMs);
        return undefined;
      }
      const text = dec.decode(this.#buf.subarray(0, end));
      this.#buf = this.#buf.subarray(end + 4);
      const [statusLine, ...lines] = text.split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.append(line.slice(0, colon).trim(), line.slice(colon + 1));
      }
      const body = await this.#readBody(status, headers, head);
      if (body === undefined) throw timedOut(timeoutMs);
      return { status, statusLine, headers, body };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by a failed read or write.
    }
  }

  /** Closes the connection. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #readBody(
    status: number,
    headers: Headers,
    head: boolean,
  ): Promise<string | undefined> {
    if (head || status < 200 || status === 204 || status === 304) return "";
    const length = headers.get("content-length");
    if (length !== null) {
      const n = Number(length);
      await this.#fillUntil(() => this.#buf.byteLength >= n ? n : -1);
      if (this.#buf.byteLength < n && this.#closed) return undefined;
      return this.#take(Math.min(n, this.#buf.byteLength));
    }
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      let body = "";
      for (;;) {
        const line = await this.#fillUntil(() => indexOf(this.#buf, CRLF));
        if (line < 0) return this.#closed ? undefined : body;
        const size = parseInt(this.#take(line + 2), 16);
        if (size === 0) {
          await this.#fillUntil(() => indexOf(this.#buf, CRLF));
          return body;
        }
        await this.#fillUntil(() =>
          this.#buf.byteLength >= size + 2 ? size : -1
        );
        body += this.#take(size);
        this.#take(2);
      }
    }
    await this.#fillUntil(() => -1);
    return this.#closed && !this.#eof
      ? undefined
      : this.#take(this.#buf.length);
  }

  /** Reads until `found()` is not negative, EOF or close; returns `found()`. */
  async #fillUntil(found: () => number): Promise<number> {
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      const at = found();
      if (at >= 0 || this.#eof || this.#closed) return at;
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch (err) {
        if (!isConnectionGone(err) && !this.#closed) throw err;
        n = null;
      }
      if (n === null) {
        this.#eof = !this.#closed;
        continue;
      }
      const next = new Uint8Array(this.#buf.byteLength + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.byteLength);
      this.#buf = next;
    }
  }

  #take(n: number): string {
    const text = dec.decode(this.#buf.subarray(0, n));
    this.#buf = this.#buf.subarray(n);
    return text;
  }
}

/**
 * Sends `req` on a fresh connection and reads the response.
 *
 * @returns The response, or `undefined` when the server closed the
 * connection without one.
 */
export async function rawRequest(
  port: number | { socket: string },
  req: RawRequest = {},
  timeoutMs = 10_000,
): Promise<RawResponse | undefined> {
  using conn = typeof port === "number"
    ? await RawConnection.open(port)
    : await RawConnection.openSocket(port.socket);
  const head = requestHead(typeof port === "number" ? port : 0, req);
  const body = typeof req.body === "string" ? enc.encode(req.body) : req.body;
  // Write and read at once: a server may answer (and close) before the body is in.
  const writing = (async () => {
    if (await conn.write(head) && body !== undefined) await conn.write(body);
  })();
  const res = await conn.readResponse(timeoutMs, req.method === "HEAD");
  conn.close();
  await writing;
  return res;
}

/**
 * Like {@linkcode rawRequest}, but fails the test when the server closes
 * without answering.
 */
export async function mustRequest(
  port: number | { socket: string },
  req: RawRequest = {},
  timeoutMs?: number,
): Promise<RawResponse> {
  const res = await rawRequest(port, req, timeoutMs);
  if (res === undefined) {
    throw new Error(
      `${req.method ?? "GET"} ${
        (req.path ?? "/health").slice(0, 80)
      } got no response`,
    );
  }
  return res;
}

/** WebSocket opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/**
 * Encodes one client-to-server WebSocket frame, masked as clients must.
 *
 * @param first The first byte's flags and opcode: `0x80 | opcode` for a
 * final frame; tests may set reserved bits to send malformed frames.
 */
export function wsFrame(first: number, payload: Uint8Array): Uint8Array {
  const n = payload.byteLength;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + lengthBytes + 4 + n);
  out[0] = first;
  const view = new DataView(out.buffer);
  if (lengthBytes === 0) out[1] = 0x80 | n;
  else if (lengthBytes === 2) {
    out[1] = 0x80 | 126;
    view.setUint16(2, n);
  } else {
    out[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(n));
  }
  const maskAt = 2 + lengthBytes;
  const mask = crypto.getRandomValues(new Uint8Array(4));
  out.set(mask, maskAt);
  for (let i = 0; i < n; i++) out[maskAt + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

const CRLF = enc.encode("\r\n");
const CRLFCRLF = enc.encode("\r\n\r\n");

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function timedOut(ms: number): Error {
  return new Error(`No complete response within ${ms} ms`);
}

function isConnectionGone(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted;
}

/**
 * A minimal WebSocket client over a raw TCP connection, for load
 * generation: the handshake, masked client frames built once, and a frame
 * parser that can count server frames without decoding them. Far cheaper
 * per event than the `WebSocket` class, so the server under test, not the
 * load generator, is what the numbers measure.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An open raw WebSocket connection. */
export interface RawWs {
  /** The TCP connection, after the handshake. */
  conn: Deno.TcpConn;
  /** Bytes after the handshake response that belong to the first frames. */
  leftover: Uint8Array;
}

/**
 * Connects to `ws://host:port/path` and completes the upgrade handshake.
 *
 * @throws {Error} When the server does not answer 101.
 */
export async function openRawWs(
  hostname: string,
  port: number,
  path = "/ws",
): Promise<RawWs> {
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  const request = `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: cHJ5eC1jb3JlLWJlbmNoIQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n\r\n";
  await writeAll(conn, encoder.encode(request));
  const buf = new Uint8Array(4096);
  let have = new Uint8Array(0);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) {
      conn.close();
      throw new Error("Connection closed during the WebSocket handshake");
    }
    const next = new Uint8Array(have.length + n);
    next.set(have);
    next.set(buf.subarray(0, n), have.length);
    have = next;
    const end = indexOfCrlfCrlf(have);
    if (end < 0) continue;
    const head = decoder.decode(have.subarray(0, end));
    if (!/^HTTP\/1\.1 101/.test(head)) {
      conn.close();
      throw new Error(`WebSocket upgrade refused: ${head.split("\r\n")[0]}`);
    }
    return { conn, leftover: have.slice(end + 4) };
  }
}

/** A masked client text frame carrying `text`, ready to write (repeatedly). */
export function clientFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + len);
  out[0] = 0x81; // FIN + text
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out[2] = len >> 8;
    out[3] = len & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(len));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  out.set(mask, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** `count` copies of `frame` back to back: one write sends them all. */
export function repeatFrame(frame: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) out.set(frame, i * frame.length);
  return out;
}

/** Writes all of `bytes`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Incremental parser of server frames (unmasked, unfragmented). Counts text
 * frames; while `capture` is on it also decodes them for `onText`.
 */
export class FrameParser {
  /** Text frames completed so far. */
  texts = 0;
  /** Decode text frames and pass them to `onText`. */
  capture = true;
  /** Called with each text frame while `capture` is on. */
  onText: (text: string) => void = () => {};
  #head = new Uint8Array(14);
  #headLen = 0;
  #need = 2;
  #remaining = 0;
  #inPayload = false;
  #opcode = 0;
  #chunks: Uint8Array[] = [];

  /** Feeds bytes read from the connection. */
  feed(buf: Uint8Array): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#inPayload) {
        const k = Math.min(this.#remaining, n - i);
        if (this.capture) this.#chunks.push(buf.slice(i, i + k));
        this.#remaining -= k;
        i += k;
        if (this.#remaining === 0) this.#finish();
        continue;
      }
      const head = this.#head;
      head[this.#headLen++] = buf[i++];
      if (this.#headLen === 2) {
        const l7 = head[1] & 0x7f;
        this.#need = 2 + (l7 === 126 ? 2 : l7 === 127 ? 8 : 0) +
          (head[1] & 0x80 ? 4 : 0);
      }
      if (this.#headLen < 2 || this.#headLen < this.#need) continue;
      const l7 = head[1] & 0x7f;
      this.#remaining = l7 === 126
        ? (head[2] << 8) | head[3]
        : l7 === 127
        ? Number(new DataView(head.buffer).getBigUint64(2))
        : l7;
      this.#opcode = head[0] & 0x0f;
      this.#headLen = 0;
      this.#need = 2;
      if (this.#remaining === 0) this.#finish();
      else this.#inPayload = true;
    }
  }

  #finish(): void {
    this.#inPayload = false;
    if (this.#opcode === 1) {
      this.texts++;
      if (this.capture) {
        const chunks = this.#chunks;
        const text = chunks.length === 1
          ? decoder.decode(chunks[0])
          : decoder.decode(concat(chunks));
        this.onText(text);
      }
    }
    this.#chunks = [];
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

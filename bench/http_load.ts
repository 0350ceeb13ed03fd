/**
 * HTTP/1.1 keep-alive load generator, the fallback when `wrk` is not
 * installed: `--connections N` raw TCP connections each send `GET --path`
 * and read the full response before the next, for `--seconds`. Prints
 * `{"requests","seconds","rate","errors"}` on stdout; `errors` counts
 * responses that were not 200.
 *
 * @example
 * ```sh
 * deno run -A bench/http_load.ts --port 38124 --connections 32 --seconds 5
 * ```
 *
 * @module
 */

import { parseFlags } from "../lib/cli/args.ts";
import { writeAll } from "../tests/_harness/ws_raw.ts";

const HOST = "127.0.0.1";
const decoder = new TextDecoder();

/** Runs one connection's request loop while `running()` says so. */
async function worker(
  port: number,
  path: string,
  counts: { requests: number; errors: number },
  running: () => boolean,
): Promise<void> {
  const conn = await Deno.connect({ hostname: HOST, port });
  conn.setNoDelay(true);
  const request = new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`,
  );
  const buf = new Uint8Array(64 * 1024);
  try {
    while (running()) {
      await writeAll(conn, request);
      let have = 0;
      let total = -1;
      while (total < 0 || have < total) {
        const n = await conn.read(buf.subarray(have));
        if (n === null) throw new Error("Server closed the connection");
        have += n;
        if (total < 0) total = responseLength(buf.subarray(0, have));
      }
      if (buf[9] !== 0x32 || buf[10] !== 0x30 || buf[11] !== 0x30) {
        counts.errors++;
      }
      counts.requests++;
    }
  } finally {
    conn.close();
  }
}

/** Total length of the response in `bytes` once its head is complete, else -1. */
function responseLength(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13) {
      if (bytes[i + 3] !== 10) continue;
      const head = decoder.decode(bytes.subarray(0, i));
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (match === null) throw new Error("Response has no content-length");
      return i + 4 + Number(match[1]);
    }
  }
  return -1;
}

if (import.meta.main) {
  const { flags } = parseFlags(Deno.args, {
    port: "string",
    path: "string",
    connections: "string",
    seconds: "string",
  });
  const port = Number(flags.port);
  const seconds = Number(flags.seconds ?? 5);
  const counts = { requests: 0, errors: 0 };
  let running = true;
  const t0 = performance.now();
  const workers = Array.from(
    { length: Number(flags.connections ?? 32) },
    () => worker(port, flags.path ?? "/health", counts, () => running),
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  await Promise.all(workers);
  const elapsed = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    requests: counts.requests,
    seconds: elapsed,
    rate: counts.requests / elapsed,
    errors: counts.errors,
  }));
}

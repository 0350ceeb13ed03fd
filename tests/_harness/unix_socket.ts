/**
 * Requests over a runtime's Unix socket from a test: `fetch` and
 * `WebSocket` through a Deno client whose transport is the socket.
 *
 * @module
 */

/**
 * `fetch(path)` over the socket at `socket`; the body is read before it
 * resolves. `init.headers` may set any `Host`: the socket skips the Host
 * check.
 */
export async function socketFetch(
  socket: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
  });
  try {
    const res = await fetch(`http://localhost${path}`, {
      ...init,
      client,
      signal: init.signal ?? AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } finally {
    client.close();
  }
}

/** Opens `/ws` over the socket and resolves with the first frame (`hello`). */
export async function socketHello(
  socket: string,
): Promise<Record<string, unknown>> {
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
  });
  const ws = new WebSocket("ws://localhost/ws", { client });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no hello")), 5000);
      ws.onmessage = (e) => {
        clearTimeout(timer);
        resolve(JSON.parse(e.data as string));
      };
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`cannot open /ws over ${socket}`));
      };
    });
  } finally {
    const closed = new Promise((r) => ws.addEventListener("close", r));
    ws.close();
    await closed;
    client.close();
  }
}

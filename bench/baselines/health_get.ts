/**
 * Baseline of the `discover_socket` figure: a bare Deno client that makes
 * one `GET /health`, over the Unix socket at `--socket PATH` (a socket
 * client, `Deno.createHttpClient` with the `unix` transport) or over TCP to
 * `--port N` on loopback, and prints the status it answered. One client per
 * process: on Deno 2.9.6 a process with many socket clients at once stalls.
 *
 * @example
 * ```sh
 * deno run -A bench/baselines/health_get.ts --socket /tmp/x/runtime.sock
 * deno run -A bench/baselines/health_get.ts --port 38124
 * ```
 *
 * @module
 */

const [how, where] = Deno.args;
let res: Response;
if (how === "--socket") {
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: where },
  });
  res = await fetch("http://localhost/health", { client });
  await res.body?.cancel();
  client.close();
} else if (how === "--port") {
  res = await fetch(`http://127.0.0.1:${where}/health`);
  await res.body?.cancel();
} else {
  console.error("Usage: health_get.ts --socket PATH | --port N");
  Deno.exit(2);
}
console.log(res.status);

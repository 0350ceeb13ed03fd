/**
 * Baseline for "ready", "/health" and idle RSS: the least a Deno program can
 * do to be found the way pryx-core is found. It binds an OS-assigned port
 * with `Deno.serve`, writes `$PRYX_HOME/runtime.port` atomically (temp file,
 * fsync, rename), and answers every request with the JSON shape of
 * pryx-core's `/health`.
 *
 * With `--watch` it also keeps the two directory watches of pryx-core's
 * republish keeper (`lib/server/keep_published.ts`): `Deno.watchFs` of the
 * state directory and of its parent, so the idle RSS figure shows what they
 * cost a bare process.
 *
 * @example
 * ```sh
 * PRYX_HOME=/tmp/x deno run -A bench/baselines/ready.ts
 * PRYX_HOME=/tmp/x deno run -A bench/baselines/ready.ts --watch
 * ```
 *
 * @module
 */

const home = Deno.env.get("PRYX_HOME") ?? ".";
const pid = Deno.pid;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen() {},
}, () =>
  Response.json({
    status: "ok",
    timestamp: new Date().toISOString(),
    service: "pryx-core",
    version: "0.1.0",
    pid,
    instance: "runtime",
  }));

const tmp = `${home}/.runtime.port.${pid}.tmp`;
const file = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
file.writeSync(new TextEncoder().encode(`${server.addr.port}\n`));
file.syncSync();
file.close();
Deno.renameSync(tmp, `${home}/runtime.port`);

if (Deno.args.includes("--watch")) {
  const parent = home.replace(/\/+[^/]*\/*$/, "") || "/";
  for (const dir of [home, parent]) {
    const watcher = Deno.watchFs(dir, { recursive: false });
    (async () => {
      for await (const _ of watcher) {
        // Events are what the keeper would check on; here they are dropped.
      }
    })();
  }
}

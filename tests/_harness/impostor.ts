/**
 * A stand-in for processes that are not the runtime but look like it: an
 * impostor that binds a dead runtime's port and answers `/health` with the
 * dead runtime's pid, run id and service (but cannot prove the token), and
 * a plain holder of an instance lock. Run as a real process, so the tests
 * see real sockets, locks and signals.
 *
 * As a script: `deno run -A impostor.ts '<json options>'`; it prints
 * `ready` on stdout once it listens and holds what it was told to hold.
 *
 * @module
 */
import { killIfRunning } from "./process.ts";

/** What the impostor does. */
export interface ImpostorOptions {
  /** Port to bind on 127.0.0.1 and answer `/health` on (omit: no HTTP). */
  port?: number;
  /** The fields it copies into its `/health` answer. */
  health?: Record<string, unknown>;
  /** A lock file to hold with an exclusive lock. */
  lock?: string;
  /** Ignore SIGTERM (so only SIGKILL ends it). */
  ignoreTerm?: boolean;
}

/** A running impostor. */
export interface Impostor extends AsyncDisposable {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Whether it is still running. */
  alive(): boolean;
  /** How it ended, once it has. */
  status: Promise<Deno.CommandStatus>;
}

/** Starts an impostor process and waits until it is ready. */
export async function startImpostor(
  options: ImpostorOptions,
): Promise<Impostor> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // The URL itself: a URL's pathname is no path on Windows (/C:/...).
      import.meta.url,
      JSON.stringify(options),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let running = true;
  const status = child.status.then((s) => {
    running = false;
    return s;
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  if (new TextDecoder().decode(value ?? new Uint8Array()).trim() !== "ready") {
    killIfRunning(child, "SIGKILL");
    throw new Error("the impostor did not start");
  }
  return {
    child,
    alive: () => running,
    status,
    async [Symbol.asyncDispose]() {
      try {
        if (running) child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await status;
    },
  };
}

if (import.meta.main) {
  const options = JSON.parse(Deno.args[0]) as ImpostorOptions;
  if (options.ignoreTerm) Deno.addSignalListener("SIGTERM", () => {});
  let lock: Deno.FsFile | undefined;
  if (options.lock !== undefined) {
    lock = Deno.openSync(options.lock, {
      read: true,
      write: true,
      create: true,
    });
    if (!lock.tryLockSync(true)) throw new Error("the lock is taken");
  }
  if (options.port !== undefined) {
    Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      onListen: () => {},
    }, (req) => {
      const url = new URL(req.url);
      if (url.pathname !== "/health") {
        return new Response("no", { status: 404 });
      }
      const body: Record<string, unknown> = {
        status: "ok",
        timestamp: new Date().toISOString(),
        ...options.health,
      };
      // It cannot compute the proof without the token: it makes one up.
      if (url.searchParams.has("challenge")) body.proof = "ab".repeat(32);
      return Response.json(body);
    });
  }
  console.log("ready");
  // Held until killed.
  setInterval(() => lock, 1 << 30);
}

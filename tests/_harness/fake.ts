/**
 * Starts `fake_runtime.ts` (a runtime of another protocol or an older
 * version, as left running after an upgrade) as a real process.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { killIfRunning } from "./process.ts";

const FAKE = fileURLToPath(new URL("./fake_runtime.ts", import.meta.url));

/** A running fake runtime; disposing kills it. */
export interface FakeRuntime extends AsyncDisposable {
  /** The port it answers on. */
  port: number;
  /** The child process. */
  child: Deno.ChildProcess;
  /** Whether it is still running. */
  alive(): boolean;
}

/**
 * Starts the fake runtime in `home` and waits until its files are written.
 *
 * @param options.protocol The protocol it speaks (default 2).
 * @param options.version The version it reports (default `9.0.0`).
 * @param options.occupancy Clients and leases its `/info` reports; without
 * it, `/info` and `/control/shutdown` answer 404, as a runtime too old.
 */
export async function startFakeRuntime(
  home: string,
  options: {
    protocol?: number;
    version?: string;
    occupancy?: { clients: number; leases: number };
  } = {},
): Promise<FakeRuntime> {
  const { protocol = 2, version = "9.0.0", occupancy } = options;
  const args = ["run", "-A", FAKE, home, String(protocol), version];
  if (occupancy) args.push(`${occupancy.clients},${occupancy.leases}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  return {
    port: Number(out.trim()),
    child,
    alive: () => !exited,
    async [Symbol.asyncDispose]() {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/**
 * The reconnecting clients of the bench's restart figures (reconnect,
 * restart, client CPU): a `connect()` client of `lib/client.ts`
 * (`bench/connect_client.ts`) against the loop an application writes by
 * hand (`bench/baselines/reconnect.ts`), each a process whose stdout lines
 * are read as they come. One client per process: on Deno 2.9.6 a process
 * with many Unix-socket HTTP clients at once stalls.
 *
 * @module
 */

import { baselineCommand, type Cmd, scriptCommand } from "./_proc.ts";
import { childEnv } from "../tests/_harness/cli.ts";
import { killIfRunning } from "../tests/_harness/process.ts";
import { type Side, sleep } from "./_bench.ts";

/** The topic the clients subscribe to. */
export const CLIENT_TOPIC = "bench.reconnect";

/** The two reconnecting clients: `connect()` and the hand-written loop. */
export function clientCommands(): Record<Side, Cmd> {
  const [cmd, args] = baselineCommand("reconnect.ts");
  return {
    pryx: scriptCommand("connect_client.ts", [CLIENT_TOPIC]),
    baseline: [cmd, [...args, CLIENT_TOPIC]],
  };
}

/** A client process started by {@linkcode startClient}. */
export interface Client {
  /** Its pid. */
  pid: number;
  /** The next line (after those returned before) that starts with `prefix`. */
  next(prefix: string, timeoutMs: number): Promise<string>;
  /** Kills it and waits for its exit. */
  stop(): Promise<void>;
}

/** Starts client `cmd` on state directory `home`. */
export function startClient(cmd: Cmd, home: string): Client {
  const child = new Deno.Command(cmd[0], {
    args: cmd[1],
    env: childEnv({ PRYX_HOME: home }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  const reading = (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      for (let nl; (nl = buf.indexOf("\n")) >= 0; buf = buf.slice(nl + 1)) {
        lines.push(buf.slice(0, nl));
      }
      wake?.();
    }
  })();
  const stderr = new Response(child.stderr).text();
  let cursor = 0;
  return {
    pid: child.pid,
    async next(prefix, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < lines.length) {
          const line = lines[cursor++];
          if (line.startsWith(prefix)) return line;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `the client printed no "${prefix}" line within ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 50));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    async stop() {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reading.catch(() => {});
      await stderr;
    },
  };
}

/** POSTs `{}` to `topic` on `port` until a subscriber got it (bounded). */
export async function publishUntilDelivered(
  port: number,
  topic: string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/publish/${topic}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if ((await res.json()).delivered > 0) return;
    await sleep(1);
  }
  throw new Error(`no client subscribed to ${topic} within 10 s`);
}

/** Wall-clock now in epoch ms with fractions, comparable across processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

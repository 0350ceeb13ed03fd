/**
 * Which process holds a TCP port that a strict bind found busy (SPEC 3):
 * "port 8080 is in use by pid 4242 (node server.js)", which is what users
 * otherwise look up by hand with `lsof -i` or `netstat -ano`.
 *
 * Asked only once the bind has failed, never on the path of a start that
 * succeeds. Best effort: when the OS will not say (no tool, a process of
 * another user, a holder in another network namespace), the words say so
 * without a pid.
 *
 * - Linux: `ss -Hltnp` (iproute2) names the listener's pid and process,
 *   from the socket's inode and the owners of `/proc/PID/fd`; Deno lets
 *   only `--allow-all` read `/proc` itself, and the runtime's permissions
 *   are narrower on purpose, so the tools (allowed by `--allow-run`) read
 *   it. The command line comes from `/proc/PID/cmdline` (through `cat`).
 *   Without `ss`, `lsof` as on macOS.
 * - macOS: `lsof -nP -iTCP:PORT -sTCP:LISTEN -Fpc`, then `ps -o command=`.
 * - Windows: `netstat -ano -p TCP` (and `TCPv6`), then `tasklist /FO CSV`.
 *
 * Tools of Unix systems are run by absolute path only; on Windows by name,
 * from the system directory on PATH. Each OS is a parameter: the parsers
 * are tested here against recorded outputs of each.
 *
 * @module
 */

import { BindError } from "../shared/errors.ts";
import type { Os } from "../shared/os.ts";

/** The holder of a port, as far as the OS tells. */
export type PortHolder =
  /** Its pid and, where known, its command line (or process name). */
  | { known: true; pid: number; command?: string }
  /** The OS did not say; `why` in one clause. */
  | { known: false; why: string };

/**
 * Runs a tool: the first of `paths` that exists, with `args`.
 *
 * @returns Its stdout when it ran and exited 0, else `undefined`.
 */
export type ToolRunner = (
  paths: readonly string[],
  args: readonly string[],
) => string | undefined;

/** Where each tool is looked for, by OS family. */
const TOOLS = {
  ss: ["/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss"],
  lsof: ["/usr/bin/lsof", "/usr/sbin/lsof", "/bin/lsof"],
  ps: ["/bin/ps", "/usr/bin/ps"],
  cat: ["/bin/cat", "/usr/bin/cat"],
  netstat: ["netstat"],
  tasklist: ["tasklist"],
} as const;

/** The real {@linkcode ToolRunner}: `Deno.Command`, output captured. */
export const runTool: ToolRunner = (paths, args) => {
  for (const path of paths) {
    let out: Deno.CommandOutput;
    try {
      out = new Deno.Command(path, {
        args: [...args],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).outputSync();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      // Not allowed to run it (no --allow-run), or another failure: the
      // OS does not tell, which is an answer.
      return undefined;
    }
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  }
  return undefined;
};

/** One listening socket of `ss`, `lsof` or `netstat`: its pid and name. */
export interface Listener {
  /** The owner's pid. */
  pid: number;
  /** The process name, where the tool gives one. */
  name?: string;
}

/**
 * Finds the process that listens on TCP `port` (any local address).
 *
 * @param os The OS whose tools to ask.
 * @param run Runs a tool (default {@linkcode runTool}); tests answer from
 * recorded outputs.
 */
export function findPortHolder(
  port: number,
  os: Os = Deno.build.os,
  run: ToolRunner = runTool,
): PortHolder {
  if (os === "windows") return windowsHolder(port, run);
  let listeners: Listener[] | undefined;
  if (os === "linux") {
    const ss = run(TOOLS.ss, ["-Hltnp"]);
    if (ss !== undefined) listeners = parseSs(ss, port);
  }
  if (listeners === undefined || listeners.length === 0) {
    const lsof = run(TOOLS.lsof, [
      "-nP",
      `-iTCP:${port}`,
      "-sTCP:LISTEN",
      "-Fpc",
    ]);
    if (lsof !== undefined) listeners = parseLsof(lsof);
  }
  if (listeners === undefined) {
    return {
      known: false,
      why: os === "linux"
        ? 'neither "ss" nor "lsof" could be run to name its process'
        : '"lsof" could not be run to name its process',
    };
  }
  return holderOf(listeners, (pid) => unixCommandLine(pid, os, run));
}

/** The one holder of `listeners`, or why there is none to name. */
function holderOf(
  listeners: Listener[],
  commandOf: (pid: number) => string | undefined,
): PortHolder {
  const pids = [...new Set(listeners.map((l) => l.pid))];
  if (pids.length === 0) {
    return {
      known: false,
      why:
        "the OS did not name its process (it may belong to another user, or to another network namespace)",
    };
  }
  if (pids.length > 1) {
    return {
      known: false,
      why: `several processes listen on it (pids ${pids.join(", ")})`,
    };
  }
  const [pid] = pids;
  const command = commandOf(pid) ??
    listeners.find((l) => l.name !== undefined)?.name;
  return command === undefined ? { known: true, pid } : {
    known: true,
    pid,
    command,
  };
}

/** The command line of a Unix process: `/proc/PID/cmdline`, else `ps`. */
function unixCommandLine(
  pid: number,
  os: Os,
  run: ToolRunner,
): string | undefined {
  if (os === "linux") {
    const raw = run(TOOLS.cat, [`/proc/${pid}/cmdline`]);
    const line = raw?.split("\0").filter(Boolean).join(" ");
    if (line) return line;
  }
  const ps = run(TOOLS.ps, ["-o", "command=", "-p", String(pid)])?.trim();
  return ps ? ps : undefined;
}

/** Windows: `netstat -ano` for the pid, `tasklist` for its image name. */
function windowsHolder(port: number, run: ToolRunner): PortHolder {
  const v4 = run(TOOLS.netstat, ["-ano", "-p", "TCP"]);
  const v6 = run(TOOLS.netstat, ["-ano", "-p", "TCPv6"]);
  if (v4 === undefined && v6 === undefined) {
    return { known: false, why: '"netstat" could not be run' };
  }
  const listeners = parseNetstat(`${v4 ?? ""}\n${v6 ?? ""}`, port);
  return holderOf(listeners, (pid) => {
    const csv = run(TOOLS.tasklist, [
      "/FI",
      `PID eq ${pid}`,
      "/FO",
      "CSV",
      "/NH",
    ]);
    return csv === undefined ? undefined : parseTasklist(csv);
  });
}

/** The port at the end of an address: `127.0.0.1:8080`, `[::1]:8080`, `*:8080`. */
function portOf(address: string): number | undefined {
  const colon = address.lastIndexOf(":");
  if (colon === -1) return undefined;
  const port = Number(address.slice(colon + 1));
  return Number.isInteger(port) ? port : undefined;
}

/**
 * Parses `ss -Hltnp` (iproute2): one line per listening TCP socket, the
 * local address in the 4th column and, where the reader may see them, its
 * processes as `users:(("node",pid=4242,fd=21),...)`.
 *
 * @returns The processes that listen on `port`.
 */
export function parseSs(text: string, port: number): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n")) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 4 || portOf(columns[3]) !== port) continue;
    for (const m of line.matchAll(/\("([^"]*)",pid=(\d+)/g)) {
      out.push({ pid: Number(m[2]), name: m[1] });
    }
  }
  return out;
}

/**
 * Parses `lsof -F pc` output: a `p<pid>` line starts a process, a
 * `c<command>` line names it (lsof(8), "OUTPUT FOR OTHER PROGRAMS").
 */
export function parseLsof(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("p")) {
      const pid = Number(line.slice(1));
      if (Number.isInteger(pid) && pid > 0) out.push({ pid });
    } else if (line.startsWith("c") && out.length > 0) {
      out[out.length - 1].name = line.slice(1);
    }
  }
  return out;
}

/**
 * Parses `netstat -ano` (Windows): `TCP  127.0.0.1:8080  0.0.0.0:0
 * LISTENING  4242`; the state word is localised, so a listener is told by
 * its foreign port 0 rather than by that word.
 */
export function parseNetstat(text: string, port: number): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n")) {
    const c = line.trim().split(/\s+/);
    if (c.length < 5 || c[0].toUpperCase() !== "TCP") continue;
    if (portOf(c[1]) !== port || portOf(c[2]) !== 0) continue;
    const pid = Number(c[4]);
    if (Number.isInteger(pid) && pid > 0) out.push({ pid });
  }
  return out;
}

/**
 * Parses `tasklist /FO CSV /NH`: `"node.exe","4242","Console","1","25,000 K"`.
 *
 * @returns The image name, or `undefined` when no process matched.
 */
export function parseTasklist(text: string): string | undefined {
  const match = /^"([^"]+)","\d+"/m.exec(text);
  return match?.[1];
}

/**
 * The clause for a busy port, to follow "Cannot listen on ADDR: ", e.g.
 * `port 8080 is in use by pid 4242 (node server.js)`, or, when the OS did
 * not tell, `port 8080 is in use (the OS did not name its process ...)`.
 *
 * @param on The address it is in use on, when that is news (`[::1]`).
 */
export function busyPortWords(
  port: number,
  holder: PortHolder,
  on?: string,
): string {
  const busy = `port ${port} is in use${on === undefined ? "" : ` on ${on}`}`;
  if (!holder.known) return `${busy} (${holder.why})`;
  // One line: a command line may hold newlines and runs of blanks.
  const line = holder.command?.replace(/\s+/g, " ").trim();
  const command = line === undefined || line.length <= COMMAND_WORDS_MAX
    ? line
    : `${line.slice(0, COMMAND_WORDS_MAX - 3)}...`;
  const what = command === undefined ? "" : ` (${command})`;
  return `${busy} by pid ${holder.pid}${what}`;
}

/**
 * The most characters of a holder's command line the message shows: a
 * command line can be pages long, the message is one line.
 */
const COMMAND_WORDS_MAX = 120;

/**
 * The {@linkcode BindError} of a busy strict port, naming its holder where
 * the OS tells: "Cannot listen on :8080: port 8080 is in use by pid 4242
 * (node server.js); stop it or listen on :0".
 */
export function describeBusyPort(
  busy: { text: string; port: number; on?: string },
): BindError {
  const words = busyPortWords(busy.port, findPortHolder(busy.port), busy.on);
  return new BindError(
    busy.on === undefined
      ? `Cannot listen on ${busy.text}: ${words}; stop it or listen on :0`
      : `Cannot listen on ${busy.text}: ${words} (clients whose localhost is ::1 would reach it); stop it or listen on :0`,
  );
}

/**
 * PID namespaces for tests: the `unshare` prefix that runs a command as
 * PID 1 of a new PID namespace (as a container runtime starts its
 * entrypoint), whether that works here, and the host pid of that PID 1.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Runs a command as PID 1 of a new PID namespace; it dies with unshare. */
export const UNSHARE = [
  "unshare",
  "--pid",
  "--fork",
  "--kill-child",
  "--mount-proc",
];

/**
 * The prefix that runs a command as another machine named `hostname`: its
 * own network, UTS and PID namespaces, as a container that mounts the
 * host's state directory (its loopback is not ours; the file system, and
 * so a Unix socket in it, is shared).
 */
export function otherMachine(hostname: string): string[] {
  return [
    "unshare",
    "--net",
    "--uts",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "sh",
    "-c",
    `ip link set lo up && hostname ${hostname} && exec "$0" "$@"`,
  ];
}

/** Why PID-namespace tests cannot run here, or `undefined` when they can. */
export async function unshareUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "PID namespaces are Linux-only";
  if (Deno.uid() !== 0) return "unshare --pid needs root";
  try {
    const out = await new Deno.Command(UNSHARE[0], {
      args: [...UNSHARE.slice(1), "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.success) return undefined;
    return `unshare failed: ${new TextDecoder().decode(out.stderr).trim()}`;
  } catch (err) {
    return `unshare is not installed: ${(err as Error).message}`;
  }
}

/** The pid (in our namespace) of the process unshare forked: the PID 1. */
export function pidOne(unsharePid: number): number {
  const children = Deno.readTextFileSync(
    `/proc/${unsharePid}/task/${unsharePid}/children`,
  ).trim().split(/\s+/).filter(Boolean).map(Number);
  assert.deepStrictEqual(children.length, 1, "unshare has one child");
  return children[0];
}

/** The state letter of `/proc/PID/stat` (`T` stopped, `S` sleeping, ...). */
export function processState(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ", 1)[0];
  } catch {
    return undefined;
  }
}

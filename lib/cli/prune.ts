/**
 * `pryx-core prune`: removes the files of instances whose lock is free
 * (the owner is gone, or never got past its start): `.port`, `.json`,
 * `.lock`, `.error`, `.log`, the temp files of interrupted writes, and the
 * socket a SIGKILLed runtime left (`.sock`, or the short path its record
 * names), only while it is a socket: anything else at a socket's path is
 * left alone. Never those of a live
 * or starting instance: prune takes the instance lock itself while it
 * removes, so a server that starts meanwhile waits for it (its claim
 * retries the lock briefly) and then writes its files anew.
 *
 * Loads no server module, no `node:` built-in and no `npm:` package.
 *
 * @module
 */

import type { Os } from "../shared/os.ts";
import { openCommand } from "./command.ts";
import { writeStdout } from "./output.ts";
import { currentHost, denoHost } from "../discovery/host.ts";
import { tempFileTarget } from "../shared/atomic_write.ts";
import { Env, HEALTH_TIMEOUT_MS, resolveStateDir } from "../shared/config.ts";
import { inspectInstance } from "../shared/verdict.ts";
import { ExitCode } from "../shared/errors.ts";
import {
  instanceOfFile,
  instancePaths,
  parseRuntimeInfo,
  Suffix,
} from "../shared/instance_files.ts";
import { acquireInstanceLock, isInstanceLocked } from "../shared/lock.ts";
import { removeInstanceFile } from "../shared/state_dir.ts";
import { placeDigest } from "../shared/socket_path.ts";

/** Help text of `pryx-core prune`. */
const PRUNE_USAGE = `Usage: pryx-core prune [flags]

Remove the files of every instance whose lock is free: stale instances (the
owner is gone), failed ones (the record of a start that failed) and stopped
ones (a lock file alone, left by a clean stop), with their logs.
Live and starting instances are never touched. Says on stderr what it
removed.

Flags:
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  --dry-run         say what would be removed, remove nothing
  --json            also print [{"instance","files"}] of what was removed
                    (or would be) on stdout
  -h, --help        show this help

Exit codes: 0 done (also when there was nothing to remove), 2 usage error,
5 state directory unusable.
`;

/** The flags of `pryx-core prune` (completions read them too). */
export const FLAGS = {
  "state-dir": "string",
  "dry-run": "boolean",
  json: "boolean",
} as const;

/** What prune removed (or, with `--dry-run`, would remove) for one instance. */
export interface Pruned {
  /** The instance name. */
  instance: string;
  /** The file names removed, in the state directory. */
  files: string[];
}

/**
 * Runs `prune` with command-line `args`.
 *
 * @returns The exit code.
 * @throws {StateDirError} When a file cannot be removed.
 */
export async function pruneCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "prune",
    usage: PRUNE_USAGE,
    flags: FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const host = await currentHost();
  const stateDir = resolveStateDir(flags["state-dir"], host.env);
  const dryRun = flags["dry-run"] ?? false;
  const pruned = await pruneStateDir(stateDir, { dryRun });
  const verb = dryRun ? "Would remove" : "Removed";
  for (const p of pruned) {
    console.error(
      `pryx-core: ${verb} instance "${p.instance}": ${p.files.join(", ")}`,
    );
  }
  const files = pruned.reduce((n, p) => n + p.files.length, 0);
  console.error(
    pruned.length === 0
      ? `pryx-core: Nothing to prune in ${stateDir}`
      : `pryx-core: ${verb} ${pruned.length} instance${
        pruned.length === 1 ? "" : "s"
      } (${files} file${files === 1 ? "" : "s"}) from ${stateDir}`,
  );
  if (flags.json) writeStdout(JSON.stringify(pruned, null, 2) + "\n");
  return ExitCode.Ok;
}

/**
 * Removes the files of every instance of `stateDir` whose lock is free.
 *
 * @param options.dryRun Only check and report.
 * @param options.os Windows removes a file that is still open only once
 * it is closed (it stays "delete pending", and a start that opens the name
 * meanwhile fails with access denied, unless the volume has POSIX delete
 * semantics): there the lock file is removed just after prune lets go of
 * it.
 * @returns What was removed (or would be), by instance name.
 * @throws {StateDirError} When the directory cannot be read or a file cannot
 * be removed.
 */
async function pruneStateDir(
  stateDir: string,
  options: { dryRun?: boolean; os?: Os } = {},
): Promise<Pruned[]> {
  const { dryRun = false, os = Deno.build.os } = options;
  const byInstance = new Map<string, string[]>();
  // A missing directory holds nothing; one that cannot be read (a file in
  // its place) is the state directory error every subcommand gives.
  const host = denoHost();
  const entries = await host.readDir(stateDir) ?? [];
  for (const name of entries.sort()) {
    const instance = instanceOfFile(tempFileTarget(name) ?? name);
    if (instance === undefined) continue;
    byInstance.set(instance, [...byInstance.get(instance) ?? [], name]);
  }
  /**
   * Whether the instance's record is another machine's: its lock may not be
   * shared (NFS), and it is never removed from here (SPEC 2).
   */
  const elsewhere = async (instance: string) =>
    (await inspectInstance(host, {
      stateDir,
      check: false,
      healthTimeoutMs: HEALTH_TIMEOUT_MS,
    }, instance)).state === "elsewhere";
  const pruned: Pruned[] = [];
  for (const instance of [...byInstance.keys()].sort()) {
    const files = byInstance.get(instance)!;
    const { lock: lockPath } = instancePaths(stateDir, instance);
    const lockName = lockPath.slice(lockPath.lastIndexOf("/") + 1);
    // Not even a lock file is made for another machine's record.
    if (await elsewhere(instance)) continue;
    // Only a socket at a socket's path is pryx-core's to remove.
    const ours = files.filter((name) =>
      !name.endsWith(Suffix.socket) || isSocketAt(`${stateDir}/${name}`)
    );
    const external = recordedSocket(stateDir, instance);
    // A file at a socket's path alone is no instance of ours.
    if (ours.length === 0) continue;
    const listed = [
      ...ours.includes(lockName) ? ours : [...ours, lockName],
      ...external !== undefined && isSocketAt(external) ? [external] : [],
    ];
    if (dryRun) {
      if (!isInstanceLocked(lockPath)) pruned.push({ instance, files: listed });
      continue;
    }
    // Held while removing: a server starting now waits for it, then
    // publishes its own files.
    const lock = await acquireInstanceLock(lockPath, { retryMs: 0 });
    if (lock === undefined) continue;
    try {
      // The short socket path a record names goes with its record.
      if (external !== undefined && isSocketAt(external)) {
        removeInstanceFile(external);
      }
      for (const name of ours) {
        if (name !== lockName) removeInstanceFile(`${stateDir}/${name}`);
      }
      if (os !== "windows") removeInstanceFile(lockPath);
    } finally {
      lock.close();
    }
    if (os === "windows") removeInstanceFile(lockPath);
    pruned.push({ instance, files: listed });
  }
  return pruned;
}

/**
 * The socket path of the instance's record when it is a short path in a
 * private directory (SPEC 4), by the name serve gives it there; `undefined`
 * when there is no record or it names none.
 */
function recordedSocket(
  stateDir: string,
  instance: string,
): string | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(instancePaths(stateDir, instance).json);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const socket = parseRuntimeInfo(text)?.socket;
  // Only the name serve gives a short path: a record never makes prune
  // remove another program's socket.
  const name = `${placeDigest(stateDir, instance)}${Suffix.socket}`;
  return socket?.endsWith(`/${name}`) ? socket : undefined;
}

/**
 * Whether a socket is at `path` (not following a symbolic link): a regular
 * file, a directory or a link at a socket's path is not pryx-core's, and
 * is left alone.
 */
function isSocketAt(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

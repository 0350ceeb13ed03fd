/**
 * Claiming an instance: the state directory exists, this process holds the
 * instance lock, and no file of a dead owner is left to mistake for ours.
 * The claim also removes this run's files on shutdown, and releases the
 * lock.
 *
 * @module
 */

import { isTempFileOf } from "../shared/atomic_write.ts";
import { AlreadyRunningError } from "../shared/errors.ts";
import {
  type InstancePaths,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  Suffix,
} from "../shared/instance_files.ts";
import { acquireInstanceLock } from "../shared/lock.ts";
import { ensureStateDir, removeInstanceFile } from "../shared/state_dir.ts";

/** How long a losing start waits for the owner's metadata, to name it, in ms. */
const OWNER_WAIT_MS = 3000;

/** An instance this process owns. */
export interface Claim {
  /** The instance's file paths. */
  paths: InstancePaths;
  /**
   * Removes the port and metadata files, but only while they still
   * describe `info` (another process may own the instance by now).
   *
   * @throws {StateDirError} When a file cannot be removed.
   */
  removeOwnFiles(info: RuntimeInfo): void;
  /** Releases the lock (the kernel also drops it when the process ends). */
  release(): void;
}

/**
 * Claims `instance` in `stateDir`: creates the directory (0700), takes the
 * lock (retrying briefly, as a reader's liveness check may hold it for a
 * moment), and removes a dead owner's port, metadata and temp files.
 *
 * @throws {AlreadyRunningError} When a live process holds the lock.
 * @throws {StateDirError} When the state directory is unusable.
 */
export async function claimInstance(
  stateDir: string,
  instance: string,
): Promise<Claim> {
  const present = ensureStateDir(stateDir);
  const paths = instancePaths(stateDir, instance);
  const names = {
    port: instance + Suffix.port,
    json: instance + Suffix.json,
    lock: instance + Suffix.lock,
  };
  const lock = await acquireInstanceLock(paths.lock, {
    exists: present.has(names.lock),
  });
  if (lock === undefined) throw await alreadyRunning(instance, paths);
  // A dead owner's files: gone before anyone can mistake them for ours. From
  // here on, a metadata file describes whoever holds the lock.
  try {
    if (present.has(names.port)) removeInstanceFile(paths.port);
    if (present.has(names.json)) removeInstanceFile(paths.json);
    for (const name of present) {
      if (isTempFileOf(name, names.port) || isTempFileOf(name, names.json)) {
        removeInstanceFile(`${stateDir}/${name}`);
      }
    }
  } catch (err) {
    lock.close();
    throw err;
  }
  return {
    paths,
    removeOwnFiles(info) {
      const current = readText(paths.json);
      if (
        current === undefined || parseRuntimeInfo(current)?.pid !== info.pid
      ) return;
      if (parsePortFile(readText(paths.port) ?? "") === info.port) {
        removeInstanceFile(paths.port);
      }
      removeInstanceFile(paths.json);
    },
    release: () => lock.close(),
  };
}

/**
 * The error for a start that lost the instance lock. The owner may still be
 * starting (it holds the lock before it writes its metadata): wait briefly
 * for its metadata so the message can name its pid and URL.
 */
async function alreadyRunning(
  instance: string,
  paths: InstancePaths,
): Promise<AlreadyRunningError> {
  const deadline = Date.now() + OWNER_WAIT_MS;
  let owner = parseRuntimeInfo(readText(paths.json) ?? "");
  while (owner === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    owner = parseRuntimeInfo(readText(paths.json) ?? "");
  }
  const who = owner === undefined
    ? "by a process that is still starting"
    : `by pid ${owner.pid} at ${owner.url}`;
  return new AlreadyRunningError(
    `Instance "${instance}" is already running ${who}; stop it with "pryx-core stop --instance ${instance}" or choose another --instance`,
  );
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

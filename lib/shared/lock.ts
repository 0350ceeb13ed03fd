/**
 * The instance lock: `<instance>.lock` held with an exclusive `flock` for
 * the life of the server. The kernel drops it when the process dies, even
 * on SIGKILL, so it tells a live owner from a stale file.
 *
 * Uses Deno APIs only: the discover side imports it.
 *
 * @module
 */

import { monotonicNow } from "./clock.ts";
import {
  isMissingPermission,
  isOutOfDescriptors,
  OUT_OF_DESCRIPTORS_WORDS,
  StateDirError,
} from "./errors.ts";

/** How long `serve` retries when the lock is taken (a reader may hold it for a moment). */
const LOCK_RETRY_MS = 250;

/**
 * Takes the instance lock, retrying briefly: a reader probing liveness holds
 * it for microseconds, and that must not make a starting server give up.
 *
 * @param options.exists `false` when the caller knows the file is absent
 * (skips the symlink check); `retryMs` how long to retry.
 *
 * @returns The open lock file (keep it open for the process life), or
 * `undefined` when another process holds the lock.
 * @throws {StateDirError} When the lock file cannot be opened.
 */
export async function acquireInstanceLock(
  lockPath: string,
  options: { exists?: boolean; retryMs?: number } = {},
): Promise<Deno.FsFile | undefined> {
  const { exists = true, retryMs = LOCK_RETRY_MS } = options;
  // A symlink planted here would make the lock file land outside the state
  // directory; a file known to be absent cannot be one.
  if (exists) refuseSymlink(lockPath);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(lockPath, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
  } catch (err) {
    if (isMissingPermission(err)) throw err;
    if (isOutOfDescriptors(err)) {
      throw new StateDirError(
        `Cannot open "${lockPath}": ${OUT_OF_DESCRIPTORS_WORDS}`,
      );
    }
    throw new StateDirError(
      `Cannot open "${lockPath}": ${
        (err as Error).message.split("\n", 1)[0]
      }; check that the state directory is writable or set PRYX_HOME`,
    );
  }
  const deadline = monotonicNow() + retryMs;
  for (let delay = 2;; delay = Math.min(delay * 2, 25)) {
    if (file.tryLockSync(true)) return file;
    if (monotonicNow() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  file.close();
  return undefined;
}

/**
 * Whether a live process holds the lock at `lockPath`.
 *
 * @returns `true` when held, `false` when free or absent.
 */
export function isInstanceLocked(lockPath: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(lockPath, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return false;
    }
    return true;
  } finally {
    file.close();
  }
}

function refuseSymlink(path: string): void {
  try {
    if (Deno.lstatSync(path).isSymlink) {
      throw new StateDirError(
        `Refusing to use "${path}": it is a symbolic link; remove it and start again`,
      );
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Keeping the instance published while the server runs: when its `.port`
 * or `.json` file, its lock file or the whole state directory is removed
 * (a clean-up script, `rm -rf ~/.pryx`, a tmpfs wiped under it), the server
 * notices within a second, recreates the directory (0700), takes the lock
 * again on a fresh lock file and writes its files again. Otherwise a second
 * `serve` of the instance would start beside it, and `discover`, `list` and
 * `stop` would no longer find it.
 *
 * Watches of the directory and of its parent react at once; a check every
 * {@linkcode REPUBLISH_CHECK_MS} (a few `stat` calls) covers what a watch
 * misses: an exhausted watch limit, and a recreated directory (Deno 2.9's
 * `Deno.watchFs` delivers no events for a path whose directory was removed
 * and made again, so after the first removal of the directory, files
 * removed from it are noticed by the timer; the removal of the directory
 * itself still by the parent's watch). When
 * another process owns the instance by then (it holds the lock on a
 * recreated lock file), the server does not fight it: it logs a warning
 * and serves on without files.
 *
 * @module
 */

import { REPUBLISH_CHECK_MS } from "../shared/config.ts";
import { writeFileAtomic } from "../shared/atomic_write.ts";
import type { Claim } from "./claim.ts";
import type { Logger } from "./log.ts";

/**
 * How long the state directory must be quiet before a watch-triggered check,
 * in ms: long enough that an `rm -rf` descheduled between its unlinks and
 * its final rmdir on a busy machine is not answered with files put back
 * (its rmdir would fail "Directory not empty"), short enough to stay well
 * within the second the republish promises.
 */
const SETTLE_MS = 250;

/** The published files and their content, in the order they are written. */
export interface PublishedFiles {
  /** `<instance>.json` path and content. */
  json: { path: string; data: string };
  /** `<instance>.port` path and content. */
  port: { path: string; data: string };
}

/** A running keeper. */
export interface Keeper {
  /** Runs one check now (also what the watch and the timer call). */
  check(): Promise<void>;
  /** Stops watching and checking (before the drain removes the files). */
  stop(): void;
}

/** Identity of a file on disk: device and inode (`null` where unknown). */
type FileId = { dev: number; ino: number | null } | undefined;

/**
 * Starts keeping `files` and the claim's lock in place.
 *
 * @param options.intervalMs How often to check without a directory event
 * (default {@linkcode REPUBLISH_CHECK_MS}).
 */
export function keepPublished(
  claim: Claim,
  files: PublishedFiles,
  log: Logger,
  options: { instance: string; intervalMs?: number },
): Keeper {
  const ordered = [files.json, files.port];
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let lastProblem = "";
  const dirWatch = new Watch();
  const parentWatch = new Watch();
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const name = `"${options.instance}"`;
  const dir = claim.stateDir.replace(/(.)[\\/]+$/, "$1");
  const slash = Math.max(dir.lastIndexOf("/"), dir.lastIndexOf("\\"));
  const parent = slash < 0 ? "." : slash === 0 ? dir[0] : dir.slice(0, slash);
  const base = dir.slice(slash + 1);

  // The directory's own watch sees its files go; the parent's sees the
  // directory itself go (filtered to its name: the parent may be a busy
  // home directory).
  const watch = () => {
    dirWatch.ensure(dir, () => schedule());
    parentWatch.ensure(parent, (paths) => {
      if (paths.some((p) => p === dir || p.endsWith(`/${base}`))) schedule();
    });
  };
  const stopWatching = () => {
    dirWatch.close();
    parentWatch.close();
  };

  // A check runs once the directory has been quiet for a moment: a removal
  // in progress (`rm -rf` unlinks file after file, then the directory) is
  // left to finish, or its last step would fail on the files put back.
  const schedule = () => {
    if (stopped) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      check();
    }, SETTLE_MS);
  };

  const once = async () => {
    if (!claim.lockInPlace()) {
      if (!await claim.relock()) {
        stop();
        log.log(
          "warn",
          `Another process took instance ${name} in ${claim.stateDir} after its files were removed; serving on without files (discover, list and stop no longer find this process)`,
        );
        return;
      }
      log.log(
        "warn",
        `The lock file of instance ${name} was removed from ${claim.stateDir}; took the lock again`,
      );
    }
    const redone: string[] = [];
    for (const file of ordered) {
      // Only what is missing: a file someone replaced is theirs to explain,
      // and shutdown leaves a file alone that no longer describes this run.
      if (fileId(file.path) !== undefined) continue;
      writeFileAtomic(file.path, file.data, { verifyMode: true });
      redone.push(file.path);
    }
    if (redone.length > 0) {
      log.log(
        "warn",
        `The files of instance ${name} were removed; published them again: ${
          redone.join(", ")
        }`,
      );
    }
  };

  const check = async (): Promise<void> => {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return await running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await once();
          lastProblem = "";
        } catch (err) {
          const problem = (err as Error).message.split("\n", 1)[0];
          if (problem !== lastProblem) {
            log.log(
              "warn",
              `Cannot publish instance ${name} again: ${problem}; retrying every ${
                (options.intervalMs ?? REPUBLISH_CHECK_MS) / 1000
              } s`,
            );
          }
          lastProblem = problem;
        }
        if (!stopped) watch();
      } while (again && !stopped);
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };

  const timer = setInterval(check, options.intervalMs ?? REPUBLISH_CHECK_MS);
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(debounce);
    stopWatching();
  };
  watch();
  return { check, stop };
}

/**
 * One directory watch, made again when the directory at its path is a new
 * one (removed and recreated), ignoring `access` events (reads, and closes
 * of files written).
 */
class Watch {
  #watcher: Deno.FsWatcher | undefined;
  #id: FileId;

  /** Watches `path` unless its current directory is watched already. */
  ensure(path: string, onChange: (paths: string[]) => void): void {
    const id = fileId(path);
    if (id === undefined) return this.close();
    if (this.#watcher !== undefined && sameId(id, this.#id)) return;
    this.close();
    let w: Deno.FsWatcher;
    try {
      w = Deno.watchFs(path, { recursive: false });
    } catch {
      // No watch (limits, permissions): the timer alone still checks.
      return;
    }
    this.#watcher = w;
    this.#id = id;
    (async () => {
      try {
        for await (const event of w) {
          if (event.kind !== "access") onChange(event.paths);
        }
      } catch {
        // Closed, or the directory went away: the timer takes over.
      }
      if (this.#watcher === w) this.#watcher = undefined;
    })();
  }

  /** Stops watching. */
  close(): void {
    try {
      this.#watcher?.close();
    } catch {
      // already closed
    }
    this.#watcher = undefined;
  }
}

/** Device and inode of `path` (without following a symlink), or `undefined` when absent. */
function fileId(path: string): FileId {
  try {
    const { dev, ino } = Deno.lstatSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

/** Whether two ids name the same file; where inodes are unknown, existence decides. */
function sameId(a: FileId, b: FileId): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.ino === null || b.ino === null) return true;
  return a.dev === b.dev && a.ino === b.ino;
}

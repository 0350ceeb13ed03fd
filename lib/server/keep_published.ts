/**
 * Keeping the instance published while the server runs: when its `.port`
 * or `.json` file, its lock file or the whole state directory is removed
 * (a clean-up script, `rm -rf ~/.pryx`, a tmpfs wiped under it), the server
 * notices within a second, recreates the directory (0700), takes the lock
 * again on a fresh lock file and writes its files again. Otherwise a second
 * `serve` of the instance would start beside it, and `discover`, `list` and
 * `stop` would no longer find it.
 *
 * A directory watch reacts at once; a check every
 * {@linkcode REPUBLISH_CHECK_MS} (a few `stat` calls) covers what a watch
 * misses: an exhausted watch limit, and a recreated directory (Deno 2.9's
 * `Deno.watchFs` delivers no events for a path whose directory was removed
 * and made again, so after the first removal of the whole directory the
 * timer alone notices). When
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
  let watcher: Deno.FsWatcher | undefined;
  let watchedDir: FileId;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const name = `"${options.instance}"`;

  const stopWatching = () => {
    try {
      watcher?.close();
    } catch {
      // already closed
    }
    watcher = undefined;
  };

  const watch = () => {
    const dir = fileId(claim.stateDir);
    if (dir === undefined) return stopWatching();
    if (watcher !== undefined && sameId(dir, watchedDir)) return;
    stopWatching();
    try {
      const w = Deno.watchFs(claim.stateDir, { recursive: false });
      watcher = w;
      watchedDir = dir;
      (async () => {
        try {
          for await (const event of w) {
            if (event.kind !== "access") schedule();
          }
        } catch {
          // Closed, or the directory went away: the timer takes over.
        }
        if (watcher === w) watcher = undefined;
      })();
    } catch {
      // No watch (limits, permissions): the timer alone still checks.
    }
  };

  const schedule = () => {
    if (stopped || debounce !== undefined) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      check();
    }, 10);
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

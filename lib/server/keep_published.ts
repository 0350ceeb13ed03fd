/**
 * Keeping the instance published while the server runs: when its `.port`
 * or `.json` file, its lock file or the whole state directory is removed
 * (a clean-up script, `rm -rf ~/.pryx`, a tmpfs wiped under it), the server
 * notices within a second, recreates the directory (0700), takes the lock
 * again on a fresh lock file and writes its files again. Otherwise a second
 * `serve` of the instance would start beside it, and `discover`, `list` and
 * `stop` would no longer find it.
 *
 * Two directory watches (`Deno.watchFs`) notice: the state directory's own
 * sees its files go, its parent's sees the directory itself go. No timer
 * runs while nothing happens: the first timer a Deno process sets costs
 * about 3 MB of resident memory for the rest of its life, more than both
 * watches together (measured on Deno 2.9.6, Linux), and an idle server
 * should cost what it must. A check every {@linkcode REPUBLISH_CHECK_MS}
 * takes over only where a watch cannot be set up (a watch limit reached,
 * no permission), while a republish keeps failing, and once the directory
 * was replaced (below).
 *
 * After an event, the keeper waits until the directory has been quiet for
 * a moment before it writes: a removal in progress (`rm -rf` unlinks file
 * after file, then the directory) is left to finish, or its last step would
 * fail on the files put back. A directory removed (or replaced) has its
 * watch closed at once and watched again after that quiet period; Deno 2.9
 * does not always deliver events to a new watch of a path that was watched
 * before, so from then on the timer checks too. When another process owns the
 * instance by then (it holds the lock on a recreated lock file), the server
 * does not fight it: it logs a warning and serves on without files.
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { REPUBLISH_CHECK_MS } from "../shared/config.ts";
import { writeFileAtomic } from "../shared/atomic_write.ts";
import type { Claim } from "./claim.ts";
import type { Logger } from "./log.ts";

/**
 * How long the state directory must be quiet before a check, in ms: long
 * enough that an `rm -rf` descheduled between its unlinks and its final
 * rmdir on a busy machine is not answered with files put back (its rmdir
 * would fail "Directory not empty"), short enough to stay well within the
 * second the republish promises.
 */
const SETTLE_MS = 250;

/**
 * The longest a check waits for quiet after the first event of a burst, in
 * ms: a directory that never stops changing (a busy shared state
 * directory) must not keep the instance unpublished.
 */
const MAX_SETTLE_WAIT_MS = 2000;

/** The published files and their content, in the order they are written. */
export interface PublishedFiles {
  /** `<instance>.json` path and content. */
  json: { path: string; data: string };
  /** `<instance>.port` path and content. */
  port: { path: string; data: string };
}

/** A running keeper. */
export interface Keeper {
  /**
   * Runs one check now (also what the watches and the fallback timer
   * call): puts back what is missing. Never throws: a failure is logged
   * once per distinct problem and retried every
   * {@linkcode REPUBLISH_CHECK_MS}.
   */
  check(): Promise<void>;
  /** Stops watching and checking (before the drain removes the files). */
  stop(): void;
}

/** Identity of a file on disk: device and inode (`null` where unknown). */
type FileId = { dev: number; ino: number | null } | undefined;

/**
 * Starts keeping `files` and the claim's lock in place.
 *
 * @param options.intervalMs How often the fallback check runs, in ms
 * (default {@linkcode REPUBLISH_CHECK_MS}).
 * @param options.settleMs How long the directory must be quiet after an
 * event before the check, in ms (default 250).
 * @param options.watch Whether to watch the directories (default `true`;
 * `false` is what a system without watches gets: the timer alone).
 */
export function keepPublished(
  claim: Claim,
  files: PublishedFiles,
  log: Logger,
  options: {
    instance: string;
    intervalMs?: number;
    settleMs?: number;
    watch?: boolean;
  },
): Keeper {
  const ordered = [files.json, files.port];
  const intervalMs = options.intervalMs ?? REPUBLISH_CHECK_MS;
  const settleMs = options.settleMs ?? SETTLE_MS;
  const watching = options.watch ?? true;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  // The first line of the last failure, until a check succeeds.
  let lastProblem: string | undefined;
  let replaced = false;
  const dirWatch = new Watch();
  const parentWatch = new Watch();
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let burstStart = 0;
  let fallback: ReturnType<typeof setInterval> | undefined;
  const name = `"${options.instance}"`;
  const dir = claim.stateDir.replace(/(.)[\\/]+$/, "$1");
  const slash = Math.max(dir.lastIndexOf("/"), dir.lastIndexOf("\\"));
  const parent = slash < 0 ? "." : slash === 0 ? dir[0] : dir.slice(0, slash);
  const base = dir.slice(slash + 1);

  // The directory's own watch sees its files go; the parent's sees the
  // directory itself go (filtered to its name: the parent may be a busy
  // home directory). Both say whether they are in place.
  const watch = (): boolean => {
    if (!watching) return false;
    const own = dirWatch.ensure(dir, () => onEvent());
    const up = parentWatch.ensure(parent, (paths) => {
      if (paths.some((p) => p === dir || p.endsWith(`/${base}`))) onEvent();
    });
    return own && up;
  };

  // The timer runs only while it is needed: no watch, a failing check, or
  // a watch of a recreated directory, which may miss events.
  const needTimer = (needed: boolean) => {
    if (needed && fallback === undefined && !stopped) {
      fallback = setInterval(check, intervalMs);
    } else if (!needed && fallback !== undefined) {
      clearInterval(fallback);
      fallback = undefined;
    }
  };

  const onEvent = () => {
    if (stopped) return;
    // A directory that went (or was replaced) loses its watch now, so the
    // check can watch the new one once things are quiet.
    if (!dirWatch.watches(dir)) {
      dirWatch.close();
      replaced = true;
    }
    const now = monotonicNow();
    if (debounce === undefined) burstStart = now;
    else if (now - burstStart >= MAX_SETTLE_WAIT_MS) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      check();
    }, settleMs);
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
          lastProblem = undefined;
        } catch (err) {
          const problem = (err as Error).message.split("\n", 1)[0];
          if (problem !== lastProblem) {
            log.log(
              "warn",
              `Cannot publish instance ${name} again: ${problem}; retrying every ${
                intervalMs / 1000
              } s`,
            );
          }
          lastProblem = problem;
        }
        if (!stopped) {
          needTimer(
            !watch() || lastProblem !== undefined || replaced,
          );
        }
      } while (again && !stopped);
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };

  const stop = () => {
    stopped = true;
    needTimer(false);
    clearTimeout(debounce);
    dirWatch.close();
    parentWatch.close();
  };
  needTimer(!watch());
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

  /**
   * Watches `path` unless its current directory is watched already.
   *
   * @returns Whether `path` is watched now.
   */
  ensure(path: string, onChange: (paths: string[]) => void): boolean {
    const id = fileId(path);
    if (id === undefined) {
      this.close();
      return false;
    }
    if (this.#watcher !== undefined && sameId(id, this.#id)) return true;
    this.close();
    let w: Deno.FsWatcher;
    try {
      w = Deno.watchFs(path, { recursive: false });
    } catch {
      // No watch (limits, permissions): the timer checks instead.
      return false;
    }
    this.#watcher = w;
    this.#id = id;
    (async () => {
      try {
        for await (const event of w) {
          if (event.kind !== "access") onChange(event.paths);
        }
      } catch {
        // Closed, or the directory went away.
      }
      if (this.#watcher === w) this.#watcher = undefined;
    })();
    return true;
  }

  /** Whether the directory now at `path` is the one watched. */
  watches(path: string): boolean {
    return this.#watcher !== undefined && sameId(fileId(path), this.#id);
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

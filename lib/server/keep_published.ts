/**
 * Keeping the instance published while the server runs: when its `.port`
 * or `.json` file, its lock file or the whole state directory is removed
 * (a clean-up script, `rm -rf ~/.pryx`, a tmpfs wiped under it), the server
 * recreates the directory (0700), takes the lock again on a fresh lock file
 * and writes its files again within 50 ms, every time (SPEC 2). Otherwise a
 * second `serve` of the instance would start beside it, and `discover`,
 * `list` and `stop` would no longer find it.
 *
 * Two directory watches (`Deno.watchFs`) notice: the state directory's own
 * sees its files go, its parent's sees the directory itself go or moved
 * away (on Linux 1-7 ms after the `rmdir`, measured on Deno 2.9.6). A
 * directory that went is answered at once: the removal of that directory
 * is over. A file that went is answered once the directory has been quiet
 * for a moment, so that an `rm -rf` in progress (it unlinks file after
 * file, then the directory) is left to finish rather than failing
 * "Directory not empty" on files put back.
 *
 * No timer runs while nothing happens: an idle server costs what it must. A
 * check every {@linkcode REPUBLISH_CHECK_MS} takes over where a watch
 * cannot be set up (a watch limit reached, no permission), while a
 * republish keeps failing, and once the directory was replaced: Deno 2.9.6
 * delivers no event to a new watch of a path whose watched directory was
 * removed in the same process (measured on Linux), so the recreated
 * directory's files are checked by the timer, and its own removal is still
 * seen by the parent's watch at once.
 *
 * When another process owns the instance by then (it holds the lock on a
 * recreated lock file), the server does not fight it: the keeper stops and
 * calls `onTaken`, and the server logs one line and shuts down as on
 * SIGTERM; its
 * drain leaves the new owner's files alone (SPEC 2).
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { formatMs, REPUBLISH_CHECK_MS } from "../shared/config.ts";
import { writeFileAtomic } from "../shared/atomic_write.ts";
import { parentDir } from "../shared/parent_dir.ts";
import type { Claim } from "./claim.ts";
import type { Logger } from "./log.ts";
import type { SocketListener } from "./socket_listener.ts";

/**
 * How long the state directory must be quiet after a file of it went before
 * a check, and how long its mtime must then hold before a write, in ms: an
 * `rm -rf` unlinks a handful of files and removes the directory well within
 * it (tens of microseconds), and twice it leaves the 50 ms of SPEC 2 for
 * the write.
 */
const SETTLE_MS = 10;

/**
 * The longest a check waits for quiet after the first event of a burst, in
 * ms: a directory that never stops changing (a busy shared state
 * directory) must not keep the instance unpublished past the 50 ms of
 * SPEC 2.
 */
const MAX_SETTLE_WAIT_MS = 35;

/** The published files and their content, in the order they are written. */
export interface PublishedFiles {
  /** `<instance>.json` path and content. */
  json: { path: string; data: string };
  /** `<instance>.port` path and content. */
  port: { path: string; data: string };
  /**
   * The Unix socket, when the run has one: bound again before the json
   * that names it when it went (`socket_listener.ts`).
   */
  socket?: Pick<SocketListener, "path" | "inPlace" | "restore">;
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
 * @param options.instance The instance name, for the log lines.
 * @param options.onTaken Called once when another process owns the
 * instance now (it holds the lock of a recreated lock file); the keeper
 * has stopped by then. The server logs why and shuts down on it.
 * @param options.intervalMs How often the fallback check runs, in ms
 * (default {@linkcode REPUBLISH_CHECK_MS}).
 * @param options.settleMs How long the directory must be quiet after a file
 * of it went before the check, in ms (default 10).
 * @param options.maxSettleMs The longest a check waits for quiet after the
 * first event of a burst, in ms (default 35).
 * @param options.watch Whether to watch the directory (default `true`;
 * `false` is what a system without watches gets: the timer alone).
 */
export function keepPublished(
  claim: Claim,
  files: PublishedFiles,
  log: Logger,
  options: {
    instance: string;
    onTaken?: () => void;
    intervalMs?: number;
    settleMs?: number;
    maxSettleMs?: number;
    watch?: boolean;
  },
): Keeper {
  const ordered = [files.json, files.port];
  const intervalMs = options.intervalMs ?? REPUBLISH_CHECK_MS;
  const settleMs = options.settleMs ?? SETTLE_MS;
  const maxSettleMs = options.maxSettleMs ?? MAX_SETTLE_WAIT_MS;
  const watching = options.watch ?? true;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  // The first line of the last failure, until a check succeeds.
  let lastProblem: string | undefined;
  let replaced = false;
  const dirWatch = new Watch();
  const parentWatch = new Watch();
  const socketWatch = new Watch();
  let followUp: ReturnType<typeof setTimeout> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let burstStart = 0;
  let fallback: ReturnType<typeof setInterval> | undefined;
  const name = `"${options.instance}"`;
  const dir = claim.stateDir.replace(/(.)[\\/]+$/, "$1");
  const parent = parentDir(dir) ?? ".";
  const socketParent = files.socket === undefined
    ? undefined
    : parentDir(files.socket.path);
  const socketDir = socketParent === undefined || samePath(socketParent, dir)
    ? undefined
    : socketParent;

  // The directory's own watch sees its files go; the parent's sees the
  // directory itself go (filtered to its path: the parent may be a busy
  // home directory). Both say whether they are in place. A recreated
  // directory gets no watch of its own that would see anything (above).
  const watch = (): boolean => {
    if (!watching) return false;
    const own = replaced || dirWatch.ensure(dir, () => onEvent());
    const up = parentWatch.ensure(parent, (paths) => {
      if (paths.some((p) => samePath(p, dir))) onEvent();
    });
    // A socket in a private directory of its own (a short path) is watched
    // there: its removal is news nothing else would bring.
    const mine = socketDir === undefined ||
      socketWatch.ensure(socketDir, (paths) => {
        if (paths.some((p) => samePath(p, files.socket!.path))) {
          schedule(settleMs);
        }
      });
    return own && up && mine;
  };

  // The timer runs only while it is needed: no watch, a failing check, or
  // a recreated directory, whose files no watch sees.
  const needTimer = (needed: boolean) => {
    if (needed && fallback === undefined && !stopped) {
      fallback = setInterval(check, intervalMs);
    } else if (!needed && fallback !== undefined) {
      clearInterval(fallback);
      fallback = undefined;
    }
  };

  // A check `ms` from now, but never later than `maxSettleMs` after the
  // first event of the burst.
  const schedule = (ms: number) => {
    const now = monotonicNow();
    if (debounce === undefined) burstStart = now;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      check();
    }, Math.max(0, Math.min(ms, burstStart + maxSettleMs - now)));
  };

  const onEvent = () => {
    if (stopped) return;
    // The directory went (or another one is at its path now): its removal
    // is over, so the check runs at once. A file that went waits for quiet.
    if (!replaced && dirWatch.watches(dir)) schedule(settleMs);
    else {
      dirWatch.close();
      replaced = true;
      schedule(0);
    }
  };

  // A check that finds something missing from a directory that is still
  // there writes only once the directory's mtime has held for `settleMs`
  // (at most `maxSettleMs` after it first saw it so): an `rm -rf` that is
  // unlinking is left to finish even where no watch says so (a recreated
  // directory, the fallback timer). A directory that is gone is recreated
  // at once: its removal is over.
  let sighting: { mtime: number; at: number; since: number } | undefined;
  const quiet = (): boolean => {
    let mtime: number;
    try {
      mtime = Deno.statSync(dir).mtime?.getTime() ?? 0;
    } catch {
      sighting = undefined;
      return true;
    }
    const now = monotonicNow();
    const same = sighting?.mtime === mtime;
    if (
      sighting !== undefined &&
      (same && now - sighting.at >= settleMs ||
        now - sighting.since >= maxSettleMs)
    ) {
      sighting = undefined;
      return true;
    }
    sighting = {
      mtime,
      at: same ? sighting!.at : now,
      since: sighting?.since ?? now,
    };
    return false;
  };

  const socket = files.socket;
  // Whether the check ran to its end ("done"), or waits for quiet first.
  const once = async (): Promise<"done" | "deferred"> => {
    const missing = !claim.lockInPlace() ||
      socket !== undefined && !socket.inPlace() ||
      ordered.some((file) => fileId(file.path) === undefined);
    if (!missing) {
      sighting = undefined;
      return "done";
    }
    if (!quiet()) {
      schedule(settleMs);
      return "deferred";
    }
    if (!claim.lockInPlace()) {
      if (!await claim.relock()) {
        stop();
        options.onTaken?.();
        return "done";
      }
      log.log(
        "warn",
        `The lock file of instance ${name} was removed from ${claim.stateDir}; took the lock again`,
      );
    }
    const redone: string[] = [];
    // Before the json that names it: a reader that finds the record finds
    // the socket.
    if (socket !== undefined && !socket.inPlace()) {
      socket.restore();
      redone.push(socket.path);
    }
    for (const file of ordered) {
      // Only what is missing: a file someone replaced is theirs to explain,
      // and shutdown leaves a file alone that no longer describes this run.
      if (fileId(file.path) !== undefined) continue;
      writeFileAtomic(file.path, file.data, { verifyMode: true });
      redone.push(file.path);
    }
    if (redone.length > 0) {
      // What changes in the moment of a republish (a clean-up still at
      // work, a link planted where the socket went) may come with events
      // that arrive while this check runs, or none that reach it: one
      // more look once things have settled.
      clearTimeout(followUp);
      followUp = setTimeout(check, maxSettleMs);
      log.log(
        "warn",
        `The files of instance ${name} were removed; published them again: ${
          redone.join(", ")
        }`,
      );
    }
    return "done";
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
          // A check that only waits for quiet says nothing about the last
          // problem: it stays said once, not once per retry.
          if (await once() === "done") lastProblem = undefined;
        } catch (err) {
          const problem = (err as Error).message.split("\n", 1)[0];
          if (problem !== lastProblem) {
            log.log(
              "warn",
              `Cannot publish instance ${name} again: ${problem}; retrying every ${
                formatMs(intervalMs)
              }`,
            );
          }
          lastProblem = problem;
        }
        if (!stopped) {
          needTimer(!watch() || lastProblem !== undefined || replaced);
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
    clearTimeout(followUp);
    dirWatch.close();
    parentWatch.close();
    socketWatch.close();
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

/**
 * Whether two spellings of a path name the same one, `/` and `\\` alike:
 * a Windows state directory is often built as `C:\\Users\\me/.pryx`, and
 * the watch reports `C:\\Users\\me\\.pryx`.
 */
export function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/[\\/]+/g, "/").replace(/(.)\/$/, "$1");
  return norm(a) === norm(b);
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

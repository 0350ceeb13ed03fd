/**
 * Atomic file replacement: a reader sees the old content or the new, never
 * a partial or empty file.
 *
 * Synchronous on purpose: these writes sit on the start-up path, where a
 * round trip through the event loop per file operation costs more than the
 * operation. The one exception is the flush, which takes far longer than a
 * round trip: {@linkcode StagedFile.flush} runs it on a worker thread while
 * the caller goes on.
 *
 * @module
 */

import type { Os } from "./os.ts";
import {
  isMissingPermission,
  isOutOfDescriptors,
  OUT_OF_DESCRIPTORS_WORDS,
  StateDirError,
} from "./errors.ts";

/** Options for {@linkcode stageFile} and {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file. Default `0o600`. */
  mode?: number;
  /** Refuse (and remove the temp file) unless the written mode is exactly `mode`. */
  verifyMode?: boolean;
  /**
   * Flush the data to disk before returning (default `true`). With `false`
   * the caller may flush later with {@linkcode StagedFile.flush}, or not at
   * all: the rename alone keeps readers from seeing a partial file, and the
   * flush only matters should the machine crash.
   */
  flush?: boolean;
}

/**
 * A file written under a temp name, not yet visible under its final name.
 * Split from the rename so several files can be written first and then
 * published in a fixed order.
 */
export interface StagedFile {
  /**
   * Flushes the data to disk on a worker thread, so the caller can go on
   * meanwhile. Call it at most once, before {@linkcode StagedFile.commit}.
   *
   * @throws {StateDirError} When the flush fails.
   */
  flush(): Promise<void>;
  /** Makes the file visible under its final name (an atomic rename). */
  commit(): void;
  /** Removes the temp file; safe to call after a failed commit. */
  discard(): void;
}

/**
 * Writes `data` to a temp file beside `path` and, unless told otherwise,
 * flushes it to disk, without publishing it yet.
 *
 * @throws {StateDirError} When the directory cannot be written, or the mode
 * check fails.
 */
export function stageFile(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): StagedFile {
  const mode = options.mode ?? 0o600;
  const tmp = tempPathFor(path);
  let file: Deno.FsFile | undefined;
  const close = () => {
    file?.close();
    file = undefined;
  };
  const discard = () => {
    close();
    try {
      Deno.removeSync(tmp);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true, mode });
    const bytes = new TextEncoder().encode(data);
    for (let off = 0; off < bytes.length;) {
      off += file.writeSync(bytes.subarray(off));
    }
    if (options.flush !== false) file.syncSync();
    if (options.verifyMode) {
      const actual = file.statSync().mode;
      if (!modeIsAsWritten(actual, mode)) {
        throw new StateDirError(
          `Cannot protect "${path}": its mode is ${
            octal(actual ?? 0)
          } instead of ${
            octal(mode)
          }; put the state directory on a file system with Unix permissions`,
        );
      }
    }
    if (options.flush !== false) close();
  } catch (err) {
    try {
      discard();
    } catch {
      // The original error is the one to report.
    }
    throw asStateDirError(err, path);
  }
  return {
    async flush() {
      try {
        await file?.sync();
      } catch (err) {
        throw asStateDirError(err, path);
      } finally {
        close();
      }
    },
    commit() {
      close();
      try {
        renameWithRetry(tmp, path);
      } catch (err) {
        discard();
        throw asStateDirError(err, path);
      }
    },
    discard,
  };
}

/**
 * Replaces `path` atomically with `data`: temp file in the same directory,
 * fsync, rename.
 *
 * @example
 * ```ts
 * writeFileAtomic("/tmp/x.port", "38124\n");
 * ```
 */
export function writeFileAtomic(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): void {
  stageFile(path, data, options).commit();
}

/**
 * The temp file beside `path` that {@linkcode stageFile} writes first:
 * `.NAME.PID.SUFFIX.tmp` in the same directory (a rename is atomic only
 * within one file system). Unique among live processes by the pid;
 * `createNew` refuses a leftover of a dead one, or a planted symlink. The
 * suffix is not a secret, so `Math.random` serves.
 */
export function tempPathFor(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const suffix = Math.random().toString(36).slice(2, 8);
  return `${path.slice(0, slash + 1)}.${
    path.slice(slash + 1)
  }.${Deno.pid}.${suffix}.tmp`;
}

/**
 * Whether the directory entry `name` is a temp file that
 * {@linkcode tempPathFor} made for the file named `target` in the same
 * directory: `.TARGET.PID.SUFFIX.tmp` exactly, so `a.port` does not take
 * `aa.port`'s or `a.port.x`'s temp files.
 */
export function isTempFileOf(name: string, target: string): boolean {
  const prefix = `.${target}.`;
  return name.startsWith(prefix) && TEMP_TAIL.test(name.slice(prefix.length));
}

const TEMP_TAIL = /^\d+\.[a-z0-9]+\.tmp$/;
const TEMP_NAME = /^\.(.+)\.\d+\.[a-z0-9]+\.tmp$/;

/**
 * The file a temp file of {@linkcode tempPathFor} was made for:
 * `.runtime.port.123.k2x9q1.tmp` → `runtime.port`; `undefined` for any
 * other name.
 */
export function tempFileTarget(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}

/**
 * Whether a file's reported mode shows the permission bits it was created
 * with. Windows has no Unix modes: access is its ACLs, inherited from the
 * directory (a state directory in the user profile is the user's alone),
 * and Deno reports `mode` there as `null` or as a value made up from the
 * read-only attribute (Deno's `FileInfo.mode` docs), never `0600`: there
 * the check cannot be made and passes. Elsewhere the low nine bits must be
 * exactly `wanted`; a `null` (a file system without modes) passes too.
 *
 * @param actual `FileInfo.mode` of the written file.
 * @param wanted The mode it was created with, e.g. `0o600`.
 */
export function modeIsAsWritten(
  actual: number | null,
  wanted: number,
  os: Os = Deno.build.os,
): boolean {
  if (os === "windows" || actual === null) return true;
  return (actual & 0o777) === (wanted & 0o777);
}

/**
 * Pauses between rename attempts on Windows, in ms (about 0.6 s in all):
 * long enough for a reader's open handle or a virus scanner's to go, short
 * enough that a start or a shutdown does not hang.
 */
export const RENAME_RETRY_DELAYS_MS: readonly number[] = [
  5,
  10,
  20,
  40,
  80,
  160,
  250,
];

/**
 * Whether a failed rename over an existing file may succeed when tried
 * again: on Windows, `MoveFileEx` fails with ERROR_ACCESS_DENIED (os error
 * 5, Deno's `PermissionDenied`) or ERROR_SHARING_VIOLATION (os error 32)
 * while another process has the target open without `FILE_SHARE_DELETE`
 * (Microsoft, "MoveFileEx" and "CreateFile" docs); the holder lets go in a
 * moment. On POSIX `rename(2)` replaces an open file: a failure is final.
 */
export function isTransientRenameError(
  err: unknown,
  os: Os = Deno.build.os,
): boolean {
  if (os !== "windows") return false;
  return err instanceof Deno.errors.PermissionDenied ||
    err instanceof Deno.errors.Busy ||
    (err instanceof Error && /\(os error (5|32)\)/.test(err.message));
}

/**
 * `Deno.renameSync(from, to)`, tried again after each of `delays` while the
 * failure is {@linkcode isTransientRenameError}.
 *
 * @throws The last error, when it is not transient or the delays run out.
 */
export function renameWithRetry(
  from: string,
  to: string,
  os: Os = Deno.build.os,
  delays: readonly number[] = RENAME_RETRY_DELAYS_MS,
  rename: (from: string, to: string) => void = Deno.renameSync,
  sleep: (ms: number) => void = sleepSync,
): void {
  for (let attempt = 0;; attempt++) {
    try {
      rename(from, to);
      return;
    } catch (err) {
      if (attempt >= delays.length || !isTransientRenameError(err, os)) {
        throw err;
      }
      sleep(delays[attempt]);
    }
  }
}

/** Blocks the thread for `ms`: the writes here are synchronous on purpose. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function octal(mode: number): string {
  return "0" + (mode & 0o777).toString(8);
}

/** Maps a file-system error to a one-line {@linkcode StateDirError}. */
function asStateDirError(err: unknown, path: string): unknown {
  if (err instanceof StateDirError || isMissingPermission(err)) return err;
  if (isOutOfDescriptors(err)) {
    return new StateDirError(
      `Cannot write "${path}": ${OUT_OF_DESCRIPTORS_WORDS}`,
    );
  }
  if (err instanceof Error && err.name in Deno.errors) {
    return new StateDirError(
      `Cannot write "${path}": ${
        err.message.split("\n", 1)[0]
      }; check that the state directory is writable or set PRYX_HOME`,
    );
  }
  return err;
}

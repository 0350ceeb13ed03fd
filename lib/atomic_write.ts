/**
 * Atomic file replacement: a reader sees the old content or the new, never
 * a partial or empty file (SPEC section 2).
 *
 * Synchronous on purpose: these writes sit on the start-up path, where a
 * round trip through the event loop per file operation costs more than the
 * operation.
 *
 * @module
 */

import { StateDirError } from "./errors.ts";

/** Options for {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file. Default `0o600`. */
  mode?: number;
  /** Refuse (and remove the temp file) unless the written mode is exactly `mode`. */
  verifyMode?: boolean;
}

/**
 * A file written and flushed under a temp name, not yet visible under its
 * final name. Split from the rename so several files can be written first
 * and then published in a fixed order.
 */
export interface StagedFile {
  /** Makes the file visible under its final name (an atomic rename). */
  commit(): void;
  /** Removes the temp file; safe to call after a failed commit. */
  discard(): void;
}

/**
 * Writes `data` to a temp file beside `path` and flushes it to disk, without
 * publishing it yet.
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
  const slash = path.lastIndexOf("/");
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = `${path.slice(0, slash + 1)}.${
    path.slice(slash + 1)
  }.${Deno.pid}.${suffix}.tmp`;
  const discard = () => {
    try {
      Deno.removeSync(tmp);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  try {
    using file = Deno.openSync(tmp, { write: true, createNew: true, mode });
    const bytes = new TextEncoder().encode(data);
    for (let off = 0; off < bytes.length;) {
      off += file.writeSync(bytes.subarray(off));
    }
    file.syncSync();
    if (options.verifyMode) {
      const actual = file.statSync().mode;
      if (actual !== null && (actual & 0o777) !== mode) {
        throw new StateDirError(
          `Cannot protect "${path}": its mode is ${octal(actual)} instead of ${
            octal(mode)
          }; put the state directory on a file system with Unix permissions`,
        );
      }
    }
  } catch (err) {
    try {
      discard();
    } catch {
      // The original error is the one to report.
    }
    throw asStateDirError(err, path);
  }
  return {
    commit() {
      try {
        Deno.renameSync(tmp, path);
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

function octal(mode: number): string {
  return "0" + (mode & 0o777).toString(8);
}

/** Maps a file-system error to a one-line {@linkcode StateDirError}. */
export function asStateDirError(err: unknown, path: string): unknown {
  if (err instanceof StateDirError) return err;
  if (err instanceof Error && err.name in Deno.errors) {
    return new StateDirError(
      `Cannot write "${path}": ${
        err.message.split("\n", 1)[0]
      }; check that the state directory is writable or set PRYX_HOME`,
    );
  }
  return err;
}

/**
 * Atomic file replacement: a reader sees the old content or the new, never
 * a partial or empty file (SPEC section 2).
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
 * A file written to a temp name, not yet visible under its final name.
 * Split from the rename so several files can be flushed in parallel and
 * then published in a fixed order.
 */
export interface StagedFile {
  /** Makes the file visible under its final name (an atomic rename). */
  commit(): Promise<void>;
  /** Removes the temp file; safe to call after a failed commit. */
  discard(): Promise<void>;
}

/**
 * Writes `data` to a temp file beside `path` and flushes it to disk, without
 * publishing it yet.
 *
 * @throws {StateDirError} When the directory cannot be written, or the mode
 * check fails.
 */
export async function stageFile(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): Promise<StagedFile> {
  const mode = options.mode ?? 0o600;
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = `${dir}.${name}.${Deno.pid}.${suffix}.tmp`;
  const discard = async () => {
    try {
      await Deno.remove(tmp);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  try {
    using file = await Deno.open(tmp, { write: true, createNew: true, mode });
    await writeAll(file, new TextEncoder().encode(data));
    await file.sync();
    if (options.verifyMode) {
      const actual = (await file.stat()).mode;
      if (actual !== null && (actual & 0o777) !== mode) {
        throw new StateDirError(
          `Cannot protect "${path}": its mode is ${octal(actual)} instead of ${
            octal(mode)
          }; put the state directory on a file system with Unix permissions`,
        );
      }
    }
  } catch (err) {
    await discard().catch(() => {});
    throw asStateDirError(err, path);
  }
  return {
    async commit() {
      try {
        await Deno.rename(tmp, path);
      } catch (err) {
        await discard().catch(() => {});
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
 * await writeFileAtomic("/tmp/x.port", "38124\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await (await stageFile(path, data, options)).commit();
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
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
        firstLine(err.message)
      }; check that the state directory is writable or set PRYX_HOME`,
    );
  }
  return err;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0];
}

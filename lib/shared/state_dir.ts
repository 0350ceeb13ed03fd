/**
 * Creates the state directory (mode 0700) and turns file-system failures
 * into a one-line {@linkcode StateDirError} (exit 5).
 *
 * @module
 */

import { StateDirError } from "./errors.ts";

/**
 * Makes sure `dir` exists and is a directory, creating it (and parents) with
 * mode 0700 when missing. An existing directory is left as it is.
 *
 * @returns The names of the entries already in it: one directory read, so
 * the start-up path need not probe each instance file with a failing stat.
 * @throws {StateDirError} When it cannot be created, read or is not a
 * directory.
 */
export function ensureStateDir(dir: string): Set<string> {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new Set(Array.from(Deno.readDirSync(dir), (entry) => entry.name));
  } catch (err) {
    const why = err instanceof Deno.errors.AlreadyExists
      ? "it exists and is not a directory"
      : (err as Error).message.split("\n", 1)[0];
    throw new StateDirError(
      `Cannot use state directory "${dir}": ${why}; set PRYX_HOME or --state-dir to a writable directory`,
    );
  }
}

/**
 * Removes an instance file (a dead owner's, or this process's own on
 * shutdown). A missing file is fine; anything that is not a file or symlink
 * (a directory, say) is refused rather than removed, since pryx-core did not
 * put it there.
 *
 * @throws {StateDirError} When the path cannot be removed.
 */
export function removeInstanceFile(path: string): void {
  try {
    if (Deno.lstatSync(path).isDirectory) {
      throw new StateDirError(
        `Cannot use "${path}": it is a directory, not an instance file; remove it and start again`,
      );
    }
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof StateDirError) throw err;
    throw new StateDirError(
      `Cannot remove "${path}": ${
        (err as Error).message.split("\n", 1)[0]
      }; check the state directory's permissions`,
    );
  }
}

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
 * @throws {StateDirError} When it cannot be created or is not a directory.
 */
export function ensureStateDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const why = err instanceof Deno.errors.AlreadyExists
      ? "it exists and is not a directory"
      : (err as Error).message.split("\n", 1)[0];
    throw new StateDirError(
      `Cannot use state directory "${dir}": ${why}; set PRYX_HOME or --state-dir to a writable directory`,
    );
  }
}

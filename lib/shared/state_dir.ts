/**
 * Creates the state directory (mode 0700) and turns file-system failures
 * into a one-line {@linkcode StateDirError} (exit 5).
 *
 * @module
 */

import type { Os } from "./os.ts";
import { tempFileTarget } from "./atomic_write.ts";
import {
  isMissingPermission,
  isOutOfDescriptors,
  OUT_OF_DESCRIPTORS_WORDS,
  StateDirError,
} from "./errors.ts";
import { instanceOfFile } from "./instance_files.ts";
import { checkTrusted } from "./trust.ts";

/**
 * Makes sure `dir` exists and is a directory, creating it (and parents) with
 * mode 0700 when missing. An existing directory is left as it is.
 *
 * @returns The names of the entries already in it: one directory read, so
 * the start-up path need not probe each instance file with a failing stat.
 * @throws {StateDirError} When it cannot be created, read or is not a
 * directory, or may not be trusted (another user's, or writable by others:
 * {@linkcode checkTrusted}).
 */
export function ensureStateDir(dir: string): Set<string> {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    checkTrusted(dir);
    return new Set(Array.from(Deno.readDirSync(dir), (entry) => entry.name));
  } catch (err) {
    if (isMissingPermission(err) || err instanceof StateDirError) throw err;
    if (isOutOfDescriptors(err)) {
      throw new StateDirError(
        `Cannot use state directory "${dir}": ${OUT_OF_DESCRIPTORS_WORDS}`,
      );
    }
    const why = err instanceof Deno.errors.AlreadyExists
      ? "it exists and is not a directory"
      : (err as Error).message.split("\n", 1)[0];
    throw new StateDirError(
      `Cannot use state directory "${dir}": ${why}; set PRYX_HOME or --state-dir to a writable directory`,
    );
  }
}

/** Permission bits that let others than the owner in. */
const OTHERS = 0o077;

/**
 * Whether `name` is a file pryx-core puts in a state directory: an instance
 * file (`.port`, `.json`, `.lock`) or one of their temp files.
 */
export function isStateFile(name: string): boolean {
  const target = tempFileTarget(name) ?? name;
  return instanceOfFile(target) !== undefined;
}

/**
 * What {@linkcode tightenStateDir} did: nothing (`undefined`), tightened the
 * mode (`info`), or left a wide mode it should not change (`warn`); each
 * with the one line to log.
 */
export type ModeNotice = { level: "info" | "warn"; message: string };

/**
 * Makes an existing state directory private (0700) when others may read or
 * enter it: it holds the runtime's tokens. Only a directory that holds
 * nothing but pryx-core's files (or nothing) and that this user may chmod
 * (its owner) is changed; a shared one (a home directory, `/tmp` with its
 * sticky bit) or another user's is left as it is and named in a warning.
 *
 * @param names The entries of the directory (from {@linkcode ensureStateDir}).
 * @param os Windows has no Unix modes (access is its ACLs): nothing to do.
 * @returns The line to log, or `undefined` when the mode is private already.
 */
export function tightenStateDir(
  dir: string,
  names: ReadonlySet<string>,
  os: Os = Deno.build.os,
): ModeNotice | undefined {
  if (os === "windows") return undefined;
  const info = Deno.statSync(dir);
  const mode = (info.mode ?? 0) & 0o7777;
  if ((mode & OTHERS) === 0) return undefined;
  const shown = mode.toString(8).padStart(4, "0");
  // A sticky directory (/tmp) or one with other files is shared: not ours
  // to close. Ownership is left to chmod itself (only the owner may), as
  // reading the uid would need --allow-sys.
  let why = "it holds other files";
  if ((mode & 0o1000) === 0 && [...names].every(isStateFile)) {
    try {
      Deno.chmodSync(dir, 0o700);
      return {
        level: "info",
        message:
          `Made state directory ${dir} private: mode ${shown} -> 0700 (it holds the runtime's tokens)`,
      };
    } catch (err) {
      why = err instanceof Deno.errors.PermissionDenied
        ? "it belongs to another user"
        : (err as Error).message.split("\n", 1)[0];
    }
  }
  return {
    level: "warn",
    message:
      `State directory ${dir} is open to other users (mode ${shown}) and left as it is because ${why}; run "chmod 700 ${dir}" or use a private directory (PRYX_HOME)`,
  };
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

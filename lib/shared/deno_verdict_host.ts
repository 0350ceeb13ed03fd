/**
 * The {@linkcode VerdictHost} of a Deno process: the state directory read
 * with Deno's sync file APIs (cheapest on a start-up path), its flock and
 * this machine. The discovery side's host and the server's claim both
 * stand on it, so each reads an instance the same way.
 *
 * @module
 */

import { isMissingPermission, StateDirError } from "./errors.ts";
import { isInstanceLocked } from "./lock.ts";
import { currentMachine } from "./machine.ts";
import { parentDir } from "./parent_dir.ts";
import { checkTrusted } from "./trust.ts";
import type { VerdictHost } from "./verdict.ts";

/**
 * The Deno host: `readText` and `readDir` answer `undefined` for a path
 * that does not exist and throw a one-line {@linkcode StateDirError} (exit
 * 5) for one that cannot be read, or that may not be trusted (its
 * directory or itself another user's, or writable by others:
 * {@linkcode checkTrusted}); a missing Deno permission is rethrown as it
 * is, for the permission hint.
 */
export function denoVerdictHost(): Required<
  Pick<VerdictHost, "readText" | "readDir" | "isLocked" | "machine">
> {
  const trustedDirs = new Set<string>();
  /** The directory of a file must be trusted before the file is. */
  const trustDir = (dir: string) => {
    if (trustedDirs.has(dir)) return;
    checkTrusted(dir);
    trustedDirs.add(dir);
  };
  return {
    readText: (path) => {
      try {
        trustDir(parentDir(path) ?? ".");
        checkTrusted(path);
        return Promise.resolve(Deno.readTextFileSync(path));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
        if (err instanceof StateDirError) throw err;
        throw unreadable(path, err);
      }
    },
    readDir: (dir) => {
      try {
        trustDir(dir);
        return Promise.resolve(
          Array.from(Deno.readDirSync(dir), (e) => e.name),
        );
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
        if (err instanceof StateDirError) throw err;
        throw unreadable(dir, err);
      }
    },
    isLocked: isInstanceLocked,
    machine: currentMachine,
  };
}

/**
 * The error for a state-directory path that exists but cannot be read:
 * one line naming it and what to do, or the missing permission as it is.
 */
export function unreadable(path: string, err: unknown): Error {
  if (isMissingPermission(err)) return err as Error;
  return new StateDirError(
    `Cannot read "${path}": ${
      (err as Error).message.split("\n", 1)[0]
    }; check the permissions of the state directory or set PRYX_HOME`,
  );
}

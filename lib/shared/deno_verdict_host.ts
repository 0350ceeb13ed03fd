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
import type { VerdictHost } from "./verdict.ts";

/**
 * The Deno host: `readText` and `readDir` answer `undefined` for a path
 * that does not exist and throw a one-line {@linkcode StateDirError} (exit
 * 5) for one that cannot be read; a missing Deno permission is rethrown as
 * it is, for the permission hint.
 */
export function denoVerdictHost(): Required<
  Pick<VerdictHost, "readText" | "readDir" | "isLocked" | "machine">
> {
  return {
    readText: (path) => {
      try {
        return Promise.resolve(Deno.readTextFileSync(path));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
        throw unreadable(path, err);
      }
    },
    readDir: (dir) => {
      try {
        return Promise.resolve(
          Array.from(Deno.readDirSync(dir), (e) => e.name),
        );
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
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

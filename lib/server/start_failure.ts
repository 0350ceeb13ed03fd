/**
 * `<instance>.error` from the server's side (SPEC 2): a `serve` that could
 * not start records why, and the next one that starts removes the record.
 * Whoever started it in the background (`run`, `serve --detach`, a service
 * manager) or waits for it (`discover --wait`) reads it through the verdict
 * (`shared/verdict.ts`) and says why, instead of "timed out".
 *
 * @module
 */

import { VERSION } from "../shared/config.ts";
import { writeFileAtomic } from "../shared/atomic_write.ts";
import { ExitCode, type PryxError } from "../shared/errors.ts";
import { isoTime } from "../shared/iso_time.ts";
import {
  formatStartFailure,
  instancePaths,
  type StartFailure,
} from "../shared/instance_files.ts";
import { removeInstanceFile } from "../shared/state_dir.ts";
import { checkTrusted } from "../shared/trust.ts";

/**
 * Whether a start that failed with `err` is a failure to record: every
 * error a user can cause, except "already running" (exit 4), which is not
 * a failure of the instance (its owner runs) and must not hide that owner.
 */
export function isRecordedFailure(err: PryxError): boolean {
  return err.exitCode !== ExitCode.AlreadyRunning;
}

/** The record of a start that failed with `err`, now. */
export function startFailureOf(err: PryxError): StartFailure {
  return {
    at: isoTime(),
    exitCode: err.exitCode,
    message: err.message,
    version: VERSION,
  };
}

/**
 * Writes `<instance>.error` for a start that failed with `err`, atomically
 * and mode 0600, when {@linkcode isRecordedFailure} says so. Best effort:
 * a state directory that does not exist is not created for it (a start
 * refused for a bad flag leaves nothing behind), one that cannot be used
 * or trusted (the failure may be exactly that) gets nothing written into
 * it, and the caller's error is reported as it is.
 *
 * @returns Whether the record was written.
 */
export function recordStartFailure(
  stateDir: string,
  instance: string,
  err: PryxError,
): boolean {
  if (!isRecordedFailure(err)) return false;
  try {
    // Refuses one that may not be trusted, or is not there.
    checkTrusted(stateDir);
    writeFileAtomic(
      instancePaths(stateDir, instance).error,
      formatStartFailure(startFailureOf(err)),
      { mode: 0o600 },
    );
    return true;
  } catch (cause) {
    // Whatever the file system says (absent, not a directory, refused, not
    // trusted), the start's own error is the one to report; a bug is not
    // such an answer.
    if (cause instanceof TypeError || cause instanceof ReferenceError) {
      throw cause;
    }
    return false;
  }
}

/**
 * Removes `<instance>.error` once a start succeeded (its files are out).
 *
 * @throws {StateDirError} When it exists and cannot be removed.
 */
export function clearStartFailure(stateDir: string, instance: string): void {
  removeInstanceFile(instancePaths(stateDir, instance).error);
}

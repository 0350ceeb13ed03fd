/**
 * Signalling child processes the tests and the bench started.
 *
 * @module
 */

/**
 * Sends `signal` to `child` unless it has exited already (Deno throws for a
 * process that is gone; that is the outcome the caller wanted anyway).
 * Only processes this harness started are signalled, by their handle.
 */
export function killIfRunning(
  child: Deno.ChildProcess,
  signal: Deno.Signal = "SIGKILL",
): void {
  try {
    child.kill(signal);
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof Deno.errors.NotFound)) {
      throw err;
    }
  }
}

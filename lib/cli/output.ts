/**
 * Standard output of every subcommand, in one place: the answer is written
 * whole, and a reader that closed the pipe (`pryx-core discover | true`,
 * `list | head -0`) ends the output quietly.
 *
 * Deno ignores SIGPIPE, so a write to a closed pipe fails with
 * `BrokenPipe` instead of killing the process (as `cat` would be killed,
 * exit 141). A reader that stopped reading wants nothing more; it asked no
 * question that a stack trace would answer. So the remaining output is
 * dropped and the subcommand ends with the exit code it would have had
 * (`discover` still exits 0 when it found a runtime), which keeps
 * `set -o pipefail` scripts and `PIPESTATUS` meaningful.
 *
 * @module
 */

import { OutputError } from "../shared/errors.ts";

let closed = false;

/**
 * Writes `text` to stdout, all of it, unless the reader has closed it.
 *
 * @returns `false` once stdout is closed (nothing more will be written), so
 * a loop that prints until interrupted can stop.
 * @throws {OutputError} For write failures other than a closed pipe.
 *
 * @example
 * ```ts
 * writeStdout("38124\n");
 * ```
 */
export function writeStdout(text: string): boolean {
  if (closed) return false;
  const bytes = new TextEncoder().encode(text);
  try {
    for (let done = 0; done < bytes.length;) {
      done += Deno.stdout.writeSync(bytes.subarray(done));
    }
    return true;
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) {
      throw new OutputError(
        `Cannot write to standard output: ${
          (err as Error).message.split("\n", 1)[0]
        }`,
      );
    }
    closed = true;
    return false;
  }
}

/**
 * Writes one line for a person to stderr, prefixed `pryx-core: `: what a
 * subcommand says besides its output (a runtime it started, one it skipped).
 */
export function report(message: string): void {
  console.error(`pryx-core: ${message}`);
}

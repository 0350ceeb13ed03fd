/**
 * Exit codes and the typed errors a user can cause.
 *
 * Every error a user can provoke (a bad flag, a busy port, an unusable state
 * directory, ...) is a {@linkcode PryxError} carrying its exit code, so the
 * CLI prints one line and exits with the documented code instead of a stack
 * trace.
 *
 * @module
 */

/** Exit codes, one per outcome, the same for every subcommand. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /**
   * Nothing found, nothing running; also a failure no other code names
   * (standard output cannot be written).
   */
  NotFound: 1,
  /** Usage error or bad input. */
  Usage: 2,
  /** Could not bind the listen address. */
  Bind: 3,
  /** The instance is already owned by a live process. */
  AlreadyRunning: 4,
  /** The state directory cannot be used. */
  StateDir: 5,
  /**
   * `run`: CMD was found but cannot be executed (POSIX shell, "Command
   * Search and Execution": 126).
   */
  CommandNotExecutable: 126,
  /** `run`: CMD was not found (POSIX shell, "Command Search and Execution": 127). */
  CommandNotFound: 127,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * Whether `err` is Deno refusing an operation for a permission flag the
 * process was not given (`Deno.errors.NotCapable`, Deno 2; see "Security
 * and permissions" in the Deno manual). Such an error is never a state
 * directory or bind problem: the code that translates OS errors into
 * {@linkcode StateDirError} or {@linkcode BindError} lets it through, and
 * the CLI names the flag to add (exit 2). Always `false` off Deno.
 */
export function isMissingPermission(err: unknown): boolean {
  return "Deno" in globalThis && err instanceof Deno.errors.NotCapable;
}

/**
 * Whether `err` says that a path is not there: `NotFound`, or a component
 * of it that is not a directory (`ENOTDIR`, `Deno.errors.NotADirectory`).
 * What a reader that asks "is it there?" means; any other error (a
 * permission, an I/O error) is an answer of its own and goes on.
 */
export function isAbsent(err: unknown): boolean {
  return "Deno" in globalThis &&
    (err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotADirectory);
}

/**
 * Whether `err` is running out of file descriptors: EMFILE (this process's
 * open-file limit) or ENFILE (the system's table). Deno has no error class
 * for them and reports the errno only in the message, as `(os error 24)`
 * and `(os error 23)`, the codes of Linux and macOS (errno.h); so the code,
 * not the words around it, decides.
 */
export function isOutOfDescriptors(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /\(os error (24|23)\)/.test(message);
}

/** The clause for an operation that failed for want of file descriptors. */
export const OUT_OF_DESCRIPTORS_WORDS =
  'out of file descriptors (the open-file limit is reached); raise it ("ulimit -n"), or wait until connections close';

/**
 * An error the user can cause and fix; `message` is one line that says what
 * to do, and `exitCode` is what the process exits with.
 */
export class PryxError extends Error {
  /** The process exit code for this error. */
  readonly exitCode: ExitCode;

  /**
   * @param message One line, sentence case, no trailing period.
   * @param exitCode The exit code of the outcome ({@linkcode ExitCode}).
   */
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A bad flag, argument, environment value or file content: exit 2. */
export class UsageError extends PryxError {
  /** @param message What was wrong and what to do. */
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

/** The listen address could not be bound: exit 3. */
export class BindError extends PryxError {
  /** @param message Which address and what to do. */
  constructor(message: string) {
    super(message, ExitCode.Bind);
  }
}

/** Another live process owns the instance: exit 4. */
export class AlreadyRunningError extends PryxError {
  /** @param message Which pid and URL own it. */
  constructor(message: string) {
    super(message, ExitCode.AlreadyRunning);
  }
}

/** The state directory cannot be created, read or written: exit 5. */
export class StateDirError extends PryxError {
  /** @param message Which directory and what to do. */
  constructor(message: string) {
    super(message, ExitCode.StateDir);
  }
}

/**
 * Standard output cannot be written (a full disk, `> /dev/full`, an I/O
 * error): exit 1. A reader that closed the pipe is not this: that output
 * is dropped quietly.
 */
export class OutputError extends PryxError {
  /** @param message What failed, with the system's reason. */
  constructor(message: string) {
    super(message, ExitCode.NotFound);
  }
}

/** Nothing live was found: exit 1. */
export class NotFoundError extends PryxError {
  /** @param message What was tried. */
  constructor(message: string) {
    super(message, ExitCode.NotFound);
  }
}

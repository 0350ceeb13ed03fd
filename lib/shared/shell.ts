/**
 * Command lines shown to a user to copy into their shell: quoting (POSIX
 * `sh`; on Windows what both `cmd.exe` and PowerShell read alike), and the
 * `pryx-core stop` line that reaches a given instance from the user's own
 * shell.
 *
 * @module
 */

import {
  DEFAULT_INSTANCE,
  Env,
  type EnvGetter,
  resolveStateDir,
} from "./config.ts";
import { PryxError } from "./errors.ts";
import { hostOs, type Os } from "./os.ts";

/**
 * Quotes `value` for a POSIX shell, only when it needs it (IEEE Std 1003.1,
 * Shell Command Language, 2.2.2 Single-Quotes).
 *
 * @example
 * ```ts
 * shellQuote("http://127.0.0.1:3000"); // "http://127.0.0.1:3000"
 * shellQuote("it's"); // "'it'\\''s'"
 * ```
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `pryx-core stop` command line that reaches `instance` of `stateDir`
 * when typed in a shell with environment `env`: `--instance` unless it is
 * the one `env` already selects, `--state-dir` unless `env` already leads
 * there, so advice printed by a start with `--state-dir` works as given.
 *
 * @example
 * ```ts
 * stopCommandLine("dev", "/tmp/s", () => undefined, { force: true });
 * // "pryx-core stop --force --instance dev --state-dir /tmp/s"
 * ```
 */
export function stopCommandLine(
  instance: string,
  stateDir: string,
  env: EnvGetter,
  options: { force?: boolean; os?: Os } = {},
): string {
  const os = options.os ?? hostOs();
  const words = ["pryx-core", "stop"];
  if (options.force) words.push("--force");
  if (instance !== (env(Env.instance) ?? DEFAULT_INSTANCE)) {
    words.push("--instance", instance);
  }
  let usual: string | undefined;
  try {
    usual = resolveStateDir(undefined, env, os);
  } catch (err) {
    // No home directory known (or a tree Deno keeps): name the directory.
    if (!(err instanceof PryxError)) throw err;
    usual = undefined;
  }
  if (stateDir !== usual) words.push("--state-dir", stateDir);
  return words.map((word) => adviceQuote(word, os)).join(" ");
}

/**
 * Quotes `value` for a command line a user pastes on `os`: {@linkcode
 * shellQuote} on Unix; on Windows double quotes, which `cmd.exe` and
 * PowerShell both take as grouping (single quotes are literal to
 * `cmd.exe`), around a value that needs them. A Windows path cannot hold
 * `"`; `%` (cmd.exe) and `$` or a backtick (PowerShell) would still expand,
 * so such a value is left to the user, quoted as is.
 *
 * @example
 * ```ts
 * adviceQuote("C:\\Users\\Ada Lovelace\\.pryx", "windows");
 * // "\"C:\\Users\\Ada Lovelace\\.pryx\""
 * ```
 */
export function adviceQuote(value: string, os: Os = hostOs()): string {
  if (os !== "windows") return shellQuote(value);
  return /^[A-Za-z0-9_./:\\@+=,-]+$/.test(value) ? value : `"${value}"`;
}

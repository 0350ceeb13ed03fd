/**
 * Finding and starting a user's command (`pryx-core run -- CMD`) the way
 * the platform's shell does: `PATH` split on `:` (POSIX) or `;` (Windows),
 * and on Windows the extensions of `PATHEXT` tried in order, so `npm` finds
 * `npm.cmd`. A `.cmd` or `.bat` file is not a program on Windows: it runs
 * through `cmd.exe`. Deno 2.5.6 and later also spawn one safely by
 * themselves (the BatBadBut fix); this module builds the `cmd.exe` line
 * itself, the way Rust's standard library does, so that the line (and its
 * quoting) is the same on every Deno and is tested here.
 *
 * @module
 */

import { type Os, pathSeparator } from "../shared/os.ts";
import type { EnvGetter } from "../shared/config.ts";
import { UsageError } from "../shared/errors.ts";

/**
 * `PATHEXT` when the variable is unset: the executable extensions of a
 * default Windows installation, in its order (Microsoft, "start" and
 * "Command search sequence" of cmd.exe).
 */
export const DEFAULT_PATHEXT = ".COM;.EXE;.BAT;.CMD";

/**
 * The directories of a `PATH` value, in order: split on `;` on Windows and
 * `:` elsewhere (POSIX.1-2017, 8.3 "PATH"). An empty entry means the
 * current directory, as POSIX shells read it; Windows skips empty entries.
 */
export function pathDirs(path: string | undefined, os: Os = Deno.build.os) {
  if (path === undefined) return [];
  if (os === "windows") {
    // Entries may be quoted when they contain ";" (cmd.exe accepts that).
    return path.split(";").map((d) => d.replace(/^"(.*)"$/, "$1")).filter(
      (d) => d !== "",
    );
  }
  return path.split(":").map((d) => d === "" ? "." : d);
}

/**
 * The extensions to try after a bare command name: `PATHEXT` on Windows
 * (default {@linkcode DEFAULT_PATHEXT}), lower-cased; none elsewhere.
 */
export function pathExtensions(
  pathext: string | undefined,
  os: Os = Deno.build.os,
): string[] {
  if (os !== "windows") return [];
  const value = pathext === undefined || pathext.trim() === ""
    ? DEFAULT_PATHEXT
    : pathext;
  return value.split(";").map((e) => e.trim().toLowerCase()).filter((e) =>
    e.startsWith(".")
  );
}

/** Whether `cmd` is a path (has a directory separator) rather than a name. */
function isPathLike(cmd: string, os: Os = Deno.build.os): boolean {
  return cmd.includes("/") || (os === "windows" && cmd.includes("\\"));
}

/**
 * The files that may be `cmd`, in the order the platform tries them. On
 * Windows a name that already ends in one of the `PATHEXT` extensions is
 * tried as it is first; a name without one gets each extension.
 */
export function commandCandidates(
  cmd: string,
  env: EnvGetter,
  os: Os = Deno.build.os,
): string[] {
  const exts = pathExtensions(env("PATHEXT"), os);
  const names = (base: string): string[] => {
    if (os !== "windows") return [base];
    const lower = base.toLowerCase();
    const hasExt = exts.some((e) => lower.endsWith(e));
    return hasExt ? [base] : exts.map((e) => base + e);
  };
  if (isPathLike(cmd, os)) return names(cmd);
  const sep = pathSeparator(os);
  return pathDirs(env("PATH"), os).flatMap((dir) =>
    names(`${dir.replace(/[\\/]+$/, "") || sep}${sep}${cmd}`)
  );
}

/**
 * The file `cmd` runs, or `undefined` when none of its candidates is a file.
 * Checked before a runtime is started for nothing; the spawn itself still
 * has the last word.
 *
 * @param isFile Whether a path names a file (injected by tests).
 */
export function findCommand(
  cmd: string,
  env: EnvGetter,
  os: Os = Deno.build.os,
  isFile: (path: string) => boolean = statIsFile,
): string | undefined {
  return commandCandidates(cmd, env, os).find(isFile);
}

function statIsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** What to pass to `Deno.Command` to start a command. */
export interface SpawnLine {
  /** The program. */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Pass `args` to Windows as they are (already quoted for cmd.exe). */
  windowsRawArguments?: boolean;
}

/**
 * How to start `cmd` with `args`. On POSIX and for Windows programs, the
 * command itself (on Windows the resolved file, so a `PATHEXT` match is the
 * one that runs). A Windows `.cmd` or `.bat` file runs as
 * `cmd.exe /e:ON /v:OFF /d /s /c ""FILE" "ARG"..."` with {@linkcode
 * quoteForCmd} quoting: `/e:ON` turns command extensions on (the `%%cd:~,%`
 * escape is one), `/v:OFF` delayed expansion off (so `!` is literal), `/d`
 * skips AutoRun commands, `/s` strips only the outer quotes (Microsoft,
 * `cmd` reference).
 *
 * @param resolved The file {@linkcode findCommand} found, if any.
 * @param comspec `%ComSpec%`, the command interpreter (default `cmd.exe`).
 */
export function spawnLine(
  cmd: string,
  args: readonly string[],
  resolved: string | undefined,
  os: Os = Deno.build.os,
  comspec = "cmd.exe",
): SpawnLine {
  if (os !== "windows" || resolved === undefined) {
    return { cmd, args: [...args] };
  }
  if (!/\.(cmd|bat)$/i.test(resolved)) {
    return { cmd: resolved, args: [...args] };
  }
  const line = [resolved, ...args].map(quoteForCmd).join(" ");
  return {
    cmd: comspec,
    args: ["/e:ON", "/v:OFF", "/d", "/s", "/c", `"${line}"`],
    windowsRawArguments: true,
  };
}

/**
 * Quotes one argument of a batch-file command line for cmd.exe: always in
 * double quotes, so `&`, `|`, `<`, `>`, `^` and spaces are literal; a `"`
 * is doubled; a `%` becomes `%%cd:~,%`, which cmd.exe expands to nothing
 * after the `%` (variable expansion happens even inside quotes). The same
 * escaping Rust's standard library applies to batch files since
 * CVE-2024-24576 ("BatBadBut"). Line breaks cannot be passed to a batch
 * file at all.
 *
 * @throws {UsageError} For an argument with a line break or a NUL.
 */
export function quoteForCmd(arg: string): string {
  if (/[\r\n\0]/.test(arg)) {
    throw new UsageError(
      `Cannot pass an argument with a line break to a .cmd or .bat file: ${
        JSON.stringify(arg)
      }; put it in a file or an environment variable`,
    );
  }
  // A run of backslashes before a quote (an inner one, or the closing one
  // after a trailing run) would escape it for the program's own argument
  // parser (Microsoft, "Parsing C++ command-line arguments"): double it.
  const body = arg.replace(/(\\*)"/g, '$1$1""').replace(/(\\+)$/, "$1$1")
    .replaceAll("%", "%%cd:~,%");
  return `"${body}"`;
}

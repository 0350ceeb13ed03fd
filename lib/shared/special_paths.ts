/**
 * The system trees Deno keeps from programs that run with a list of
 * permissions, and the one-line reason given for a path in one (a state
 * directory, a token file) instead of Deno's hint.
 *
 * Deno checks every file-system call against a rule of its own besides
 * `--allow-read` and `--allow-write`: a path under `/dev`, `/proc` or `/sys`
 * on Linux, under `/dev` on other Unix systems, and on Windows any path
 * that is not on a drive letter (a UNC share, a device namespace) is opened
 * only for a program run with `--allow-all` (deno_permissions,
 * `PermissionsContainer::check_special_file`; the few harmless devices it
 * lets through, `/dev/null` and friends, are files, never a directory).
 * pryx-core runs with a list of permissions (its binary too), so such a
 * path can never work: without this check the user gets Deno's own hint to
 * add `--allow-all`, which a binary cannot take and which would not make
 * `/proc` writable anyway.
 *
 * No import beyond the errors: this runs on `discover`'s start-up path.
 *
 * @module
 */

import type { Os } from "./os.ts";
import { StateDirError } from "./errors.ts";

/** The trees of each OS family, as Deno's rule names them. */
const LINUX_TREES = ["/dev", "/proc", "/sys"];
const UNIX_TREES = ["/dev"];

/** Files under those trees that Deno opens without `--allow-all`. */
const HARMLESS = new Set([
  "/dev/null",
  "/dev/zero",
  "/dev/random",
  "/dev/urandom",
]);

/** `\\?\C:\...`: the one form of `\\` path Deno's rule lets through. */
const WINDOWS_DRIVE_VERBATIM = /^[\\/]{2}\?[\\/][A-Za-z]:([\\/]|$)/;

/**
 * The system tree (`/proc`, `/dev`, `/sys`; on Windows the share or device
 * a path starts with, `\\server\share`) of the absolute path `path` that
 * Deno opens only for `--allow-all`, or `undefined` when it is an ordinary
 * path. `path` should be normalized ({@linkcode normalizePath}); on Unix,
 * as in Deno, a tree matches whole components (`/devices` is not `/dev`).
 *
 * @param os The OS whose rule applies: Linux has three trees, other Unix
 * systems (macOS, the BSDs, Android) `/dev` alone, Windows every path that
 * is not on a drive letter.
 *
 * @example
 * ```ts
 * specialTree("/proc/foo", "linux"); // "/proc"
 * specialTree("/proc/foo", "darwin"); // undefined
 * specialTree("\\\\nas\\home\\ada", "windows"); // "\\\\nas\\home"
 * ```
 */
export function specialTree(
  path: string,
  os: Os = Deno.build.os,
): string | undefined {
  if (os === "windows") {
    if (!/^[\\/]{2}/.test(path) || WINDOWS_DRIVE_VERBATIM.test(path)) {
      return undefined;
    }
    if (/^[\\/]{2}\.[\\/]nul$/i.test(path)) return undefined;
    const [host, share] = path.slice(2).split(/[\\/]/);
    return share === undefined ? `\\\\${host}` : `\\\\${host}\\${share}`;
  }
  if (HARMLESS.has(path)) return undefined;
  const trees = os === "linux" ? LINUX_TREES : UNIX_TREES;
  return trees.find((tree) => path === tree || path.startsWith(`${tree}/`));
}

/**
 * `path` made absolute against `cwd` and normalized as Deno does before it
 * applies its rule: repeated separators, `.` and `..` resolved lexically
 * (`/tmp/../proc/x` is `/proc/x`). Windows paths are returned absolute but
 * otherwise as they are: only their start matters to the rule.
 *
 * @param cwd The working directory, read only for a relative `path`.
 */
export function normalizePath(
  path: string,
  cwd: () => string,
  os: Os = Deno.build.os,
): string {
  if (os === "windows") {
    return /^([A-Za-z]:)?[\\/]/.test(path) ? path : `${cwd()}\\${path}`;
  }
  const absolute = path.startsWith("/") ? path : `${cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Where `path` leads once symbolic links are followed: the real path of its
 * nearest existing ancestor with the rest appended, as Deno resolves a path
 * before it opens a file. `undefined` when that cannot be read (no read
 * permission: the call that follows names the flag).
 */
function realPathOf(path: string, sep: string): string | undefined {
  let head = path;
  let tail = "";
  for (let i = 0; i < 256; i++) {
    try {
      const real = Deno.realPathSync(head);
      return (real.endsWith(sep) ? real.slice(0, -1) : real) + tail;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return undefined;
    }
    const cut = head.lastIndexOf(sep);
    if (cut < 0 || head === sep) return undefined;
    tail = head.slice(cut) + tail;
    head = cut === 0 ? sep : head.slice(0, cut);
  }
  return undefined;
}

/**
 * Whether Deno refuses this process `path` for want of `--allow-all` alone:
 * the read permission it holds covers `path`, and a stat of it still fails
 * for lack of a capability. Asked only for a path in a special tree, so a
 * program run with `--allow-all` (which may use `/dev/shm`) is not refused.
 */
function refusedForAllowAll(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (err) {
    return err instanceof Deno.errors.NotCapable &&
      Deno.permissions.querySync({ name: "read", path }).state === "granted";
  }
}

/** Where a path Deno keeps from pryx-core leads, and the tree it is in. */
export interface KeptPath {
  /** The absolute path Deno checks (after `..` and symbolic links). */
  path: string;
  /** Its system tree ({@linkcode specialTree}): `/proc`, `/dev`... */
  tree: string;
}

/**
 * Whether Deno keeps `path` from this process by the `--allow-all` rule:
 * it, or where its symbolic links lead, is in a system tree
 * ({@linkcode specialTree}), this process runs without `--allow-all`, and
 * not merely without a read permission (that is a missing flag, which
 * Deno's own message names). Always `undefined` outside Deno (Node and Bun
 * have no such rule). Costs one `realpath` for an ordinary path.
 *
 * @param system The OS whose rule applies; this one by default.
 */
function keptByDeno(
  path: string,
  system?: Os,
): KeptPath | undefined {
  if (!("Deno" in globalThis)) return undefined;
  const os = system ?? Deno.build.os;
  let absolute: string;
  try {
    absolute = normalizePath(path, Deno.cwd, os);
  } catch {
    return undefined; // no read permission for the working directory
  }
  let tree = specialTree(absolute, os);
  if (tree === undefined) {
    const real = realPathOf(absolute, os === "windows" ? "\\" : "/");
    if (real === undefined || real === absolute) return undefined;
    tree = specialTree(real, os);
    if (tree === undefined) return undefined;
    absolute = real;
  }
  return refusedForAllowAll(absolute) ? { path: absolute, tree } : undefined;
}

/**
 * Why Deno keeps `path` from pryx-core, as the middle of an error line
 * (`(it leads to /dev/shm/x): Deno does not let pryx-core use files under
 * /dev`), or `undefined` when it does not ({@linkcode keptByDeno}).
 */
export function keptReason(
  path: string,
  system?: Os,
): string | undefined {
  const kept = keptByDeno(path, system);
  if (kept === undefined) return undefined;
  // A relative path, `..` or a symbolic link: say where it really is.
  const where = kept.path === path ? "" : ` (it leads to ${kept.path})`;
  return `${where}: Deno does not let pryx-core use files under ${kept.tree}`;
}

/**
 * Refuses the state directory `dir` when Deno would refuse pryx-core every
 * file in it ({@linkcode keptByDeno}).
 *
 * @param system The OS whose rule applies; this one by default.
 * @throws {StateDirError} (exit 5) With one line that says to choose a
 * state directory elsewhere.
 *
 * @example
 * ```ts
 * checkSpecialStateDir("/proc/foo"); // throws: Cannot use state directory "/proc/foo": ...
 * ```
 */
export function checkSpecialStateDir(
  dir: string,
  system?: Os,
): void {
  const reason = keptReason(dir, system);
  if (reason === undefined) return;
  throw new StateDirError(
    `Cannot use state directory "${dir}"${reason}; choose a state directory elsewhere with PRYX_HOME or --state-dir`,
  );
}

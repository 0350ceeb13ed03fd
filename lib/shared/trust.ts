/**
 * Whether a state directory, or a file read from it, may be trusted (SPEC
 * 2): it must belong to this user and must not be writable by group or
 * others, as ssh's `StrictModes` demands of `~/.ssh` (sshd_config(5)).
 * Otherwise another local user could have planted a record that names
 * their own server (a directory under a shared `/tmp` they created first),
 * and every client would send its traffic there. Windows ACLs are not
 * checked: Deno reports no owner and no modes there.
 *
 * @module
 */

import { StateDirError } from "./errors.ts";

/** Group and others may write: `g+w`, `o+w`. */
const OTHERS_WRITE = 0o022;

/** What the check reads of a path (the fields of `Deno.FileInfo` it needs). */
export interface Ownership {
  /** The owner's uid; `null` where the OS reports none (Windows). */
  uid: number | null;
  /** The mode bits; `null` where the OS reports none. */
  mode: number | null;
}

/**
 * Why a path is not trusted: it belongs to another uid, or others may
 * write it.
 */
export type Distrust =
  | { kind: "owner"; path: string; owner: number; me: number }
  | { kind: "writable"; path: string; mode: number };

/**
 * Judges `stat` of `path` for the user `me`.
 *
 * @param me This process's uid; `undefined` when it cannot be read (the
 * owner is then not checked, the mode still is).
 * @param os Windows: nothing is checked (no Unix owners or modes).
 * @returns Why it is not trusted, or `undefined` when it is.
 */
export function distrustOf(
  path: string,
  stat: Ownership,
  me: number | undefined,
  os: string,
): Distrust | undefined {
  if (os === "windows") return undefined;
  if (me !== undefined && stat.uid !== null && stat.uid !== me) {
    return { kind: "owner", path, owner: stat.uid, me };
  }
  if (stat.mode !== null && (stat.mode & OTHERS_WRITE) !== 0) {
    return { kind: "writable", path, mode: stat.mode & 0o7777 };
  }
  return undefined;
}

/**
 * The one line for an untrusted path: names it, its owner or mode, and
 * what to do.
 */
export function distrustMessage(d: Distrust): string {
  return d.kind === "owner"
    ? `Refusing "${d.path}": it belongs to uid ${d.owner}, not to you (uid ${d.me}), so nothing in it is trusted; use a state directory of your own (PRYX_HOME or --state-dir), or remove it if you own it`
    : `Refusing "${d.path}": others may write to it (mode ${
      d.mode.toString(8).padStart(4, "0")
    }), so nothing in it is trusted; run "chmod go-w ${d.path}" or use a private state directory (PRYX_HOME)`;
}

/**
 * Throws when `d` says a path is not trusted.
 *
 * @throws {StateDirError} (exit 5) with {@linkcode distrustMessage}.
 */
export function refuseUntrusted(d: Distrust | undefined): void {
  if (d !== undefined) throw new StateDirError(distrustMessage(d));
}

let uid: { value: number | undefined } | undefined;

/**
 * This Deno process's uid: `Deno.uid()` where `--allow-sys` grants it, else
 * (Linux) the owner of `/proc/self`, which is the process's effective uid
 * (proc(5)), readable with `--allow-read`; else `undefined`.
 */
export function currentUid(): number | undefined {
  return (uid ??= { value: readUid() }).value;
}

function readUid(): number | undefined {
  if (Deno.build.os === "windows") return undefined;
  if (
    Deno.permissions.querySync({ name: "sys", kind: "uid" }).state ===
      "granted"
  ) {
    return Deno.uid() ?? undefined;
  }
  try {
    return Deno.statSync("/proc/self").uid ?? undefined;
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) return undefined;
    throw err;
  }
}

/**
 * Checks `path` (not following a symbolic link) for this Deno process.
 *
 * @throws {StateDirError} When it is not trusted.
 * @throws {Deno.errors.NotFound} When it does not exist.
 */
export function checkTrusted(path: string): void {
  const stat = Deno.lstatSync(path);
  refuseUntrusted(distrustOf(path, stat, currentUid(), Deno.build.os));
}

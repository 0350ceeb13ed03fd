/**
 * Where the runtime's Unix socket goes (SPEC 2, 4): `<instance>.sock` in the
 * state directory, unless that path is too long for a socket address; then
 * a short name in a directory of the user's own, `$XDG_RUNTIME_DIR/pryx/`
 * (the XDG Base Directory Specification's place for sockets), else
 * `/tmp/pryx-<uid>/`. Windows gets none: Deno has no `AF_UNIX` there.
 *
 * Pure: the OS, the environment and the uid are parameters, so every
 * branch is tested on any OS.
 *
 * @module
 */

import type { EnvGetter } from "./config.ts";
import type { Os } from "./os.ts";
import { instancePaths } from "./instance_files.ts";

/**
 * The longest socket path, in bytes, that a socket address holds on `os`:
 * `sun_path` is 108 bytes on Linux (unix(7)) and 104 on macOS and the BSDs
 * (unix(4)), with room kept for the terminating NUL. `undefined` where the
 * runtime serves no socket (Windows).
 */
export function socketPathLimit(os: Os): number | undefined {
  if (os === "windows") return undefined;
  return os === "linux" || os === "android" ? 107 : 103;
}

/**
 * How much longer than the socket's path the temporary name it is bound at
 * can be, in bytes: `.NAME.PID.SUFFIX.tmp` (`shared/atomic_write.ts`) adds
 * a dot, a pid of at most 7 digits (Linux's `pid_max` is at most 2^22),
 * a 6-character suffix and three more dots and `tmp`. The socket is bound
 * there, then renamed into place, and the bind is what the limit applies
 * to.
 */
const TEMP_NAME_OVERHEAD = 20;

/** Where the socket of an instance goes. */
export interface SocketPlace {
  /** The socket's path. */
  path: string;
  /**
   * The private directory it lives in when it is not the state directory
   * (created 0700, its owner and mode checked before use); absent for
   * `<instance>.sock` in the state directory.
   */
  privateDir?: string;
}

/**
 * The place of the socket of `instance` in `stateDir`.
 *
 * @param uid This user's uid, for `/tmp/pryx-<uid>`; `undefined` when it
 * cannot be read (then `/tmp/pryx-<user name>` is not guessed: no socket).
 * @param options.digest Names the short path, so each state directory
 * and instance gets its own (default {@linkcode placeDigest}).
 * @param options.runtimeDirUsable Whether `$XDG_RUNTIME_DIR` may be used:
 * the XDG Base Directory Specification says it must be the user's, with
 * mode 0700; one that is not (another user's, open to others, a symbolic
 * link, missing) is passed over for `/tmp/pryx-<uid>`. Default: every one
 * is (the caller checks).
 * @returns The place, or `undefined` where there is no socket (Windows, or
 * no short directory fits).
 */
export function socketPlace(
  stateDir: string,
  instance: string,
  os: Os,
  env: EnvGetter,
  uid: number | undefined,
  options: {
    digest?: (stateDir: string, instance: string) => string;
    runtimeDirUsable?: (dir: string) => boolean;
  } = {},
): SocketPlace | undefined {
  const { digest = placeDigest, runtimeDirUsable = () => true } = options;
  const limit = socketPathLimit(os);
  if (limit === undefined) return undefined;
  const own = instancePaths(stateDir, instance).socket;
  if (fits(own, limit)) return { path: own };
  const candidates: string[] = [];
  const runtimeDir = env("XDG_RUNTIME_DIR");
  const runtimeRoot = runtimeDir?.replace(/(.)\/+$/, "$1");
  if (runtimeRoot?.startsWith("/") && runtimeDirUsable(runtimeRoot)) {
    candidates.push(`${runtimeRoot === "/" ? "" : runtimeRoot}/pryx`);
  }
  if (uid !== undefined) candidates.push(`/tmp/pryx-${uid}`);
  const name = `${digest(stateDir, instance)}.sock`;
  for (const dir of candidates) {
    const path = `${dir}/${name}`;
    if (fits(path, limit)) return { path, privateDir: dir };
  }
  return undefined;
}

/** Whether `path`, and the temp name it is bound at, fit `limit` bytes. */
function fits(path: string, limit: number): boolean {
  return new TextEncoder().encode(path).length + TEMP_NAME_OVERHEAD <= limit;
}

/**
 * The digest {@linkcode socketPlace} names a short path by: 64-bit FNV-1a
 * (draft-eastlake-fnv) of the state directory and the instance in UTF-8,
 * as 16 hex digits. Not a secret, only a name: the directory is the user's
 * alone, and the instance lock decides who may bind there.
 */
export function placeDigest(stateDir: string, instance: string): string {
  const bytes = new TextEncoder().encode(`${stateDir}\0${instance}`);
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  }
  return hash.toString(16).padStart(16, "0");
}

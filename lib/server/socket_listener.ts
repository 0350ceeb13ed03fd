/**
 * The runtime's Unix socket listener (SPEC 2, 4): every route served on a
 * socket file as well, so that a client in another network namespace that
 * shares the state directory (a container with it mounted, a sandbox)
 * reaches the runtime, and a same-user client skips the TCP handshake.
 *
 * The socket is bound at a temp name beside its path, made 0600, and then
 * renamed into place: a reader never sees a socket at the path that does
 * not accept yet or is open to others, and a dead runtime's socket is
 * replaced in one step. It also keeps shutdown from removing another's:
 * Deno unlinks a Unix listener's path when it closes (measured on 2.9.6,
 * even when another socket is at that path by then), and that path is the
 * temp name, long gone; the socket itself is removed only while the
 * inode at its path is the one bound here.
 *
 * A path that holds something other than a socket (a regular file, a
 * directory, a symbolic link to elsewhere) is never removed or followed:
 * the start fails with one line and exit 5.
 *
 * @module
 */

import { tempPathFor } from "../shared/atomic_write.ts";
import { isMissingPermission, StateDirError } from "../shared/errors.ts";
import { currentUid, distrustOf } from "../shared/trust.ts";
import type { SocketPlace } from "../shared/socket_path.ts";

/** A request handler for the socket, as `Deno.serve` takes it. */
export type SocketHandler = Deno.ServeHandler<Deno.UnixAddr>;

/** The socket listener of a run. */
export interface SocketListener {
  /** The socket's path (what the record's `socket` says). */
  path: string;
  /**
   * Every server bound so far: the first, then one per {@linkcode restore}
   * (an older one keeps its connections until the drain shuts it down).
   */
  servers: Deno.HttpServer<Deno.UnixAddr>[];
  /** Whether the socket at {@linkcode path} is still the one bound here. */
  inPlace(): boolean;
  /**
   * Binds a new socket at the path (after it was removed: `rm -rf` of the
   * state directory, a clean-up script).
   *
   * @throws {StateDirError} As {@linkcode listenOnSocket}.
   */
  restore(): void;
  /** Removes the socket, only while it is still the one bound here. */
  removeIfOurs(): void;
}

/**
 * Checks the place, binds `handler` on it and puts the socket in place.
 *
 * @param os Windows has no socket: callers do not get here
 * (`socket_path.ts` gives no place).
 * @throws {StateDirError} When the path holds something other than a
 * socket, the private directory is not this user's alone, or the socket
 * cannot be bound (exit 5).
 */
export function listenOnSocket(
  place: SocketPlace,
  handler: SocketHandler,
): SocketListener {
  const servers: Deno.HttpServer<Deno.UnixAddr>[] = [];
  let bound: { dev: number; ino: number | null } | undefined;
  const restore = () => {
    // Checked again at every bind: a private directory swapped meanwhile
    // must not be bound into.
    if (place.privateDir !== undefined) ensurePrivateDir(place.privateDir);
    refuseNonSocket(place.path);
    const { server, id } = bindInPlace(place.path, handler);
    servers.push(server);
    bound = id;
  };
  restore();
  const inPlace = () => {
    const now = socketId(place.path);
    return now !== undefined && bound !== undefined &&
      (bound.ino === null || now.ino === bound.ino && now.dev === bound.dev);
  };
  return {
    path: place.path,
    servers,
    inPlace,
    restore,
    removeIfOurs() {
      if (!inPlace()) return;
      try {
        Deno.removeSync(place.path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    },
  };
}

/**
 * Binds at a temp name beside `path`, makes it 0600 and renames it over
 * `path` (a rename replaces a dead runtime's socket in one step).
 */
function bindInPlace(
  path: string,
  handler: SocketHandler,
): {
  server: Deno.HttpServer<Deno.UnixAddr>;
  id: { dev: number; ino: number | null };
} {
  const temp = tempPathFor(path);
  let server: Deno.HttpServer<Deno.UnixAddr>;
  try {
    server = Deno.serve({ path: temp, handler, onListen() {} });
  } catch (err) {
    if (isMissingPermission(err)) throw err;
    throw new StateDirError(
      `Cannot listen on the socket "${path}": ${
        (err as Error).message.split("\n", 1)[0]
      }; check that its directory is yours and writable`,
    );
  }
  // The accept loop ends on its own only for want of descriptors; the
  // drain shuts it down otherwise. Either way nothing is left unhandled.
  server.finished.catch(() => {});
  try {
    Deno.chmodSync(temp, 0o600);
    Deno.renameSync(temp, path);
    const info = Deno.lstatSync(path);
    return { server, id: { dev: info.dev, ino: info.ino } };
  } catch (err) {
    void server.shutdown();
    throw new StateDirError(
      `Cannot put the socket in place at "${path}": ${
        (err as Error).message.split("\n", 1)[0]
      }; check that its directory is yours and writable`,
    );
  }
}

/**
 * Refuses a path that holds anything but a socket.
 *
 * @throws {StateDirError} Naming what is there and what to do.
 */
function refuseNonSocket(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (info.isSocket) return;
  const what = info.isSymlink
    ? "a symbolic link"
    : info.isDirectory
    ? "a directory"
    : info.isFile
    ? "a regular file"
    : "not a socket";
  throw new StateDirError(
    `Cannot use the socket path "${path}": it is ${what}, which pryx-core did not put there and neither removes nor follows; move it away and start again`,
  );
}

/** The device and inode of the socket at `path`; `undefined` when none is. */
function socketId(
  path: string,
): { dev: number; ino: number | null } | undefined {
  try {
    const info = Deno.lstatSync(path);
    return info.isSocket ? { dev: info.dev, ino: info.ino } : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Makes sure `dir` is a directory of this user's alone: created 0700 when
 * missing; an existing one must be a real directory (not a symbolic
 * link), this user's, and closed to others (a shared `/tmp` lets anyone
 * create `/tmp/pryx-<uid>` first). A directory of this user's that others
 * may only read or enter is made 0700.
 *
 * @throws {StateDirError} Otherwise, naming the path, its owner or mode and
 * what to do (SPEC 2's ownership rule).
 */
function ensurePrivateDir(dir: string): void {
  try {
    // Not recursive: its parent ($XDG_RUNTIME_DIR, checked by
    // isPrivateDirOfMine, or /tmp) is there already.
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (isMissingPermission(err)) throw err;
    if (!(err instanceof Deno.errors.AlreadyExists)) {
      throw new StateDirError(
        `Cannot create the socket directory "${dir}": ${
          (err as Error).message.split("\n", 1)[0]
        }; set XDG_RUNTIME_DIR to a directory of your own`,
      );
    }
  }
  const info = Deno.lstatSync(dir);
  if (!info.isDirectory) {
    throw new StateDirError(
      `Refusing the socket directory "${dir}": it is not a directory (a symbolic link?), so it is not trusted; remove it if you own it, or set XDG_RUNTIME_DIR to a directory of your own`,
    );
  }
  const distrust = distrustOf(dir, info, currentUid(), Deno.build.os);
  if (distrust !== undefined) {
    const what = distrust.kind === "owner"
      ? `it belongs to uid ${distrust.owner}, not to you (uid ${distrust.me})`
      : `others may write to it (mode ${
        distrust.mode.toString(8).padStart(4, "0")
      })`;
    throw new StateDirError(
      `Refusing the socket directory "${dir}": ${what}, so no socket goes there; remove it if you own it, set XDG_RUNTIME_DIR to a directory of your own (mode 0700), or use a shorter state directory path (PRYX_HOME)`,
    );
  }
  if (((info.mode ?? 0) & 0o077) !== 0) Deno.chmodSync(dir, 0o700);
}

/**
 * Whether `dir` is a real directory (not a symbolic link) of this user's
 * that nobody else may enter: what the XDG Base Directory Specification
 * demands of `$XDG_RUNTIME_DIR` ("owned by the user, ... access mode MUST
 * be 0700"). A missing one is not.
 */
export function isPrivateDirOfMine(dir: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(dir);
  } catch {
    return false;
  }
  if (!info.isDirectory) return false;
  const me = currentUid();
  if (me !== undefined && info.uid !== null && info.uid !== me) return false;
  return ((info.mode ?? 0) & 0o077) === 0;
}

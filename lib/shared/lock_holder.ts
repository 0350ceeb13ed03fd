/**
 * Which process holds an instance's lock, proven by the kernel: on Linux,
 * `/proc/locks` lists every file lock with the pid of its holder as seen
 * from the reader's PID namespace, the device (`major:minor`, hex) and the
 * inode of the locked file (proc(5), "/proc/locks"). A holder that is not
 * visible from here (a runtime in a container's PID namespace) is not
 * listed at all (Linux `fs/locks.c`, `locks_show`).
 *
 * This is the only pid `stop --force` may signal: a pid read from a file
 * may name any process here (pids repeat across restarts and PID
 * namespaces). Other systems have no such interface, so there the holder
 * cannot be proven and nothing is signalled.
 *
 * Deno APIs only: `stop` imports it.
 *
 * @module
 */

import type { Os } from "./os.ts";
/**
 * Where `cat` is looked for, by absolute path only: `PATH` must not decide
 * which program names the process that is about to be signalled.
 */
const CAT_PATHS = ["/bin/cat", "/usr/bin/cat"];

/**
 * The text of `/proc/locks`. Deno lets only `--allow-all` read `/proc`
 * (its permission checks treat the whole of it as able to escalate), and
 * the runtime's permissions are narrower on purpose, so without it the file
 * is read by `cat` (which `--allow-run` allows).
 *
 * @throws When neither works (no `/proc`, no `cat`).
 */
function readProcLocks(): string {
  try {
    return Deno.readTextFileSync("/proc/locks");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
  }
  for (const cat of CAT_PATHS) {
    let out: Deno.CommandOutput;
    try {
      out = new Deno.Command(cat, {
        args: ["/proc/locks"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
        clearEnv: true,
      }).outputSync();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    if (out.success) return new TextDecoder().decode(out.stdout);
  }
  throw new Error(
    `/proc/locks is not readable here (this needs "cat" at ${
      CAT_PATHS.join(" or ")
    })`,
  );
}

/** One line of `/proc/locks`. */
export interface ProcLock {
  /** `FLOCK` (flock(2), what `Deno.FsFile.lock` takes), `POSIX`, `OFDLCK`, ... */
  type: string;
  /** `WRITE` (exclusive) or `READ` (shared). */
  access: string;
  /** The holder's pid in the reader's PID namespace (-1 for OFD locks). */
  pid: number;
  /** Device major number of the locked file. */
  major: number;
  /** Device minor number of the locked file. */
  minor: number;
  /** Inode number of the locked file. */
  inode: number;
  /** A waiter (`->` lines), not a holder. */
  blocked: boolean;
}

const LINE_RE =
  /^\s*\d+:\s+(->\s+)?(\S+)\s+(?:\S+)\s+(\S+)\s+(-?\d+)\s+([0-9a-fA-F]+):([0-9a-fA-F]+):(\d+)\s/;

/**
 * Parses the text of `/proc/locks` (proc(5)): one lock per line, e.g.
 * `1: FLOCK  ADVISORY  WRITE 17201 fe:00:2146693 0 EOF`. Lines that do not
 * have that shape are skipped.
 */
export function parseProcLocks(text: string): ProcLock[] {
  const locks: ProcLock[] = [];
  for (const line of text.split("\n")) {
    const m = LINE_RE.exec(line + " ");
    if (m === null) continue;
    locks.push({
      type: m[2],
      access: m[3],
      pid: Number(m[4]),
      major: parseInt(m[5], 16),
      minor: parseInt(m[6], 16),
      inode: Number(m[7]),
      blocked: m[1] !== undefined,
    });
  }
  return locks;
}

/**
 * Linux's device number split into major and minor, as glibc's
 * `major(3)` / `minor(3)` do (`sys/sysmacros.h`).
 */
export function deviceNumbers(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/** The proven holder of a lock, or why none can be proven. */
export type LockHolder =
  | { ok: true; pid: number }
  | { ok: false; why: string };

/** What {@linkcode findLockHolder} reads; injected so tests cover every branch. */
export interface LockHolderSources {
  /** The OS (default `Deno.build.os`). */
  os?: Os;
  /** Reads `/proc/locks` (default {@linkcode readProcLocks}). */
  readLocks?: () => string;
  /** Device and inode of the lock file (default `Deno.statSync`). */
  stat?: (path: string) => { dev: number; ino: number | null };
}

/**
 * The pid of the process that holds the exclusive flock on `lockPath`, in
 * this PID namespace, proven by the kernel's list of locks. Nothing is
 * proven (and nothing may be signalled) when the OS has no such list, when
 * no holder is visible from this PID namespace, or when the entries do not
 * name exactly one process.
 *
 * @returns `{ ok: true, pid }`, or `{ ok: false, why }` with one clause.
 */
export function findLockHolder(
  lockPath: string,
  sources: LockHolderSources = {},
): LockHolder {
  const {
    os = Deno.build.os,
    readLocks = readProcLocks,
    stat = (path: string) => Deno.statSync(path),
  } = sources;
  if (os === "windows") {
    return {
      ok: false,
      why:
        "Windows has no signal a process can be stopped with, and no list that names the holder of a file lock",
    };
  }
  if (os !== "linux") {
    return {
      ok: false,
      why:
        `${os} has no list of file locks that names their holder, so the owner's pid cannot be proven`,
    };
  }
  let file: { dev: number; ino: number | null };
  let text: string;
  try {
    file = stat(lockPath);
    text = readLocks();
  } catch (err) {
    return {
      ok: false,
      why: `cannot read the lock's holder: ${
        (err as Error).message.split("\n", 1)[0]
      }`,
    };
  }
  if (file.ino === null) {
    return { ok: false, why: `"${lockPath}" has no inode number` };
  }
  const { major, minor } = deviceNumbers(file.dev);
  const pids = new Set(
    parseProcLocks(text).filter((l) =>
      l.type === "FLOCK" && !l.blocked && l.inode === file.ino &&
      l.major === major && l.minor === minor
    ).map((l) => l.pid),
  );
  if (pids.size === 0) {
    return {
      ok: false,
      why:
        "no process in this PID namespace holds its lock (the owner runs in another PID namespace, such as a container's); stop it from there",
    };
  }
  if (pids.size > 1) {
    return {
      ok: false,
      why: `the kernel names several holders (pids ${[...pids].join(", ")})`,
    };
  }
  const [pid] = pids;
  if (pid === 1) {
    return {
      ok: false,
      why:
        "its holder is pid 1, the init process of this PID namespace; stop the container instead",
    };
  }
  if (!(pid > 1)) {
    return { ok: false, why: `the kernel names pid ${pid} as its holder` };
  }
  return { ok: true, pid };
}

/**
 * Claiming an instance: the state directory exists, this process holds the
 * instance lock, and no file of a dead owner is left to mistake for ours.
 * The claim also takes the lock again when its file was removed under the
 * running server, removes this run's files on shutdown, and releases the
 * lock.
 *
 * @module
 */

import {
  DRAIN_TIMEOUT_MS,
  envReader,
  formatMs,
  HEALTH_TIMEOUT_MS,
} from "../shared/config.ts";
import type { Os } from "../shared/os.ts";
import {
  askSuccession,
  replaceOwner,
  type Skew,
  skewWords,
} from "../shared/succession.ts";
import { deadlineIn, monotonicNow } from "../shared/clock.ts";
import { denoVerdictHost } from "../shared/deno_verdict_host.ts";
import {
  inspectInstance,
  type Verdict,
  type VerdictOf,
} from "../shared/verdict.ts";
import { stopCommandLine } from "../shared/shell.ts";
import { isTempFileOf } from "../shared/atomic_write.ts";
import { AlreadyRunningError, isAbsent } from "../shared/errors.ts";
import {
  type InstancePaths,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  Suffix,
} from "../shared/instance_files.ts";
import { acquireInstanceLock } from "../shared/lock.ts";
import {
  ensureStateDir,
  type ModeNotice,
  removeInstanceFile,
  tightenStateDir,
} from "../shared/state_dir.ts";

/**
 * How long a start waits for an owner that holds the lock but is not live
 * (starting, or draining after an idle exit or a stop), in ms: a drain is
 * bounded by {@linkcode DRAIN_TIMEOUT_MS}; a second more covers its exit.
 */
const OWNER_WAIT_MS = DRAIN_TIMEOUT_MS + 1000;

/** An instance this process owns. */
export interface Claim {
  /** The state directory. */
  stateDir: string;
  /** The instance's file paths. */
  paths: InstancePaths;
  /**
   * Whether the lock this process holds is still the file at
   * `paths.lock` (same device and inode): removing the file, or the whole
   * state directory, leaves the lock on a file nobody else can open.
   */
  lockInPlace(): boolean;
  /**
   * Recreates the state directory (0700) and takes the lock again on a
   * fresh lock file, releasing the old one.
   *
   * @returns `false` when another process holds the new lock (it owns the
   * instance now); the old lock is kept then.
   * @throws {StateDirError} When the directory or file cannot be created.
   */
  relock(): Promise<boolean>;
  /**
   * Removes the port and metadata files, but only while they still
   * describe `info` (another process may own the instance by now).
   *
   * @throws {StateDirError} When a file cannot be removed.
   */
  removeOwnFiles(info: RuntimeInfo): void;
  /** Releases the lock (the kernel also drops it when the process ends). */
  release(): void;
}

/**
 * Claims `instance` in `stateDir`: creates the directory (0700) or makes an
 * existing one private ({@linkcode tightenStateDir}, said through
 * `onNotice`), takes the lock (retrying briefly, as a reader's liveness
 * check may hold it for a moment), and removes a dead owner's port,
 * metadata and temp files.
 *
 * @param options.os The OS (default this one): see {@linkcode lockReleaseGraceMs}.
 * @throws {AlreadyRunningError} When a live process holds the lock.
 * @throws {StateDirError} When the state directory is unusable.
 */
export async function claimInstance(
  stateDir: string,
  instance: string,
  onNotice: (notice: ModeNotice) => void = () => {},
  options: { os?: Os } = {},
): Promise<Claim> {
  const present = ensureStateDir(stateDir);
  const paths = instancePaths(stateDir, instance);
  const names = {
    port: instance + Suffix.port,
    json: instance + Suffix.json,
    lock: instance + Suffix.lock,
  };
  let lock = await takeInstance(
    stateDir,
    instance,
    present.has(names.lock),
    onNotice,
    options.os ?? Deno.build.os,
  );
  // What the directory holds now: an owner waited for removed its files.
  let left: Set<string>;
  try {
    left = ensureStateDir(stateDir);
  } catch (err) {
    lock.close();
    throw err;
  }
  // Another machine's record (an NFS home whose locks are not shared): not
  // stale, never removed from here. The files alone decide that.
  if (left.has(names.json)) {
    const onDisk = await inspectInstance(
      denoVerdictHost(),
      { ...inspectPlan(stateDir), check: false },
      instance,
    );
    if (onDisk.state === "elsewhere") {
      lock.close();
      throw otherMachine(instance, onDisk);
    }
  }
  // A dead owner's files: gone before anyone can mistake them for ours. From
  // here on, a metadata file describes whoever holds the lock.
  try {
    if (left.has(names.port)) removeInstanceFile(paths.port);
    if (left.has(names.json)) removeInstanceFile(paths.json);
    for (const name of left) {
      if (isTempFileOf(name, names.port) || isTempFileOf(name, names.json)) {
        removeInstanceFile(`${stateDir}/${name}`);
      }
    }
  } catch (err) {
    lock.close();
    throw err;
  }
  // Once the instance is ours: a start that fails says one line, not two.
  const notice = tightenStateDir(stateDir, left);
  if (notice !== undefined) onNotice(notice);
  return {
    stateDir,
    paths,
    lockInPlace() {
      let onDisk: Deno.FileInfo;
      try {
        onDisk = Deno.lstatSync(paths.lock);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
      const held = lock.statSync();
      // Where the OS reports no inode (ino null), a file that exists is
      // taken as ours.
      return held.ino === null ||
        held.ino === onDisk.ino && held.dev === onDisk.dev;
    },
    async relock() {
      ensureStateDir(stateDir);
      const fresh = await acquireInstanceLock(paths.lock);
      if (fresh === undefined) return false;
      lock.close();
      lock = fresh;
      return true;
    },
    removeOwnFiles(info) {
      const current = parseRuntimeInfo(readText(paths.json) ?? "");
      if (current?.runId !== info.runId || current.pid !== info.pid) return;
      if (parsePortFile(readText(paths.port) ?? "") === info.port) {
        removeInstanceFile(paths.port);
      }
      removeInstanceFile(paths.json);
    },
    release: () => lock.close(),
  };
}

/**
 * Takes the instance lock. While an owner holds it but is not live (it is
 * starting, or draining: an idle exit, a stop), the start waits for it, up
 * to {@linkcode OWNER_WAIT_MS}: a draining owner is then gone and the
 * instance taken; a starting one is live and named (SPEC 3). A live owner
 * is asked what it does ({@linkcode askSuccession}): one about to exit idle
 * is waited for too; an idle one of an older version or another protocol
 * is asked to shut down (said through `onNotice`) and then replaced.
 *
 * @throws {AlreadyRunningError} When a live (or hung) owner holds it.
 */
async function takeInstance(
  stateDir: string,
  instance: string,
  exists: boolean,
  onNotice: (notice: ModeNotice) => void,
  os: Os,
): Promise<Deno.FsFile> {
  let deadline = deadlineIn(OWNER_WAIT_MS);
  // Since when the owner has not answered at all (see lockReleaseGraceMs).
  let silentSince: number | undefined;
  const host = denoVerdictHost();
  const lockPath = instancePaths(stateDir, instance).lock;
  // The run asked to shut down (once) or waited for (once), by runId.
  const handled = new Set<string>();
  for (;;) {
    const lock = await acquireInstanceLock(lockPath, { exists });
    if (lock !== undefined) return lock;
    const verdict = await inspectInstance(
      host,
      inspectPlan(stateDir),
      instance,
    );
    const silent = verdict.state === "hung" &&
      verdict.cause.kind === "health" && verdict.cause.failure === "silent";
    silentSince = silent ? silentSince ?? monotonicNow() : undefined;
    const settling = verdict.state === "starting" ||
      verdict.state === "draining" || verdict.state === "stopped" ||
      (verdict.state === "stale" && verdict.cause.kind === "lock-free") ||
      // An owner on its way out, or a killed one whose lock the OS has not
      // released yet.
      (silentSince !== undefined &&
        monotonicNow() - silentSince < lockReleaseGraceMs(os));
    if (!settling) {
      const owner = verdict.state === "live" ||
          verdict.state === "incompatible"
        ? verdict
        : undefined;
      const runId = owner?.info?.runId;
      if (owner?.info === undefined || runId === undefined) {
        throw alreadyRunning(instance, stateDir, verdict);
      }
      const next = handled.has(runId)
        ? undefined
        : await askSuccession(owner, owner.state === "incompatible");
      if (next?.kind === "keep") {
        throw alreadyRunning(instance, stateDir, verdict, next.versions);
      }
      if (next?.kind === "wait") {
        handled.add(runId);
        deadline = deadlineIn(next.withinMs + OWNER_WAIT_MS);
        onNotice({
          level: "info",
          message:
            `Instance "${instance}" is held by pid ${owner.info.pid}, idle and about to exit (--exit-when-idle ${
              formatMs(next.withinMs)
            }); waiting for it`,
        });
      } else if (next?.kind === "replace") {
        handled.add(runId);
        const line = await replaceOwner(
          owner.info,
          next,
          owner.state === "incompatible" ? owner.health.protocol : undefined,
        );
        if (line === undefined) {
          throw alreadyRunning(instance, stateDir, verdict);
        }
        onNotice({ level: "info", message: line });
        deadline = deadlineIn(OWNER_WAIT_MS);
      } else if (deadline.passed()) {
        // Waited for one that said it would go, and it did not.
        throw alreadyRunning(instance, stateDir, verdict);
      }
    } else if (deadline.passed()) {
      throw alreadyRunning(instance, stateDir, verdict);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * How long a start keeps waiting for the lock of an owner that does not
 * answer at all, in ms. An owner on its way out closes its listeners
 * before its lock goes with the process (the drain, then the exit), and a
 * start that read its files just before may find nothing answering: 300 ms
 * cover an exit. Windows also unlocks a terminated process's file locks
 * asynchronously, after a time that "depends upon available system
 * resources" (Microsoft, `LockFileEx`): there 2 s. Unix drops a `flock`
 * with the last descriptor, as the process ends (flock(2)).
 */
export function lockReleaseGraceMs(os: Os): number {
  return os === "windows" ? 2000 : 300;
}

/** How the claim asks the verdict about the instance's owner. */
function inspectPlan(stateDir: string) {
  return { stateDir, check: true, healthTimeoutMs: HEALTH_TIMEOUT_MS };
}

/** The error for a start whose instance a record of another machine holds. */
function otherMachine(
  instance: string,
  owner: VerdictOf<"elsewhere">,
): AlreadyRunningError {
  return new AlreadyRunningError(
    `Instance "${instance}" is live on machine ${owner.machine} (pid ${owner.info.pid}), which shares this state directory; start one here with another --instance, or a state directory of this machine's (PRYX_HOME)`,
  );
}

/** The error for a start that lost the instance lock to `verdict`'s owner. */
function alreadyRunning(
  instance: string,
  stateDir: string,
  verdict: Verdict,
  versions?: Skew,
): AlreadyRunningError {
  if (verdict.state === "elsewhere") {
    return otherMachine(instance, verdict);
  }
  // The advice must work as given in the user's shell, whose environment
  // this process inherited.
  const env = envReader((name) => Deno.env.get(name));
  const stop = stopCommandLine(instance, stateDir, env);
  const force = stopCommandLine(instance, stateDir, env, { force: true });
  const owner = "info" in verdict ? verdict.info : undefined;
  if (owner === undefined) {
    return new AlreadyRunningError(
      `Instance "${instance}" is already held by a process that has not published its files; if it does not answer, end it with "${force}", or choose another --instance`,
    );
  }
  if (verdict.state === "hung" || verdict.state === "stale") {
    const why = verdict.cause.kind === "health"
      ? verdict.cause.why
      : "its files do not describe the process that answers";
    return new AlreadyRunningError(
      `Instance "${instance}" is held by pid ${owner.pid}, which holds the lock but does not answer (${why}); end it with "${force}", or choose another --instance`,
    );
  }
  const skew = versions === undefined ? "" : ` (${skewWords(versions)})`;
  return new AlreadyRunningError(
    `Instance "${instance}" is already running by pid ${owner.pid} at ${owner.url}${skew}; stop it with "${stop}" or choose another --instance`,
  );
}

/** The text of `path`, or `undefined` when it is not there. */
function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/**
 * The verdict on an instance: is it live, is it the one its files describe,
 * is it of this machine, and what should the caller do. Computed here, once,
 * from the facts (its files, the lock, the record's `machine`, the `/health`
 * answer and its proof, the protocol), and handed around as a
 * {@linkcode Verdict}: `discover`, `list`, `stop`, `run`, `watch`, the
 * server's claim and the client module all ask {@linkcode inspectInstance}
 * and none re-derives a part of it. The words a person reads are made from
 * a verdict in `discovery/report.ts`.
 *
 * What it reads comes from a {@linkcode VerdictHost}, so every state is
 * tested in process against a fake one.
 *
 * @module
 */

import {
  instanceOfFile,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  parseStartFailure,
  type RuntimeInfo,
  runtimeUrls,
  type StartFailure,
} from "./instance_files.ts";
import {
  checkHealth,
  type Health,
  type HealthCheck,
  type HealthFailure,
  type HealthRoute,
  type ProofKey,
} from "./health.ts";
import { canUseSocket } from "./direct.ts";
import { isOtherMachine } from "./machine.ts";
import { PROTOCOL } from "./protocol.ts";

/** What the verdict reads: files, the lock, `/health`, this machine. */
export interface VerdictHost {
  /**
   * Reads a text file; `undefined` when it does not exist.
   *
   * @throws {StateDirError} When it exists but may not be trusted or read.
   */
  readText(path: string): Promise<string | undefined>;
  /** The entry names of a directory; `undefined` when it does not exist. */
  readDir(dir: string): Promise<string[] | undefined>;
  /**
   * Whether a live process holds the flock on `path`. Absent where the
   * runtime has no flock (Node, Bun): `/health` alone decides there.
   */
  isLocked?: (path: string) => boolean;
  /**
   * Checks `/health` at `url` (default {@linkcode checkHealth}); a fake host
   * answers from a table.
   */
  checkHealth?: (
    url: string,
    timeoutMs: number,
    key?: ProofKey,
    route?: HealthRoute,
  ) => Promise<HealthCheck>;
  /**
   * Whether this reader can reach the Unix socket at a path (default
   * {@linkcode canUseSocket}: not on Windows, and on Deno only with the
   * permissions a socket needs).
   */
  canUseSocket?: (socket: string) => boolean;
  /** This reader's `machine` (SPEC 2); `undefined` when unknown. */
  machine?: () => string | undefined;
}

/** Where an instance's files say it listens. */
export interface Location {
  /** The port from the files. */
  port: number;
  /** The HTTP URL, e.g. `http://127.0.0.1:38124`. */
  url: string;
  /** The WebSocket URL, e.g. `ws://127.0.0.1:38124/ws`. */
  wsUrl: string;
  /** The parsed `<instance>.json`, when it exists. */
  info?: RuntimeInfo;
  /**
   * The Unix socket the record names, when this reader can use one
   * (SPEC 4): `--format socket` prints it, and a reader that only it
   * reaches (another network namespace) is checked over it.
   */
  socket?: string;
}

/** What every verdict says about an instance. */
interface VerdictBase {
  /** The instance name. */
  instance: string;
  /** The file the verdict is about (the port file, else the json, else the lock). */
  path: string;
}

/**
 * Why files are stale, as facts:
 * - `lock-free`: nobody holds the lock, so their owner is gone;
 * - `bad-json` / `bad-port`: the file at `path` is not what pryx-core writes;
 * - `ports-disagree`: the port file and the json name different ports;
 * - `health`: the URL did not pass `/health` (`check.failure` says how) and
 *   no lock says an owner lives (where there are no locks);
 * - `other-run`: the URL answers as another run than the files'.
 */
export type StaleCause =
  | { kind: "lock-free" }
  | { kind: "bad-json" }
  | { kind: "bad-port" }
  | { kind: "ports-disagree"; filePort: number; jsonPort: number }
  | { kind: "health"; failure: HealthFailure; why: string }
  | { kind: "other-run"; health: Health };

/**
 * Why an owner that holds the lock did not pass as live: its URL is
 * `silent`, `foreign` or `unproven` (`why` in one clause, from the health
 * check), or answers as another run.
 */
export type HungCause =
  | { kind: "health"; failure: Exclude<HealthFailure, "draining">; why: string }
  | { kind: "other-run"; health: Health };

/**
 * The verdict on one instance; `state` says which facts exist:
 * - `stopped`: no port file and no json, and nobody holds the lock;
 *   `lastFailure` is the last start's failure (`<instance>.error`), when
 *   that start failed;
 * - `starting`: the lock is held but the port file is not written yet;
 * - `live`: the lock is held (where locks exist) and `/health` proves the
 *   files' run, speaking this client's protocol; `health` is absent only
 *   when checks were off;
 * - `draining`: the files' run proves itself but is shutting down;
 * - `incompatible`: the files' run is live but speaks another protocol;
 * - `elsewhere`: the record is another machine's (SPEC 2): never stale,
 *   never removed or stopped here, its loopback URL never used here; when
 *   its socket answers here as the record's run (another network namespace
 *   that shares the state directory), `socketHealth` says so, and the
 *   socket (`socket`) is how a client reaches it;
 * - `hung`: the lock is held but the URL does not answer as its owner;
 * - `stale`: files of a process that is gone, or that disagree.
 */
export type Verdict =
  | VerdictBase & { state: "stopped"; lastFailure?: StartFailure }
  | VerdictBase & Partial<Location> & { state: "starting" }
  | VerdictBase & Location & { state: "live"; health?: Health }
  | VerdictBase & Location & { state: "draining" }
  | VerdictBase & Location & { state: "incompatible"; health: Health }
  | VerdictBase & Location & {
    state: "elsewhere";
    info: RuntimeInfo;
    machine: string;
    socketHealth?: Health;
  }
  | VerdictBase & Location & { state: "hung"; cause: HungCause }
  | VerdictBase & Partial<Location> & {
    state: "stale";
    cause: StaleCause;
    /** Whether the lock is held (`undefined` where there are no locks). */
    lockHeld: boolean | undefined;
  };

/** One of the states of {@linkcode Verdict}. */
export type VerdictState = Verdict["state"];

/** A verdict of one state. */
export type VerdictOf<S extends VerdictState> = Extract<Verdict, { state: S }>;

/** What inspecting needs to know. */
export interface InspectPlan {
  /** The state directory. */
  stateDir: string;
  /** Check the lock and `/health` (else files alone decide). */
  check: boolean;
  /** `/health` timeout, in ms. */
  healthTimeoutMs: number;
  /** The protocol this client speaks (default {@linkcode PROTOCOL}). */
  protocol?: number;
}

/**
 * Whether an owner holds the instance for now: a caller that waits (a
 * starting owner, a hung or draining one) or that must not take it.
 */
export function ownerHolds(v: Verdict): boolean {
  return v.state === "starting" || v.state === "hung" ||
    v.state === "draining" || (v.state === "stale" && v.lockHeld === true);
}

/**
 * Inspects one instance of the plan's state directory: reads its files,
 * then (unless `plan.check` is off) checks its lock and `/health`, and
 * returns the {@linkcode Verdict}.
 *
 * @throws {StateDirError} When a file may not be trusted or read.
 * @throws {UsageError} On Deno without `--allow-net`, naming the flag.
 */
export async function inspectInstance(
  host: VerdictHost,
  plan: InspectPlan,
  instance: string,
): Promise<Verdict> {
  const paths = instancePaths(plan.stateDir, instance);
  const [portText, jsonText] = await Promise.all([
    host.readText(paths.port),
    host.readText(paths.json),
  ]);
  let held: boolean | undefined | null = null;
  const locked = (): boolean | undefined => {
    if (held !== null) return held;
    try {
      return held = host.isLocked?.(paths.lock);
    } catch (err) {
      // A lock file that cannot be opened says nothing about its owner; a
      // bug in this code is not such a fact.
      if (err instanceof TypeError || err instanceof ReferenceError) throw err;
      return held = undefined;
    }
  };

  if (portText === undefined && jsonText === undefined) {
    if (locked()) return { instance, state: "starting", path: paths.lock };
    // Read only here: a live instance's discovery costs no extra read.
    const failureText = await host.readText(paths.error);
    const lastFailure = failureText === undefined
      ? undefined
      : parseStartFailure(failureText);
    return lastFailure === undefined
      ? { instance, state: "stopped", path: paths.lock }
      : { instance, state: "stopped", path: paths.error, lastFailure };
  }
  /** A file that is not what pryx-core writes. */
  const malformed = (
    path: string,
    kind: "bad-json" | "bad-port",
  ): Verdict => ({
    instance,
    state: "stale",
    path,
    cause: { kind },
    lockHeld: plan.check ? locked() : undefined,
  });
  const info = jsonText === undefined ? undefined : parseRuntimeInfo(jsonText);
  if (jsonText !== undefined && info === undefined) {
    return malformed(paths.json, "bad-json");
  }
  const filePort = portText === undefined ? undefined : parsePortFile(portText);
  if (portText !== undefined && filePort === undefined) {
    return malformed(paths.port, "bad-port");
  }
  // One of the two exists and parsed: the port file, else the metadata.
  const port = filePort ?? info!.port;
  const urls = info ?? runtimeUrls("127.0.0.1", port);
  const socket = info?.socket !== undefined &&
      (host.canUseSocket ?? canUseSocket)(info.socket)
    ? info.socket
    : undefined;
  const found = {
    instance,
    path: portText === undefined ? paths.json : paths.port,
    port,
    url: urls.url,
    wsUrl: urls.wsUrl,
    ...(info === undefined ? {} : { info }),
    ...(socket === undefined ? {} : { socket }),
  };
  const check = host.checkHealth ?? checkHealth;
  // Whoever can read the token (the 0600 file's owner) asks for a proof.
  const key = info?.token === undefined
    ? undefined
    : { token: info.token, file: paths.json };
  /**
   * The `/health` answer over the socket alone, when it proves the
   * record's run in this client's protocol; `undefined` otherwise.
   */
  const overSocket = async (
    record: RuntimeInfo,
    path: string,
  ): Promise<Health | undefined> => {
    const answer = await check(found.url, plan.healthTimeoutMs, key, {
      socket: path,
      socketOnly: true,
    });
    return answer.ok && answer.health.runId === record.runId &&
        answer.health.protocol === (plan.protocol ?? PROTOCOL)
      ? answer.health
      : undefined;
  };
  // Another machine's record: its loopback is not ours, its pid not ours,
  // its lock (on NFS) perhaps not shared. Nothing here can judge it, but
  // its socket, where the state directory is shared with another network
  // namespace of this kernel, may answer as its run.
  const ours = host.machine?.();
  if (info?.machine !== undefined && isOtherMachine(info.machine, ours)) {
    const elsewhere = {
      ...found,
      info,
      state: "elsewhere",
      machine: info.machine,
    } as const;
    if (socket === undefined || !plan.check || portText === undefined) {
      return elsewhere;
    }
    const proven = await overSocket(info, socket);
    return proven === undefined
      ? elsewhere
      : { ...elsewhere, socketHealth: proven };
  }
  const stale = (cause: StaleCause, lockHeld = held ?? undefined): Verdict => ({
    ...found,
    state: "stale",
    cause,
    lockHeld,
  });
  if (portText === undefined) {
    // The json is written before the port file: a starting server, unless
    // nobody holds the lock.
    return locked() === false
      ? stale({ kind: "lock-free" }, false)
      : { ...found, state: "starting" };
  }
  if (info !== undefined && info.port !== filePort) {
    return stale({
      kind: "ports-disagree",
      filePort: filePort!,
      jsonPort: info.port,
    }, plan.check ? locked() : undefined);
  }
  if (!plan.check) return { ...found, state: "live" };
  const lockHeld = locked();
  if (lockHeld === false) return stale({ kind: "lock-free" }, false);
  // This machine's runtime answers on its loopback URL: checked there.
  // The socket is for whom only it reaches (above): Deno 2.9.6's socket
  // client stalls under bursts of requests (`shared/direct.ts`).
  const result = await check(found.url, plan.healthTimeoutMs, key);
  if (
    !result.ok && result.failure === "silent" && lockHeld === true &&
    socket !== undefined && info !== undefined
  ) {
    // Its loopback is silent but its lock is held: a runtime of another
    // network namespace with this one's host name (the record's `machine`
    // cannot tell them apart here). Its socket says whether it is that.
    const proven = await overSocket(info, socket);
    if (proven !== undefined) {
      return {
        ...found,
        info,
        state: "elsewhere",
        machine: `${info.machine ?? "unknown"} (another network namespace)`,
        socketHealth: proven,
      };
    }
  }
  if (!result.ok) {
    if (result.failure === "draining") return { ...found, state: "draining" };
    return lockHeld === true
      ? {
        ...found,
        state: "hung",
        cause: { kind: "health", failure: result.failure, why: result.why },
      }
      : stale({ kind: "health", failure: result.failure, why: result.why });
  }
  if (info !== undefined && result.health.runId !== info.runId) {
    // Pids repeat across restarts and PID namespaces; the run id does not.
    const cause = { kind: "other-run", health: result.health } as const;
    return lockHeld === true
      ? { ...found, state: "hung", cause }
      : stale(cause);
  }
  if (result.health.protocol !== (plan.protocol ?? PROTOCOL)) {
    return { ...found, state: "incompatible", health: result.health };
  }
  return { ...found, state: "live", health: result.health };
}

/** Every instance of `stateDir` (from its `.port`, `.json` and `.lock` files), by name. */
export async function instanceNames(
  host: Pick<VerdictHost, "readDir">,
  stateDir: string,
): Promise<string[]> {
  const entries = await host.readDir(stateDir) ?? [];
  const names = new Set<string>();
  for (const entry of entries) {
    const name = instanceOfFile(entry);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

/** Inspects every instance of the plan's state directory, by name. */
export async function listInstances(
  host: VerdictHost,
  plan: InspectPlan,
): Promise<Verdict[]> {
  const names = await instanceNames(host, plan.stateDir);
  return await Promise.all(names.map((n) => inspectInstance(host, plan, n)));
}

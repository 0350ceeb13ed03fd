/**
 * The server's lifecycle: lock the instance, bind, publish the instance
 * files, load the app, and drain on SIGINT/SIGTERM (SPEC sections 2-3).
 *
 * The port is bound and published before Hono is loaded: start-up is what
 * every client waits for. Requests that arrive in between wait for the app,
 * so none is answered before it is ready.
 *
 * @module
 */

import { DRAIN_TIMEOUT_MS, VERSION } from "../shared/config.ts";
import { AlreadyRunningError } from "../shared/errors.ts";
import { type StagedFile, stageFile } from "../shared/atomic_write.ts";
import { acquireInstanceLock } from "../shared/lock.ts";
import { bind, type Handler } from "./listen.ts";
import type { ListenAddr } from "./listen_addr.ts";
import type { Logger } from "./log.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
  type InstancePaths,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  runtimeUrls,
} from "../shared/instance_files.ts";
import { InFlight } from "./in_flight.ts";
import { isoTime } from "../shared/iso_time.ts";
import { generateToken } from "./security.ts";
import { ensureStateDir, removeInstanceFile } from "../shared/state_dir.ts";

/** Everything `serve` needs, resolved from flags and environment. */
export interface ServeOptions {
  /** Where to listen. */
  addr: ListenAddr;
  /** The instance name. */
  instance: string;
  /** The state directory. */
  stateDir: string;
  /** Require a bearer token on `/ws`, `/publish` and `/info`. */
  auth: "none" | "token";
  /** Extra allowed origins (`--allow-origin`). */
  allowedOrigins: ReadonlySet<string>;
  /**
   * Also stop, as on SIGTERM, when standard input reaches end of file
   * (`--stop-on-eof`). `pryx-core run` keeps a pipe open to the runtime it
   * starts, so the runtime goes when run goes, even on SIGKILL.
   */
  stopOnEof?: boolean;
}

/**
 * Runs the server until SIGINT or SIGTERM (or, with `stopOnEof`, the end of
 * standard input), then drains and resolves.
 *
 * @throws {AlreadyRunningError} When a live process owns the instance.
 * @throws {BindError} When the address cannot be bound.
 * @throws {StateDirError} When the state directory is unusable.
 */
export async function serve(options: ServeOptions, log: Logger): Promise<void> {
  const present = ensureStateDir(options.stateDir);
  const has = (path: string) =>
    present.has(path.slice(path.lastIndexOf("/") + 1));
  const paths = instancePaths(options.stateDir, options.instance);
  const lock = await acquireInstanceLock(paths.lock, {
    exists: has(paths.lock),
  });
  if (lock === undefined) throw await alreadyRunning(options.instance, paths);
  // A dead owner's files: gone before anyone can mistake them for ours. From
  // here on, a metadata file describes whoever holds the lock.
  if (has(paths.port)) removeInstanceFile(paths.port);
  if (has(paths.json)) removeInstanceFile(paths.json);
  for (const name of present) {
    if (isTempOf(name, options.instance)) {
      removeInstanceFile(`${options.stateDir}/${name}`);
    }
  }

  // Requests that come before the app is loaded wait for it. Once it is,
  // the /health fast path is tried first, in as few calls as possible.
  const app = Promise.withResolvers<Handler>();
  let handle: Handler | undefined = undefined;
  let fast: ((req: Request) => Response | undefined) | undefined = undefined;
  const inFlight = new InFlight();
  const routed = inFlight.wrap((req, info) =>
    handle ? handle(req, info) : app.promise.then((h) => h(req, info))
  );
  const bound = bind(
    options.addr,
    (req, info) => fast?.(req) ?? routed(req, info),
    (msg) => log.log("warn", msg),
  );

  const token = options.auth === "token" ? generateToken() : undefined;
  const info: RuntimeInfo = {
    pid: Deno.pid,
    port: bound.port,
    hostname: options.addr.hostname,
    ...runtimeUrls(options.addr.hostname, bound.port),
    startedAt: isoTime(),
    version: VERSION,
    instance: options.instance,
    ...(token === undefined ? {} : { token }),
  };
  // From the moment the files are published, SIGINT and SIGTERM must stop
  // the server (with a drain) rather than kill it: the listeners go in
  // while the port file is flushed. Before that the default action ends the
  // process (as PID 1 the kernel drops the signal), which leaves nothing a
  // reader would trust: the lock goes with the process.
  const stopping = await publishFiles(paths, info, listenForSignals);
  log.log("info", `Starting server on ${info.url}`, {
    url: info.url,
    wsUrl: info.wsUrl,
    pid: info.pid,
    instance: info.instance,
    auth: options.auth,
  });

  let draining = false;
  const { createApp, healthFastPath } = await import("./app.ts");
  const { WsHub } = await import("./hub.ts");
  const hub = new WsHub({
    version: VERSION,
    pid: Deno.pid,
    instance: options.instance,
  });
  const state = {
    info,
    hub,
    policy: {
      checkHost: options.addr.loopback,
      allowedOrigins: options.allowedOrigins,
      token,
    },
    draining: () => draining,
    log,
    loopback: options.addr.loopback,
  };
  const hono = createApp(state);
  handle = (req, connInfo) => hono.fetch(req, connInfo);
  fast = healthFastPath(state);
  app.resolve(handle);

  const reason =
    await (options.stopOnEof
      ? Promise.race([stopping.stopped, endOfInput()])
      : stopping.stopped);
  draining = true;
  if (reason === "EOF") {
    log.log("info", "Standard input closed (--stop-on-eof), shutting down", {
      reason: "stdin closed",
    });
  } else {
    log.log("info", `Received ${reason}, shutting down`, { signal: reason });
  }
  try {
    removeOwnFiles(paths, info);
  } catch (err) {
    // Readers tell a stale file by its free lock: a leftover is harmless.
    log.log(
      "warn",
      `Could not remove the instance files: ${(err as Error).message}`,
    );
  }
  hub.shutdown(reason);
  // Answer what is in flight first (a body may still be arriving), then
  // close the listeners.
  const drained = inFlight.idle().then(() =>
    Promise.all(bound.servers.map((s) => s.shutdown()))
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    drained.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), DRAIN_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    log.log(
      "warn",
      "In-flight requests did not finish within 5 s; stopping anyway",
    );
  }
  stopping.remove();
  lock.close();
}

/**
 * Publishes the instance files: `<instance>.json`, then `<instance>.port`,
 * each renamed into place whole. The port file is flushed to disk (SPEC
 * section 2) on a worker thread, and `whileFlushing` runs meanwhile. The
 * metadata is not flushed: it describes a live process, so after a crash it
 * is stale whatever it holds, and the rename already keeps it whole for
 * readers. Its mode is checked when it holds a token.
 *
 * @returns What `whileFlushing` returned.
 * @throws {StateDirError} When a file cannot be written; none is published.
 */
async function publishFiles<T>(
  paths: InstancePaths,
  info: RuntimeInfo,
  whileFlushing: () => T,
): Promise<T> {
  const portFile = stageFile(paths.port, formatPortFile(info.port), {
    flush: false,
  });
  const flushed = portFile.flush();
  let jsonFile: StagedFile | undefined;
  let result: T;
  try {
    jsonFile = stageFile(paths.json, formatRuntimeInfo(info), {
      flush: false,
      verifyMode: info.token !== undefined,
    });
    result = whileFlushing();
    await flushed;
  } catch (err) {
    await flushed.catch(() => {});
    jsonFile?.discard();
    portFile.discard();
    throw err;
  }
  jsonFile.commit();
  portFile.commit();
  return result;
}

/** Resolves with `"EOF"` once standard input is at its end (or unreadable). */
async function endOfInput(): Promise<"EOF"> {
  const buf = new Uint8Array(4096);
  try {
    while (await Deno.stdin.read(buf) !== null) {
      // Nothing is expected on it: only its end matters.
    }
  } catch {
    // An unreadable input cannot keep the server alive either.
  }
  return "EOF";
}

/** SIGINT and SIGTERM listeners: which came first, and how to remove them. */
interface SignalListeners {
  /** Resolves with the name of the first signal. */
  stopped: Promise<Deno.Signal>;
  /** Removes the listeners. */
  remove(): void;
}

function listenForSignals(): SignalListeners {
  const stopped = Promise.withResolvers<Deno.Signal>();
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) =>
    [signal, () => stopped.resolve(signal)] as const
  );
  for (const [signal, fn] of listeners) Deno.addSignalListener(signal, fn);
  return {
    stopped: stopped.promise,
    remove() {
      for (const [signal, fn] of listeners) {
        Deno.removeSignalListener(signal, fn);
      }
    },
  };
}

/**
 * Whether `name` is a temp file of `instance`'s port or metadata file (see
 * {@linkcode stageFile}): left by an owner killed while it published, since
 * whoever holds the lock is the only writer.
 */
function isTempOf(name: string, instance: string): boolean {
  for (const kind of ["port", "json"]) {
    const prefix = `.${instance}.${kind}.`;
    // PID.SUFFIX.tmp exactly: instance "a" must not take "a.port"'s files.
    if (name.startsWith(prefix) && TEMP_TAIL.test(name.slice(prefix.length))) {
      return true;
    }
  }
  return false;
}

const TEMP_TAIL = /^\d+\.[a-z0-9]+\.tmp$/;

/** Removes the instance files, but only while they still describe this process. */
function removeOwnFiles(paths: InstancePaths, info: RuntimeInfo): void {
  const current = readText(paths.json);
  if (current === undefined || parseRuntimeInfo(current)?.pid !== info.pid) {
    return;
  }
  if (parsePortFile(readText(paths.port) ?? "") === info.port) {
    removeInstanceFile(paths.port);
  }
  removeInstanceFile(paths.json);
}

/** How long a losing start waits for the owner's metadata, to name it. */
const OWNER_WAIT_MS = 3000;

/**
 * The error for a start that lost the instance lock. The owner may still be
 * starting (it holds the lock before it writes its metadata): wait briefly
 * for its metadata so the message can name its pid and URL.
 */
async function alreadyRunning(
  instance: string,
  paths: InstancePaths,
): Promise<AlreadyRunningError> {
  const deadline = Date.now() + OWNER_WAIT_MS;
  let owner = parseRuntimeInfo(readText(paths.json) ?? "");
  while (owner === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    owner = parseRuntimeInfo(readText(paths.json) ?? "");
  }
  const who = owner === undefined
    ? "by a process that is still starting"
    : `by pid ${owner.pid} at ${owner.url}`;
  return new AlreadyRunningError(
    `Instance "${instance}" is already running ${who}; stop it with "pryx-core stop --instance ${instance}" or choose another --instance`,
  );
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

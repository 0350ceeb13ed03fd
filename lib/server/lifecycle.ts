/**
 * The server's lifecycle, read as its steps: claim the instance, bind,
 * publish the instance files (and keep them published), load the app, wait
 * for a stop reason, drain, release.
 *
 * The port is bound and published before Hono is loaded: start-up is what
 * every client waits for. Requests that arrive in between wait for the app,
 * so none is answered before it is ready.
 *
 * @module
 */

import { currentMachine } from "../shared/machine.ts";
import { DRAIN_TIMEOUT_MS, VERSION } from "../shared/config.ts";
import { type StagedFile, stageFile } from "../shared/atomic_write.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
  generateRunId,
  runIdentity,
  type RuntimeInfo,
  runtimeUrls,
} from "../shared/instance_files.ts";
import { importLazily } from "../shared/lazy_import.ts";
import { PROTOCOL } from "../shared/protocol.ts";
import type { ServiceManager } from "../shared/service_manager.ts";
import { isoTime } from "../shared/iso_time.ts";
import { type Claim, claimInstance } from "./claim.ts";
import { clearStartFailure } from "./start_failure.ts";
import { StateDirError } from "../shared/errors.ts";
import type { WsHub } from "./hub.ts";
import { InFlight } from "./in_flight.ts";
import { bind, type Bound, BusyPortError, type Handler } from "./listen.ts";
import type { ListenAddr } from "./listen_addr.ts";
import type { Keeper, PublishedFiles } from "./keep_published.ts";
import type { Logger } from "./log.ts";
import { generateToken } from "./security.ts";
import type { IdleWatch } from "./idle.ts";
import {
  isPrivateDirOfMine,
  listenOnSocket,
  type SocketListener,
} from "./socket_listener.ts";
import { socketPlace } from "../shared/socket_path.ts";
import { envReader, readDenoEnv } from "../shared/config.ts";
import { hostOs } from "../shared/os.ts";
import { currentUid } from "../shared/trust.ts";
import { ignoredAtStart } from "../shared/ignored_signals.ts";
import {
  describeStopReason,
  listenForStopReasons,
  type StopReason,
  type StopReasons,
} from "./stop_reasons.ts";

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
  /**
   * The operator's token (`--token-file`), already checked; a fresh one is
   * generated at every start when absent.
   */
  token?: string;
  /** Extra allowed origins (`--allow-origin`). */
  allowedOrigins: ReadonlySet<string>;
  /**
   * Extra `Host` names accepted on loopback (`--allow-host`), normalised by
   * `normaliseAllowedHost`; the bound address is added by the server.
   */
  allowedHosts?: ReadonlySet<string>;
  /**
   * Stop, as on SIGTERM, once there has been no lease and no WebSocket
   * client for this many ms (`--exit-when-idle`); counted from start too.
   * `pryx-core run` starts its runtime so: it goes when the last `run`
   * holding a lease goes, even when that one was SIGKILLed.
   */
  exitWhenIdleMs?: number;
  /** The service manager that started this runtime (`PRYX_SERVICE`), if one did. */
  service?: ServiceManager;
}

/**
 * Runs the server until a stop reason (SIGINT, SIGTERM, SIGHUP,
 * `POST /control/shutdown`, or with `exitWhenIdleMs` an idle spell that
 * long), then drains and resolves.
 *
 * @throws {AlreadyRunningError} When a live process owns the instance.
 * @throws {BindError} When the address cannot be bound.
 * @throws {StateDirError} When the state directory is unusable.
 */
export async function serve(options: ServeOptions, log: Logger): Promise<void> {
  // Under nohup a SIGHUP stays ignored (SPEC 3): ps is asked before any
  // signal listener changes the inherited disposition, and answers while
  // the instance is claimed.
  const hangupIgnored = ignoredAtStart("SIGHUP").catch(() => false);
  const claim = await claimInstance(
    options.stateDir,
    options.instance,
    ({ level, message }) => log.log(level, message),
  );
  try {
    let front: Front;
    try {
      front = bindFront(options.addr);
    } catch (err) {
      if (!(err instanceof BusyPortError)) throw err;
      // Who holds it is asked only now, from a module loaded only now.
      const { describeBusyPort } = await importLazily<
        typeof import("./port_holder.ts")
      >("./port_holder.ts", import.meta.url);
      throw describeBusyPort(err);
    }
    // After the TCP listener, before the json that names it (SPEC 2).
    const socket = openSocket(options, front);
    const info = describeRun(options, front.bound.port, socket?.path);
    // From the moment the files are published, a stop reason must stop the
    // server with a drain rather than kill it. Before that the default
    // action ends the process (as PID 1 the kernel drops the signal), which
    // leaves nothing a reader would trust: the lock goes with the process.
    const stop = listenForStopReasons({ hangupIgnored: await hangupIgnored });
    try {
      await publishFiles(claim, info);
      clearLastFailure(claim, info.instance, log);
      // What serves a published run is loaded once the port is out, in one
      // round of concurrent imports: start-up is what every client waits
      // for, and each round of imports costs memory of its own.
      const [
        app,
        { keepPublished },
        { watchIdle },
        { reportFileLimit },
        { keepAccepting },
      ] = await Promise.all([
        loadApp(options, info, log, stop.stop),
        importLazily<typeof import("./keep_published.ts")>(
          "./keep_published.ts",
          import.meta.url,
        ),
        importLazily<typeof import("./idle.ts")>(
          "./idle.ts",
          import.meta.url,
        ),
        importLazily<typeof import("./file_limit.ts")>(
          "./file_limit.ts",
          import.meta.url,
        ),
        importLazily<typeof import("./keep_accepting.ts")>(
          "./keep_accepting.ts",
          import.meta.url,
        ),
      ]);
      const accepting = keepAccepting(front.bound, log);
      const keeper = keepPublished(
        claim,
        publishedFiles(claim, info, socket),
        log,
        {
          instance: info.instance,
          onTaken: () =>
            stop.stop({
              kind: "taken",
              instance: info.instance,
              stateDir: claim.stateDir,
            }),
        },
      );
      try {
        log.log("info", startMessage(options, info, claim), {
          url: info.url,
          wsUrl: info.wsUrl,
          pid: info.pid,
          instance: info.instance,
          auth: options.auth,
        });
        front.attach(app);
        void reportFileLimit(log);
        const idle = watchForIdle(
          watchIdle,
          app.hub,
          stop,
          options.exitWhenIdleMs,
        );
        const reason = await stop.first;
        idle?.stop();
        accepting.stop();
        await drain(front, socket, app, claim, keeper, info, reason, log);
      } finally {
        keeper.stop();
      }
    } finally {
      stop.remove();
    }
  } finally {
    claim.release();
  }
}

/**
 * The start line: `Starting server on URL` (scripts grep for it), and, off
 * loopback, that other machines reach it and what token auth asks of them
 * (SPEC 3).
 */
function startMessage(options: ServeOptions, info: OwnInfo, claim: Claim) {
  const line = `Starting server on ${info.url}`;
  if (options.addr.loopback) return line;
  const where = options.addr.allInterfaces
    ? `on all interfaces (${options.addr.hostname}), so other machines reach it at port ${info.port}`
    : `on ${options.addr.hostname}, so other machines reach it at port ${info.port}`;
  const auth = options.auth === "token"
    ? `token auth is on: /ws, /publish and /info need the token ("pryx-core discover --json" prints it, from ${claim.paths.json})`
    : "token auth is off: anyone who reaches the port can use the event bus";
  return `${line}, listening ${where}; ${auth}`;
}

/**
 * The idle exit step: with `idleMs`, stops the server once the hub has had
 * no client (hence no lease) for that long, from now on.
 */
function watchForIdle(
  watchIdle: typeof import("./idle.ts").watchIdle,
  hub: WsHub,
  stop: StopReasons,
  idleMs: number | undefined,
): IdleWatch | undefined {
  if (idleMs === undefined) return undefined;
  const watch = watchIdle(idleMs, () => stop.stop({ kind: "idle", idleMs }));
  watch.update(hub.occupancy);
  hub.observe((occupancy) => watch.update(occupancy));
  return watch;
}

/** The bound listeners, serving the app once it is attached. */
interface Front {
  /** The listeners and their port. */
  bound: Bound;
  /** Requests whose answer is pending, for the drain. */
  inFlight: InFlight;
  /** The handler of every listener: the TCP ones and the socket. */
  handler: Handler;
  /** Starts answering with `app`; requests that came before it waited. */
  attach(app: LoadedApp): void;
}

/**
 * Binds the listen address with a handler that holds requests until the
 * app is attached. Once it is, the `/health` fast path is tried first, in
 * as few calls as possible.
 *
 * @throws {BindError} When the address cannot be bound.
 */
function bindFront(addr: ListenAddr): Front {
  const ready = Promise.withResolvers<Handler>();
  let handle: Handler | undefined;
  let fast: FastPath | undefined;
  const inFlight = new InFlight();
  const routed = inFlight.wrap((req, info) =>
    handle ? handle(req, info) : ready.promise.then((h) => h(req, info))
  );
  const handler: Handler = (req, info) =>
    fast?.(req, info.remoteAddr.transport === "unix") ?? routed(req, info);
  const bound = bind(addr, handler);
  // Handled from the start: an accept loop that ends for want of
  // descriptors before keep_accepting.ts is loaded must not end the
  // process as an unhandled rejection; keepAccepting still sees it.
  for (const server of bound.servers) server.finished.catch(() => {});
  return {
    bound,
    inFlight,
    handler,
    attach(app) {
      handle = app.handle;
      fast = app.fast;
      ready.resolve(app.handle);
    },
  };
}

/**
 * Serves the front's handler on the Unix socket too, where the OS has one
 * and its place fits (`socket_path.ts`).
 *
 * @throws {StateDirError} When the socket's path or directory cannot be
 * used (`socket_listener.ts`).
 */
function openSocket(
  options: ServeOptions,
  front: Front,
): SocketListener | undefined {
  const place = socketPlace(
    options.stateDir,
    options.instance,
    hostOs(),
    envReader(readDenoEnv),
    currentUid(),
    { runtimeDirUsable: isPrivateDirOfMine },
  );
  return place === undefined ? undefined : listenOnSocket(place, front.handler);
}

/** What this run of the runtime publishes about itself. */
function describeRun(
  options: ServeOptions,
  port: number,
  socket: string | undefined,
): OwnInfo {
  return {
    pid: Deno.pid,
    port,
    hostname: options.addr.hostname,
    ...runtimeUrls(options.addr.hostname, port),
    startedAt: isoTime(),
    version: VERSION,
    instance: options.instance,
    runId: generateRunId(),
    protocol: PROTOCOL,
    token: options.token ?? generateToken(),
    auth: options.auth,
    ...machineField(currentMachine()),
    ...(options.exitWhenIdleMs === undefined
      ? {}
      : { exitWhenIdleMs: options.exitWhenIdleMs }),
    ...(socket === undefined ? {} : { socket }),
    ...(options.service === undefined ? {} : { service: options.service }),
  };
}

/** The `machine` field, where this machine is known. */
function machineField(machine: string | undefined): { machine?: string } {
  return machine === undefined ? {} : { machine };
}

/** This run's metadata: its token is always there. */
type OwnInfo = RuntimeInfo & { token: string };

/**
 * Publishes the instance files: `<instance>.json`, then `<instance>.port`,
 * each renamed into place whole. The port file is flushed to disk, so a
 * crash cannot leave it empty, on a worker thread while the metadata is written. The metadata
 * is not flushed: it describes a live process, so after a crash it is stale
 * whatever it holds, and the rename already keeps it whole for readers. Its
 * mode is checked, as it holds the token.
 *
 * @throws {StateDirError} When a file cannot be written; none is published.
 */
async function publishFiles(claim: Claim, info: OwnInfo): Promise<void> {
  const { json, port } = publishedFiles(claim, info);
  const portFile = stageFile(port.path, port.data, { flush: false });
  const flushed = portFile.flush();
  let jsonFile: StagedFile | undefined;
  try {
    jsonFile = stageFile(json.path, json.data, {
      flush: false,
      verifyMode: true,
    });
    await flushed;
  } catch (err) {
    await flushed.catch(() => {});
    jsonFile?.discard();
    portFile.discard();
    throw err;
  }
  jsonFile.commit();
  portFile.commit();
}

/**
 * Removes the record of the last start that failed (`<instance>.error`):
 * this one did not. One that cannot be removed is named, as it would tell
 * readers that the live runtime failed to start.
 */
function clearLastFailure(claim: Claim, instance: string, log: Logger): void {
  try {
    clearStartFailure(claim.stateDir, instance);
  } catch (err) {
    if (!(err instanceof StateDirError)) throw err;
    log.log("warn", err.message);
  }
}

/** The instance files of this run: paths and content, and its socket. */
function publishedFiles(
  claim: Claim,
  info: OwnInfo,
  socket?: SocketListener,
): PublishedFiles {
  return {
    json: { path: claim.paths.json, data: formatRuntimeInfo(info) },
    port: { path: claim.paths.port, data: formatPortFile(info.port) },
    ...(socket === undefined ? {} : { socket }),
  };
}

/** The `/health` fast path of `app.ts`: an answer, or `undefined` for the app. */
type FastPath = (req: Request, overSocket: boolean) => Response | undefined;

/** The loaded app: its handlers and the parts the drain needs. */
interface LoadedApp {
  /** The Hono app's fetch handler. */
  handle: Handler;
  /** The `/health` fast path. */
  fast: FastPath;
  /** The WebSocket hub. */
  hub: WsHub;
  /** Turns `/health` to 503 `shutting_down`. */
  startDraining(): void;
}

/** Loads Hono, the routes and the hub: after the port is published. */
async function loadApp(
  options: ServeOptions,
  info: OwnInfo,
  log: Logger,
  stop: (reason: StopReason) => void,
): Promise<LoadedApp> {
  const [{ createApp, healthFastPath }, { WsHub }, { RequestCounts }] =
    await Promise.all([
      importLazily<typeof import("./app.ts")>("./app.ts", import.meta.url),
      importLazily<typeof import("./hub.ts")>("./hub.ts", import.meta.url),
      importLazily<typeof import("./metrics.ts")>(
        "./metrics.ts",
        import.meta.url,
      ),
    ]);
  let draining = false;
  const hub = new WsHub(runIdentity(info));
  const state = {
    info,
    hub,
    policy: {
      checkHost: options.addr.loopback,
      allowedHosts: acceptedHosts(options),
      allowedOrigins: options.allowedOrigins,
      token: options.auth === "token" ? info.token : undefined,
      controlToken: info.token,
    },
    draining: () => draining,
    log,
    loopback: options.addr.loopback,
    stop,
    requests: new RequestCounts(),
  };
  const hono = createApp(state);
  return {
    handle: (req, connInfo) => hono.fetch(req, connInfo),
    fast: healthFastPath(state),
    hub,
    startDraining: () => draining = true,
  };
}

/**
 * The `Host` names accepted besides the loopback names: the literal address
 * the runtime is bound to (a client reaches `127.0.0.2` or `[::1]` by the
 * URL it was given) and the `--allow-host` names.
 */
function acceptedHosts(options: ServeOptions): Set<string> {
  const bound = options.addr.hostname;
  return new Set([
    bound.includes(":") ? `[${bound.toLowerCase()}]` : bound,
    ...options.allowedHosts ?? [],
  ]);
}

/**
 * The drain: `/health` turns 503, the files stop being kept and go (while
 * they still describe this run), WebSocket clients get `runtime.shutdown` and 1001,
 * requests in flight finish (at most {@linkcode DRAIN_TIMEOUT_MS}), then the
 * listeners close.
 */
async function drain(
  front: Front,
  socket: SocketListener | undefined,
  app: LoadedApp,
  claim: Claim,
  keeper: Keeper,
  info: RuntimeInfo,
  reason: StopReason,
  log: Logger,
): Promise<void> {
  app.startDraining();
  keeper.stop();
  // An orphan stepping down is news to whoever looks for the runtime.
  log.log(
    reason.kind === "taken" ? "warn" : "info",
    describeStopReason(reason),
    {
      reason: reason.kind,
      ...(reason.kind === "signal" ? { signal: reason.signal } : {}),
      ...(reason.kind === "idle" ? { idleMs: reason.idleMs } : {}),
    },
  );
  try {
    claim.removeOwnFiles(info);
    socket?.removeIfOurs();
  } catch (err) {
    // Readers tell a stale file by its free lock: a leftover is harmless.
    log.log(
      "warn",
      `Could not remove the instance files: ${(err as Error).message}`,
    );
  }
  app.hub.shutdown(reason.kind === "signal" ? reason.signal : reason.kind);
  // Answer what is in flight first (a body may still be arriving), then
  // close the listeners.
  const servers = [...front.bound.servers, ...socket?.servers ?? []];
  const drained = front.inFlight.idle().then(() =>
    Promise.all(servers.map((s) => s.shutdown()))
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
      `In-flight requests did not finish within ${
        DRAIN_TIMEOUT_MS / 1000
      } s; stopping anyway`,
    );
  }
}

/**
 * The discovery engine of SPEC section 5, shared by `pryx-core discover`,
 * `list`, `stop`, `run` and the client module (`lib/client.ts`).
 *
 * Precedence: `PRYX_API_URL` / `PRYX_WS_URL` (final when set), then the
 * instance's files in the state directory (and, with `any`, every other
 * instance there), then the probe ports. A file candidate is live when its
 * lock is held and `/health` answers as `pryx-core` with the pid of its
 * `<instance>.json`; anything else is reported as stale and skipped.
 *
 * Every rule lives here once. The outside world (environment, files, locks,
 * directory watching) comes in as a {@linkcode DiscoverHost}, so the same
 * code runs on Deno (CLI and client) and on Node or Bun (client, no flock).
 * Web standards only: `fetch`, `URL`, `AbortSignal.timeout`.
 *
 * @module
 */

import {
  Env,
  type EnvGetter,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  SERVICE,
} from "../shared/config.ts";
import { NotFoundError, UsageError } from "../shared/errors.ts";
import {
  instanceOfFile,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  runtimeUrls,
} from "../shared/instance_files.ts";

/** How often `--wait` re-checks when no file-system event arrives, in ms. */
export const WAIT_POLL_MS = 200;

/** How long a discovery waits for an instance whose owner is starting, in ms. */
export const STARTING_GRACE_MS = 2000;

/** The most ports one `--probe` may name. */
export const MAX_PROBE_PORTS = 1024;

/** What the engine needs from the runtime it runs on. */
export interface DiscoverHost {
  /** Reads an environment variable (`undefined` when unset or not allowed). */
  env: EnvGetter;
  /** Reads a text file; `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** The entry names of a directory; `undefined` when it does not exist. */
  readDir(dir: string): Promise<string[] | undefined>;
  /** Whether `path` exists (any kind). */
  exists(path: string): Promise<boolean>;
  /**
   * Whether a live process holds the flock on `path`. Absent where the
   * runtime has no flock (Node, Bun): `/health` alone decides there.
   */
  isLocked?: (path: string) => boolean;
  /** Calls `onChange` on every change in `dir` until closed. */
  watch?: (dir: string, onChange: () => void) => { close(): void };
}

/** What `/health` answers (SPEC section 4). */
export interface Health {
  /** `ok`, or `shutting_down` while draining. */
  status: string;
  /** Always `pryx-core` for a real runtime. */
  service: string;
  /** The server's pid. */
  pid?: number;
  /** The server's version. */
  version?: string;
  /** The server's instance name. */
  instance?: string;
}

/** The outcome of one `/health` check. */
export type HealthCheck =
  | { ok: true; health: Health }
  | { ok: false; why: string };

/** A live runtime, as found. */
export interface FoundRuntime {
  /** Where it was found. */
  source: "env" | "file" | "probe";
  /** The HTTP base URL, e.g. `http://127.0.0.1:38124`. */
  url: string;
  /** The WebSocket URL, e.g. `ws://127.0.0.1:38124/ws`. */
  wsUrl: string;
  /** The port of {@linkcode url}. */
  port: number;
  /** The bearer token, when token auth is on and the token is known. */
  token?: string;
  /** The instance metadata from `<instance>.json`, when known. */
  info?: RuntimeInfo;
  /** The `/health` answer, unless the check was skipped. */
  health?: Health;
}

/** The states `list` shows. */
export type InstanceState =
  /** Lock held (where locks exist) and `/health` agrees. */
  | "live"
  /** Files left behind by a process that is gone, or that disagree. */
  | "stale"
  /** The lock is held but the port file is not written yet. */
  | "starting"
  /** Only the lock file is left: stopped cleanly. */
  | "stopped";

/** One instance of a state directory, inspected. */
export interface InstanceStatus {
  /** The instance name. */
  instance: string;
  /** Live, stale, starting or stopped. */
  state: InstanceState;
  /** Why it is not live (one clause), when it is not. */
  reason?: string;
  /** The file the state is about (the port file, else the json, else the lock). */
  path: string;
  /** The pid from the json. */
  pid?: number;
  /** The port from the files. */
  port?: number;
  /** The HTTP URL from the files. */
  url?: string;
  /** The WebSocket URL from the files. */
  wsUrl?: string;
  /** The parsed `<instance>.json`. */
  info?: RuntimeInfo;
  /** The `/health` answer of a live instance. */
  health?: Health;
}

/** Options of a discovery; every field falls back to the environment. */
export interface DiscoverOptions {
  /** Instance name (else `PRYX_INSTANCE`, else `runtime`). */
  instance?: string;
  /** State directory (else `PRYX_HOME`, else `~/.pryx`). */
  stateDir?: string;
  /** When the named instance is not live, take the first live one by name. */
  any?: boolean;
  /** Ports to probe, `3001,3002` or `38124-38133` (else `PRYX_PROBE_PORTS`). */
  probe?: string;
  /** Verify every candidate with its lock and `/health` (default `true`). */
  check?: boolean;
  /** Timeout of one `/health` check, in ms (default {@linkcode HEALTH_TIMEOUT_MS}). */
  healthTimeoutMs?: number;
  /** Called once per stale candidate with one line naming the file and why. */
  onStale?: (message: string) => void;
}

/** Everything a discovery needs, resolved and validated once. */
export interface DiscoverPlan {
  /** `PRYX_API_URL` / `PRYX_WS_URL`, when set: final. */
  override?: { url: string; wsUrl: string; port: number; token?: string };
  /** The state directory. */
  stateDir: string;
  /** The instance name. */
  instance: string;
  /** Fall back to any live instance of the state directory. */
  any: boolean;
  /** Ports to probe on 127.0.0.1, in order. */
  probePorts: number[];
  /** The probe list as given, for messages. */
  probeText?: string;
  /** Verify candidates. */
  check: boolean;
  /** `/health` timeout in ms. */
  healthTimeoutMs: number;
}

/** The outcome of a discovery. */
export interface DiscoverOutcome {
  /** The live runtime, when one was found. */
  runtime?: FoundRuntime;
  /** The named instance's lock is held but it is not ready (yet). */
  starting?: boolean;
  /** What was tried, for the "nothing live" message. */
  tried: string[];
}

/**
 * Resolves options and environment into a {@linkcode DiscoverPlan}.
 *
 * @throws {UsageError} For a bad instance name, URL override or port list.
 */
export function planDiscovery(
  host: DiscoverHost,
  options: DiscoverOptions = {},
): DiscoverPlan {
  const env = host.env;
  const probeText = options.probe ?? nonEmpty(env(Env.probePorts));
  return {
    override: parseOverride(env),
    stateDir: resolveStateDir(options.stateDir, env),
    instance: resolveInstance(options.instance, env),
    any: options.any ?? false,
    probePorts: probeText === undefined ? [] : parsePorts(probeText),
    probeText,
    check: options.check ?? true,
    healthTimeoutMs: options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS,
  };
}

/**
 * Runs one discovery: override, else instance files (and `any`), else the
 * probe ports.
 */
export async function discoverOnce(
  host: DiscoverHost,
  plan: DiscoverPlan,
  onStale: (message: string) => void = () => {},
): Promise<DiscoverOutcome> {
  if (plan.override !== undefined) {
    const o = plan.override;
    const tried = [`${Env.apiUrl}=${o.url}`];
    const runtime: FoundRuntime = { source: "env", ...o };
    if (!plan.check) return { runtime, tried };
    const result = await checkHealth(o.url, plan.healthTimeoutMs);
    if (!result.ok) {
      onStale(`${Env.apiUrl}=${o.url} is not a live ${SERVICE}: ${result.why}`);
      return { tried };
    }
    runtime.health = result.health;
    return { runtime, tried };
  }

  const tried: string[] = [];
  const named = await inspectInstance(host, plan, plan.instance);
  tried.push(instancePaths(plan.stateDir, plan.instance).port);
  if (named.state === "live") return { runtime: toRuntime(named), tried };
  if (named.state === "stale") onStale(staleMessage(named));
  // A held lock means a live owner: files that do not check out yet may be
  // a server's that is starting or restarting right now.
  const starting = named.state === "starting" ||
      (named.state === "stale" && plan.check &&
        isHeld(host, instancePaths(plan.stateDir, plan.instance).lock))
    ? { starting: true }
    : {};

  if (plan.any) {
    tried.push(`the other instances of ${plan.stateDir}`);
    const others = (await instanceNames(host, plan.stateDir)).filter((n) =>
      n !== plan.instance
    );
    const statuses = await Promise.all(
      others.map((name) => inspectInstance(host, plan, name)),
    );
    for (const s of statuses) if (s.state === "stale") onStale(staleMessage(s));
    const live = statuses.find((s) => s.state === "live");
    if (live !== undefined) return { runtime: toRuntime(live), tried };
  }

  if (plan.probePorts.length > 0) {
    tried.push(`ports ${plan.probeText} on 127.0.0.1`);
    const runtime = await probePorts(host, plan);
    if (runtime !== undefined) return { runtime, tried };
  }
  return { tried, ...starting };
}

/**
 * {@linkcode discoverOnce}, but when the named instance's lock is held and
 * its files do not check out yet (a server starting or restarting right
 * now), waits up to `graceMs` for it instead of answering "nothing live".
 */
export async function discoverSettled(
  host: DiscoverHost,
  plan: DiscoverPlan,
  onStale: (message: string) => void = () => {},
  graceMs: number = STARTING_GRACE_MS,
): Promise<DiscoverOutcome> {
  const seen = new Set<string>();
  const reportOnce = (message: string) => {
    if (!seen.has(message)) {
      seen.add(message);
      onStale(message);
    }
  };
  const outcome = await discoverOnce(host, plan, reportOnce);
  if (outcome.runtime !== undefined || !outcome.starting) return outcome;
  return await waitForDiscovery(host, plan, graceMs, reportOnce);
}

/**
 * Repeats {@linkcode discoverOnce} until a runtime is live or `timeoutMs`
 * passes. It re-runs on every change in the state directory (or, while that
 * does not exist yet, in its nearest existing ancestor) and every
 * {@linkcode WAIT_POLL_MS} as a fallback, so it reacts within milliseconds
 * of the port file appearing without a busy loop. Each distinct stale
 * message is reported once.
 */
export async function waitForDiscovery(
  host: DiscoverHost,
  plan: DiscoverPlan,
  timeoutMs: number,
  onStale: (message: string) => void = () => {},
  signal?: AbortSignal,
): Promise<DiscoverOutcome> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  const reportOnce = (message: string) => {
    if (!seen.has(message)) {
      seen.add(message);
      onStale(message);
    }
  };
  const change = new ChangeSignal();
  signal?.addEventListener("abort", () => change.notify(), { once: true });
  let watcher: { close(): void } | undefined;
  let watched: string | undefined;
  try {
    for (;;) {
      if (plan.override === undefined && host.watch !== undefined) {
        const dir = await nearestExisting(host, plan.stateDir);
        if (dir !== watched) {
          watcher?.close();
          watcher = undefined;
          watched = dir;
          try {
            watcher = host.watch(dir, () => change.notify());
          } catch {
            // Unwatchable (permissions, limits): polling still works.
          }
        }
      }
      change.reset();
      const outcome = await discoverOnce(host, plan, reportOnce);
      const left = deadline - Date.now();
      if (outcome.runtime !== undefined || left <= 0 || signal?.aborted) {
        return outcome;
      }
      await change.wait(Math.min(WAIT_POLL_MS, left));
    }
  } finally {
    watcher?.close();
    change.reset();
  }
}

/**
 * Inspects one instance of the plan's state directory: reads its files,
 * then (unless `plan.check` is off) checks its lock and `/health`.
 */
export async function inspectInstance(
  host: DiscoverHost,
  plan: Pick<DiscoverPlan, "stateDir" | "check" | "healthTimeoutMs">,
  instance: string,
): Promise<InstanceStatus> {
  const paths = instancePaths(plan.stateDir, instance);
  const [portText, jsonText] = await Promise.all([
    host.readText(paths.port),
    host.readText(paths.json),
  ]);
  let held: boolean | undefined | null = null;
  const locked = () => {
    if (held !== null) return held;
    try {
      return held = host.isLocked?.(paths.lock);
    } catch {
      return held = undefined;
    }
  };
  const status = (
    state: InstanceState,
    path: string,
    reason?: string,
  ): InstanceStatus => ({
    instance,
    state,
    path,
    ...(reason === undefined ? {} : { reason }),
  });

  if (portText === undefined && jsonText === undefined) {
    return locked()
      ? status("starting", paths.lock, "the lock is held, no port file yet")
      : status("stopped", paths.lock, "no port file");
  }
  const info = jsonText === undefined ? undefined : parseRuntimeInfo(jsonText);
  if (jsonText !== undefined && info === undefined) {
    return status("stale", paths.json, "it is not valid instance metadata");
  }
  const filePort = portText === undefined ? undefined : parsePortFile(portText);
  if (portText !== undefined && filePort === undefined) {
    return status("stale", paths.port, "it does not hold a port number");
  }
  const port = filePort ?? info!.port;
  const urls = info ?? runtimeUrls("127.0.0.1", port);
  const s: InstanceStatus = {
    ...status("live", portText === undefined ? paths.json : paths.port),
    ...(info === undefined ? {} : { pid: info.pid, info }),
    port,
    url: urls.url,
    wsUrl: urls.wsUrl,
  };
  const owner = info === undefined ? "its owner" : `its owner pid ${info.pid}`;
  if (portText === undefined) {
    // The json is written before the port file: a starting server, unless
    // nobody holds the lock.
    return locked() === false
      ? { ...s, state: "stale", reason: `the lock is free: ${owner} is gone` }
      : { ...s, state: "starting", reason: "no port file yet" };
  }
  if (info !== undefined && info.port !== filePort) {
    return {
      ...s,
      state: "stale",
      reason: `it says port ${filePort} but ${paths.json} says ${info.port}`,
    };
  }
  if (!plan.check) return s;
  if (locked() === false) {
    return {
      ...s,
      state: "stale",
      reason: `the lock is free: ${owner} is gone`,
    };
  }
  const result = await checkHealth(s.url!, plan.healthTimeoutMs);
  if (!result.ok) return { ...s, state: "stale", reason: result.why };
  if (info !== undefined && result.health.pid !== info.pid) {
    return {
      ...s,
      state: "stale",
      reason: `${s.url} is pid ${result.health.pid}, not ${owner}`,
    };
  }
  return { ...s, health: result.health };
}

/** Every instance of `stateDir` (from its `.port`, `.json` and `.lock` files), by name. */
export async function instanceNames(
  host: DiscoverHost,
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
  host: DiscoverHost,
  plan: Pick<DiscoverPlan, "stateDir" | "check" | "healthTimeoutMs">,
): Promise<InstanceStatus[]> {
  const names = await instanceNames(host, plan.stateDir);
  return await Promise.all(names.map((n) => inspectInstance(host, plan, n)));
}

/**
 * Checks `${url}/health`: live only when it answers `ok` as `pryx-core`.
 * Another HTTP server answering 200 is not a runtime.
 */
export async function checkHealth(
  url: string,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
): Promise<HealthCheck> {
  let res: Response;
  try {
    res = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      ok: false,
      why: timedOut
        ? `${url} did not answer within ${timeoutMs} ms`
        : `nothing answers at ${url}`,
    };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const h = body as Partial<Health> | undefined;
  if (typeof h !== "object" || h === null || h.service !== SERVICE) {
    return { ok: false, why: `${url} answers, but not as ${SERVICE}` };
  }
  if (h.status !== "ok" || !res.ok) {
    return { ok: false, why: `${url} is shutting down` };
  }
  return { ok: true, health: h as Health };
}

/**
 * Parses a probe list: `3001,3002`, `38124-38133`, or both mixed.
 *
 * @throws {UsageError} For anything else, or more than {@linkcode MAX_PROBE_PORTS} ports.
 */
export function parsePorts(text: string): number[] {
  const ports: number[] = [];
  const bad = (why: string) =>
    new UsageError(
      `Invalid probe ports "${text}": ${why}; use a list like 3001,3002 or a range like 38124-38133`,
    );
  for (const part of text.split(",")) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (m === null) throw bad(`"${part.trim()}" is not a port or range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || to < from) {
      throw bad(`"${part.trim()}" is outside 1-65535 or reversed`);
    }
    if (ports.length + (to - from + 1) > MAX_PROBE_PORTS) {
      throw bad(`more than ${MAX_PROBE_PORTS} ports`);
    }
    for (let p = from; p <= to; p++) ports.push(p);
  }
  return ports;
}

/** The line reported for a stale candidate. */
export function staleMessage(s: InstanceStatus): string {
  return `Skipping stale "${s.path}": ${s.reason}`;
}

/**
 * The "nothing live" error for an outcome: one line naming what was tried,
 * the stale candidates skipped (from {@linkcode staleMessage}), and what to
 * do.
 */
export function notFound(
  outcome: DiscoverOutcome,
  waitedMs?: number,
  stale: readonly string[] = [],
): NotFoundError {
  const what = waitedMs === undefined
    ? "No live runtime found"
    : `No live runtime within ${formatMs(waitedMs)}`;
  const hint = outcome.starting
    ? "its owner holds the lock but is not ready; retry with --wait, or stop it"
    : `start one with "pryx-core serve" or "pryx-core run -- CMD"`;
  const skipped = stale.map((m) => `; ${m[0].toLowerCase()}${m.slice(1)}`);
  return new NotFoundError(
    `${what}: tried ${outcome.tried.join(", ")}${skipped.join("")}; ${hint}`,
  );
}

/** Turns a live {@linkcode InstanceStatus} into a {@linkcode FoundRuntime}. */
function toRuntime(s: InstanceStatus): FoundRuntime {
  return {
    source: "file",
    url: s.url!,
    wsUrl: s.wsUrl!,
    port: s.port!,
    ...(s.info?.token === undefined ? {} : { token: s.info.token }),
    ...(s.info === undefined ? {} : { info: s.info }),
    ...(s.health === undefined ? {} : { health: s.health }),
  };
}

/**
 * Probes the plan's ports concurrently; the first in order that answers as
 * `pryx-core` wins. When its instance's files in the state directory name
 * the same pid, their metadata (and token) come with it.
 */
async function probePorts(
  host: DiscoverHost,
  plan: DiscoverPlan,
): Promise<FoundRuntime | undefined> {
  const checks = plan.probePorts.map((port) => {
    const url = `http://127.0.0.1:${port}`;
    return checkHealth(url, plan.healthTimeoutMs).then((r) => ({
      port,
      url,
      r,
    }));
  });
  for (const pending of checks) {
    const { port, url, r } = await pending;
    if (!r.ok) continue;
    const runtime: FoundRuntime = {
      source: "probe",
      url,
      wsUrl: runtimeUrls("127.0.0.1", port).wsUrl,
      port,
      health: r.health,
    };
    const name = r.health.instance;
    if (name !== undefined && instanceOfFile(`${name}.json`) === name) {
      const text = await host.readText(
        instancePaths(plan.stateDir, name).json,
      );
      const info = text === undefined ? undefined : parseRuntimeInfo(text);
      if (
        info !== undefined && info.pid === r.health.pid && info.port === port
      ) {
        runtime.info = info;
        if (info.token !== undefined) runtime.token = info.token;
      }
    }
    return runtime;
  }
  return undefined;
}

/** Reads `PRYX_API_URL` / `PRYX_WS_URL`, each deriving the other. */
function parseOverride(env: EnvGetter): DiscoverPlan["override"] {
  const api = nonEmpty(env(Env.apiUrl));
  const ws = nonEmpty(env(Env.wsUrl));
  if (api === undefined && ws === undefined) return undefined;
  const parse = (name: string, text: string, schemes: string[]): URL => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      url = new URL("invalid:");
    }
    if (!schemes.includes(url.protocol) || url.host === "") {
      throw new UsageError(
        `Invalid ${name} "${text}": use ${schemes[0]}//HOST:PORT, or unset it`,
      );
    }
    return url;
  };
  const apiUrl = api === undefined ? undefined : parse(Env.apiUrl, api, [
    "http:",
    "https:",
  ]);
  const wsUrl = ws === undefined
    ? undefined
    : parse(Env.wsUrl, ws, ["ws:", "wss:"]);
  const secure = apiUrl !== undefined
    ? apiUrl.protocol === "https:"
    : wsUrl!.protocol === "wss:";
  const base = apiUrl ?? wsUrl!;
  const url = apiUrl === undefined
    ? `${secure ? "https" : "http"}://${base.host}`
    : api!.replace(/\/+$/, "");
  const token = nonEmpty(env(Env.token));
  return {
    url,
    wsUrl: ws ?? `${secure ? "wss" : "ws"}://${base.host}/ws`,
    port: base.port === "" ? (secure ? 443 : 80) : Number(base.port),
    ...(token === undefined ? {} : { token }),
  };
}

/** Whether the host's flock says `lockPath` is held (`false` when unknown). */
function isHeld(host: DiscoverHost, lockPath: string): boolean {
  try {
    return host.isLocked?.(lockPath) ?? false;
  } catch {
    return false;
  }
}

/** The nearest existing directory at or above `dir`. */
async function nearestExisting(
  host: DiscoverHost,
  dir: string,
): Promise<string> {
  let current = dir;
  for (;;) {
    if (await host.exists(current)) return current;
    const cut = current.replace(/\/+$/, "").lastIndexOf("/");
    if (cut < 0) return ".";
    if (cut === 0) return "/";
    current = current.slice(0, cut);
  }
}

/** A wake-up that also remembers a change that came before anyone waited. */
class ChangeSignal {
  #changed = false;
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  notify(): void {
    this.#changed = true;
    this.#wake?.();
  }

  reset(): void {
    this.#changed = false;
    clearTimeout(this.#timer);
    this.#wake = undefined;
  }

  wait(ms: number): Promise<void> {
    if (this.#changed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The plan of a discovery: options and environment,
 * resolved and validated once into a {@linkcode DiscoverPlan} that the
 * engine follows. Precedence: `PRYX_API_URL` / `PRYX_WS_URL` (final when
 * set), then the instance's files in the state directory (and, with `any`,
 * every other instance there), then the probe ports.
 *
 * @module
 */

import {
  Env,
  type EnvGetter,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
} from "../shared/config.ts";
import { UsageError } from "../shared/errors.ts";

/** The most ports one `--probe` may name. */
const MAX_PROBE_PORTS = 1024;

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
  /**
   * How the caller will reach what it finds: `tcp` (it needs a URL or a
   * port), `socket` (it needs the Unix socket), or `any` (default: the
   * socket where there is one, else TCP). A runtime not reachable so is
   * skipped as `unreachable`.
   */
  reach?: Reach;
  /**
   * Called once per skipped candidate with one line naming it and why, and
   * the kind: `stale`, `incompatible` (live, but speaks another protocol),
   * `elsewhere` (live on another machine) or `override` (`PRYX_API_URL` is
   * not live, said with how to clear it).
   */
  onStale?: (
    message: string,
    kind: "stale" | "incompatible" | "elsewhere" | "override" | "unreachable",
  ) => void;
}

/** How a caller reaches a runtime: see {@linkcode DiscoverOptions.reach}. */
export type Reach = "tcp" | "socket" | "any";

/** A runtime named by `PRYX_API_URL` / `PRYX_WS_URL`: final when set. */
export interface Override {
  /** The HTTP base URL, without a trailing slash. */
  url: string;
  /** The WebSocket URL. */
  wsUrl: string;
  /** The port of {@linkcode url} (80 or 443 when it names none). */
  port: number;
  /** `PRYX_TOKEN`, when set. */
  token?: string;
}

/** What every plan says. */
interface PlanBase {
  /** Verify candidates. */
  check: boolean;
  /** `/health` timeout in ms. */
  healthTimeoutMs: number;
  /** How the caller reaches what it finds. */
  reach: Reach;
}

/**
 * `PRYX_API_URL` / `PRYX_WS_URL` are set: the override is final, so the
 * state directory is not even resolved (no `HOME` needed).
 */
export interface OverridePlan extends PlanBase {
  /** Which kind of plan. */
  source: "override";
  /** The runtime the environment names. */
  override: Override;
}

/** No override: the instance files of the state directory, then the probes. */
export interface StatePlan extends PlanBase {
  /** Which kind of plan. */
  source: "state";
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
}

/** Everything a discovery needs, resolved and validated once. */
export type DiscoverPlan = OverridePlan | StatePlan;

/**
 * Resolves options and environment into a {@linkcode DiscoverPlan}. With an
 * override, nothing else is resolved: it is final.
 *
 * @throws {UsageError} For a bad instance name, URL override or port list.
 */
export function planDiscovery(
  env: EnvGetter,
  options: DiscoverOptions = {},
): DiscoverPlan {
  const base = {
    check: options.check ?? true,
    healthTimeoutMs: options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS,
    reach: options.reach ?? "any",
  };
  const override = parseOverride(env);
  if (override !== undefined) return { source: "override", override, ...base };
  const probeText = options.probe ?? env(Env.probePorts);
  return {
    source: "state",
    stateDir: resolveStateDir(options.stateDir, env),
    instance: resolveInstance(options.instance, env),
    any: options.any ?? false,
    probePorts: probeText === undefined ? [] : parsePorts(probeText),
    ...(probeText === undefined ? {} : { probeText }),
    ...base,
  };
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

/**
 * Reads `PRYX_API_URL` / `PRYX_WS_URL`, each deriving the other.
 *
 * @throws {UsageError} When a set value is not an http(s) or ws(s) URL.
 */
function parseOverride(env: EnvGetter): Override | undefined {
  const api = env(Env.apiUrl);
  const ws = env(Env.wsUrl);
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
  const apiUrl = api === undefined
    ? undefined
    : parse(Env.apiUrl, api, ["http:", "https:"]);
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
  const token = env(Env.token);
  return {
    url,
    wsUrl: ws ?? `${secure ? "wss" : "ws"}://${base.host}/ws`,
    port: base.port === "" ? (secure ? 443 : 80) : Number(base.port),
    ...(token === undefined ? {} : { token }),
  };
}

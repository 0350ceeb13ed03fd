/**
 * The discovery engine, shared by `pryx-core discover`,
 * `run` and the client module: follows a {@linkcode DiscoverPlan} once.
 *
 * Precedence: the URL override (final when set), then the instance's files
 * in the state directory (and, with `any`, every other instance there),
 * then the probe ports. A file candidate is live when
 * {@linkcode inspectInstance} says so; anything else is reported as stale
 * and skipped.
 *
 * @module
 */

import { Env } from "../shared/config.ts";
import {
  busNeedsToken,
  instanceOfFile,
  instancePaths,
  parseRuntimeInfo,
  type RuntimeInfo,
  runtimeUrls,
} from "../shared/instance_files.ts";
import { checkHealth, type Health, protocolMismatch } from "./health.ts";
import type { DiscoverHost } from "./host.ts";
import {
  inspectInstance,
  instanceNames,
  type InstanceStatus,
} from "./inspect.ts";
import type { DiscoverPlan, OverridePlan, StatePlan } from "./plan.ts";
import { reportStale } from "./report.ts";

/**
 * Why a candidate was skipped: `stale` (files of a process that is gone, or
 * that disagree) or `incompatible` (live, but speaks another protocol).
 */
export type SkipKind = "stale" | "incompatible";

/** Receives one line per skipped candidate, with its kind. */
export type SkipReporter = (message: string, kind: SkipKind) => void;

/**
 * `report`, called at most once per distinct message: a wait or a client
 * that looks again and again reports a stale file once, not on every look.
 */
export function reportingOnce(report: SkipReporter): SkipReporter {
  const seen = new Set<string>();
  return (message, kind) => {
    if (seen.has(message)) return;
    seen.add(message);
    report(message, kind);
  };
}

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
  /** The bearer token of the bus, when token auth is on and the token is known. */
  token?: string;
  /** The instance metadata from `<instance>.json`, when known. */
  info?: RuntimeInfo;
  /** The `/health` answer, unless the check was skipped. */
  health?: Health;
}

/** The outcome of a discovery. */
export interface DiscoverOutcome {
  /** The live runtime, when one was found. */
  runtime?: FoundRuntime;
  /** The named instance's lock is held but it is not ready (yet). */
  starting?: boolean;
  /**
   * The named instance (or the override) is live but speaks another
   * protocol: why it was skipped. It will not change by waiting.
   */
  incompatible?: string;
  /** What was tried, for the "nothing live" message. */
  tried: string[];
  /** Why the URL override is not live, when it was tried and is not. */
  overrideFailed?: string;
}

/**
 * Runs one discovery: override, else instance files (and `any`), else the
 * probe ports. Stale candidates are passed to `onStale`, bounded by
 * {@linkcode reportStale}: a line each for the first few, then one line
 * that counts the rest.
 */
export async function discoverOnce(
  host: DiscoverHost,
  plan: DiscoverPlan,
  onStale: SkipReporter = () => {},
): Promise<DiscoverOutcome> {
  return plan.source === "override"
    ? await discoverOverride(plan, onStale)
    : await discoverState(host, plan, onStale);
}

/** The override is final: live, or nothing (never another runtime). */
async function discoverOverride(
  plan: OverridePlan,
  onStale: SkipReporter,
): Promise<DiscoverOutcome> {
  const o = plan.override;
  const tried = [`${Env.apiUrl}=${o.url}`];
  const runtime: FoundRuntime = { source: "env", ...o };
  if (!plan.check) return { runtime, tried };
  // With PRYX_TOKEN the override must prove it holds that token too.
  const key = o.token === undefined
    ? undefined
    : { token: o.token, file: `the token in ${Env.token}` };
  const result = await checkHealth(o.url, plan.healthTimeoutMs, key);
  if (!result.ok) return { tried, overrideFailed: result.why };
  const mismatch = protocolMismatch(o.url, result.health);
  if (mismatch !== undefined) {
    const message = `Skipping ${Env.apiUrl}=${o.url}: ${mismatch}`;
    onStale(message, "incompatible");
    return { tried, overrideFailed: mismatch, incompatible: message };
  }
  runtime.health = result.health;
  return { runtime, tried };
}

/** The instance files of the state directory (and `any`), then the probes. */
async function discoverState(
  host: DiscoverHost,
  plan: StatePlan,
  onStale: SkipReporter,
): Promise<DiscoverOutcome> {
  const tried: string[] = [];
  const named = await inspectInstance(host, plan, plan.instance);
  tried.push(instancePaths(plan.stateDir, plan.instance).port);
  const incompatible = named.state === "live"
    ? incompatibleMessage(named)
    : undefined;
  if (named.state === "live" && incompatible === undefined) {
    return { runtime: toRuntime(named), tried };
  }
  if (incompatible !== undefined) onStale(incompatible, "incompatible");
  const stale = named.state === "stale" ? [named] : [];
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
    for (const s of statuses) if (s.state === "stale") stale.push(s);
    reportStale(stale, plan.stateDir, onStale);
    for (const s of statuses) {
      if (s.state !== "live") continue;
      const mismatch = incompatibleMessage(s);
      if (mismatch === undefined) return { runtime: toRuntime(s), tried };
      onStale(mismatch, "incompatible");
    }
  } else {
    reportStale(stale, plan.stateDir, onStale);
  }

  if (plan.probePorts.length > 0) {
    tried.push(`ports ${plan.probeText} on 127.0.0.1`);
    const runtime = await probePorts(host, plan, onStale);
    if (runtime !== undefined) return { runtime, tried };
  }
  return {
    tried,
    ...starting,
    ...(incompatible === undefined ? {} : { incompatible }),
  };
}

/**
 * The skip message of a live instance that speaks another protocol, or
 * `undefined` when it speaks ours (or was not checked).
 */
function incompatibleMessage(
  s: Extract<InstanceStatus, { state: "live" }>,
): string | undefined {
  if (s.health === undefined) return undefined;
  const mismatch = protocolMismatch(s.url, s.health);
  return mismatch === undefined
    ? undefined
    : `Skipping "${s.path}": ${mismatch}`;
}

/** Turns a live {@linkcode InstanceStatus} into a {@linkcode FoundRuntime}. */
function toRuntime(
  s: Extract<InstanceStatus, { state: "live" }>,
): FoundRuntime {
  return {
    source: "file",
    url: s.url,
    wsUrl: s.wsUrl,
    port: s.port,
    ...(s.info?.token === undefined || !busNeedsToken(s.info)
      ? {}
      : { token: s.info.token }),
    ...(s.info === undefined ? {} : { info: s.info }),
    ...(s.health === undefined ? {} : { health: s.health }),
  };
}

/**
 * Probes the plan's ports concurrently; the first in order that answers as
 * `pryx-core` wins. When its instance's files in the state directory name
 * the same run, their metadata (and token) come with it, once it proves it
 * holds that token; one that claims the run but cannot prove it is skipped
 * as stale.
 */
async function probePorts(
  host: DiscoverHost,
  plan: StatePlan,
  onStale: SkipReporter,
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
    const mismatch = protocolMismatch(url, r.health);
    if (mismatch !== undefined) {
      onStale(`Skipping port ${port}: ${mismatch}`, "incompatible");
      continue;
    }
    const runtime: FoundRuntime = {
      source: "probe",
      url,
      wsUrl: runtimeUrls("127.0.0.1", port).wsUrl,
      port,
      health: r.health,
    };
    const name = r.health.instance;
    if (name !== undefined && instanceOfFile(`${name}.json`) === name) {
      const file = instancePaths(plan.stateDir, name).json;
      const text = await host.readText(file);
      const info = text === undefined ? undefined : parseRuntimeInfo(text);
      if (
        info !== undefined && info.runId === r.health.runId &&
        info.port === port
      ) {
        if (info.token !== undefined) {
          const proven = await checkHealth(url, plan.healthTimeoutMs, {
            token: info.token,
            file,
          });
          if (!proven.ok) {
            onStale(`Skipping port ${port}: ${proven.why}`, "stale");
            continue;
          }
        }
        runtime.info = info;
        if (info.token !== undefined && busNeedsToken(info)) {
          runtime.token = info.token;
        }
      }
    }
    return runtime;
  }
  return undefined;
}

/** Whether the host's flock says `lockPath` is held (`false` when unknown). */
function isHeld(host: DiscoverHost, lockPath: string): boolean {
  try {
    return host.isLocked?.(lockPath) ?? false;
  } catch {
    return false;
  }
}

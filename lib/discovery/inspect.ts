/**
 * Inspecting the instances of a state directory: reads an instance's files,
 * then (unless checks are off) its lock and `/health`, and says which state
 * it is in. `list`, `stop`, `discover` and the client all decide "live or
 * stale" here, once.
 *
 * @module
 */

import {
  instanceOfFile,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  runtimeUrls,
} from "../shared/instance_files.ts";
import { checkHealth, type Health, type HealthFailure } from "./health.ts";
import type { DiscoverHost } from "./host.ts";
import type { StatePlan } from "./plan.ts";

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
}

/** What every state says about an instance. */
interface StatusBase {
  /** The instance name. */
  instance: string;
  /** The file the state is about (the port file, else the json, else the lock). */
  path: string;
}

/**
 * One instance of a state directory, inspected; `state` says which fields
 * exist:
 * - `live`: its lock is held (where locks exist) and `/health` agrees with
 *   its files; `health` is absent only when checks were off;
 * - `starting`: its lock is held but its port file is not written yet;
 * - `stale`: files left by a process that is gone, or that disagree, or
 *   whose URL does not answer as their owner (`failure` says how);
 * - `stopped`: only the lock file is left.
 */
export type InstanceStatus =
  | StatusBase & Location & { state: "live"; health?: Health }
  | StatusBase & Partial<Location> & { state: "starting"; reason: string }
  | StatusBase & Partial<Location> & {
    state: "stale";
    reason: string;
    failure?: HealthFailure | "other-run";
  }
  | StatusBase & { state: "stopped"; reason: string };

/** One of the states of {@linkcode InstanceStatus}. */
export type InstanceState = InstanceStatus["state"];

/** The part of a plan that inspecting needs. */
export type InspectPlan = Pick<
  StatePlan,
  "stateDir" | "check" | "healthTimeoutMs"
>;

/**
 * Inspects one instance of the plan's state directory: reads its files,
 * then (unless `plan.check` is off) checks its lock and `/health`.
 */
export async function inspectInstance(
  host: DiscoverHost,
  plan: InspectPlan,
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

  if (portText === undefined && jsonText === undefined) {
    return locked()
      ? {
        instance,
        state: "starting",
        path: paths.lock,
        reason: "the lock is held, no port file yet",
      }
      : {
        instance,
        state: "stopped",
        path: paths.lock,
        reason: "no port file",
      };
  }
  const info = jsonText === undefined ? undefined : parseRuntimeInfo(jsonText);
  if (jsonText !== undefined && info === undefined) {
    return {
      instance,
      state: "stale",
      path: paths.json,
      reason: "it is not valid instance metadata",
    };
  }
  const filePort = portText === undefined ? undefined : parsePortFile(portText);
  if (portText !== undefined && filePort === undefined) {
    return {
      instance,
      state: "stale",
      path: paths.port,
      reason: "it does not hold a port number",
    };
  }
  // One of the two exists and parsed: the port file, else the metadata.
  const port = filePort ?? info!.port;
  const urls = info ?? runtimeUrls("127.0.0.1", port);
  const found = {
    instance,
    path: portText === undefined ? paths.json : paths.port,
    port,
    url: urls.url,
    wsUrl: urls.wsUrl,
    ...(info === undefined ? {} : { info }),
  };
  const owner = info === undefined ? "its owner" : `its owner pid ${info.pid}`;
  const stale = (
    reason: string,
    failure?: HealthFailure | "other-run",
  ): InstanceStatus => ({
    ...found,
    state: "stale",
    reason,
    ...(failure === undefined ? {} : { failure }),
  });
  if (portText === undefined) {
    // The json is written before the port file: a starting server, unless
    // nobody holds the lock.
    return locked() === false
      ? stale(`the lock is free: ${owner} is gone`)
      : { ...found, state: "starting", reason: "no port file yet" };
  }
  if (info !== undefined && info.port !== filePort) {
    return stale(
      `it says port ${filePort} but ${paths.json} says ${info.port}`,
    );
  }
  if (!plan.check) return { ...found, state: "live" };
  if (locked() === false) return stale(`the lock is free: ${owner} is gone`);
  // Whoever can read the token (the 0600 file's owner) asks for a proof.
  const key = info?.token === undefined
    ? undefined
    : { token: info.token, file: paths.json };
  const result = await checkHealth(found.url, plan.healthTimeoutMs, key);
  if (!result.ok) return stale(result.why, result.failure);
  if (info !== undefined && result.health.runId !== info.runId) {
    // Pids repeat across restarts and PID namespaces; the run id does not.
    return stale(
      `${found.url} is another run (pid ${result.health.pid}), not ${owner}`,
      "other-run",
    );
  }
  return { ...found, state: "live", health: result.health };
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
  plan: InspectPlan,
): Promise<InstanceStatus[]> {
  const names = await instanceNames(host, plan.stateDir);
  return await Promise.all(names.map((n) => inspectInstance(host, plan, n)));
}

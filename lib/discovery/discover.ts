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
import { checkHealth } from "../shared/health.ts";
import { PROTOCOL } from "../shared/protocol.ts";
import {
  inspectInstance,
  instanceNames,
  type Verdict,
  type VerdictOf,
} from "../shared/verdict.ts";
import type { Health } from "../shared/health.ts";
import type { DiscoverHost } from "./host.ts";
import type {
  DiscoverOutcome,
  FoundRuntime,
  OverrideMiss,
  SkipReporter,
} from "./outcome.ts";
import type { DiscoverPlan, OverridePlan, StatePlan } from "./plan.ts";
import {
  overrideMessage,
  protocolWords,
  reportStale,
  skipMessage,
} from "./report.ts";

export type {
  DiscoverOutcome,
  FoundRuntime,
  SkipKind,
  SkipReporter,
} from "./outcome.ts";

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

/**
 * The override is final: live, or nothing (never another runtime). One that
 * is not live is reported (kind `override`), so whatever obeys it says so.
 */
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
  let override: OverrideMiss | undefined;
  if (!result.ok) {
    override = {
      kind: "down",
      url: o.url,
      failure: result.failure,
      why: result.why,
    };
  } else if (result.health.protocol !== PROTOCOL) {
    override = { kind: "incompatible", url: o.url, health: result.health };
  } else {
    runtime.health = result.health;
    return { runtime, tried };
  }
  onStale(overrideMessage(override), "override");
  return { tried, miss: { source: "override", override } };
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
  const reached = await reachable(named, plan, onStale);
  if (reached !== undefined) return { runtime: reached, tried };
  const stale: VerdictOf<"stale" | "hung">[] =
    named.state === "stale" || named.state === "hung" ? [named] : [];

  if (plan.any) {
    tried.push(`the other instances of ${plan.stateDir}`);
    const others = (await instanceNames(host, plan.stateDir)).filter((n) =>
      n !== plan.instance
    );
    const verdicts = await Promise.all(
      others.map((name) => inspectInstance(host, plan, name)),
    );
    for (const v of verdicts) {
      if (v.state === "stale" || v.state === "hung") stale.push(v);
    }
    reportStale(stale, plan.stateDir, onStale);
    for (const v of verdicts) {
      const runtime = await reachable(v, plan, onStale);
      if (runtime !== undefined) return { runtime, tried };
    }
  } else {
    reportStale(stale, plan.stateDir, onStale);
  }

  if (plan.probePorts.length > 0 && plan.reach !== "socket") {
    tried.push(`ports ${plan.probeText} on 127.0.0.1`);
    const runtime = await probePorts(host, plan, onStale);
    if (runtime !== undefined) return { runtime, tried };
  }
  return { tried, miss: { source: "state", named } };
}

/**
 * The runtime `v` offers a caller that reaches it by `plan.reach`: a live
 * one (over its socket where it has one), or another network namespace's
 * whose socket answers here (with checks off: whose record names one), by
 * its socket only: its loopback URL is not this reader's. Anything else
 * live is reported with why it is skipped.
 */
async function reachable(
  v: Verdict,
  plan: Pick<StatePlan, "reach" | "check" | "healthTimeoutMs" | "stateDir">,
  onStale: SkipReporter,
): Promise<FoundRuntime | undefined> {
  switch (v.state) {
    case "live":
      if (plan.reach !== "socket") return toRuntime(v);
      if (v.socket === undefined) {
        onStale(skipMessage(v), "unreachable");
        return undefined;
      }
      // The socket is what is handed out: it must answer as this run.
      if (plan.check) {
        const key = v.info?.token === undefined ? undefined : {
          token: v.info.token,
          file: instancePaths(plan.stateDir, v.instance).json,
        };
        const answer = await checkHealth(v.url, plan.healthTimeoutMs, key, {
          socket: v.socket,
          socketOnly: true,
        });
        if (!answer.ok || answer.health.runId !== v.info?.runId) {
          onStale(
            `Skipping the socket of "${v.path}": ${
              answer.ok ? `${v.socket} answers as another run` : answer.why
            }`,
            "unreachable",
          );
          return undefined;
        }
      }
      return toRuntime(v);
    case "elsewhere":
      if (
        v.socket === undefined || plan.reach === "tcp" ||
        plan.check && v.socketHealth === undefined
      ) {
        onStale(skipMessage(v), "elsewhere");
        return undefined;
      }
      return socketRuntime(v, v.socketHealth);
    case "incompatible":
      onStale(skipMessage(v), "incompatible");
      return undefined;
    default:
      return undefined;
  }
}

/** Turns a live verdict into a {@linkcode FoundRuntime}. */
function toRuntime(s: VerdictOf<"live">): FoundRuntime {
  return {
    source: "file",
    url: s.url,
    wsUrl: s.wsUrl,
    port: s.port,
    ...(s.socket === undefined ? {} : { socket: s.socket }),
    ...tokenOf(s.info),
    ...(s.info === undefined ? {} : { info: s.info }),
    ...(s.health === undefined ? {} : { health: s.health }),
  };
}

/**
 * A runtime of another network namespace that its socket reaches: no URL
 * and no port (they are its loopback's), its record without them either.
 */
function socketRuntime(
  v: VerdictOf<"elsewhere">,
  health: Health | undefined,
): FoundRuntime {
  const { url: _url, wsUrl: _wsUrl, port: _port, hostname: _h, ...info } =
    v.info;
  return {
    source: "file",
    socket: v.socket!,
    ...tokenOf(v.info),
    info: info as RuntimeInfo,
    ...(health === undefined ? {} : { health }),
  };
}

/** The bus token of a record, when the bus needs one. */
function tokenOf(info: RuntimeInfo | undefined): { token?: string } {
  return info?.token === undefined || !busNeedsToken(info)
    ? {}
    : { token: info.token };
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
    if (r.health.protocol !== PROTOCOL) {
      onStale(
        `Skipping port ${port}: ${protocolWords(url, r.health)}`,
        "incompatible",
      );
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

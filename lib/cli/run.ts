/**
 * `pryx-core run -- CMD ARGS...`: the dev-script flow in one command.
 *
 * Reuses the live runtime of the instance or starts one (this same program's
 * `serve --exit-when-idle`), waits until it is ready, takes a lease on it,
 * runs CMD with `PRYX_API_URL`, `PRYX_WS_URL` (and `PRYX_TOKEN` with token
 * auth) set and stdio passed through, gives CMD each signal once (see
 * `runSignals`), releases the lease when CMD exits, and exits with CMD's
 * code (126 when CMD cannot be executed, 127 when it is not found, 128+N
 * when signal N ended it).
 *
 * The runtime `run` starts is not tied to this process: it stops on its own
 * once the last lease (of this `run` or of any other) has ended, so two runs
 * that share it never pull it from under each other, and a SIGKILLed run's
 * lease ends with its socket.
 *
 * This file is the flow: which runtime to lease (and what to do about one
 * of another version, {@linkcode succeed}); `run_runtime.ts` starts one,
 * `run_child.ts` runs CMD.
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { parseDuration } from "./args.ts";
import { openCommand } from "./command.ts";
import {
  Env,
  HEALTH_TIMEOUT_MS,
  resolveInstance,
  resolveStateDir,
  VERSION,
} from "../shared/config.ts";
import { type Lease, takeLease } from "../discovery/lease.ts";
import {
  discoverOnce,
  type FoundRuntime,
  type SkipKind,
} from "../discovery/discover.ts";
import type { StatePlan } from "../discovery/plan.ts";
import { cannotUseMessage, elsewhereWords } from "../discovery/report.ts";
import { currentMachine } from "../shared/machine.ts";
import { stopCommandLine } from "../shared/shell.ts";
import {
  askSuccession,
  type OwnerRecord,
  replaceOwner,
  skewWords,
} from "../shared/succession.ts";
import type { VerdictOf } from "../shared/verdict.ts";
import { ExitCode, PryxError, UsageError } from "../shared/errors.ts";
import { denoHost } from "../discovery/host.ts";
import { findCommand } from "./command_path.ts";

import { report } from "./output.ts";
import { notFoundCmd, runChild } from "./run_child.ts";
import { RUN_IDLE_EXIT_MS, startRuntime } from "./run_runtime.ts";

/** How long `run` waits for a runtime it started to be ready, by default. */
const START_TIMEOUT_MS = 15_000;

/** How long taking a lease on a live runtime may take, in ms. */
const LEASE_TIMEOUT_MS = 5000;

/** Help text of `pryx-core run`. */
const RUN_USAGE = `Usage: pryx-core run [flags] -- CMD [ARGS...]

Reuse the live runtime of the instance or start one, wait until it is ready,
hold a lease on it, then run CMD with ${Env.apiUrl} and ${Env.wsUrl} (and
${Env.token} with token auth) set. When CMD exits, the lease is released and
run exits with CMD's code (126: CMD cannot be executed, 127: CMD not found,
128+N: signal N). A runtime run started stops ${
  RUN_IDLE_EXIT_MS / 1000
} s after the last lease of any
run on it ends. An idle runtime of an older version is replaced; one in use is
used, with one line that names both versions.

Flags:
  --instance NAME    instance name (env ${Env.instance}; default runtime)
  --state-dir DIR    state directory (env ${Env.home}; default ~/.pryx)
  --timeout DURATION
                     how long to wait for a new runtime (default ${
  START_TIMEOUT_MS / 1000
}s)
  -h, --help         show this help
`;

/** The flags of `run` (also what the shell completions offer). */
export const FLAGS = {
  instance: "string",
  "state-dir": "string",
  timeout: "string",
} as const;

/**
 * Runs `run` with command-line `args`.
 *
 * @returns CMD's exit code.
 * @throws {UsageError} Without a command after `--`.
 * @throws {PryxError} When the runtime cannot be started.
 */
export async function runCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "run",
    usage: RUN_USAGE,
    flags: FLAGS,
    operands: "command",
  });
  if (opened.done !== undefined) return opened.done;
  const { flags, operands: command } = opened;
  if (command.length === 0) {
    throw new UsageError(
      `run needs a command: pryx-core run [flags] -- CMD ARGS...`,
    );
  }
  const host = denoHost();
  // Not planDiscovery(): run sets PRYX_API_URL for CMD, so it must not obey
  // an inherited one, nor probe ports; only the instance's own files count.
  const plan: StatePlan = {
    source: "state",
    stateDir: resolveStateDir(flags["state-dir"], host.env),
    instance: resolveInstance(flags.instance, host.env),
    any: false,
    probePorts: [],
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
    // CMD gets URLs: a runtime only a socket reaches (another network
    // namespace's) is not one to hand it; this machine gets its own.
    reach: "tcp",
  };
  const timeoutMs = flags.timeout === undefined
    ? START_TIMEOUT_MS
    : parseDuration(flags.timeout);

  const resolved = findCommand(command[0], host.env);
  if (resolved === undefined) return notFoundCmd(command[0]);
  const { runtime, lease } = await leaseRuntime(plan, timeoutMs);
  try {
    return await runChild(command, resolved, runtime);
  } finally {
    lease.release();
  }
}

/**
 * Finds the live runtime of the plan's instance, or starts one, and takes a
 * lease on it. A runtime can go between the check and the lease (its idle
 * time ran out, or someone stopped it): then it starts over, until
 * `timeoutMs` has passed.
 *
 * @throws {PryxError} When no runtime could be leased in time.
 */
async function leaseRuntime(
  initial: StatePlan,
  timeoutMs: number,
): Promise<{ runtime: FoundRuntime; lease: Lease }> {
  const host = denoHost();
  const deadline = monotonicNow() + timeoutMs;
  let plan = initial;
  // Runs asked to shut down so that this version takes over, by runId.
  const replaced = new Set<string>();
  for (let attempt = 1;; attempt++) {
    const skipped: [string, SkipKind][] = [];
    const found = await discoverOnce(
      host,
      plan,
      (m, kind) => skipped.push([m, kind]),
    );
    const named = found.runtime === undefined && found.miss.source === "state"
      ? found.miss.named
      : undefined;
    for (const [m, kind] of skipped) {
      // The named instance's own skip line becomes the error below.
      if (named?.state !== kind) report(m);
    }
    if (named?.state === "elsewhere") {
      // Its owner is another machine's: this machine gets its own instance.
      const local = localInstance(plan.instance);
      report(elsewhereMessage(named, local));
      plan = { ...plan, instance: local };
      continue;
    }
    // A live owner of another version or protocol: replaced when idle
    // (then the next round starts ours), else used or refused (SPEC 3).
    // One that only its socket reaches is another network namespace's:
    // used as it is, never replaced from here.
    const tcpOwner = found.runtime?.url === undefined
      ? undefined
      : { ...found.runtime, url: found.runtime.url };
    const owner = tcpOwner ??
      (named?.state === "incompatible" ? named : undefined);
    const ownerRun = owner?.health?.runId ?? owner?.info?.runId;
    if (ownerRun !== undefined && replaced.has(ownerRun)) {
      // Asked already: it is on its way out.
      if (monotonicNow() >= deadline) {
        throw new PryxError(
          `The runtime at ${
            owner!.url
          } was asked to shut down and did not within ${
            timeoutMs / 1000
          } s; end it with "${
            stopCommandLine(plan.instance, plan.stateDir, host.env, {
              force: true,
            })
          }"`,
          ExitCode.NotFound,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (owner !== undefined) {
      const next = await succeed(owner, named?.state === "incompatible");
      if (next === "replaced") {
        if (ownerRun !== undefined) replaced.add(ownerRun);
        continue;
      }
      if (next === "refused") {
        throw new PryxError(cannotUseMessage(named!), ExitCode.NotFound);
      }
    }
    const runtime = found.runtime ??
      await startRuntime(plan, Math.max(deadline - monotonicNow(), 1));
    try {
      const lease = await takeLease(runtime, {
        id: `run-${Deno.pid}`,
        token: runtime.token,
        runId: runtime.health?.runId ?? runtime.info?.runId,
        timeoutMs: LEASE_TIMEOUT_MS,
      });
      return { runtime, lease };
    } catch (err) {
      if (monotonicNow() >= deadline || attempt >= 5) {
        throw new PryxError(
          `${(err as Error).message}; is another process stopping it?`,
          ExitCode.NotFound,
        );
      }
    }
  }
}

/**
 * What `run` does about a live owner of another version or protocol
 * ({@linkcode askSuccession}): an idle one is asked to shut down (one line),
 * so the next round starts this version; one in use is used with one line
 * that names both versions, or, speaking another protocol, refused.
 */
async function succeed(
  owner: OwnerRecord,
  otherProtocol: boolean,
): Promise<"replaced" | "used" | "refused"> {
  const version = owner.health?.version ?? owner.info?.version;
  if (!otherProtocol && (version === undefined || version === VERSION)) {
    return "used";
  }
  const next = await askSuccession(owner, otherProtocol);
  if (next.kind === "replace" && owner.info !== undefined) {
    const line = await replaceOwner(
      owner.info,
      next,
      otherProtocol ? owner.health?.protocol : undefined,
    );
    if (line !== undefined) {
      report(line);
      return "replaced";
    }
  }
  if (otherProtocol) return "refused";
  if (next.kind === "keep" && next.versions !== undefined) {
    report(
      `Using runtime "${owner.info?.instance}" at ${owner.url} (${
        skewWords(next.versions)
      })`,
    );
  }
  return "used";
}

/**
 * The instance `run` uses on this machine when `instance` is live on
 * another machine that shares the state directory: the name with this
 * machine's host name, e.g. `runtime-laptop` (a valid instance name, at
 * most 64 characters).
 */
function localInstance(
  instance: string,
  ours: string = currentMachine() ?? "local",
): string {
  const tag = ours.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "") || "local";
  return `${instance}-${tag}`.slice(0, 64);
}

/** The line `run` says when it uses a local instance instead of `v`'s. */
function elsewhereMessage(v: VerdictOf<"elsewhere">, local: string): string {
  return `Instance "${v.instance}" is not usable here: ${
    elsewhereWords(v)
  }; using instance "${local}" of this machine ("pryx-core discover --instance ${local}" finds it)`;
}

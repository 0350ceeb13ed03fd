/**
 * `pryx-core doctor [--instance NAME] [--json]` (SPEC 5): what stands
 * between the user and a working runtime, one line per check (ok, warn,
 * fail), each failure with the command that fixes it; exit 0 when nothing
 * fails, 1 otherwise. The facts come from the typed verdict
 * (`shared/verdict.ts`), the trust check (`shared/trust.ts`) and the lock's
 * proven holder (`shared/lock_holder.ts`); the words from
 * `doctor_words.ts`, in one place.
 *
 * @module
 */

import { openCommand } from "./command.ts";
import { writeStdout } from "./output.ts";
import {
  DEFAULT_INSTANCE,
  Env,
  HEALTH_TIMEOUT_MS,
  parseInstanceName,
  resolveStateDir,
  VERSION,
} from "../shared/config.ts";
import type { EnvGetter } from "../shared/config.ts";
import { currentHost } from "../discovery/host.ts";
import { inspectInstance, listInstances } from "../shared/verdict.ts";
import type { Verdict } from "../shared/verdict.ts";
import { distrustOf } from "../shared/trust.ts";
import { findLockHolder } from "../shared/lock_holder.ts";
import { instancePaths } from "../shared/instance_files.ts";
import { isAbsent, StateDirError } from "../shared/errors.ts";
import type { Os } from "../shared/os.ts";
import { commandCandidates } from "./command_path.ts";
import { processLimitSources } from "../server/file_limit.ts";
import type { FileLimit } from "../server/file_limit.ts";
import { parentDir } from "../shared/parent_dir.ts";
import { importLazily } from "../shared/lazy_import.ts";
import { managerFor } from "../shared/service_manager.ts";
import type { ServiceFact } from "./service.ts";
import {
  doctorExitCode,
  type DoctorFacts,
  formatChecks,
  type InstanceFacts,
  judge,
  type OnPath,
} from "./doctor_words.ts";

/** Help text of `pryx-core doctor`. */
const DOCTOR_USAGE = `Usage: pryx-core doctor [flags]

Check what stands between you and a working runtime: the state directory
(owner, mode, free space), each instance (live, stale, on another machine,
last start failure, version or protocol skew, lock held but not answering),
its socket, proxy variables, ::1, the open-file limit, and which pryx-core
is first on PATH. One line per check (ok, warn, fail); each failure says
the command that fixes it.

Flags:
  --instance NAME   check only this instance (env ${Env.instance})
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  --json            print {"ok","checks":[{"check","status","message","fix"}]}
  -h, --help        show this help

Exit codes: 0 nothing failed (warnings are fine), 1 a check failed,
2 usage error.
`;

/** The flags of `doctor` (also what the shell completions offer). */
export const FLAGS = {
  instance: "string",
  "state-dir": "string",
  json: "boolean",
} as const;

/**
 * The login service of `instance` on this machine (`pryx-core service`),
 * loaded only for doctor; `undefined` where the OS has no manager we
 * install for.
 */
async function thisMachineService(
  instance: string,
): Promise<ServiceFact | undefined> {
  const { inspectService, denoServiceHost } = await importLazily<
    typeof import("./service.ts")
  >("./service.ts", import.meta.url);
  const host = denoServiceHost();
  if (managerFor(host.os) === undefined) return undefined;
  return await inspectService(instance, host);
}

/**
 * Runs `doctor` with command-line `args`.
 *
 * @param service How the login service is looked up (default: this
 * machine's manager, `service.ts`); a test passes its own.
 * @returns 0 when nothing failed, 1 otherwise.
 */
export async function doctorCommand(
  args: string[],
  service: (instance: string) => Promise<ServiceFact | undefined> =
    thisMachineService,
): Promise<number> {
  const opened = openCommand(args, {
    name: "doctor",
    usage: DOCTOR_USAGE,
    flags: FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const host = await currentHost();
  const env = host.env;
  const stateDir = resolveStateDir(flags["state-dir"], env);
  const named = flags.instance ?? env(Env.instance);
  const instance = named === undefined ? undefined : parseInstanceName(named);
  const facts = await gatherFacts(stateDir, instance, env, Deno.build.os);
  const fact = await service(instance ?? DEFAULT_INSTANCE);
  if (fact !== undefined) facts.service = fact;
  const checks = judge(facts);
  if (flags.json) {
    writeStdout(
      JSON.stringify(
        { ok: doctorExitCode(checks) === 0, checks },
        null,
        2,
      ) + "\n",
    );
  } else {
    writeStdout(formatChecks(checks));
  }
  return doctorExitCode(checks);
}

/** Gathers what {@linkcode judge} needs, on this machine. */
async function gatherFacts(
  stateDir: string,
  instance: string | undefined,
  env: EnvGetter,
  os: Os,
): Promise<DoctorFacts> {
  const dir = stateDirFacts(stateDir, os);
  const [instances, ipv6Loopback, fileLimit, onPath] = await Promise.all([
    dir.distrust !== undefined || dir.unreadable !== undefined
      ? Promise.resolve([])
      : instanceFacts(stateDir, instance),
    Promise.resolve(canBindIpv6()),
    readLimit(os),
    pryxOnPath(env, os),
  ]);
  return {
    os,
    env,
    version: VERSION,
    stateDir: dir,
    instances,
    ...(instance === undefined ? {} : { instance }),
    proxies: proxyVariables(env),
    ...(ipv6Loopback === undefined ? {} : { ipv6Loopback }),
    ...(fileLimit === undefined ? {} : { fileLimit }),
    onPath,
  };
}

/** Owner, mode and free space of the state directory. */
function stateDirFacts(path: string, os: Os): DoctorFacts["stateDir"] {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.lstatSync(path);
  } catch (err) {
    if (!isAbsent(err)) {
      return {
        path,
        present: false,
        unreadable: (err as Error).message.split("\n", 1)[0],
      };
    }
    const free = freeBytes(nearestExisting(path));
    return {
      path,
      present: false,
      ...(free === undefined ? {} : { freeBytes: free }),
    };
  }
  const distrust = distrustOf(path, stat, currentUid(os), os);
  const free = freeBytes(path);
  return {
    path,
    present: true,
    ...(distrust === undefined ? {} : { distrust }),
    ...(stat.mode === null ? {} : { mode: stat.mode }),
    ...(free === undefined ? {} : { freeBytes: free }),
  };
}

/** This process's uid, where it can be read. */
function currentUid(os: Os): number | undefined {
  if (os === "windows") return undefined;
  try {
    return Deno.uid() ?? undefined;
  } catch {
    return undefined;
  }
}

/** The nearest existing directory at or above `path`. */
function nearestExisting(path: string): string {
  let current: string | undefined = path;
  while (current !== undefined) {
    try {
      Deno.statSync(current);
      return current;
    } catch {
      current = parentDir(current);
    }
  }
  return ".";
}

/** Free bytes of the file system of `dir` (`df -Pk`, POSIX), where known. */
function freeBytes(dir: string): number | undefined {
  try {
    const out = new Deno.Command("df", {
      args: ["-Pk", dir],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!out.success) return undefined;
    return parseDf(new TextDecoder().decode(out.stdout));
  } catch {
    return undefined;
  }
}

/**
 * Parses `df -Pk` (POSIX format): the 4th column of the second line is
 * the space available, in KiB.
 *
 * @returns Bytes, or `undefined` when the output is not that.
 */
export function parseDf(text: string): number | undefined {
  const line = text.trim().split("\n")[1];
  const kib = Number(line?.trim().split(/\s+/)[3]);
  return Number.isFinite(kib) ? kib * 1024 : undefined;
}

/** The verdict on each instance, with the lock's holder and the socket. */
async function instanceFacts(
  stateDir: string,
  instance: string | undefined,
): Promise<InstanceFacts[]> {
  const host = await currentHost();
  const plan = { stateDir, check: true, healthTimeoutMs: HEALTH_TIMEOUT_MS };
  let verdicts: Verdict[];
  try {
    verdicts = instance === undefined
      ? (await listInstances(host, plan)).filter((v) =>
        v.state !== "stopped" || v.lastFailure !== undefined
      )
      : [await inspectInstance(host, plan, instance)];
  } catch (err) {
    if (err instanceof StateDirError) return [];
    throw err;
  }
  return verdicts.map((verdict) => {
    const out: InstanceFacts = { verdict };
    if (verdict.state === "hung") {
      out.holder = findLockHolder(
        instancePaths(stateDir, verdict.instance).lock,
      );
    }
    const socket = "info" in verdict
      ? (verdict.info as { socket?: unknown } | undefined)?.socket
      : undefined;
    if (typeof socket === "string") {
      out.socket = { path: socket, present: isSocket(socket) };
    }
    return out;
  });
}

function isSocket(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/** The proxy variables that are set (upper and lower case). */
function proxyVariables(env: EnvGetter): { name: string; value: string }[] {
  const names = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"];
  return names.flatMap((n) => [n, n.toLowerCase()]).flatMap((name) => {
    const value = env(name);
    return value === undefined ? [] : [{ name, value }];
  });
}

/** Whether `::1` can be bound here; `undefined` when not allowed to try. */
function canBindIpv6(): boolean | undefined {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return undefined;
    return false;
  }
}

/**
 * The open-file limit a runtime started from this shell gets: `/bin/sh`'s
 * `ulimit -n` (a child inherits the limits; the runtime's own file_limit.ts
 * reads it so).
 */
async function readLimit(os: Os): Promise<FileLimit | undefined> {
  if (os === "windows") return undefined;
  try {
    const [soft, hard] = (await processLimitSources.runUlimit()).trim().split(
      /\s+/,
    ).map((v) => v === "unlimited" ? Infinity : Number(v));
    if (!(soft > 0)) return undefined;
    return { soft, hard: hard > 0 ? hard : soft };
  } catch {
    return undefined;
  }
}

/** Every `pryx-core` on PATH, in order, with what its `--version` says. */
async function pryxOnPath(env: EnvGetter, os: Os): Promise<OnPath[]> {
  const seen = new Set<string>();
  const found = commandCandidates("pryx-core", env, os).filter((path) => {
    try {
      const real = Deno.realPathSync(path);
      if (!Deno.statSync(real).isFile || seen.has(real)) return false;
      seen.add(real);
      return true;
    } catch {
      return false;
    }
  });
  return await Promise.all(found.map(async (path) => {
    try {
      const out = await new Deno.Command(path, {
        args: ["--version"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
        signal: AbortSignal.timeout(5000),
      }).output();
      const version = new TextDecoder().decode(out.stdout).trim();
      return out.success && version !== "" ? { path, version } : { path };
    } catch {
      return { path };
    }
  }));
}

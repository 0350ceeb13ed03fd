/**
 * The words of `pryx-core doctor` (SPEC 5), made in one place from typed
 * facts ({@linkcode DoctorFacts}): one {@linkcode Check} per fact, `ok`,
 * `warn` or `fail`, each failure with the command that fixes it. Nothing
 * here reads the system: `doctor_facts.ts` gathers, this judges, so every
 * case is tested in process with made-up facts.
 *
 * @module
 */

import type { ServiceFact } from "./service.ts";
import { formatBytes } from "../shared/config.ts";
import type { EnvGetter } from "../shared/config.ts";
import type { Os } from "../shared/os.ts";
import { shellQuote, stopCommandLine } from "../shared/shell.ts";
import { type Distrust, distrustMessage } from "../shared/trust.ts";
import type { Verdict } from "../shared/verdict.ts";
import type { LockHolder } from "../shared/lock_holder.ts";
import {
  protocolWords,
  startFailureWords,
  verdictReason,
} from "../discovery/report.ts";
import { ExitCode } from "../shared/errors.ts";
import { type FileLimit, fileLimitAdvice } from "../server/file_limit.ts";

/** How a check came out. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One line of `doctor`. */
export interface Check {
  /** What was checked: `state-dir`, `instance`, `proxy`, ... */
  check: string;
  /** How it came out. */
  status: CheckStatus;
  /** What was found, one clause. */
  message: string;
  /** The command (or step) that fixes it; always there for `fail`. */
  fix?: string;
}

/** Below this much free space in the state directory, in bytes: warn. */
export const LOW_FREE_BYTES = 64 * 1024 * 1024;

/** Below this open-file limit, doctor warns (a runtime holds one per client). */
export const DOCTOR_FILE_LIMIT = 1024;

/** One instance as the verdict sees it, with the lock's proven holder. */
export interface InstanceFacts {
  /** The verdict (`shared/verdict.ts`). */
  verdict: Verdict;
  /** For a `hung` one: the pid the kernel names as the lock's holder. */
  holder?: LockHolder;
  /**
   * The record's Unix socket (`socket` in `<instance>.json`), where it has
   * one, and whether a socket is there.
   */
  socket?: { path: string; present: boolean };
}

/** A `pryx-core` found on PATH, first first. */
export interface OnPath {
  /** Its path. */
  path: string;
  /** What its `--version` printed, or `undefined` when it did not run. */
  version?: string;
}

/** Everything doctor judges. */
export interface DoctorFacts {
  /** The OS (for commands to paste). */
  os: Os;
  /** The environment (for commands to paste). */
  env: EnvGetter;
  /** This CLI's version. */
  version: string;
  /** The state directory. */
  stateDir: {
    path: string;
    /** Whether it exists (a missing one is made at the first start). */
    present: boolean;
    /** Why it may not be trusted (`shared/trust.ts`), when it may not. */
    distrust?: Distrust;
    /** Its mode bits, where known. */
    mode?: number;
    /** Free bytes on its file system (or its nearest parent's), where known. */
    freeBytes?: number;
    /** Why it cannot be read at all (the instances are then unknown). */
    unreadable?: string;
  };
  /** The instances: the one named with `--instance`, else every one shown. */
  instances: InstanceFacts[];
  /** The instance named with `--instance`, if any. */
  instance?: string;
  /** Proxy variables that are set, by name. */
  proxies: { name: string; value: string }[];
  /** Whether `::1` can be bound; `undefined` when unknown. */
  ipv6Loopback?: boolean;
  /** The open-file limit a runtime started from this shell gets. */
  fileLimit?: FileLimit;
  /** Every `pryx-core` on PATH, in PATH order. */
  onPath: OnPath[];
  /**
   * The instance's login service (SPEC 5, `pryx-core service`); absent
   * where the OS has no manager pryx-core installs for: no line.
   */
  service?: ServiceFact;
}

/** The checks of `facts`, in the order they print. */
export function judge(facts: DoctorFacts): Check[] {
  return [
    ...stateDirChecks(facts),
    ...instanceChecks(facts),
    ...proxyChecks(facts),
    ...ipv6Checks(facts),
    ...fileLimitChecks(facts),
    ...pathChecks(facts),
    ...(facts.service === undefined ? [] : [serviceCheck(facts.service)]),
  ];
}

/** Whether any check failed: doctor's exit code (0 or 1). */
export function doctorExitCode(checks: readonly Check[]): ExitCode {
  return checks.some((c) => c.status === "fail")
    ? ExitCode.NotFound
    : ExitCode.Ok;
}

/** The text of checks: one line each, `ok   `, `warn `, `fail ` first. */
export function formatChecks(checks: readonly Check[]): string {
  return checks.map((c) =>
    `${c.status.padEnd(4)}  ${c.message}${
      c.fix === undefined ? "" : `; fix: ${c.fix}`
    }`
  ).join("\n") + "\n";
}

function stateDirChecks(f: DoctorFacts): Check[] {
  const dir = f.stateDir;
  const out: Check[] = [];
  if (dir.distrust !== undefined) {
    out.push({
      check: "state-dir",
      status: "fail",
      message: distrustMessage(dir.distrust),
      fix: dir.distrust.kind === "writable"
        ? `chmod 700 ${shellQuote(dir.path)}`
        : `export PRYX_HOME="$HOME/.pryx"`,
    });
  } else if (dir.unreadable !== undefined) {
    out.push({
      check: "state-dir",
      status: "fail",
      message: `state directory ${dir.path} cannot be read: ${dir.unreadable}`,
      fix: `chmod 700 ${shellQuote(dir.path)}`,
    });
  } else if (!dir.present) {
    out.push({
      check: "state-dir",
      status: "ok",
      message:
        `state directory ${dir.path} does not exist yet (the first start makes it, mode 0700)`,
    });
  } else {
    const mode = dir.mode === undefined
      ? ""
      : `, mode ${(dir.mode & 0o7777).toString(8).padStart(4, "0")}`;
    out.push({
      check: "state-dir",
      status: "ok",
      message: `state directory ${dir.path} (yours${mode})`,
    });
  }
  if (dir.freeBytes !== undefined) {
    const low = dir.freeBytes < LOW_FREE_BYTES;
    out.push({
      check: "free-space",
      status: low ? "warn" : "ok",
      message: `${formatSize(dir.freeBytes)} free for the state directory${
        low
          ? `, under ${
            formatBytes(LOW_FREE_BYTES)
          }: files and logs may fail to write`
          : ""
      }`,
      ...(low
        ? { fix: "free some disk space, or set PRYX_HOME elsewhere" }
        : {}),
    });
  }
  return out;
}

/** `123456789` → `"117.7 MiB"`. */
function formatSize(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

function instanceChecks(f: DoctorFacts): Check[] {
  if (f.stateDir.distrust !== undefined || f.stateDir.unreadable) return [];
  if (f.instances.length === 0) {
    return [{
      check: "instance",
      status: "warn",
      message: "no runtime is running in this state directory",
      fix: "pryx-core serve --detach",
    }];
  }
  return f.instances.flatMap((i) => [
    instanceCheck(f, i),
    ...(i.socket === undefined ? [] : [socketCheck(f, i.verdict, i.socket)]),
  ]);
}

function instanceCheck(f: DoctorFacts, i: InstanceFacts): Check {
  const v = i.verdict;
  const name = `instance "${v.instance}"`;
  const stop = (force = false) =>
    stopCommandLine(v.instance, f.stateDir.path, f.env, { force, os: f.os });
  const serve = `pryx-core serve --detach${
    f.instance === undefined || v.instance === "runtime"
      ? ""
      : ` --instance ${v.instance}`
  }`;
  switch (v.state) {
    case "live": {
      const theirs = v.health?.version ?? v.info?.version;
      const pid = v.health?.pid ?? v.info?.pid;
      if (theirs !== undefined && theirs !== f.version) {
        return {
          check: "instance",
          status: "warn",
          message:
            `${name} is live at ${v.url} (pid ${pid}) but is version ${theirs}, this CLI is ${f.version}`,
          fix: `${stop()}, then ${serve}`,
        };
      }
      return {
        check: "instance",
        status: "ok",
        message:
          `${name} is live and healthy at ${v.url} (pid ${pid}, version ${
            theirs ?? "unknown"
          })`,
      };
    }
    case "stopped":
      return v.lastFailure === undefined
        ? {
          check: "instance",
          status: "ok",
          message: `${name} is not running`,
        }
        : {
          check: "instance",
          status: "fail",
          message: `${name}: ${startFailureWords(v.lastFailure)}`,
          fix: v.lastFailure.exitCode === ExitCode.Bind
            ? `stop what holds the port, or start on any free port: pryx-core serve --detach --listen :0`
            : `fix that, then ${serve} (a start that succeeds clears the record)`,
        };
    case "starting":
    case "draining":
      return {
        check: "instance",
        status: "warn",
        message: `${name} is ${
          v.state === "starting" ? "starting" : "shutting down"
        } (${verdictReason(v)})`,
      };
    case "incompatible":
      return {
        check: "instance",
        status: "fail",
        message: `${name}: ${protocolWords(v.url, v.health)}`,
        fix: stop(),
      };
    case "elsewhere":
      return {
        check: "instance",
        status: "warn",
        message: `${name}: ${verdictReason(v)}`,
        fix:
          `use another state directory on this machine: export PRYX_HOME=...`,
      };
    case "hung": {
      const proven = i.holder?.ok
        ? ` (the kernel names pid ${i.holder.pid} as the lock's holder)`
        : "";
      return {
        check: "instance",
        status: "fail",
        message: `${name} holds its lock but does not answer: ${
          verdictReason(v)
        }${proven}`,
        fix: stop(true),
      };
    }
    case "stale":
      if (v.lockHeld === true) {
        return {
          check: "instance",
          status: "fail",
          message: `${name} holds its lock but its files are not right: ${
            verdictReason(v)
          }`,
          fix: stop(true),
        };
      }
      return {
        check: "instance",
        status: "warn",
        message: `${name} left stale files (${
          verdictReason(v)
        }); the next start replaces them`,
        fix: "pryx-core prune",
      };
  }
}

function socketCheck(
  f: DoctorFacts,
  v: Verdict,
  socket: { path: string; present: boolean },
): Check {
  return socket.present
    ? {
      check: "socket",
      status: "ok",
      message: `instance "${v.instance}" socket ${socket.path} is there`,
    }
    : {
      check: "socket",
      status: "warn",
      message:
        `instance "${v.instance}" names socket ${socket.path}, which is not there: clients fall back to TCP`,
      fix: `restart it: ${
        stopCommandLine(v.instance, f.stateDir.path, f.env, { os: f.os })
      }, then pryx-core serve --detach`,
    };
}

function proxyChecks(f: DoctorFacts): Check[] {
  if (f.proxies.length === 0) {
    return [{
      check: "proxy",
      status: "ok",
      message: "no proxy variable is set",
    }];
  }
  const names = f.proxies.map((p) => p.name);
  return [{
    check: "proxy",
    status: "warn",
    message: `${
      names.join(", ")
    } set: pryx-core and its client never use a proxy for loopback, but other tools (curl, a browser, an HTTP library) may send localhost through it`,
    fix: `export NO_PROXY=localhost,127.0.0.1,::1 (or unset ${
      names.join(" ")
    })`,
  }];
}

function ipv6Checks(f: DoctorFacts): Check[] {
  if (f.ipv6Loopback === undefined) return [];
  return [
    f.ipv6Loopback
      ? {
        check: "ipv6",
        status: "ok",
        message:
          "::1 is there: clients whose localhost is ::1 reach the runtime",
      }
      : {
        check: "ipv6",
        status: "warn",
        message:
          "::1 cannot be bound: the runtime answers on 127.0.0.1 only, so a client whose localhost resolves to ::1 fails; use http://127.0.0.1 URLs",
      },
  ];
}

function fileLimitChecks(f: DoctorFacts): Check[] {
  const limit = f.fileLimit;
  if (limit === undefined) return [];
  if (limit.soft >= DOCTOR_FILE_LIMIT) {
    return [{
      check: "file-limit",
      status: "ok",
      message: `open-file limit ${limit.soft}`,
    }];
  }
  const target = Math.min(
    limit.hard === Infinity ? 65536 : Math.max(limit.hard, DOCTOR_FILE_LIMIT),
    65536,
  );
  return [{
    check: "file-limit",
    status: "warn",
    message: fileLimitAdvice(limit, f.os) ??
      `open-file limit ${limit.soft}`,
    fix: `ulimit -n ${target}`,
  }];
}

function pathChecks(f: DoctorFacts): Check[] {
  const [first, ...rest] = f.onPath;
  if (first === undefined) {
    return [{
      check: "path",
      status: "warn",
      message: "no pryx-core on PATH",
      fix: "deno task install (from a checkout)",
    }];
  }
  const versions = new Set(f.onPath.map((p) => p.version ?? "unknown"));
  if (versions.size > 1) {
    const others = rest.filter((p) => p.version !== first.version);
    return [{
      check: "path",
      status: "fail",
      message: `${first.path} is first on PATH (version ${
        first.version ?? "unknown"
      }), but PATH also has ${
        others.map((p) => `${p.path} (version ${p.version ?? "unknown"})`)
          .join(", ")
      }: which one runs depends on the shell`,
      fix: `remove the one you do not want (rm ${
        others.map((p) => shellQuote(p.path)).join(" ")
      }), then "hash -r"`,
    }];
  }
  return [{
    check: "path",
    status: first.version === f.version ? "ok" : "warn",
    message: `${first.path} is first on PATH (version ${
      first.version ?? "unknown"
    }${first.version === f.version ? "" : `; this CLI is ${f.version}`})`,
    ...(first.version === f.version
      ? {}
      : { fix: "deno task install (from the checkout you want)" }),
  }];
}

/**
 * The line on the login service: none (fine: it is optional), installed
 * and active, or installed but not running, with the manager's command
 * that starts it or shows why it failed.
 */
function serviceCheck(f: ServiceFact): Check {
  if (f.kind === "none") {
    return {
      check: "service",
      status: "ok",
      message:
        `no login service ${f.name} ("pryx-core service install" runs the runtime at login)`,
    };
  }
  const start = f.manager === "systemd"
    ? `systemctl --user start ${f.name}`
    : f.manager === "launchd"
    ? `launchctl kickstart gui/${f.uid ?? "$(id -u)"}/${f.name}`
    : `schtasks /Run /TN "${f.name}"`;
  switch (f.state) {
    case "active":
      return {
        check: "service",
        status: "ok",
        message: `login service ${f.name} is installed (${f.where}) and active`,
      };
    case "failed":
      return {
        check: "service",
        status: "fail",
        message:
          `login service ${f.name} (${f.where}) failed; its log is <state-dir>/<instance>.log`,
        fix: f.manager === "systemd"
          ? `systemctl --user status ${f.name}, then ${start}`
          : start,
      };
    case "unknown":
      return {
        check: "service",
        status: "warn",
        message:
          `login service ${f.name} is installed (${f.where}); its state is unknown: ${f.why}`,
      };
    default:
      return {
        check: "service",
        status: "warn",
        message:
          `login service ${f.name} is installed (${f.where}) but ${f.state}`,
        fix: start,
      };
  }
}

/**
 * `pryx-core service install|uninstall|status` (SPEC 5): a per-user
 * service that starts `serve` at login and restarts it when it fails. The
 * text comes from `service_unit.ts` (one description, three managers);
 * this module writes it where the manager reads it and asks the manager
 * (`systemctl --user`, `launchctl`, `schtasks`) to enable, disable or
 * report it. Where no systemd user manager runs (a container, an ssh
 * session without lingering), install writes the unit and says the two
 * commands to run. Everything outside (files, commands, the OS) comes in
 * as a {@linkcode ServiceHost}, so each OS's branch is tested here.
 *
 * @module
 */

import { type FlagSpec, type ParsedFlags, parseDuration } from "./args.ts";
import { openCommand } from "./command.ts";
import { writeStdout } from "./output.ts";
import { didYouMean } from "./suggest.ts";
import { FLAGS as SERVE_FLAGS } from "./serve.ts";
import {
  DENO_FILES,
  describeService,
  findLauncher,
  renderService,
  requireManager,
  type ServiceDescription,
  servicePath,
  taskXml,
} from "./service_unit.ts";
import { type ServiceManager, serviceName } from "../shared/service_manager.ts";
import {
  Env,
  type EnvGetter,
  envReader,
  expandHome,
  readDenoEnv,
  resolveInstance,
  resolveStateDir,
} from "../shared/config.ts";
import {
  ExitCode,
  NotFoundError,
  PryxError,
  UsageError,
} from "../shared/errors.ts";
import type { Os } from "../shared/os.ts";
import { fileUrlToPath } from "../shared/file_url.ts";
import { ensureStateDir } from "../shared/state_dir.ts";
import { parseListenAddr } from "../server/listen_addr.ts";

/** The actions of `pryx-core service`. */
export const ACTIONS = ["install", "uninstall", "status"] as const;

/** One of {@linkcode ACTIONS}. */
export type ServiceAction = typeof ACTIONS[number];

/** The flags of `service install`: `--print` and every flag of `serve`. */
export const FLAGS = { print: "boolean", ...SERVE_FLAGS } as const;

/** The flags of `service uninstall` and `service status`. */
const NAME_FLAGS = { instance: "string" } as const;

/** Help text of `pryx-core service`. */
const SERVICE_USAGE =
  `Usage: pryx-core service install|uninstall|status [flags] [serve flags]

Run the runtime as a per-user service: started at login, restarted when it
fails (not after "pryx-core stop", which a clean exit is), its log in
<state-dir>/<instance>.log. Linux: a systemd user unit
(~/.config/systemd/user/pryx-core-<instance>.service); macOS: a launchd
agent (~/Library/LaunchAgents/dev.pryx-core.<instance>.plist); Windows: a
Task Scheduler task (\\pryx-core\\<instance>). The unit runs the pryx-core
first on PATH by its absolute path (or, from a checkout, deno run with the
runtime's permissions) with the serve flags given here.

  install     write the unit and enable it (where no systemd user manager
              runs, it says the two commands to run)
  uninstall   disable it and remove the unit
  status      say whether it is installed and active (exit 1 when not
              installed)

Flags:
  --instance NAME   instance name (env ${Env.instance}; default runtime)
  --print           install: print the unit on stdout, write nothing
  -h, --help        show this help
  serve flags       install: --listen, --state-dir, --auth, --token-file,
                    --allow-origin, --allow-host, --log-format, --quiet,
                    --exit-when-idle, passed to "pryx-core serve"
                    ("pryx-core serve --help"); ${Env.home} is written as
                    --state-dir

Exit codes: 0 done, 1 the manager refused or (status, uninstall) nothing
installed, 2 usage error, 5 state directory unusable.
`;

/** What `service` needs from the world, injected so tests cover every OS. */
export interface ServiceHost {
  /** The OS whose manager is used. */
  os: Os;
  /** The environment. */
  env: EnvGetter;
  /** `Deno.execPath()`. */
  execPath: string;
  /** Absolute path of this checkout's `main.ts`. */
  mainPath: string;
  /** The current directory, for relative paths in flags. */
  cwd: string;
  /** `Deno.uid()` (launchd's `gui/UID` domain). */
  uid: number | null;
  /**
   * Runs a command to completion; `undefined` when the program does not
   * exist.
   */
  run(cmd: string, args: string[]): Promise<Ran | undefined>;
  /** Whether `path` is a file. */
  isFile(path: string): boolean;
  /** `path` with its links resolved (itself when it cannot be). */
  realPath(path: string): string;
  /** Writes `text` to `path`, creating its directory; UTF-16 with a BOM when asked. */
  writeFile(path: string, text: string, utf16?: boolean): void;
  /** Removes `path`; `false` when there was none. */
  remove(path: string): boolean;
  /** A fresh temp file path. */
  tempFile(suffix: string): string;
  /** Makes sure the state directory exists (the log goes there). */
  ensureStateDir(dir: string): void;
}

/** A finished command of {@linkcode ServiceHost.run}. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `service` with command-line `args`.
 *
 * @returns The exit code.
 */
export function serviceCommand(args: string[]): Promise<number> {
  return runService(args, denoServiceHost());
}

/**
 * `service` against `host`: what {@linkcode serviceCommand} runs, and what
 * the tests run with a fake host.
 *
 * @throws {UsageError} Without an action, or for an unknown one or flag.
 * @throws {NotFoundError} When the manager refuses, or nothing is installed.
 */
export async function runService(
  args: string[],
  host: ServiceHost,
): Promise<number> {
  const [action, ...rest] = args;
  if (action === "--help" || action === "-h") {
    writeStdout(SERVICE_USAGE);
    return ExitCode.Ok;
  }
  if (action === undefined) {
    throw new UsageError(
      `service needs an action, one of ${
        ACTIONS.join(", ")
      }: pryx-core service install (see "pryx-core service --help")`,
    );
  }
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(
      `Unknown service action "${action}"${
        didYouMean(
          action,
          [...ACTIONS],
          (a) => a,
          `use one of ${ACTIONS.join(", ")}: pryx-core service install`,
        )
      }`,
    );
  }
  if (action === "install") return await install(rest, host);
  const opened = openCommand(rest, {
    name: `service ${action}`,
    usage: SERVICE_USAGE,
    flags: NAME_FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const named: Named = {
    manager: requireManager(host.os),
    instance: resolveInstance(opened.flags.instance, host.env),
    name: "",
  };
  named.name = serviceName(named.manager, named.instance);
  return action === "status"
    ? await status(named, host)
    : await uninstall(named, host);
}

/** Which service `uninstall` and `status` are about. */
interface Named {
  manager: ServiceManager;
  instance: string;
  name: string;
}

/** `service install`: writes the unit (or prints it) and enables it. */
async function install(args: string[], host: ServiceHost): Promise<number> {
  const opened = openCommand(args, {
    name: "service install",
    usage: SERVICE_USAGE,
    flags: FLAGS,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const { env, os } = host;
  const instance = resolveInstance(flags.instance, env);
  const stateDir = absolute(resolveStateDir(flags["state-dir"], env, os), host);
  const explicitDir = flags["state-dir"] !== undefined ||
    env(Env.home) !== undefined;
  const service = describeService({
    instance,
    launcher: findLauncher(host.execPath, host.mainPath, env, os, host),
    serveArgs: serveArgs(flags, explicitDir ? stateDir : undefined, host),
    stateDir,
    home: expandHome("~", env, os),
  }, os);
  const text = renderService(service);
  if (flags.print) {
    writeStdout(text);
    return ExitCode.Ok;
  }
  // The log goes to the state directory: it must exist before the first start.
  host.ensureStateDir(stateDir);
  switch (service.manager) {
    case "systemd":
      return await installSystemd(service, text, host);
    case "launchd":
      return await installLaunchd(service, text, host);
    case "schtasks":
      return await installTask(service, host);
  }
}

/** The `serve` flags given to `install`, as the unit passes them on. */
function serveArgs(
  flags: ParsedFlags<typeof FLAGS>,
  stateDir: string | undefined,
  host: ServiceHost,
): string[] {
  const out: string[] = [];
  const listen = flags.listen;
  if (listen !== undefined) {
    parseListenAddr(listen); // refuse a bad address now, not at login
    out.push("--listen", listen);
  }
  if (stateDir !== undefined) out.push("--state-dir", stateDir);
  const auth = flags.auth;
  if (auth !== undefined) {
    if (auth !== "none" && auth !== "token") {
      throw new UsageError(`Invalid auth mode "${auth}": use none or token`);
    }
    out.push("--auth", auth);
  }
  const tokenFile = flags["token-file"];
  if (tokenFile !== undefined) {
    out.push("--token-file", absolute(tokenFile, host));
  }
  for (const origin of flags["allow-origin"] ?? []) {
    out.push("--allow-origin", origin);
  }
  for (const name of flags["allow-host"] ?? []) {
    out.push("--allow-host", name);
  }
  const format = flags["log-format"];
  if (format !== undefined) {
    if (format !== "text" && format !== "json") {
      throw new UsageError(
        `Invalid --log-format "${format}": use text or json`,
      );
    }
    out.push("--log-format", format);
  }
  if (flags.quiet) out.push("--quiet");
  const idle = flags["exit-when-idle"];
  if (idle !== undefined) {
    parseDuration(idle);
    out.push("--exit-when-idle", idle);
  }
  return out;
}

/** `path` made absolute against the current directory. */
function absolute(path: string, host: ServiceHost): string {
  const isAbs = host.os === "windows"
    ? /^(?:[a-zA-Z]:[\\/]|\\\\)/.test(path)
    : path.startsWith("/");
  if (isAbs) return path;
  const sep = host.os === "windows" ? "\\" : "/";
  return `${host.cwd.replace(/[\\/]+$/, "")}${sep}${path}`;
}

/** A command line as a person types it (for the words only). */
function shown(cmd: string[]): string {
  return cmd.map((w) => /^[\w@%+=:,./\\-]+$/.test(w) ? w : `'${w}'`).join(
    " ",
  );
}

/** The first line of a command's complaint, for a message. */
function complaint(ran: Ran | undefined, cmd: string): string {
  if (ran === undefined) return `${cmd} is not installed`;
  const line = (ran.stderr.trim() || ran.stdout.trim()).split("\n", 1)[0];
  return line === "" ? `${cmd} exited ${ran.code}` : line;
}

/** Runs `cmd`; a failure is a {@linkcode PryxError} naming it. */
async function must(host: ServiceHost, cmd: string[]): Promise<Ran> {
  const ran = await host.run(cmd[0], cmd.slice(1));
  if (ran === undefined || ran.code !== 0) {
    throw new PryxError(
      `"${shown(cmd)}" failed: ${complaint(ran, cmd[0])}`,
      ExitCode.NotFound,
    );
  }
  return ran;
}

/**
 * Whether a systemd user manager answers (`systemctl --user
 * show-environment`), and if not, why.
 */
async function userManager(
  host: ServiceHost,
): Promise<{ runs: true } | { runs: false; why: string }> {
  const ran = await host.run("systemctl", ["--user", "show-environment"]);
  if (ran !== undefined && ran.code === 0) return { runs: true };
  return { runs: false, why: complaint(ran, "systemctl") };
}

function say(message: string): void {
  console.error(`pryx-core: ${message}`);
}

async function installSystemd(
  service: ServiceDescription,
  text: string,
  host: ServiceHost,
): Promise<number> {
  const path = servicePath("systemd", service.instance, host.env, host.os)!;
  host.writeFile(path, text);
  const steps = [
    ["systemctl", "--user", "daemon-reload"],
    ["systemctl", "--user", "enable", "--now", service.name],
  ];
  const manager = await userManager(host);
  if (!manager.runs) {
    say(
      `Wrote ${path}; no systemd user manager runs here (${manager.why}), so run these two where one does (your login session, or after "loginctl enable-linger $USER"):\n  ${
        steps.map(shown).join("\n  ")
      }`,
    );
    return ExitCode.Ok;
  }
  for (const step of steps) await must(host, step);
  say(
    `Installed and started ${service.name} (${path}): it starts at login and restarts when it fails; log: ${service.logPath}`,
  );
  return ExitCode.Ok;
}

async function installLaunchd(
  service: ServiceDescription,
  text: string,
  host: ServiceHost,
): Promise<number> {
  const path = servicePath("launchd", service.instance, host.env, host.os)!;
  host.writeFile(path, text);
  const domain = `gui/${host.uid}`;
  // Loaded from an earlier install: unload first, so the new text counts.
  await host.run("launchctl", ["bootout", `${domain}/${service.name}`]);
  await must(host, ["launchctl", "bootstrap", domain, path]);
  say(
    `Installed and started ${service.name} (${path}): it starts at login and restarts when it fails; log: ${service.logPath}`,
  );
  return ExitCode.Ok;
}

async function installTask(
  service: ServiceDescription,
  host: ServiceHost,
): Promise<number> {
  const user = host.env("USERNAME");
  const domain = host.env("USERDOMAIN");
  const xml = taskXml(
    service,
    user === undefined ? undefined : domain ? `${domain}\\${user}` : user,
  );
  // schtasks reads the task from a file, in UTF-16 as its XML declares.
  const file = host.tempFile(".xml");
  host.writeFile(file, xml, true);
  try {
    await must(host, [
      "schtasks",
      "/Create",
      "/TN",
      service.name,
      "/XML",
      file,
      "/F",
    ]);
  } finally {
    host.remove(file);
  }
  await must(host, ["schtasks", "/Run", "/TN", service.name]);
  say(
    `Installed and started the task ${service.name}: it starts at logon and restarts when it fails; log: ${service.logPath}`,
  );
  return ExitCode.Ok;
}

/** `service uninstall`: disables the service and removes its unit. */
async function uninstall(
  service: Named,
  host: ServiceHost,
): Promise<number> {
  const { manager, instance, name } = service;
  if (manager === "schtasks") {
    const query = await host.run("schtasks", ["/Query", "/TN", name]);
    if (query === undefined || query.code !== 0) {
      throw new NotFoundError(
        `No task ${name} is installed for instance "${instance}"; "pryx-core service status" says what is`,
      );
    }
    await host.run("schtasks", ["/End", "/TN", name]);
    await must(host, ["schtasks", "/Delete", "/TN", name, "/F"]);
    say(`Removed the task ${name}`);
    return ExitCode.Ok;
  }
  const path = servicePath(manager, instance, host.env, host.os)!;
  if (!host.isFile(path)) {
    throw new NotFoundError(
      `No service of instance "${instance}" is installed (no ${path}); "pryx-core service status" says what is`,
    );
  }
  if (manager === "launchd") {
    await host.run("launchctl", ["bootout", `gui/${host.uid}/${name}`]);
    host.remove(path);
    say(`Stopped and removed ${name} (${path})`);
    return ExitCode.Ok;
  }
  const user = await userManager(host);
  if (!user.runs) {
    host.remove(path);
    say(
      `Removed ${path}; no systemd user manager runs here (${user.why}), so where one does, run:\n  ${
        shown(["systemctl", "--user", "disable", "--now", name])
      }\n  ${shown(["systemctl", "--user", "daemon-reload"])}`,
    );
    return ExitCode.Ok;
  }
  await must(host, ["systemctl", "--user", "disable", "--now", name]);
  host.remove(path);
  await must(host, ["systemctl", "--user", "daemon-reload"]);
  say(`Stopped, disabled and removed ${name} (${path})`);
  return ExitCode.Ok;
}

/**
 * What `service status` and `doctor` say about an instance's login
 * service: not installed, or installed (where) and in which state.
 */
export type ServiceFact =
  | { kind: "none"; manager: ServiceManager; name: string }
  | {
    kind: "installed";
    manager: ServiceManager;
    name: string;
    /** The unit's path, or `task NAME` on Windows. */
    where: string;
    /** As the manager says it; `unknown` with `why` when it cannot say. */
    state: "active" | "inactive" | "failed" | "not loaded" | "unknown";
    /** Why the state is unknown (no systemd user manager runs, ...). */
    why?: string;
    /** `launchd`'s domain, `gui/UID`, for the command that starts it. */
    uid: number | null;
  };

/**
 * The login service of `instance` on `host`'s OS, as its manager sees it.
 *
 * @throws {UsageError} On an OS without a supported manager.
 */
export async function inspectService(
  instance: string,
  host: ServiceHost,
): Promise<ServiceFact> {
  const manager = requireManager(host.os);
  const name = serviceName(manager, instance);
  const none = { kind: "none", manager, name } as const;
  const installed = (
    where: string,
    state: Extract<ServiceFact, { kind: "installed" }>["state"],
    why?: string,
  ): ServiceFact => ({
    kind: "installed",
    manager,
    name,
    where,
    state,
    ...(why === undefined ? {} : { why }),
    uid: host.uid,
  });
  if (manager === "schtasks") {
    const query = await host.run("schtasks", [
      "/Query",
      "/TN",
      name,
      "/FO",
      "LIST",
    ]);
    if (query === undefined || query.code !== 0) return none;
    return installed(
      `task ${name}`,
      /^Status:\s*Running\s*$/im.test(query.stdout) ? "active" : "inactive",
    );
  }
  const path = servicePath(manager, instance, host.env, host.os)!;
  if (!host.isFile(path)) return none;
  if (manager === "launchd") {
    const ran = await host.run("launchctl", [
      "print",
      `gui/${host.uid}/${name}`,
    ]);
    return installed(
      path,
      ran === undefined || ran.code !== 0
        ? "not loaded"
        : /^\s*state = running\s*$/m.test(ran.stdout)
        ? "active"
        : "inactive",
    );
  }
  const user = await userManager(host);
  if (!user.runs) {
    return installed(
      path,
      "unknown",
      `no systemd user manager runs here (${user.why})`,
    );
  }
  const ran = await host.run("systemctl", ["--user", "is-active", name]);
  const said = ran?.stdout.trim();
  return installed(
    path,
    said === "active" || said === "inactive" || said === "failed"
      ? said
      : "unknown",
    said === "active" || said === "inactive" || said === "failed"
      ? undefined
      : `systemctl said "${said ?? ""}"`,
  );
}

/**
 * `service status`: one line on stdout, `installed PATH, active` (or
 * `inactive`, `failed`, or why the state is unknown), or `not installed`
 * (exit 1).
 */
async function status(
  service: Named,
  host: ServiceHost,
): Promise<number> {
  const fact = await inspectService(service.instance, host);
  if (fact.kind === "none") return notInstalled(fact.name);
  const state = fact.state === "unknown"
    ? `state unknown: ${fact.why}`
    : fact.state;
  writeStdout(`${fact.name}: installed ${fact.where}, ${state}\n`);
  return ExitCode.Ok;
}

function notInstalled(name: string): number {
  writeStdout(`${name}: not installed\n`);
  return ExitCode.NotFound;
}

/** The real {@linkcode ServiceHost}: this process, its files and commands. */
export function denoServiceHost(): ServiceHost {
  return {
    os: Deno.build.os,
    env: envReader(readDenoEnv),
    execPath: Deno.execPath(),
    mainPath: fileUrlToPath(new URL("../../main.ts", import.meta.url)),
    cwd: Deno.cwd(),
    uid: Deno.uid(),
    async run(cmd, args) {
      try {
        const out = await new Deno.Command(cmd, {
          args,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dec = new TextDecoder();
        return {
          code: out.code,
          stdout: dec.decode(out.stdout),
          stderr: dec.decode(out.stderr),
        };
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
    },
    isFile: DENO_FILES.isFile,
    realPath: DENO_FILES.realPath,
    writeFile(path, text, utf16) {
      const dir = path.replace(/[\\/][^\\/]*$/, "");
      if (dir !== path && dir !== "") Deno.mkdirSync(dir, { recursive: true });
      if (!utf16) return Deno.writeTextFileSync(path, text);
      const bytes = new Uint8Array(2 + text.length * 2);
      bytes[0] = 0xff;
      bytes[1] = 0xfe;
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        bytes[2 + 2 * i] = unit & 0xff;
        bytes[3 + 2 * i] = unit >> 8;
      }
      Deno.writeFileSync(path, bytes);
    },
    remove(path) {
      try {
        Deno.removeSync(path);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    },
    tempFile: (suffix) => Deno.makeTempFileSync({ suffix }),
    ensureStateDir: (dir) => void ensureStateDir(dir),
  };
}

/** Every flag `service` takes, for the shell completions. */
export const COMPLETION_FLAGS: FlagSpec = { ...FLAGS, help: "boolean" };
